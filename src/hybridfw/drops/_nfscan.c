/* The netfilter fast path compiled: hybridfw.drops._nfscan (optional; hatch_build.py builds it).
 *
 * `rows(block)` gives exactly `netfilter._ROWS.findall(block)`: one 7-tuple per LF-ended line
 * (line, time, log prefix, packet, protocol, destination port, other). The pattern is matched
 * by hand: every part of it has one way to match (each greedy run is followed by a character
 * its class excludes; the lazy prefix can only end before the first "=" of the line), so a
 * single left-to-right pass finds the groups the regex engine's backtracking finds.
 * tests/drops/test_drops_native.py compares both on generated lines, group for group.
 *
 * `Tally` is `Aggregator.add_rows` over a whole block in C: the same steps per line, with the
 * per-distinct work (ports, packets, times, prefixes, a bucket's first drop, lines the fast
 * pattern does not fit) called back into Python in line order, and each bucket's count, rule
 * counts and first/last time kept in C until `flush`. drops/native_rows.py holds the Python
 * side; the pure `add_rows` stays the reference and the fallback.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ---- character classes: the ASCII members of re's str \s \S \w \d, minus LF (netfilter._ascii) */
static unsigned char cls[256];
enum { C_S = 1, C_NS = 2, C_W = 4, C_D = 8, C_HEX = 16 };

static void init_classes(void) {
    for (int c = 0; c < 128; c++) {
        if (c == '\n') continue;
        int space = c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31);
        cls[c] |= space ? C_S : C_NS;
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
            cls[c] |= C_W;
        if (c >= '0' && c <= '9') cls[c] |= C_D | C_HEX;
        if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.') cls[c] |= C_HEX;
    }
}

typedef struct { Py_ssize_t a, b; } Span;
/* time, prefix, packet, protocol, port (a == b: no port) */
typedef struct { Span time, prefix, packet, proto, port; } Fields;

static Py_ssize_t run(const unsigned char *c, Py_ssize_t i, Py_ssize_t e, int k) {
    while (i < e && (cls[c[i]] & k)) i++;
    return i;
}

static int lit(const unsigned char *c, Py_ssize_t i, Py_ssize_t e, const char *s, Py_ssize_t n) {
    return e - i >= n && memcmp(c + i, s, (size_t)n) == 0;
}

