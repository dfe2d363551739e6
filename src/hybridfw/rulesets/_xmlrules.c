/* pfSense/OPNsense filter rules read straight from the XML bytes: hybridfw.rulesets._xmlrules
 * (optional; hatch_build.py builds it; the pure path is `XmlNode.child_texts` on the lxml tree).
 *
 * `scan(data, section, item)` walks the UTF-8 document `data`, which lxml has already parsed
 * without error (so it is well-formed), finds the first child of the root element named
 * `section` and returns, for each of its child elements named `item`, in order, either
 *   (line, texts): the line lxml gives the element (the line of its start tag's '>') and the
 *   dict `XmlNode.child_texts` makes: the stripped character data directly inside the first
 *   child of each tag, by tag, and inside the first grandchild of each tag under it, by
 *   "child/grandchild";
 * or None when the element holds something only the XML parser can read exactly (an entity or
 * character reference, a comment, a processing instruction, a prefixed name, a carriage return
 * left inside a value): the caller reads that element from the lxml tree. A CDATA section is
 * read as the text it holds (pfSense writes every <descr> so). It returns, as the tuple
 * (items, start, end, line, plain), these items ([] without such a section), the byte span
 * [start, end) of the section's content (0, 0 without a section), the line of the section's
 * start tag, and whether the content can be left out of an lxml tree of the rest (`plain`: no
 * start tag in it has a prefixed name or attribute, or a reference in an attribute value, the
 * only things libxml2 checks while building a tree and not while merely parsing); or None for
 * the whole document when it cannot follow it safely (a namespace declaration or a DOCTYPE
 * anywhere, a lone carriage return, an unterminated construct or section).
 * tests/rulesets/test_xml_rules.py compares it with the lxml path on random documents.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    char *p;
    Py_ssize_t n, cap;
} Buf;

static int buf_add(Buf *b, const char *s, Py_ssize_t n) {
    if (b->n + n > b->cap) {
        Py_ssize_t cap = (b->n + n) * 2 + 64;
        char *p = PyMem_Realloc(b->p, (size_t)cap);
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, (size_t)n);
    b->n += n;
    return 0;
}

/* Tag keys repeat in every rule: one interned str per distinct name (up to KEYS of them). */
#define KEYS 64
#define KEYLEN 48
typedef struct {
    Py_ssize_t n;
    char name[KEYLEN];
    PyObject *key;
} KeySlot;

typedef struct {
    KeySlot slot[KEYS];
    int used;
} Keys;

