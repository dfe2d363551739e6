/* SRX policy lines of the `display set` form grouped in C: hybridfw.rulesets._srxruns
 * (optional; hatch_build.py builds it, `_srx_scan.scan` uses it; its line loop, `SetLines.feed`,
 * is the reference: tests/rulesets/test_srx_runs.py compares the two).
 *
 * `runs(text)` finds every run of consecutive lines (split at "\n", numbered from 1) that start
 * with the same plain policy head: `set security policies from-zone A to-zone B policy P ` or
 * `set security policies global policy P ` (single spaces, the trailing one included), each of
 * A, B, P one or more characters that are neither Python's `\s` nor any of `{};[]"#`, and not
 * starting with a comment opening, slash star (so `_junos_tree.line_words` reads them as these words, whatever follows).
 * Each run is (start, end, first line's number, its lines, its text, A, B, P, told): B is None
 * for a global policy (A too); text is text[start:end] (without the last line break); told is
 * what `_srx_reader._plain_applications` makes of the run's lines: (NAME, ...) for their
 * `match application NAME` lines (NAME of `[A-Za-z0-9_./:@+-]`), ("any",) when no line holds
 * "application", None when a line holds it otherwise. Returns None when `text` is not a
 * one-byte (Latin-1) string or holds a line break other than "\n" (str.splitlines would split
 * there): the reference runs then.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef const Py_UCS1 *Text;

static unsigned char plain[256]; /* a head word's character */

static void init_plain(void) {
    for (int c = 0; c < 256; c++) {
        int space = (c >= 9 && c <= 13) || (c >= 28 && c <= 32) || c == 0x85 || c == 0xa0;
        plain[c] = (unsigned char)!(space || (c != 0 && strchr("{};[]\"#", c) != NULL));
    }
}

/* A head word at i ending in a space before `end`: the position of that space, or -1. */
static Py_ssize_t word(Text s, Py_ssize_t i, Py_ssize_t end) {
    if (i + 1 < end && s[i] == '/' && s[i + 1] == '*') return -1;
    Py_ssize_t j = i;
    while (j < end && plain[s[j]]) j++;
    return j > i && j < end && s[j] == ' ' ? j : -1;
}

static int literal(Text s, Py_ssize_t *i, Py_ssize_t end, const char *what) {
    Py_ssize_t len = (Py_ssize_t)strlen(what);
    if (end - *i < len || memcmp(s + *i, what, (size_t)len) != 0) return 0;
    *i += len;
    return 1;
}

typedef struct {
    Py_ssize_t a, a_end, b, b_end, p, p_end; /* a = -1: global */
} Head;

/* The plain policy head of the line s[i:end]: its length, or 0. */
static Py_ssize_t head(Text s, Py_ssize_t i, Py_ssize_t end, Head *h) {
    Py_ssize_t start = i, j;
    if (!literal(s, &i, end, "set security policies ")) return 0;
    if (literal(s, &i, end, "from-zone ")) {
        if ((j = word(s, i, end)) < 0) return 0;
        h->a = i, h->a_end = j, i = j + 1;
        if (!literal(s, &i, end, "to-zone ") || (j = word(s, i, end)) < 0) return 0;
        h->b = i, h->b_end = j, i = j + 1;
        if (!literal(s, &i, end, "policy ")) return 0;
    } else if (literal(s, &i, end, "global policy ")) {
        h->a = h->b = -1;
    } else {
        return 0;
    }
    if ((j = word(s, i, end)) < 0) return 0;
    h->p = i, h->p_end = j;
    return j + 1 - start;
}

static int app_char(Py_UCS1 c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'
           || c == '/' || c == ':' || c == '@' || c == '+' || c == '-';
}

/* Whether s[i:end] holds "application" (found by its last character). */
static int has_application(Text s, Py_ssize_t i, Py_ssize_t end) {
    for (Py_ssize_t k = i + 10; k < end;) {
        const Py_UCS1 *q = memchr(s + k, 'n', (size_t)(end - k));
        if (q == NULL) return 0;
        k = q - s;
        if (memcmp(s + k - 10, "application", 11) == 0) return 1;
        k++;
    }
    return 0;
}

/* One run being read. */
typedef struct {
    Py_ssize_t start, end, first, lines, size; /* size: its head's length */
    Head h;
    PyObject *apps; /* list of NAME so far; NULL once told is None */
} Run;