/* _COMMON_BYTES at the start of the line [b, e) (e: its LF); 1 and `f` filled, or 0. */
static int match(const unsigned char *c, Py_ssize_t b, Py_ssize_t e, Fields *f) {
    Py_ssize_t i = b, j;
    if (e - b >= 12 && (cls[c[b]] & C_D)) { /* \d{4}-\d\d-\d\dT\S+ */
        static const char shape[] = "dddd-dd-ddT";
        for (int k = 0; k < 11; k++)
            if (shape[k] == 'd' ? !(cls[c[b + k]] & C_D) : c[b + k] != (unsigned char)shape[k]) return 0;
        j = run(c, b + 11, e, C_NS);
        if (j == b + 11) return 0;
    } else if (e - b >= 15 && c[b] >= 'A' && c[b] <= 'Z') { /* [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d */
        static const char shape[] = "Aaa _d dd:dd:dd";
        for (int k = 1; k < 15; k++) {
            unsigned char x = c[b + k];
            int ok = shape[k] == 'a' ? (x >= 'a' && x <= 'z')
                   : shape[k] == 'd' ? (cls[x] & C_D) != 0
                   : shape[k] == '_' ? (x == ' ' || (cls[x] & C_D) != 0) : x == (unsigned char)shape[k];
            if (!ok) return 0;
        }
        j = b + 15;
    } else {
        return 0;
    }
    f->time.a = b; f->time.b = j;
    if (j >= e || c[j] != ' ') return 0;
    i = run(c, j + 1, e, C_NS); /* host */
    if (i == j + 1 || !lit(c, i, e, " kernel: ", 9)) return 0;
    Py_ssize_t p = i + 9;
    if (p < e && c[p] == '[') { /* (?:\[\s*\d+\.\d+\] )? */
        Py_ssize_t t = run(c, p + 1, e, C_S), d = run(c, t, e, C_D);
        if (d > t && d < e && c[d] == '.') {
            Py_ssize_t d2 = run(c, d + 1, e, C_D);
            if (d2 > d + 1 && lit(c, d2, e, "] ", 2)) p = d2 + 2;
        }
    }
    /* ([^=\n]*?) ?IN= : the lazy prefix cannot pass the first "=", so IN= ends there */
    const unsigned char *eq = memchr(c + p, '=', (size_t)(e - p));
    if (eq == NULL) return 0;
    Py_ssize_t q = (eq - c) - 2;
    if (q < p || c[q] != 'I' || c[q + 1] != 'N') return 0;
    f->prefix.a = p; f->prefix.b = (q - 1 >= p && c[q - 1] == ' ') ? q - 1 : q;
    i = run(c, q + 3, e, C_NS);
    if (!lit(c, i, e, " OUT=", 5)) return 0;
    i = run(c, i + 5, e, C_NS);
    if (i >= e || c[i] != ' ') return 0;
    i++;
    if (lit(c, i, e, "MAC=", 4)) {
        i = run(c, i + 4, e, C_NS);
        if (i >= e || c[i] != ' ') return 0;
        i++;
    }
    if (!lit(c, i, e, "SRC=", 4)) return 0;
    j = run(c, i + 4, e, C_HEX);
    if (j == i + 4 || !lit(c, j, e, " DST=", 5)) return 0;
    i = run(c, j + 5, e, C_HEX);
    if (i == j + 5 || i >= e || c[i] != ' ') return 0;
    f->packet.a = q; f->packet.b = i;
    /* [^\n]*?PROTO=(\w+) : the first PROTO= followed by a word character */
    for (i = i + 1;; i++) {
        const unsigned char *at = memchr(c + i, 'P', (size_t)(e - i));
        if (at == NULL) return 0;
        i = at - c;
        if (lit(c, i, e, "PROTO=", 6) && i + 6 < e && (cls[c[i + 6]] & C_W)) break;
    }
    f->proto.a = i + 6; f->proto.b = run(c, i + 6, e, C_W);
    f->port.a = f->port.b = 0;
    i = f->proto.b;
    if (lit(c, i, e, " SPT=", 5)) { /* (?: SPT=\d+ DPT=(\d+))? */
        j = run(c, i + 5, e, C_D);
        if (j > i + 5 && lit(c, j, e, " DPT=", 5)) {
            Py_ssize_t d = run(c, j + 5, e, C_D);
            if (d > j + 5) { f->port.a = j + 5; f->port.b = d; }
        }
    }
    return 1;
}

static PyObject *span_bytes(const unsigned char *c, Span s) {
    return PyBytes_FromStringAndSize((const char *)c + s.a, s.b - s.a);
}

static PyObject *rows(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const unsigned char *c = view.buf;
    Py_ssize_t n = view.len, b = 0;
    PyObject *out = PyList_New(0), *empty = PyBytes_FromStringAndSize("", 0);
    if (out == NULL || empty == NULL) goto fail;
    while (b < n) {
        const unsigned char *nl = memchr(c + b, '\n', (size_t)(n - b));
        if (nl == NULL) break;
        Py_ssize_t e = nl - c;
        Fields f;
        PyObject *row;
        if (match(c, b, e, &f)) {
            Span line = {b, e};
            row = Py_BuildValue("(NNNNNNO)", span_bytes(c, line), span_bytes(c, f.time), span_bytes(c, f.prefix),
                                span_bytes(c, f.packet), span_bytes(c, f.proto), span_bytes(c, f.port), empty);
        } else {
            Span line = {b, e};
            row = Py_BuildValue("(OOOOOON)", empty, empty, empty, empty, empty, empty, span_bytes(c, line));
        }
        if (row == NULL || PyList_Append(out, row) < 0) { Py_XDECREF(row); goto fail; }
        Py_DECREF(row);
        b = e + 1;
    }
    Py_DECREF(empty);
    PyBuffer_Release(&view);
    return out;
fail:
    Py_XDECREF(out);
    Py_XDECREF(empty);
    PyBuffer_Release(&view);
    return NULL;
}