static PyObject *key_for(Keys *keys, const char *s, Py_ssize_t n) { /* new reference */
    if (n < KEYLEN) {
        for (int i = 0; i < keys->used; i++) {
            KeySlot *k = &keys->slot[i];
            if (k->n == n && memcmp(k->name, s, (size_t)n) == 0) {
                Py_INCREF(k->key);
                return k->key;
            }
        }
    }
    PyObject *key = PyUnicode_DecodeUTF8(s, n, "strict");
    if (key == NULL) return NULL;
    PyUnicode_InternInPlace(&key);
    if (n < KEYLEN && keys->used < KEYS) {
        KeySlot *k = &keys->slot[keys->used++];
        k->n = n;
        memcpy(k->name, s, (size_t)n);
        Py_INCREF(key);
        k->key = key;
    }
    return key;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Values repeat too (protocols, ports, alias names): a direct-mapped cache of short ones. */
#define VALUES 4096
#define VALLEN 40
typedef struct {
    Py_ssize_t n;
    char text[VALLEN];
    PyObject *value;
} ValueSlot;

static ValueSlot *value_slot(ValueSlot *values, const char *s, Py_ssize_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return &values[h & (VALUES - 1)];
}

/* The value str.strip() gives for the XML text `s`; NULL without an error set when the text
 * keeps a carriage return (XML reads it as a line feed: left to the parser). */
static PyObject *stripped(ValueSlot *values, const char *s, Py_ssize_t n, int *odd) {
    while (n > 0 && is_space(s[0])) s++, n--;
    while (n > 0 && is_space(s[n - 1])) n--;
    if (n > 0 && memchr(s, '\r', (size_t)n) != NULL) {
        *odd = 1;
        return NULL;
    }
    unsigned char first = n ? (unsigned char)s[0] : 'a', last = n ? (unsigned char)s[n - 1] : 'a';
    if (first >= 0x80 || last >= 0x80 || first < 0x20 || last < 0x20) {
        PyObject *value = PyUnicode_DecodeUTF8(s, n, "strict");
        if (value == NULL) return NULL;
        PyObject *again = PyObject_CallMethod(value, "strip", NULL); /* other white space */
        Py_DECREF(value);
        return again;
    }
    ValueSlot *slot = n <= VALLEN ? value_slot(values, s, n) : NULL;
    if (slot != NULL && slot->value != NULL && slot->n == n && memcmp(slot->text, s, (size_t)n) == 0)
        return Py_NewRef(slot->value); /* no new str: audit_vendor.py pfsense scoped -8 % CPU */
    PyObject *value = PyUnicode_DecodeUTF8(s, n, "strict");
    if (value != NULL && slot != NULL) {
        Py_XSETREF(slot->value, Py_NewRef(value));
        slot->n = n;
        memcpy(slot->text, s, (size_t)n);
    }
    return value;
}

typedef struct {
    Keys keys;
    Buf text4, text5;        /* character data of the current child / grandchild */
    Buf composite;           /* a grandchild's key being built */
    ValueSlot *values;       /* VALUES slots */
    PyObject *out;           /* the current item's dict, or NULL outside an item */
    PyObject *key4, *key5;   /* keys being recorded (NULL: not recorded) */
    int odd;                 /* the current item must be read by the XML parser */
    long line;               /* the current item's line */
    Py_ssize_t start, end;   /* the section's content: data[start:end] */
    long section_line;       /* the line of the section's start tag */
    int plain;               /* the content can be left out of a tree (see the top) */
} State;

/* Start of an element `name` at `depth` inside an item (the item itself is at depth 3). */
static int child_start(State *st, int depth, const char *name, Py_ssize_t n) {
    if (memchr(name, ':', (size_t)n) != NULL) st->odd = 1;
    if (st->odd) return 0;
    if (depth == 4) {
        PyObject *key = key_for(&st->keys, name, n);
        if (key == NULL) return -1;
        int seen = PyDict_Contains(st->out, key);
        if (seen != 0) {
            Py_DECREF(key);
            return seen < 0 ? -1 : 0;
        }
        st->key4 = key;
        st->text4.n = 0;
    } else if (depth == 5 && st->key4 != NULL) {
        Py_ssize_t tag_n;
        const char *tag = PyUnicode_AsUTF8AndSize(st->key4, &tag_n);
        if (tag == NULL) return -1;
        Buf *composite = &st->composite; /* "child/grandchild" */
        composite->n = 0;
        if (buf_add(composite, tag, tag_n) < 0 || buf_add(composite, "/", 1) < 0 ||
            buf_add(composite, name, n) < 0)
            return -1;
        PyObject *key = key_for(&st->keys, composite->p, composite->n);
        if (key == NULL) return -1;
        int seen = PyDict_Contains(st->out, key);
        if (seen != 0) {
            Py_DECREF(key);
            return seen < 0 ? -1 : 0;
        }
        st->key5 = key;
        st->text5.n = 0;
    }
    return 0;
}

/* End of the element at `depth` inside an item: store the value being recorded there. */
static int child_end(State *st, int depth) {
    PyObject **key = depth == 4 ? &st->key4 : depth == 5 ? &st->key5 : NULL;
    Buf *text = depth == 4 ? &st->text4 : &st->text5;
    if (key == NULL || *key == NULL) return 0;
    int rc = 0;
    if (!st->odd) {
        PyObject *value = stripped(st->values, text->p, text->n, &st->odd);
        if (value != NULL) {
            rc = PyDict_SetItem(st->out, *key, value);
            Py_DECREF(value);
        } else if (PyErr_Occurred()) {
            rc = -1;
        }
    }
    Py_CLEAR(*key);
    return rc;
}

/* Character data `s` inside an item, at `depth`; `cdata`: from a CDATA section (taken as it is). */
static int item_text(State *st, int depth, const char *s, Py_ssize_t n, int cdata) {
    if (!cdata && memchr(s, '&', (size_t)n) != NULL) st->odd = 1;
    if (st->odd) return 0;
    if (depth == 4 && st->key4 != NULL) return buf_add(&st->text4, s, n);
    if (depth == 5 && st->key5 != NULL) return buf_add(&st->text5, s, n);
    return 0;
}

static long lines_to(const char **from, const char *to) {
    long count = 0;
    for (const char *p = *from; p < to && (p = memchr(p, '\n', (size_t)(to - p))) != NULL; p++) count++;
    *from = to;
    return count;
}

/* Where the start tag at `p` ends (its '>'), quoted attribute values skipped; NULL if unclosed. */
static const char *tag_end(const char *p, const char *end) {
    const char *gt = memchr(p, '>', (size_t)(end - p));
    if (gt != NULL && memchr(p, '"', (size_t)(gt - p)) == NULL && memchr(p, '\'', (size_t)(gt - p)) == NULL)
        return gt; /* no attribute value before the first '>' */
    for (; p < end; p++) {
        if (*p == '>') return p;
        if (*p == '"' || *p == '\'') {
            const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
            if (q == NULL) return NULL;
            p = q;
        }
    }
    return NULL;
}

/* Whether a start tag's text (from its name to its '>') keeps libxml2's tree builder from
 * checking more than its parser does: no ':' outside quoted values (a prefixed name: xml:id
 * is checked only when built) and no '&' (a reference in an attribute value). */
static int plain_tag(const char *p, const char *gt) {
    if (memchr(p, '&', (size_t)(gt - p)) != NULL) return 0;
    if (memchr(p, ':', (size_t)(gt - p)) == NULL) return 1;
    for (char quote = 0; p < gt; p++) {
        if (quote != 0) quote = *p == quote ? 0 : quote;
        else if (*p == '"' || *p == '\'') quote = *p;
        else if (*p == ':') return 0;
    }
    return 1;
}

static int unsafe_document(const char *s, Py_ssize_t n) {
    if (n >= 5 && memmem(s, (size_t)n, "xmlns", 5) != NULL) return 1;
    /* No DTD anywhere: what lxml's tree-less check parses must never declare an entity. */
    if (n >= 9 && memmem(s, (size_t)n, "<!DOCTYPE", 9) != NULL) return 1;
    for (const char *p = s, *end = s + n; (p = memchr(p, '\r', (size_t)(end - p))) != NULL; p++)
        if (p + 1 >= end || p[1] != '\n') return 1; /* XML reads a lone CR as a line end */
    return 0;
}

/* Skip the markup at `p` ("<!--", "<![CDATA[", "<?"): where it ends, NULL if it cannot. */
static const char *skip_markup(const char *p, const char *end) {
    const char *close = NULL;
    size_t skip = 0, len = 0;
    if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) close = "-->", skip = 4, len = 3;
    else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) close = "]]>", skip = 9, len = 3;
    else if (end - p >= 2 && p[1] == '?') close = "?>", skip = 2, len = 2;
    if (close == NULL) return NULL; /* a DOCTYPE or another declaration: not followed */
    const char *q = memmem(p + skip, (size_t)(end - p - (Py_ssize_t)skip), close, len);
    return q == NULL ? NULL : q + len;
}

