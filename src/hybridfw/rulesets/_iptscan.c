/* The common iptables-save rule line read in C: hybridfw.rulesets._iptscan (optional;
 * hatch_build.py builds it, `_iptables_fast` uses it, the pure reader is the reference).
 *
 * `scan(text, family, held)` reads every line of `text` (split on "\n", numbered from 1) that is
 * exactly `-A CHAIN [! ]-s VALUE REST` as iptables-save writes it: printable ASCII, single
 * spaces, VALUE one address or network of `family` (the language of the pure
 * `addresses.parse_prefix(text, decimal_zeros=True)`), REST starting with an option and holding
 * no '"'. Any other non-empty line is handed back as a "general" line for the pure reader,
 * in order, with nothing decided about it. Returns None when `text` is not compact ASCII.
 * Otherwise a tuple of bytes columns and two lists:
 *   (numbers u32, starts u32, ends u32, chain ids u32, key ids u32, negated u8, lows, highs,
 *    holds u8, general numbers u32, general starts u32, general ends u32, chains, keys)
 * lows/highs are u32 for IPv4 and 16 big-endian bytes for IPv6; chains and keys are the
 * distinct CHAIN and REST texts (ids index them). holds[i] is whether the source condition
 * `[!] VALUE` holds one of the `held` (lo, hi) intervals (`scope.holds_source`).
 * tests/rulesets/test_iptables_fast.py compares the result with the pure reader's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

typedef unsigned __int128 u128;

typedef struct {
    char *data;
    Py_ssize_t len, cap;
} Buf;

static int put(Buf *b, const void *src, Py_ssize_t n) {
    if (b->len + n > b->cap) {
        Py_ssize_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        char *data = PyMem_Realloc(b->data, (size_t)cap);
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = data, b->cap = cap;
    }
    memcpy(b->data + b->len, src, (size_t)n);
    b->len += n;
    return 0;
}

static int put32(Buf *b, uint32_t v) { return put(b, &v, 4); }

/* Distinct texts (chain names, shape keys) by their bytes, each with an id (its list index). */
typedef struct {
    Py_ssize_t *slots; /* id + 1, 0 empty */
    Py_ssize_t size;
    PyObject *list;
} Names;

/* Eight bytes a step, not one: hashing each rule's REST a byte at a time was a third of `scan`
 * (benchmarks/audit.py --all-relevant, scan 21 -> 17 ms with the printable check below). */
static uint64_t hash_text(const char *s, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)n;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 32);
}

static int grow(Names *t);

/* The id of text s[0:n], added when new; -1 on error. */
static Py_ssize_t name_id(Names *t, const char *s, Py_ssize_t n) {
    Py_ssize_t count = PyList_GET_SIZE(t->list);
    if ((count + 1) * 2 > t->size && grow(t) < 0) return -1;
    Py_ssize_t mask = t->size - 1, i = (Py_ssize_t)(hash_text(s, n) & (uint64_t)mask);
    for (;; i = (i + 1) & mask) {
        Py_ssize_t slot = t->slots[i];
        if (slot == 0) break;
        PyObject *have = PyList_GET_ITEM(t->list, slot - 1);
        if (PyUnicode_GET_LENGTH(have) == n && memcmp(PyUnicode_1BYTE_DATA(have), s, (size_t)n) == 0)
            return slot - 1;
    }
    PyObject *text = PyUnicode_New(n, 127);
    if (text == NULL) return -1;
    memcpy(PyUnicode_1BYTE_DATA(text), s, (size_t)n);
    int rc = PyList_Append(t->list, text);
    Py_DECREF(text);
    if (rc < 0) return -1;
    t->slots[i] = count + 1;
    return count;
}

static int grow(Names *t) {
    Py_ssize_t size = t->size ? t->size * 2 : 64;
    Py_ssize_t *slots = PyMem_Calloc((size_t)size, sizeof(Py_ssize_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t id = 0; id < PyList_GET_SIZE(t->list); id++) {
        PyObject *have = PyList_GET_ITEM(t->list, id);
        Py_ssize_t i = (Py_ssize_t)(hash_text((const char *)PyUnicode_1BYTE_DATA(have),
                                        PyUnicode_GET_LENGTH(have)) & (uint64_t)(size - 1));
        while (slots[i]) i = (i + 1) & (size - 1);
        slots[i] = id + 1;
    }
    PyMem_Free(t->slots);
    t->slots = slots, t->size = size;
    return 0;
}

/* parse_prefix(text, decimal_zeros=True) for IPv4 text: "a.b.c.d" of 1-3 digit parts <= 255. */
static int dotted_quad(const char *s, Py_ssize_t n, u128 *value) {
    uint32_t v = 0;
    int parts = 0;
    Py_ssize_t i = 0;
    while (parts < 4) {
        Py_ssize_t start = i;
        unsigned octet = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3) octet = octet * 10 + (unsigned)(s[i++] - '0');
        if (i == start || octet > 255) return -1;
        v = (v << 8) | octet, parts++;
        if (parts < 4) {
            if (i >= n || s[i] != '.') return -1;
            i++;
        }
    }
    if (i != n) return -1;
    *value = v;
    return 0;
}

