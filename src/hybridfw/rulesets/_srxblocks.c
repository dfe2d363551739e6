/* SRX policy blocks of the hierarchical Junos form found and judged in C:
 * hybridfw.rulesets._srxblocks (optional; hatch_build.py builds it, `_srx_lines.scan_tree` uses
 * it, `_srx_blocks.found` is the reference: tests/rulesets/test_srx_blocks_c.py compares them).
 *
 * `scan(text)` returns what `list(_srx_blocks.found(text, (True,) * 4))` returns: for every
 * match of `_srx_blocks.BLOCK` (a `policy NAME {` line, statement lines and one level of
 * blocks of statement lines, its `}`), (start, after, block, name, line breaks, told), where
 * told is `_srx_blocks.judge(block)`: False (not bare: a mark, a comment, a quote outside a
 * description's string, a '#' outside one), ("any",) (no "application"), (NAME,) (the one
 * `application NAME;` line of a `match {` block) or None. Returns None when `text` is not a
 * one-byte (Latin-1) string: the reference runs then.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef const Py_UCS1 *Text;

/* Character classes of `_srx_blocks.BLOCK` (Python's `\s` for Latin-1 is str.isspace). */
enum {
    LINE_STOP = 1,   /* ends a statement's words: {}\n;[] */
    LINE_FIRST = 2,  /* may start them: not \s, not {};[] */
    HEAD_STOP = 4,   /* ends a block's head: {}\n;#"[] */
    HEAD_FIRST = 8,  /* may start it (and is a name character): not \s, not {};#"[] */
};
static unsigned char classes[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        int space = (c >= 9 && c <= 13) || (c >= 28 && c <= 32) || c == 0x85 || c == 0xa0;
        int line = c == '{' || c == '}' || c == ';' || c == '[' || c == ']';
        int head = line || c == '#' || c == '"';
        classes[c] = (unsigned char)(((line || c == '\n') ? LINE_STOP : 0) | ((!space && !line) ? LINE_FIRST : 0)
                                     | ((head || c == '\n') ? HEAD_STOP : 0) | ((!space && !head) ? HEAD_FIRST : 0));
    }
}

/* The length of a line break `\r?\n` at i (0: none). */
static Py_ssize_t end_at(Text s, Py_ssize_t n, Py_ssize_t i) {
    if (i < n && s[i] == '\n') return 1;
    if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n') return 2;
    return 0;
}

static Py_ssize_t blanks(Text s, Py_ssize_t n, Py_ssize_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    return i;
}

/* Words at i: a first character of class `first`, then up to one of class `stop`; the
 * position of that one (n when none), or -1. */
static Py_ssize_t words(Text s, Py_ssize_t n, Py_ssize_t i, int first, int stop) {
    i = blanks(s, n, i);
    if (i >= n || !(classes[s[i]] & first)) return -1;
    for (i++; i < n && !(classes[s[i]] & stop); i++) {}
    return i;
}

/* `_LINE;_END` at i: the position after it, or -1. */
static Py_ssize_t statement(Text s, Py_ssize_t n, Py_ssize_t i) {
    i = words(s, n, i, LINE_FIRST, LINE_STOP);
    if (i < 0 || i >= n || s[i] != ';') return -1;
    Py_ssize_t e = end_at(s, n, i + 1);
    return e ? i + 1 + e : -1;
}

/* `_HEAD\{_END (_LINE;_END)*+ [ \t]*+\}_END` at i: the position after it, or -1. */
static Py_ssize_t inner(Text s, Py_ssize_t n, Py_ssize_t i) {
    i = words(s, n, i, HEAD_FIRST, HEAD_STOP);
    if (i < 0 || i >= n || s[i] != '{') return -1;
    Py_ssize_t e = end_at(s, n, i + 1);
    if (!e) return -1;
    i += 1 + e;
    for (Py_ssize_t j; (j = statement(s, n, i)) >= 0;) i = j;
    i = blanks(s, n, i);
    if (i >= n || s[i] != '}') return -1;
    e = end_at(s, n, i + 1);
    return e ? i + 1 + e : -1;
}