/* ---- an intern table: byte strings -> int32 values (open addressing, keys in one arena) */
/* A packet's slot: what on_packet said about it, and whether its bucket has its first drop. */
typedef struct { int8_t kind, has_bucket; int32_t target, bucket; } Slot;
/* value: the int a table maps to (-1: not set); slot: the packets table's payload, kept in the
   entry itself so that a row costs one cache miss there, not two */
typedef struct { uint64_t hash; size_t off; uint32_t len; int32_t value; Slot slot; } Entry;
typedef struct { Entry *slots; size_t cap, used; char *arena; size_t size, room; } Table;

static uint64_t hash_bytes(const unsigned char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
        s += 8; n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 32) ^ 1; /* never 0: 0 marks a free slot */
}

static void table_clear(Table *t) {
    if (t->slots) memset(t->slots, 0, t->cap * sizeof(Entry));
    t->used = 0;
    t->size = 0;
}

static void table_free(Table *t) {
    PyMem_Free(t->slots);
    PyMem_Free(t->arena);
    memset(t, 0, sizeof(*t));
}

/* The entry of `s` (value -1 when new and not stored); NULL on memory error. */
static Entry *table_find(Table *t, const unsigned char *s, size_t n, int insert) {
    static Entry missing;
    if (t->slots == NULL) {
        t->cap = 1024;
        t->slots = PyMem_Calloc(t->cap, sizeof(Entry));
        if (t->slots == NULL) return (Entry *)PyErr_NoMemory();
    }
    uint64_t h = hash_bytes(s, n);
    size_t mask = t->cap - 1, at = (size_t)h & mask;
    while (t->slots[at].hash) {
        Entry *x = &t->slots[at];
        if (x->hash == h && x->len == n && memcmp(t->arena + x->off, s, n) == 0) return x;
        at = (at + 1) & mask;
    }
    if (!insert) {
        missing.value = -1;
        return &missing;
    }
    if (t->size + n > t->room) {
        size_t room = (t->room ? t->room * 2 : 1 << 16) + n;
        char *arena = PyMem_Realloc(t->arena, room);
        if (arena == NULL) return (Entry *)PyErr_NoMemory();
        t->arena = arena;
        t->room = room;
    }
    memcpy(t->arena + t->size, s, n);
    Entry *x = &t->slots[at];
    x->hash = h; x->off = t->size; x->len = (uint32_t)n; x->value = -1;
    t->size += n;
    if (++t->used * 2 > t->cap) { /* grow: rehash every entry */
        size_t cap = t->cap * 2;
        Entry *slots = PyMem_Calloc(cap, sizeof(Entry)), keep = *x;
        if (slots == NULL) return (Entry *)PyErr_NoMemory();
        for (size_t k = 0; k < t->cap; k++) {
            if (!t->slots[k].hash) continue;
            size_t to = (size_t)t->slots[k].hash & (cap - 1);
            while (slots[to].hash) to = (to + 1) & (cap - 1);
            slots[to] = t->slots[k];
        }
        PyMem_Free(t->slots);
        t->slots = slots;
        t->cap = cap;
        return table_find(t, (const unsigned char *)t->arena + keep.off, keep.len, 0);
    }
    return x;
}

/* ---- Tally */
enum { PACKET_LIMIT = 1000000, SMALL_LIMIT = 65536 };
enum { SLOT_OK = 0, SLOT_UNRELATED = 1, SLOT_BAD = 2 };
enum { TIME_IN = 0, TIME_UNDATED = 1, TIME_OUTSIDE = 2 };

typedef struct { int32_t rule; int64_t count; } RuleCount;
typedef struct {
    int64_t count, lo, hi;
    PyObject *first, *last; /* moments (datetime) of the first min / max, or NULL */
    RuleCount rule0; /* the first rule inline (most buckets have one), the others in `more` */
    RuleCount *more;
    int32_t nrules, more_room;
    int touched;
} Sum;
typedef struct { int8_t state; int64_t ordinal; PyObject *moment; } Moment;

typedef struct {
    PyObject_HEAD
    int windowed;
    PyObject *on_line, *on_port, *on_packet, *on_time, *on_prefix, *on_bad, *on_first;
    Table ports, packets, times, prefixes;
    Moment *moments; size_t nmoments, moments_room;
    int32_t *rules; size_t nrules, rules_room;
    Sum *sums; size_t nsums;
    int32_t *touched; size_t ntouched, touched_room;
    long long unrelated, outside, undated, other;
    int have_example;
    long packet_limit, small_limit; /* the caches start afresh (small) or stop growing (packets) here */
    unsigned char *key; size_t key_room;
} Tally;