/* VALUE as (lo, hi) of `family`, as parse_prefix(decimal_zeros=True) reads it; -1 otherwise. */
static int prefix(const char *s, Py_ssize_t n, int family, u128 *lo, u128 *hi) {
    Py_ssize_t slash = 0;
    while (slash < n && s[slash] != '/') slash++;
    int bits = family == 4 ? 32 : 128, plen = bits;
    if (slash < n) {
        Py_ssize_t digits = n - slash - 1;
        if (digits < 1 || digits > 3) return -1;
        plen = 0;
        for (Py_ssize_t i = slash + 1; i < n; i++) {
            if (s[i] < '0' || s[i] > '9') return -1;
            plen = plen * 10 + (s[i] - '0');
        }
        if (plen > bits) return -1;
    }
    int v6 = memchr(s, ':', (size_t)slash) != NULL;
    if (v6 != (family == 6)) return -1; /* the other family: the pure reader words the error */
    u128 value;
    if (v6) {
        char text[64];
        unsigned char raw[16];
        if (slash >= (Py_ssize_t)sizeof text || memchr(s, '%', (size_t)slash) || memchr(s, '.', (size_t)slash))
            return -1;
        memcpy(text, s, (size_t)slash);
        text[slash] = 0;
        if (inet_pton(AF_INET6, text, raw) != 1) return -1;
        value = 0;
        for (int i = 0; i < 16; i++) value = (value << 8) | raw[i];
    } else if (dotted_quad(s, slash, &value) < 0) {
        return -1;
    }
    /* the low bits - plen bits set; shifting all ones right never shifts by 128 (undefined in C) */
    u128 host = plen == bits ? 0 : ~(u128)0 >> (128 - bits + plen);
    *lo = value & ~host, *hi = (value & ~host) | host;
    return 0;
}

static int holds(const u128 *held, Py_ssize_t count, u128 lo, u128 hi, int negated) {
    for (Py_ssize_t i = 0; i < count; i++) {
        u128 first = held[2 * i], last = held[2 * i + 1];
        if (negated ? (first < lo || last > hi) : (first <= hi && lo <= last)) return 1;
    }
    return 0;
}

static int as_u128(PyObject *value, u128 *result) {
    unsigned char buf[16];
    if (!PyLong_Check(value) || _PyLong_AsByteArray((PyLongObject *)value, buf, 16, 0, 0) < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "held bounds must be int");
        return -1;
    }
    u128 v = 0;
    for (int i = 0; i < 16; i++) v = (v << 8) | buf[i];
    *result = v;
    return 0;
}

enum { NUMBER, START, END, CHAIN, KEY, NEGATED, LOW, HIGH, HOLDS, GNUMBER, GSTART, GEND, COLUMNS };

/* A rule line `line[0:n]` read into the columns; 0 when it is not the common shape. */
static int rule_line(const char *line, Py_ssize_t n, int family, Buf *cols, Names *chains, Names *keys,
                     const u128 *held, Py_ssize_t nheld, uint32_t number, uint32_t start) {
    if (n < 4 || memcmp(line, "-A ", 3) != 0 || line[n - 1] == ' ') return 0;
    int unprintable = 0; /* no early exit: the compiler vectorises the loop */
    for (Py_ssize_t i = 0; i < n; i++) unprintable |= (unsigned char)(line[i] - 0x20) > 0x5e;
    if (unprintable) return 0;
    const char *p = line + 3, *end = line + n;
    const char *chain = p;
    while (p < end && *p != ' ') p++;
    if (p == chain || p >= end) return 0;
    Py_ssize_t chain_len = p - chain;
    p++;
    int negated = end - p >= 2 && p[0] == '!' && p[1] == ' ';
    if (negated) p += 2;
    if (end - p < 3 || memcmp(p, "-s ", 3) != 0) return 0;
    p += 3;
    const char *value = p;
    if (p >= end || *p == '!' || *p == '-' || *p == '"' || *p == ' ') return 0;
    while (p < end && *p != ' ') {
        if (*p == '"') return 0;
        p++;
    }
    Py_ssize_t value_len = p - value;
    if (end - p < 3 || p[1] != '-' || p[2] == ' ') return 0;
    const char *rest = p + 1;
    if (memchr(rest, '"', (size_t)(end - rest))) return 0;
    u128 lo, hi;
    if (prefix(value, value_len, family, &lo, &hi) < 0) return 0;
    Py_ssize_t cid = name_id(chains, chain, chain_len), kid = cid < 0 ? -1 : name_id(keys, rest, end - rest);
    if (kid < 0) return -1;
    unsigned char neg = (unsigned char)negated, hold = (unsigned char)holds(held, nheld, lo, hi, negated);
    int rc = put32(&cols[NUMBER], number) | put32(&cols[START], start) |
             put32(&cols[END], start + (uint32_t)n) | put32(&cols[CHAIN], (uint32_t)cid) |
             put32(&cols[KEY], (uint32_t)kid) | put(&cols[NEGATED], &neg, 1) | put(&cols[HOLDS], &hold, 1);
    if (family == 4) {
        rc |= put32(&cols[LOW], (uint32_t)lo) | put32(&cols[HIGH], (uint32_t)hi);
    } else {
        unsigned char a[16], b[16];
        for (int i = 15; i >= 0; i--) a[i] = (unsigned char)lo, b[i] = (unsigned char)hi, lo >>= 8, hi >>= 8;
        rc |= put(&cols[LOW], a, 16) | put(&cols[HIGH], b, 16);
    }
    return rc < 0 ? -1 : 1;
}