/* `BLOCK` at the line break p: the end of group 1 (after its "}"), or -1; the name's span. */
static Py_ssize_t block_at(Text s, Py_ssize_t n, Py_ssize_t p, Py_ssize_t *name, Py_ssize_t *name_end) {
    Py_ssize_t i = blanks(s, n, p + 1);
    if (n - i < 7 || memcmp(s + i, "policy ", 7) != 0) return -1;
    *name = i += 7;
    while (i < n && (classes[s[i]] & HEAD_FIRST)) i++;
    if (i == *name || n - i < 2 || s[i] != ' ' || s[i + 1] != '{') return -1;
    *name_end = i;
    Py_ssize_t e = end_at(s, n, i + 2);
    if (!e) return -1;
    i += 2 + e;
    for (;;) {
        Py_ssize_t j = statement(s, n, i);
        if (j < 0) j = inner(s, n, i);
        if (j < 0) break;
        i = j;
    }
    i = blanks(s, n, i);
    if (i >= n || s[i] != '}' || !end_at(s, n, i + 1)) return -1;
    return i + 1;
}

/* Scratch space: a block without its descriptions' strings. */
typedef struct {
    Py_UCS1 *data;
    Py_ssize_t cap;
} Scratch;

/* The first `what` in s[from:n] (its start), or -1; found by its last character (memchr: glibc's
 * memmem was a fifth of the scan's time on audit_vendor.py srx-text). */
static Py_ssize_t find(Text s, Py_ssize_t n, Py_ssize_t from, const char *what) {
    Py_ssize_t len = (Py_ssize_t)strlen(what);
    for (Py_ssize_t i = from + len - 1; i < n;) {
        const Py_UCS1 *q = memchr(s + i, what[len - 1], (size_t)(n - i));
        if (q == NULL) return -1;
        i = q - s;
        if (memcmp(s + i - len + 1, what, (size_t)len) == 0) return i - len + 1;
        i++;
    }
    return -1;
}

static int contains(Text s, Py_ssize_t n, const char *what) { return find(s, n, 0, what) >= 0; }

/* `_DESCRIPTION` at the line start i: the span of its string (the quotes included), or 0. */
static int description_at(Text s, Py_ssize_t n, Py_ssize_t i, Py_ssize_t *from, Py_ssize_t *to) {
    i = blanks(s, n, i);
    if (n - i < 13 || memcmp(s + i, "description \"", 13) != 0) return 0;
    *from = i + 12;
    for (i += 13; i < n && s[i] != '"' && s[i] != '\\' && s[i] != '\n'; i++) {}
    if (i + 1 >= n || s[i] != '"' || s[i + 1] != ';') return 0;
    *to = i + 1;
    return 1;
}

/* `_srx_blocks.bare` (every check on): the block in `out` (its length), or -1 when it is not
 * bare; -2 on a memory error. */
static Py_ssize_t bare(Text s, Py_ssize_t n, Scratch *out, Text *bared) {
    if ((memchr(s, ':', (size_t)n) != NULL
         && (contains(s, n, "inactive:") || contains(s, n, "protect:") || contains(s, n, "replace:")))
        || contains(s, n, "/*"))
        return -1;
    *bared = s;
    if (memchr(s, '"', (size_t)n) != NULL) {
        if (out->cap < n) {
            Py_UCS1 *data = PyMem_Realloc(out->data, (size_t)n);
            if (data == NULL) return -2;
            out->data = data, out->cap = n;
        }
        Py_ssize_t kept = 0, at = 0;
        for (Py_ssize_t line = 0; line < n;) {
            Py_ssize_t from, to;
            if (description_at(s, n, line, &from, &to)) {
                memcpy(out->data + kept, s + at, (size_t)(from - at));
                kept += from - at, at = to;
            }
            const Py_UCS1 *next = memchr(s + line, '\n', (size_t)(n - line));
            line = next == NULL ? n : next - s + 1;
        }
        memcpy(out->data + kept, s + at, (size_t)(n - at));
        n = kept + n - at;
        if (memchr(out->data, '"', (size_t)n) != NULL) return -1;
        *bared = out->data;
    }
    return memchr(*bared, '#', (size_t)n) != NULL ? -1 : n;
}

static int app_char(Py_UCS1 c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
           || c == '/' || c == ':' || c == '@' || c == '+' || c == '-';
}