static int grow(void **array, size_t *room, size_t need, size_t item) {
    if (need <= *room) return 0;
    size_t room_new = *room ? *room : 2; /* rules: one or two per bucket, for most */
    while (room_new < need) room_new *= 2;
    void *bigger = PyMem_Realloc(*array, room_new * item);
    if (bigger == NULL) { PyErr_NoMemory(); return -1; }
    *array = bigger;
    *room = room_new;
    return 0;
}

static void clear_moments(Tally *t) {
    for (size_t k = 0; k < t->nmoments; k++) Py_XDECREF(t->moments[k].moment);
    t->nmoments = 0;
    table_clear(&t->times);
}

/* The callbacks are bound methods of the object that holds the Tally: a cycle the collector
   must be able to see (a long-running `serve` reads logs again and again). */
static int Tally_traverse(Tally *t, visitproc visit, void *arg) {
    Py_VISIT(t->on_line); Py_VISIT(t->on_port); Py_VISIT(t->on_packet); Py_VISIT(t->on_time);
    Py_VISIT(t->on_prefix); Py_VISIT(t->on_bad); Py_VISIT(t->on_first);
    return 0;
}

static int Tally_clear(Tally *t) {
    Py_CLEAR(t->on_line); Py_CLEAR(t->on_port); Py_CLEAR(t->on_packet); Py_CLEAR(t->on_time);
    Py_CLEAR(t->on_prefix); Py_CLEAR(t->on_bad); Py_CLEAR(t->on_first);
    return 0;
}

static void Tally_dealloc(Tally *t) {
    PyObject_GC_UnTrack(t);
    clear_moments(t);
    for (size_t k = 0; k < t->nsums; k++) {
        Py_XDECREF(t->sums[k].first);
        Py_XDECREF(t->sums[k].last);
        PyMem_Free(t->sums[k].more);
    }
    PyMem_Free(t->sums); PyMem_Free(t->moments); PyMem_Free(t->rules);
    PyMem_Free(t->touched); PyMem_Free(t->key);
    table_free(&t->ports); table_free(&t->packets); table_free(&t->times); table_free(&t->prefixes);
    Tally_clear(t);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static int Tally_init(Tally *t, PyObject *args, PyObject *kwds) {
    static char *names[] = {"windowed", "on_line", "on_port", "on_packet", "on_time", "on_prefix", "on_bad",
                            "on_first", "packet_limit", "small_limit", NULL};
    PyObject *cb[7];
    t->packet_limit = PACKET_LIMIT;
    t->small_limit = SMALL_LIMIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "pOOOOOOO|$ll", names, &t->windowed, &cb[0], &cb[1], &cb[2],
                                     &cb[3], &cb[4], &cb[5], &cb[6], &t->packet_limit, &t->small_limit))
        return -1;
    PyObject **to[7] = {&t->on_line, &t->on_port, &t->on_packet, &t->on_time, &t->on_prefix, &t->on_bad,
                        &t->on_first};
    for (int k = 0; k < 7; k++) {
        Py_INCREF(cb[k]);
        Py_XSETREF(*to[k], cb[k]);
    }
    return 0;
}

static PyObject *line_of(const unsigned char *c, Py_ssize_t b, Py_ssize_t e) {
    return PyBytes_FromStringAndSize((const char *)c + b, e - b);
}

/* Call `fn(number, line)` and return its int result (-1 with an exception on error). */
static long call_line(PyObject *fn, long long number, const unsigned char *c, Py_ssize_t b, Py_ssize_t e) {
    PyObject *r = PyObject_CallFunction(fn, "LN", number, line_of(c, b, e));
    if (r == NULL) return -1;
    long v = PyLong_AsLong(r);
    Py_DECREF(r);
    return v;
}

static Sum *sum_at(Tally *t, int32_t bucket) {
    if ((size_t)bucket >= t->nsums) {
        size_t room = t->nsums, need = (size_t)bucket + 1;
        Sum *sums = t->sums;
        if (grow((void **)&sums, &room, need, sizeof(Sum)) < 0) return NULL;
        memset(sums + t->nsums, 0, (room - t->nsums) * sizeof(Sum));
        t->sums = sums;
        t->nsums = room;
    }
    return &t->sums[bucket];
}