static PyObject *result(Buf *cols, Names *chains, Names *keys) {
    PyObject *out = PyTuple_New(COLUMNS + 2);
    if (out == NULL) return NULL;
    for (int c = 0; c < COLUMNS; c++) {
        PyObject *col = PyBytes_FromStringAndSize(cols[c].data ? cols[c].data : "", cols[c].len);
        if (col == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, c, col);
    }
    Py_INCREF(chains->list), Py_INCREF(keys->list);
    PyTuple_SET_ITEM(out, COLUMNS, chains->list);
    PyTuple_SET_ITEM(out, COLUMNS + 1, keys->list);
    return out;
}

static PyObject *scan(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *text, *held_seq;
    int family;
    if (!PyArg_ParseTuple(args, "UiO", &text, &family, &held_seq)) return NULL;
    if (!PyUnicode_IS_COMPACT_ASCII(text) || (family != 4 && family != 6)) Py_RETURN_NONE;
    PyObject *held_fast = PySequence_Fast(held_seq, "held must be a sequence");
    if (held_fast == NULL) return NULL;
    Py_ssize_t nheld = PySequence_Fast_GET_SIZE(held_fast);
    u128 *held = PyMem_Calloc((size_t)(2 * nheld + 1), sizeof(u128));
    Buf cols[COLUMNS] = {{0}};
    Names chains = {NULL, 0, PyList_New(0)}, keys = {NULL, 0, PyList_New(0)};
    PyObject *out = NULL;
    if (held == NULL || chains.list == NULL || keys.list == NULL) goto done;
    for (Py_ssize_t i = 0; i < nheld; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(held_fast, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 || as_u128(PyTuple_GET_ITEM(pair, 0), &held[2 * i]) < 0 ||
            as_u128(PyTuple_GET_ITEM(pair, 1), &held[2 * i + 1]) < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "held must hold (lo, hi) pairs");
            goto done;
        }
    }
    const char *data = (const char *)PyUnicode_1BYTE_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), at = 0;
    if (size >= 0xFFFFFFFFLL) goto done_none; /* offsets are u32: the pure reader takes it */
    uint32_t number = 0;
    while (at < size) {
        const char *nl = memchr(data + at, '\n', (size_t)(size - at));
        Py_ssize_t end = nl ? nl - data : size;
        number++;
        if (end > at) {
            int rc = rule_line(data + at, end - at, family, cols, &chains, &keys, held, nheld, number, (uint32_t)at);
            if (rc < 0) goto done;
            if (rc == 0 && (put32(&cols[GNUMBER], number) < 0 || put32(&cols[GSTART], (uint32_t)at) < 0 ||
                            put32(&cols[GEND], (uint32_t)end) < 0))
                goto done;
        }
        at = end + 1;
    }
    out = result(cols, &chains, &keys);
    goto done;
done_none:
    out = Py_None;
    Py_INCREF(out);
done:
    for (int c = 0; c < COLUMNS; c++) PyMem_Free(cols[c].data);
    PyMem_Free(chains.slots), PyMem_Free(keys.slots), PyMem_Free(held);
    Py_XDECREF(chains.list), Py_XDECREF(keys.list), Py_DECREF(held_fast);
    return out;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "Read the common iptables-save rule lines into columns (see the module comment)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_iptscan", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__iptscan(void) { return PyModule_Create(&module); }