typedef struct {
    const char *section, *item;
    Py_ssize_t section_n, item_n;
} Names;

/* Walk the document; append the items to `found`. 1: done, 0: not followed (give up), -1: error. */
static int walk(State *st, const char *s, const char *end, const Names *names, PyObject *found) {
    const char *p = s, *counted = s;
    int depth = 0, in_section = 0;
    long line = 1;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        const char *stop = lt != NULL ? lt : end;
        if (st->out != NULL && stop > p && item_text(st, depth, p, stop - p, 0) < 0) return -1;
        if (lt == NULL || end - lt < 2) return lt == NULL && in_section != 1 ? 1 : 0;
        if (lt[1] == '!' || lt[1] == '?') {
            p = skip_markup(lt, end);
            if (p == NULL) return 0;
            if (st->out == NULL) continue;
            if (p - lt >= 12 && memcmp(lt, "<![CDATA[", 9) == 0) { /* pfSense writes <descr> so */
                if (item_text(st, depth, lt + 9, p - lt - 12, 1) < 0) return -1;
            } else {
                st->odd = 1; /* a comment or processing instruction: the parser drops it */
            }
            continue;
        }
        const char *gt = lt[1] == '/' ? memchr(lt, '>', (size_t)(end - lt)) : tag_end(lt, end);
        if (gt == NULL) return 0;
        p = gt + 1;
        if (lt[1] != '/') { /* a start tag, perhaps also the end (<x/>) */
            const char *name = lt + 1, *ne = name;
            while (ne < gt && !is_space(*ne) && *ne != '/' && *ne != '>') ne++;
            depth++;
            if (in_section == 1 && depth >= 3 && !plain_tag(name, gt)) st->plain = 0;
            if (st->out != NULL) {
                if (child_start(st, depth, name, ne - name) < 0) return -1;
            } else if (depth == 2 && in_section == 0 && ne - name == names->section_n &&
                       memcmp(name, names->section, (size_t)names->section_n) == 0) {
                in_section = 1;
                st->start = st->end = gt + 1 - s;
                line += lines_to(&counted, gt);
                st->section_line = line;
            } else if (depth == 3 && in_section == 1 && ne - name == names->item_n &&
                       memcmp(name, names->item, (size_t)names->item_n) == 0) {
                st->out = _PyDict_NewPresized(12); /* a rule's usual keys without a resize */
                if (st->out == NULL) return -1;
                st->odd = 0;
                line += lines_to(&counted, gt);
                st->line = line;
            }
            if (gt[-1] != '/') continue;
        }
        /* the end of the element at `depth` */
        if (st->out != NULL && depth > 3) {
            if (child_end(st, depth) < 0) return -1;
        } else if (st->out != NULL) { /* the item ends */
            PyObject *entry = st->odd ? Py_NewRef(Py_None) : Py_BuildValue("(lO)", st->line, st->out);
            Py_CLEAR(st->out);
            if (entry == NULL || PyList_Append(found, entry) < 0) {
                Py_XDECREF(entry);
                return -1;
            }
            Py_DECREF(entry);
        } else if (depth == 2 && in_section == 1) {
            if (gt[-1] != '/') st->end = lt - s;
            return 1; /* the section ends: nothing after it matters */
        }
        depth--;
        if (depth < 0) return 0;
    }
    return in_section != 1; /* an unterminated section: not followed */
}

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data;
    Names names;
    if (!PyArg_ParseTuple(args, "y*y#y#", &data, &names.section, &names.section_n, &names.item,
                          &names.item_n))
        return NULL;
    const char *s = data.buf;
    if (unsafe_document(s, data.len)) {
        PyBuffer_Release(&data);
        Py_RETURN_NONE;
    }
    State st;
    memset(&st, 0, sizeof st);
    st.plain = 1;
    st.values = PyMem_Calloc(VALUES, sizeof(ValueSlot));
    PyObject *found = st.values == NULL ? PyErr_NoMemory() : PyList_New(0);
    int rc = found == NULL ? -1 : walk(&st, s, s + data.len, &names, found);
    for (int i = 0; st.values != NULL && i < VALUES; i++) Py_XDECREF(st.values[i].value);
    PyMem_Free(st.values);
    Py_XDECREF(st.out);
    Py_XDECREF(st.key4);
    Py_XDECREF(st.key5);
    PyMem_Free(st.text4.p);
    PyMem_Free(st.text5.p);
    PyMem_Free(st.composite.p);
    for (int i = 0; i < st.keys.used; i++) Py_DECREF(st.keys.slot[i].key);
    PyBuffer_Release(&data);
    if (rc < 0) {
        Py_XDECREF(found);
        return NULL;
    }
    if (rc == 0) {
        Py_DECREF(found);
        Py_RETURN_NONE;
    }
    return Py_BuildValue("(NnnlO)", found, st.start, st.end, st.section_line, st.plain ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(data, section, item): (the child texts of each <item> of the root's first <section>, "
     "its content's start and end offset, its line, whether the content can be left out of a tree)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_xmlrules", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__xmlrules(void) { return PyModule_Create(&module); }
