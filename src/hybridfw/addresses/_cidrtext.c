/* Minimal CIDR text compiled: hybridfw.addresses._cidrtext (optional; hatch_build.py builds it).
 *
 * `extend(out, intervals, bits, mapped)` appends to the list `out` the minimal CIDR text of the
 * sorted, disjoint `(lo, hi)` int pairs in `intervals` (bits 32: IPv4, 128: IPv6), exactly what
 * the pure `text._append_cidr_text` appends: the same block split as
 * `intervals.interval_to_cidrs`, IPv4 as dotted quads, IPv6 as RFC 5952 text (lower-case
 * hextets without leading zeros, the first longest run of two or more zero hextets as "::").
 * IPv4-mapped IPv6 addresses (::ffff:0:0/96) are printed by calling `mapped(value)`, the pure
 * formatter, because ipaddress spells them differently between Python versions.
 * tests/addresses/test_addresses_native.py compares it with the pure path on random sets.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

static const char HEX[] = "0123456789abcdef";

/* `value` as a 128-bit unsigned integer; -1 with an exception set when it is not one. */
static int as_u128(PyObject *value, u128 *result) {
    if (!PyLong_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "interval bounds must be int");
        return -1;
    }
    unsigned char buf[16];
#if PY_VERSION_HEX >= 0x030D0000
    Py_ssize_t n = PyLong_AsNativeBytes(value, buf, 16,
                                        Py_ASNATIVEBYTES_BIG_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER |
                                            Py_ASNATIVEBYTES_REJECT_NEGATIVE);
    if (n < 0) return -1;
    if (n > 16) {
        PyErr_SetString(PyExc_OverflowError, "interval bound above 128 bits");
        return -1;
    }
#else
    if (_PyLong_AsByteArray((PyLongObject *)value, buf, 16, 0, 0) < 0) return -1;
#endif
    u128 v = 0;
    for (int i = 0; i < 16; i++) v = (v << 8) | buf[i];
    *result = v;
    return 0;
}

static int ctz128(u128 v) {
    uint64_t low = (uint64_t)v;
    return low ? __builtin_ctzll(low) : 64 + __builtin_ctzll((uint64_t)(v >> 64));
}

static int log2_128(u128 v) { /* floor(log2(v)), v > 0 */
    uint64_t high = (uint64_t)(v >> 64);
    return high ? 127 - __builtin_clzll(high) : 63 - __builtin_clzll((uint64_t)v);
}

static char *put_decimal(char *p, unsigned v) {
    if (v >= 100) *p++ = (char)('0' + v / 100);
    if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_v4(char *p, uint32_t v) {
    p = put_decimal(p, v >> 24);
    *p++ = '.';
    p = put_decimal(p, (v >> 16) & 255);
    *p++ = '.';
    p = put_decimal(p, (v >> 8) & 255);
    *p++ = '.';
    return put_decimal(p, v & 255);
}

static char *put_hextet(char *p, unsigned h) {
    int started = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
        unsigned digit = (h >> shift) & 15;
        if (digit || started || shift == 0) {
            *p++ = HEX[digit];
            started = 1;
        }
    }
    return p;
}

static char *put_v6(char *p, u128 v) {
    unsigned h[8];
    for (int i = 0; i < 8; i++) h[i] = (unsigned)(v >> (112 - 16 * i)) & 0xFFFF;
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (h[i]) { i++; continue; }
        int j = i;
        while (j < 8 && !h[j]) j++;
        if (j - i > best_len) { best = i; best_len = j - i; }
        i = j;
    }
    if (best_len < 2) best = -1, best_len = 0; /* a lone zero hextet is never compressed */
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }
        if (i && i != best + best_len) *p++ = ':';
        p = put_hextet(p, h[i]);
    }
    return p;
}

static PyObject *ascii_text(const char *text, Py_ssize_t len) {
    PyObject *s = PyUnicode_New(len, 127);
    if (s != NULL) memcpy(PyUnicode_1BYTE_DATA(s), text, (size_t)len);
    return s;
}

/* One block's text (`net`/`plen`) appended to `out`; -1 on error. */
static int append_block(PyObject *out, u128 net, int plen, int bits, PyObject *mapped) {
    char buf[64], *p = buf;
    PyObject *text;
    if (bits == 32) {
        p = put_v4(p, (uint32_t)net);
    } else if ((net >> 32) == 0xFFFF) {
        PyObject *value = PyLong_FromUnsignedLongLong((unsigned long long)net);
        PyObject *head = value ? PyObject_CallOneArg(mapped, value) : NULL;
        Py_XDECREF(value);
        if (head == NULL) return -1;
        text = PyUnicode_FromFormat("%U/%d", head, plen);
        Py_DECREF(head);
        goto append;
    } else {
        p = put_v6(p, net);
    }
    *p++ = '/';
    p = put_decimal(p, (unsigned)plen);
    text = ascii_text(buf, p - buf);
append:
    if (text == NULL) return -1;
    int rc = PyList_Append(out, text);
    Py_DECREF(text);
    return rc;
}

/* The minimal blocks of [lo, hi], as interval_to_cidrs splits it. */
static int append_interval(PyObject *out, u128 lo, u128 hi, int bits, PyObject *mapped) {
    for (;;) {
        int size = lo ? ctz128(lo) : bits;
        u128 count = hi - lo; /* addresses - 1 */
        int span = count == ~(u128)0 ? 128 : log2_128(count + 1);
        if (span < size) size = span;
        if (append_block(out, lo, bits - size, bits, mapped) < 0) return -1;
        if (size == 128) return 0;
        u128 last = lo + (((u128)1 << size) - 1);
        if (last >= hi) return 0;
        lo = last + 1;
    }
}

static PyObject *extend(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *out, *intervals, *mapped;
    int bits;
    if (!PyArg_ParseTuple(args, "O!OiO:extend", &PyList_Type, &out, &intervals, &bits, &mapped)) return NULL;
    if (bits != 32 && bits != 128) {
        PyErr_SetString(PyExc_ValueError, "bits must be 32 or 128");
        return NULL;
    }
    u128 limit = bits == 32 ? (u128)0xFFFFFFFFu : ~(u128)0;
    PyObject *seq = PySequence_Fast(intervals, "intervals must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = items[i];
        u128 lo, hi;
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "intervals must be (lo, hi) tuples");
            goto fail;
        }
        if (as_u128(PyTuple_GET_ITEM(pair, 0), &lo) < 0 || as_u128(PyTuple_GET_ITEM(pair, 1), &hi) < 0)
            goto fail;
        if (hi > limit) {
            PyErr_SetString(PyExc_ValueError, "interval bound out of range");
            goto fail;
        }
        if (lo > hi) continue; /* empty: interval_to_cidrs yields nothing for it either */
        if (append_interval(out, lo, hi, bits, mapped) < 0) goto fail;
    }
    Py_DECREF(seq);
    Py_RETURN_NONE;
fail:
    Py_DECREF(seq);
    return NULL;
}

static PyMethodDef methods[] = {
    {"extend", extend, METH_VARARGS, "extend(out, intervals, bits, mapped): append minimal CIDR text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cidrtext", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__cidrtext(void) { return PyModule_Create(&module); }