/* The pending sums as [(bucket, count, first, last, [(rule, n), ...]), ...]; they restart at 0. */
static PyObject *Tally_flush(Tally *t, PyObject *unused) {
    PyObject *out = PyList_New((Py_ssize_t)t->ntouched);
    if (out == NULL) return NULL;
    for (size_t k = 0; k < t->ntouched; k++) {
        Sum *s = &t->sums[t->touched[k]];
        PyObject *rules = PyList_New(s->nrules);
        if (rules == NULL) { Py_DECREF(out); return NULL; }
        for (int32_t r = 0; r < s->nrules; r++) {
            RuleCount *rc = r == 0 ? &s->rule0 : &s->more[r - 1];
            PyList_SET_ITEM(rules, r, Py_BuildValue("(iL)", rc->rule, (long long)rc->count));
        }
        PyObject *item = Py_BuildValue("(iLOON)", t->touched[k], (long long)s->count, s->first ? s->first : Py_None,
                                       s->last ? s->last : Py_None, rules);
        if (item == NULL) { Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, (Py_ssize_t)k, item);
        Py_CLEAR(s->first);
        Py_CLEAR(s->last);
        s->count = 0;
        s->nrules = 0;
        s->touched = 0;
    }
    t->ntouched = 0;
    return out;
}