/* A line s[i:end] of the run `r`: its application, if any (-1 on a memory error). */
static int take(Text s, Py_ssize_t i, Py_ssize_t end, Run *r) {
    i += r->size;
    if (r->apps == NULL || !has_application(s, i, end)) return 0;
    Py_ssize_t k = i;
    if (literal(s, &k, end, "match application ") && k < end) {
        Py_ssize_t name = k;
        while (k < end && app_char(s[k])) k++;
        if (k == end) {
            PyObject *word = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s + name, end - name);
            int failed = word == NULL || PyList_Append(r->apps, word) < 0;
            Py_XDECREF(word);
            return failed ? -1 : 0;
        }
    }
    Py_CLEAR(r->apps);
    return 0;
}

static PyObject *span(PyObject *text, Py_ssize_t from, Py_ssize_t to) {
    if (from < 0) Py_RETURN_NONE;
    return PyUnicode_Substring(text, from, to);
}

/* The run's tuple (see the module comment); NULL on an error. */
static PyObject *emit(PyObject *text, Run *r, PyObject *any) {
    PyObject *told;
    if (r->apps == NULL) {
        told = Py_NewRef(Py_None);
    } else {
        told = PyList_GET_SIZE(r->apps) ? PyList_AsTuple(r->apps) : Py_NewRef(any);
        Py_CLEAR(r->apps);
    }
    PyObject *item = PyTuple_New(9);
    if (item == NULL) {
        Py_XDECREF(told);
        return NULL;
    }
    PyObject *parts[9] = {PyLong_FromSsize_t(r->start), PyLong_FromSsize_t(r->end), PyLong_FromSsize_t(r->first),
                          PyLong_FromSsize_t(r->lines), PyUnicode_Substring(text, r->start, r->end),
                          span(text, r->h.a, r->h.a_end), span(text, r->h.b, r->h.b_end),
                          PyUnicode_Substring(text, r->h.p, r->h.p_end), told};
    int failed = 0;
    for (int i = 0; i < 9; i++) {
        failed |= parts[i] == NULL;
        PyTuple_SET_ITEM(item, i, parts[i]);
    }
    if (failed) Py_CLEAR(item); /* frees the parts made */
    return item;
}

static int odd_breaks(Text s, Py_ssize_t n) {
    static const char breaks[] = "\r\x0b\x0c\x1c\x1d\x1e\x85";
    for (const char *b = breaks; *b; b++)
        if (memchr(s, (unsigned char)*b, (size_t)n) != NULL) return 1;
    return 0;
}

/* Reads the lines of s[0:n] into runs appended to `out`; -1 on an error. */
static int read_runs(PyObject *text, Text s, Py_ssize_t n, PyObject *out, PyObject *any) {
    Run r = {0};
    int open = 0;
    Py_ssize_t number = 1;
    for (Py_ssize_t i = 0; i < n; number++) {
        const Py_UCS1 *q = memchr(s + i, '\n', (size_t)(n - i));
        Py_ssize_t end = q == NULL ? n : q - s;
        Head h;
        Py_ssize_t size = head(s, i, end, &h);
        if (open && !(size == r.size && memcmp(s + i, s + r.start, (size_t)size) == 0)) {
            PyObject *item = emit(text, &r, any);
            if (item == NULL || PyList_Append(out, item) < 0) {
                Py_XDECREF(item);
                return -1;
            }
            Py_DECREF(item);
            open = 0;
        }
        if (size && !open) {
            r = (Run){i, end, number, 0, size, h, PyList_New(0)};
            if (r.apps == NULL) return -1;
            open = 1;
        }
        if (open) {
            r.end = end, r.lines++;
            if (take(s, i, end, &r) < 0) {
                Py_XDECREF(r.apps);
                return -1;
            }
        }
        i = end + 1;
    }
    if (!open) return 0;
    PyObject *item = emit(text, &r, any);
    int failed = item == NULL || PyList_Append(out, item) < 0;
    Py_XDECREF(item);
    return failed ? -1 : 0;
}

static PyObject *runs(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text) || PyUnicode_READY(text) < 0) return NULL;
    if (PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND) Py_RETURN_NONE;
    Text s = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (odd_breaks(s, n)) Py_RETURN_NONE;
    PyObject *out = PyList_New(0), *any = Py_BuildValue("(s)", "any");
    if (out == NULL || any == NULL || read_runs(text, s, n, out, any) < 0) {
        Py_XDECREF(out);
        out = NULL;
    }
    Py_XDECREF(any);
    return out;
}

static PyMethodDef methods[] = {
    {"runs", runs, METH_VARARGS, "The runs of SRX policy lines of a display set text (see the module comment)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_srxruns", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__srxruns(void) {
    init_plain();
    return PyModule_Create(&module);
}