/* `_ONE` searched in s: the span of the application's name, or 0. */
static int one(Text s, Py_ssize_t n, Py_ssize_t *name, Py_ssize_t *name_end) {
    for (const Py_UCS1 *q = memchr(s, '\n', (size_t)n); q != NULL;
         q = memchr(q + 1, '\n', (size_t)(n - (q + 1 - s)))) {
        Py_ssize_t i = blanks(s, n, q - s + 1);
        if (n - i < 7 || memcmp(s + i, "match {", 7) != 0) continue;
        Py_ssize_t e = end_at(s, n, i + 7);
        if (!e) continue;
        for (i += 7 + e;;) {
            Py_ssize_t j = blanks(s, n, i);
            if (n - j >= 12 && memcmp(s + j, "application ", 12) == 0) {
                Py_ssize_t k = j + 12;
                while (k < n && app_char(s[k])) k++;
                if (k > j + 12 && k < n && s[k] == ';' && end_at(s, n, k + 1)) {
                    *name = j + 12, *name_end = k;
                    return 1;
                }
            }
            while (j < n && s[j] != '{' && s[j] != '}' && s[j] != '\n') j++;
            if (j >= n || s[j] != '\n') break;
            i = j + 1;
        }
    }
    return 0;
}

/* `_srx_blocks.judge`: a new reference (False, None, ("any",) or (NAME,)), NULL on an error. */
static PyObject *judge(Text s, Py_ssize_t n, Scratch *scratch, PyObject *any) {
    Text b;
    Py_ssize_t len = bare(s, n, scratch, &b);
    if (len == -2) return PyErr_NoMemory();
    if (len < 0) Py_RETURN_FALSE;
    int count = 0;
    for (Py_ssize_t at = 0; count < 2 && (at = find(b, len, at, "application")) >= 0; at += 11) count++;
    if (count == 0) return Py_NewRef(any);
    Py_ssize_t name, name_end;
    if (count > 1 || !one(b, len, &name, &name_end)) Py_RETURN_NONE;
    PyObject *word = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, b + name, name_end - name);
    if (word == NULL) return NULL;
    PyObject *told = PyTuple_Pack(1, word);
    Py_DECREF(word);
    return told;
}

static PyObject *found(PyObject *text, Text s, Py_ssize_t start, Py_ssize_t end, Py_ssize_t name,
                       Py_ssize_t name_end, Scratch *scratch, PyObject *any) {
    Py_ssize_t breaks = 0;
    for (const Py_UCS1 *q = s + start; (q = memchr(q, '\n', (size_t)(end - (q - s)))) != NULL; q++) breaks++;
    PyObject *item = PyTuple_New(6);
    if (item == NULL) return NULL;
    PyObject *parts[6] = {PyLong_FromSsize_t(start), PyLong_FromSsize_t(end + (s[end] == '\r' ? 2 : 1)),
                          PyUnicode_Substring(text, start, end), PyUnicode_Substring(text, name, name_end),
                          PyLong_FromSsize_t(breaks), judge(s + start, end - start, scratch, any)};
    int failed = 0;
    for (int i = 0; i < 6; i++) {
        failed |= parts[i] == NULL;
        PyTuple_SET_ITEM(item, i, parts[i]);
    }
    if (failed) Py_CLEAR(item); /* frees the parts made (a tuple's NULL items are skipped) */
    return item;
}

static PyObject *scan(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text) || PyUnicode_READY(text) < 0) return NULL;
    if (PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND) Py_RETURN_NONE;
    Text s = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0), *any = Py_BuildValue("(s)", "any");
    Scratch scratch = {NULL, 0};
    if (out == NULL || any == NULL) goto fail;
    for (Py_ssize_t pos = 0; pos < n;) {
        const Py_UCS1 *q = memchr(s + pos, '\n', (size_t)(n - pos));
        if (q == NULL) break;
        Py_ssize_t p = q - s, name, name_end, end = block_at(s, n, p, &name, &name_end);
        if (end < 0) {
            pos = p + 1;
            continue;
        }
        PyObject *item = found(text, s, p + 1, end, name, name_end, &scratch, any);
        if (item == NULL || PyList_Append(out, item) < 0) {
            Py_XDECREF(item);
            goto fail;
        }
        Py_DECREF(item);
        pos = end;
    }
    PyMem_Free(scratch.data);
    Py_DECREF(any);
    return out;
fail:
    PyMem_Free(scratch.data);
    Py_XDECREF(any);
    Py_XDECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "The SRX policy blocks of a hierarchical configuration, judged (see the module comment)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_srxblocks", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__srxblocks(void) {
    init_classes();
    return PyModule_Create(&module);
}