static int tally_row(Tally *t, const unsigned char *c, Py_ssize_t b, Py_ssize_t e, Fields *f,
                     long long number) {
    /* (protocol, port) on a flow? */
    size_t np = (size_t)(f->proto.b - f->proto.a), nd = (size_t)(f->port.b - f->port.a);
    if (grow((void **)&t->key, &t->key_room, np + nd + 8 + (size_t)(f->packet.b - f->packet.a), 1) < 0) return -1;
    memcpy(t->key, c + f->proto.a, np);
    t->key[np] = ' ';
    memcpy(t->key + np + 1, c + f->port.a, nd);
    if (t->ports.used >= (size_t)t->small_limit) table_clear(&t->ports);
    Entry *port = table_find(&t->ports, t->key, np + 1 + nd, 1);
    if (port == NULL) return -1;
    if (port->value < 0) {
        PyObject *r = PyObject_CallFunction(t->on_port, "y#y#", c + f->proto.a, (Py_ssize_t)np, c + f->port.a,
                                            (Py_ssize_t)nd);
        if (r == NULL) return -1;
        int on = PyObject_IsTrue(r);
        Py_DECREF(r);
        if (on < 0) return -1;
        port->value = on;
    }
    if (!port->value) { t->unrelated++; return 0; }
    /* the packet: (protocol, port, packet text) */
    size_t npk = (size_t)(f->packet.b - f->packet.a), nk = np + 1 + nd + 1 + npk;
    t->key[np + 1 + nd] = ' ';
    memcpy(t->key + np + 2 + nd, c + f->packet.a, npk);
    int store = t->packets.used < (size_t)t->packet_limit;
    Entry *entry = table_find(&t->packets, t->key, nk, store);
    if (entry == NULL) return -1;
    Slot one, *slot = &one;
    if (entry->value >= 0) {
        slot = &entry->slot;
    } else {
        PyObject *r = PyObject_CallFunction(t->on_packet, "LN", number, line_of(c, b, e));
        if (r == NULL) return -1;
        int kind, target, bucket;
        if (!PyArg_ParseTuple(r, "iii", &kind, &target, &bucket)) { Py_DECREF(r); return -1; }
        Py_DECREF(r);
        one.kind = (int8_t)kind; one.target = target; one.bucket = bucket; one.has_bucket = 0;
        if (store) {
            entry->slot = one;
            entry->value = 0;
            slot = &entry->slot;
        }
    }
    if (slot->kind == SLOT_UNRELATED) { t->unrelated++; return 0; }
    if (slot->kind == SLOT_BAD) {
        PyObject *r = PyObject_CallFunction(t->on_bad, "LNi", number, line_of(c, b, e), slot->target);
        if (r == NULL) return -1;
        Py_DECREF(r);
        return 0;
    }
    /* the time */
    if (t->times.used >= (size_t)t->small_limit) clear_moments(t);
    Entry *te = table_find(&t->times, c + f->time.a, (size_t)(f->time.b - f->time.a), 1);
    if (te == NULL) return -1;
    if (te->value < 0) {
        PyObject *r = PyObject_CallFunction(t->on_time, "y#", c + f->time.a, f->time.b - f->time.a);
        if (r == NULL) return -1;
        int state;
        long long ordinal;
        PyObject *moment;
        if (!PyArg_ParseTuple(r, "iLO", &state, &ordinal, &moment)) { Py_DECREF(r); return -1; }
        if (grow((void **)&t->moments, &t->moments_room, t->nmoments + 1, sizeof(Moment)) < 0) {
            Py_DECREF(r);
            return -1;
        }
        Moment *m = &t->moments[t->nmoments];
        m->state = (int8_t)state; m->ordinal = ordinal; m->moment = moment == Py_None ? NULL : moment;
        Py_XINCREF(m->moment);
        Py_DECREF(r);
        te->value = (int32_t)t->nmoments++;
    }
    Moment *m = &t->moments[te->value];
    if (t->windowed) {
        if (m->state == TIME_OUTSIDE) { t->outside++; return 0; }
        if (m->state == TIME_UNDATED) t->undated++;
    }
    if (!slot->has_bucket) { /* the packet's first drop in the window */
        PyObject *r = PyObject_CallFunction(t->on_first, "iLN", slot->target, number, line_of(c, b, e));
        if (r == NULL) return -1;
        Py_DECREF(r);
        slot->has_bucket = 1;
    }
    Sum *s = sum_at(t, slot->bucket);
    if (s == NULL) return -1;
    if (!s->touched) {
        if (grow((void **)&t->touched, &t->touched_room, t->ntouched + 1, sizeof(int32_t)) < 0) return -1;
        t->touched[t->ntouched++] = slot->bucket;
        s->touched = 1;
    }
    s->count++;
    if (f->prefix.b > f->prefix.a) {
        if (t->prefixes.used >= (size_t)t->small_limit) { table_clear(&t->prefixes); t->nrules = 0; }
        Entry *pe = table_find(&t->prefixes, c + f->prefix.a, (size_t)(f->prefix.b - f->prefix.a), 1);
        if (pe == NULL) return -1;
        if (pe->value < 0) {
            PyObject *r = PyObject_CallFunction(t->on_prefix, "y#", c + f->prefix.a, f->prefix.b - f->prefix.a);
            if (r == NULL) return -1;
            long rule = PyLong_AsLong(r);
            Py_DECREF(r);
            if (rule == -1 && PyErr_Occurred()) return -1;
            if (grow((void **)&t->rules, &t->rules_room, t->nrules + 1, sizeof(int32_t)) < 0) return -1;
            t->rules[t->nrules] = (int32_t)rule;
            pe->value = (int32_t)t->nrules++;
        }
        int32_t rule = t->rules[pe->value];
        if (rule >= 0) {
            RuleCount *rc = &s->rule0;
            int32_t k = 0;
            while (k < s->nrules && rc->rule != rule) rc = &s->more[k++];
            if (k == s->nrules) { /* a new rule for this bucket since the last flush: last in order */
                if (k > 0) {
                    size_t room = (size_t)s->more_room;
                    if (grow((void **)&s->more, &room, (size_t)k, sizeof(RuleCount)) < 0) return -1;
                    s->more_room = (int32_t)room;
                    rc = &s->more[k - 1];
                }
                rc->rule = rule;
                rc->count = 0;
                s->nrules++;
            }
            rc->count++;
        }
    }
    if (m->moment != NULL) {
        if (s->first == NULL || m->ordinal < s->lo) { Py_INCREF(m->moment); Py_XSETREF(s->first, m->moment); s->lo = m->ordinal; }
        if (s->last == NULL || m->ordinal > s->hi) { Py_INCREF(m->moment); Py_XSETREF(s->last, m->moment); s->hi = m->ordinal; }
    }
    return 0;
}

/* A line the fast pattern does not fit that find_record would skip (no SRC=, or no IN= before
   the first SRC=): it only counts as "other". */
