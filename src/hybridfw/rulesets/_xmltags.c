/* The start tags of an XML document, in document order: hybridfw.rulesets._xmltags (optional;
 * hatch_build.py builds it; the pure path is the regular expression in `_xml_lines.Lines`).
 *
 * `tags(data)` walks the UTF-8 document `data`, which lxml has already parsed without error
 * (so it is well-formed), skipping end tags, comments, CDATA sections, processing instructions
 * and other declarations, and returns three byte strings of native 64-bit integers, one integer
 * per start tag (empty-element tags too) in document order: the offset of its '<', the offset
 * of its '>', and the index of the first start tag after its element (after its end tag). It
 * returns None when it cannot follow the document (an unterminated construct).
 * tests/rulesets/test_xml_rules.py compares it with the regular expression on random documents.
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    int64_t *v;
    Py_ssize_t n, cap;
} Ints;

static int ints_add(Ints *a, int64_t x) {
    if (a->n == a->cap) {
        Py_ssize_t cap = a->cap * 2 + 1024;
        int64_t *v = PyMem_Realloc(a->v, (size_t)cap * sizeof(int64_t));
        if (v == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

/* The end of the construct at `at` that closes with `close` (searched from `from`), or NULL. */
static const char *after(const char *from, const char *end, const char *close) {
    size_t n = strlen(close);
    const char *found = from <= end ? memmem(from, (size_t)(end - from), close, n) : NULL;
    return found == NULL ? NULL : found + n;
}

/* The '>' closing the start tag that begins at `lt`, past quoted attribute values; or NULL. */
static const char *start_tag_end(const char *lt, const char *end) {
    for (const char *p = lt + 1; p < end; p++) {
        if (*p == '>') return p;
        if (*p == '"' || *p == '\'') {
            p = memchr(p + 1, *p, (size_t)(end - p - 1));
            if (p == NULL) return NULL;
        }
    }
    return NULL;
}

/* 1: walked; 0: cannot follow; -1: error set. */
static int walk(const char *s, const char *end, Ints *starts, Ints *gts, Ints *after_el) {
    Ints open = {NULL, 0, 0};
    int rc = 1;
    const char *p = s;
    while (rc == 1 && p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        if (p + 1 >= end) {
            rc = 0;
        } else if (p[1] == '/') {
            const char *gt = memchr(p, '>', (size_t)(end - p));
            if (gt == NULL) rc = 0;
            else {
                if (open.n > 0) after_el->v[open.v[--open.n]] = starts->n;
                p = gt + 1;
            }
        } else if (p[1] == '!' || p[1] == '?') {
            const char *next;
            if (p[1] == '?') next = after(p + 2, end, "?>");
            else if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) next = after(p + 4, end, "-->");
            else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) next = after(p + 9, end, "]]>");
            else next = after(p + 2, end, ">");
            if (next == NULL) rc = 0;
            p = next;
        } else {
            const char *gt = start_tag_end(p, end);
            if (gt == NULL) rc = 0;
            else if (ints_add(starts, p - s) < 0 || ints_add(gts, gt - s) < 0 ||
                     ints_add(after_el, starts->n) < 0 || (gt[-1] != '/' && ints_add(&open, starts->n - 1) < 0))
                rc = -1;
            else p = gt + 1;
        }
    }
    PyMem_Free(open.v);
    return rc;
}

static PyObject *tags(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer data;
    if (!PyArg_ParseTuple(args, "y*", &data)) return NULL;
    Ints starts = {NULL, 0, 0}, gts = {NULL, 0, 0}, after_el = {NULL, 0, 0};
    const char *s = data.buf;
    int rc = walk(s, s + data.len, &starts, &gts, &after_el);
    PyObject *out = NULL;
    if (rc == 1) {
        Py_ssize_t size = starts.n * (Py_ssize_t)sizeof(int64_t);
        const char *none = "";
        out = Py_BuildValue("(y#y#y#)", size ? (const char *)starts.v : none, size,
                            size ? (const char *)gts.v : none, size, size ? (const char *)after_el.v : none, size);
    } else if (rc == 0) {
        out = Py_NewRef(Py_None);
    }
    PyMem_Free(starts.v);
    PyMem_Free(gts.v);
    PyMem_Free(after_el.v);
    PyBuffer_Release(&data);
    return out;
}

static PyMethodDef methods[] = {
    {"tags", tags, METH_VARARGS,
     "tags(data): (offsets of each start tag's '<', of its '>', index of the first start tag after "
     "its element), as native int64 byte strings; None when the document cannot be followed."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_xmltags", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__xmltags(void) { return PyModule_Create(&module); }
