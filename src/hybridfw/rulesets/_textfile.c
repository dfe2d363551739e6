/* A ruleset file read straight into one str: hybridfw.rulesets._textfile (optional;
 * hatch_build.py builds it, `rulesets.read_ruleset_text` uses it, its bytes-then-decode read is
 * the reference: tests/rulesets/test_textfile.py compares the two).
 *
 * `read_ascii(path)` reads the regular file `path` into a new str when every byte of it is
 * ASCII: the text is made in place, never next to a bytes copy of the file (a 3.8 MB file: one
 * 3.8 MB buffer at the peak instead of two). Returns None when the file is not a regular file,
 * holds a byte >= 0x80, or changes size while read: the reference then reads it. OSError when it
 * cannot be opened or read.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read up to n bytes into buf; the count read (short only at the end of the file), -1 on error. */
static Py_ssize_t read_all(int fd, char *buf, Py_ssize_t n) {
    Py_ssize_t done = 0;
    while (done < n) {
        ssize_t got;
        Py_BEGIN_ALLOW_THREADS
        got = read(fd, buf + done, (size_t)(n - done));
        Py_END_ALLOW_THREADS
        if (got < 0 && errno == EINTR) {
            if (PyErr_CheckSignals() < 0) return -2;
            continue;
        }
        if (got < 0) return -1;
        if (got == 0) break;
        done += got;
    }
    return done;
}

static int ascii_only(const unsigned char *s, Py_ssize_t n) {
    unsigned char any = 0;
    for (Py_ssize_t i = 0; i < n; i++) any |= s[i];
    return any < 0x80;
}

static PyObject *read_ascii(PyObject *Py_UNUSED(self), PyObject *arg) {
    PyObject *name = NULL, *text = NULL;
    if (!PyUnicode_FSConverter(arg, &name)) return NULL;
    int fd;
    Py_BEGIN_ALLOW_THREADS
    fd = open(PyBytes_AS_STRING(name), O_RDONLY | O_CLOEXEC);
    Py_END_ALLOW_THREADS
    Py_DECREF(name);
    if (fd < 0) return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
        goto done;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || (unsigned long long)st.st_size >= (unsigned long long)PY_SSIZE_T_MAX)
        goto none;
    Py_ssize_t size = (Py_ssize_t)st.st_size;
    text = PyUnicode_New(size, 127);
    if (text == NULL) goto done;
    char *data = (char *)PyUnicode_DATA(text);
    char extra;
    Py_ssize_t got = read_all(fd, data, size);
    Py_ssize_t more = got == size ? read_all(fd, &extra, 1) : 0;
    if (got < 0 || more < 0) {
        if (got == -1 || more == -1) PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, arg);
        Py_CLEAR(text);
        goto done;
    }
    if (got != size || more != 0 || !ascii_only((const unsigned char *)data, size)) {
        Py_CLEAR(text);
        goto none;
    }
    goto done;
none:
    text = Py_None;
    Py_INCREF(text);
done:
    close(fd);
    return text;
}

static PyMethodDef methods[] = {
    {"read_ascii", read_ascii, METH_O, "A file's text when it is all ASCII, else None (see the module comment)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textfile", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__textfile(void) { return PyModule_Create(&module); }