static int only_other(const unsigned char *c, Py_ssize_t b, Py_ssize_t e) {
    for (Py_ssize_t i = b; i + 4 <= e; i++) {
        if (c[i] == 'S' && memcmp(c + i, "SRC=", 4) == 0) {
            for (Py_ssize_t k = b; k + 3 <= i; k++)
                if (c[k] == 'I' && c[k + 1] == 'N' && c[k + 2] == '=') return 0;
            return 1;
        }
    }
    return 1;
}

static int blank(const unsigned char *c, Py_ssize_t b, Py_ssize_t e) {
    for (Py_ssize_t i = b; i < e; i++)
        if (!(cls[c[i]] & C_S)) return 0;
    return 1;
}

/* feed(block, number, flush) -> (last line number, records): add_rows over an ASCII block.
   `flush` is called (with no argument) before a line that goes to on_line and may add drops. */
static PyObject *Tally_feed(Tally *t, PyObject *args) {
    Py_buffer view;
    long long number;
    PyObject *flush;
    if (t->on_line == NULL) {
        PyErr_SetString(PyExc_ValueError, "Tally not initialised");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "y*LO", &view, &number, &flush)) return NULL;
    const unsigned char *c = view.buf;
    Py_ssize_t n = view.len, b = 0;
    long long records = 0;
    while (b < n) {
        const unsigned char *nl = memchr(c + b, '\n', (size_t)(n - b));
        if (nl == NULL) break;
        Py_ssize_t e = nl - c;
        Fields f;
        number++;
        int fits = match(c, b, e, &f);
        if (fits && f.port.b > f.port.a) {
            records++;
            if (tally_row(t, c, b, e, &f, number) < 0) goto fail;
        } else if (!fits && only_other(c, b, e)) {
            if (t->have_example || blank(c, b, e)) {
                t->other++;
            } else { /* the first "other" line: parse_line keeps it as the example */
                if (call_line(t->on_line, number, c, b, e) < 0) goto fail;
                t->have_example = 1;
            }
        } else { /* parse_line may add a drop to any bucket: hand over the pending sums first */
            if (t->ntouched) {
                PyObject *r = PyObject_CallNoArgs(flush);
                if (r == NULL) goto fail;
                Py_DECREF(r);
            }
            long found = call_line(t->on_line, number, c, b, e);
            if (found < 0) goto fail;
            records += found;
        }
        b = e + 1;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(LL)", number, records);
fail:
    PyBuffer_Release(&view);
    return NULL;
}

/* take_counts() -> (unrelated, outside window, undated, other lines); the counters restart at 0. */
static PyObject *Tally_take_counts(Tally *t, PyObject *unused) {
    PyObject *r = Py_BuildValue("(LLLL)", t->unrelated, t->outside, t->undated, t->other);
    t->unrelated = t->outside = t->undated = t->other = 0;
    return r;
}

static PyMethodDef Tally_methods[] = {
    {"feed", (PyCFunction)Tally_feed, METH_VARARGS, "add_rows over an ASCII block: (last line, records)."},
    {"flush", (PyCFunction)Tally_flush, METH_NOARGS, "The pending bucket sums; they restart."},
    {"take_counts", (PyCFunction)Tally_take_counts, METH_NOARGS, "(unrelated, outside, undated, other)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TallyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "hybridfw.drops._nfscan.Tally",
    .tp_basicsize = sizeof(Tally),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_traverse = (traverseproc)Tally_traverse,
    .tp_clear = (inquiry)Tally_clear,
    .tp_doc = "Aggregator.add_rows over whole ASCII blocks (see drops/native_rows.py).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Tally_init,
    .tp_dealloc = (destructor)Tally_dealloc,
    .tp_methods = Tally_methods,
};

static PyMethodDef module_methods[] = {
    {"rows", rows, METH_O, "netfilter._ROWS.findall(block), matched without the regex engine."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_nfscan", NULL, -1, module_methods};

PyMODINIT_FUNC PyInit__nfscan(void) {
    init_classes();
    if (PyType_Ready(&TallyType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&TallyType);
    if (PyModule_AddObject(m, "Tally", (PyObject *)&TallyType) < 0) {
        Py_DECREF(&TallyType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
