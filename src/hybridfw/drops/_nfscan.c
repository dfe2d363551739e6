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
#include <datetime.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_nfscan_match.h"
#include "_nfscan_table.h"
#include "_nfscan_v4.h"

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
            row = Py_BuildValue("(NNNNNNO)", span_bytes(c, line), span_bytes(c, f.time),
                                span_bytes(c, f.prefix), span_bytes(c, f.packet), span_bytes(c, f.proto),
                                span_bytes(c, f.port), empty);
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

/* ---- Tally */
enum { PACKET_LIMIT = 1000000, SMALL_LIMIT = 65536 };
enum { SLOT_OK = 0, SLOT_UNRELATED = 1, SLOT_BAD = 2 };
enum { TIME_IN = 0, TIME_UNDATED = 1, TIME_OUTSIDE = 2 };

typedef struct { int32_t rule; int64_t count; } RuleCount;
typedef struct { /* 64 bytes: one cache line */
    int64_t count, lo, hi; /* lo, hi: the earliest / latest time (microseconds since the epoch, UTC) */
    RuleCount rule0; /* the first rule inline (most buckets have one), the others in `more` */
    RuleCount *more;
    int32_t nrules, more_room;
    int8_t touched, has_time;
} Sum;

/* Widen a time span [*lo, *hi] (empty unless *has) to take [first, last]. */
static inline void widen(int64_t *lo, int64_t *hi, int8_t *has, int64_t first, int64_t last) {
    if (!*has || first < *lo) *lo = first;
    if (!*has || last > *hi) *hi = last;
    *has = 1;
}
/* A time text read: state (TIME_*), microseconds since the epoch, whether it had a time. Sums keep
   numbers, not datetime objects (refcounting them cost a cache miss per row): flush makes the
   datetime back, which is the same value, as every moment TimeParser gives is UTC. */
typedef struct { int8_t state, has; int64_t ordinal; } Moment;

typedef struct {
    PyObject_HEAD
    int windowed;
    PyObject *on_line, *on_port, *on_packet, *on_time, *on_prefix, *on_bad, *on_first, *on_first4;
    Table ports, packets, times, prefixes;
    long ports_gen; /* counts the ports table's clears (plan numbers restart) */
    Table4 packets4; /* IPv4 packets, classed in C (_nfscan_v4.h) */
    Entry4 **pending; size_t npending, pending_room; /* packets4 entries with rows since the flush */
    Ranges *ranges; size_t nranges, ranges_room;
    Plan *plans; size_t nplans, plans_room;
    int clock, now_year, has_since, has_until; /* clock: BSD times read in C (TimeParser's now) */
    int64_t limit, since, until;
    unsigned char prev_time[32]; Py_ssize_t prev_time_len; int32_t prev_moment; /* the last row's */
    unsigned char prev_prefix[64]; Py_ssize_t prev_prefix_len; int32_t prev_rule;
    Moment *moments; size_t nmoments, moments_room;
    int32_t *rules; size_t nrules, rules_room;
    Sum *sums; size_t nsums;
    int32_t *touched; size_t ntouched, touched_room;
    long long unrelated, outside, undated, other;
    int have_example;
    long packet_limit, small_limit; /* the caches start afresh (small) or stop growing (packets) here */
    unsigned char *key; size_t key_room;
} Tally;

static int spill_all(Tally *t);

/* A line of the block [b, e) (e: its LF): whether the fast pattern fits, its fields, its port's
   plan as the ports table had it when the line was scanned, and (v4) both addresses as IPv4. */
typedef struct {
    Py_ssize_t b, e;
    int fits, v4; /* v4: -1 until read */
    int on; long gen; /* on: the ports table's value for the line's port at generation `gen` (-1: not found) */
    uint32_t src, dst;
    Fields f;
} Line;

static void clear_moments(Tally *t) {
    t->nmoments = 0;
    t->prev_time_len = -1;
    table_clear(&t->times);
}

/* The callbacks are bound methods of the object that holds the Tally: a cycle the collector
   must be able to see (a long-running `serve` reads logs again and again). */
static int Tally_traverse(Tally *t, visitproc visit, void *arg) {
    Py_VISIT(t->on_line); Py_VISIT(t->on_port); Py_VISIT(t->on_packet); Py_VISIT(t->on_time);
    Py_VISIT(t->on_prefix); Py_VISIT(t->on_bad); Py_VISIT(t->on_first); Py_VISIT(t->on_first4);
    return 0;
}

static int Tally_clear(Tally *t) {
    Py_CLEAR(t->on_line); Py_CLEAR(t->on_port); Py_CLEAR(t->on_packet); Py_CLEAR(t->on_time);
    Py_CLEAR(t->on_prefix); Py_CLEAR(t->on_bad); Py_CLEAR(t->on_first); Py_CLEAR(t->on_first4);
    return 0;
}

static void Tally_dealloc(Tally *t) {
    PyObject_GC_UnTrack(t);
    clear_moments(t);
    for (size_t k = 0; k < t->nsums; k++) PyMem_Free(t->sums[k].more);
    big_free(t->sums, t->nsums, sizeof(Sum)); PyMem_Free(t->moments); PyMem_Free(t->rules);
    PyMem_Free(t->touched); PyMem_Free(t->key); PyMem_Free(t->pending);
    table_free(&t->ports); table_free(&t->packets); table_free(&t->times); table_free(&t->prefixes);
    table4_free(&t->packets4);
    for (size_t k = 0; k < t->nranges; k++) ranges_free(&t->ranges[k]);
    for (size_t k = 0; k < t->nplans; k++) PyMem_Free(t->plans[k].cands);
    PyMem_Free(t->ranges); PyMem_Free(t->plans);
    Tally_clear(t);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

/* clock: None, or (TimeParser.now's year, now + 1 day, since, until) with the times in
   microseconds since the epoch (since/until None: no bound). */
static int set_clock(Tally *t, PyObject *clock) {
    PyObject *since, *until;
    t->clock = 0;
    if (clock == Py_None) return 0;
    if (!PyArg_ParseTuple(clock, "iLOO", &t->now_year, &t->limit, &since, &until)) return -1;
    t->has_since = since != Py_None;
    t->has_until = until != Py_None;
    if (t->has_since && (t->since = PyLong_AsLongLong(since)) == -1 && PyErr_Occurred()) return -1;
    if (t->has_until && (t->until = PyLong_AsLongLong(until)) == -1 && PyErr_Occurred()) return -1;
    t->clock = 1;
    return 0;
}

static int Tally_init(Tally *t, PyObject *args, PyObject *kwds) {
    static char *names[] = {"windowed", "on_line", "on_port", "on_packet", "on_time", "on_prefix", "on_bad",
                            "on_first", "on_first4", "clock", "packet_limit", "small_limit", NULL};
    PyObject *cb[8], *clock = Py_None;
    t->packet_limit = PACKET_LIMIT;
    t->small_limit = SMALL_LIMIT;
    t->prev_time_len = t->prev_prefix_len = -1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "pOOOOOOOO|O$ll", names, &t->windowed, &cb[0], &cb[1], &cb[2],
                                     &cb[3], &cb[4], &cb[5], &cb[6], &cb[7], &clock, &t->packet_limit,
                                     &t->small_limit)
        || set_clock(t, clock) < 0)
        return -1;
    PyObject **to[8] = {&t->on_line, &t->on_port, &t->on_packet, &t->on_time, &t->on_prefix, &t->on_bad,
                        &t->on_first, &t->on_first4};
    for (int k = 0; k < 8; k++) {
        Py_INCREF(cb[k]);
        Py_XSETREF(*to[k], cb[k]);
    }
    return 0;
}

static int copy_array(PyObject *data, size_t item, Py_ssize_t n, void **out) {
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) return -1;
    int ok = view.len == n * (Py_ssize_t)item;
    if (ok && n > 0) {
        *out = PyMem_Malloc((size_t)view.len);
        if (*out == NULL) ok = 0, PyErr_NoMemory();
        else memcpy(*out, view.buf, (size_t)view.len);
    } else if (!ok) {
        PyErr_SetString(PyExc_ValueError, "add_ranges: arrays of different lengths");
    }
    PyBuffer_Release(&view);
    return ok ? 0 : -1;
}

/* add_ranges(lo, hi, vid, flags) -> number: sorted IPv4 intervals (uint32 arrays; a classifier's
   rows also give int32 verdict numbers and a flags byte each, a set gives b"" for both). */
static PyObject *Tally_add_ranges(Tally *t, PyObject *args) {
    PyObject *lo, *hi, *vid, *flags;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "nOOOO", &n, &lo, &hi, &vid, &flags)
        || grow((void **)&t->ranges, &t->ranges_room, t->nranges + 1, sizeof(Ranges)) < 0) return NULL;
    Ranges r = {NULL, NULL, NULL, NULL, n};
    Py_ssize_t nflags = PyObject_Length(flags);
    int rows = nflags > 0;
    if (nflags < 0 || n < 0 || copy_array(lo, 4, n, (void **)&r.lo) < 0 || copy_array(hi, 4, n, (void **)&r.hi) < 0
        || copy_array(vid, 4, rows ? n : 0, (void **)&r.vid) < 0
        || copy_array(flags, 1, rows ? n : 0, (void **)&r.flags) < 0) {
        ranges_free(&r);
        return NULL;
    }
    t->ranges[t->nranges] = r;
    return PyLong_FromSize_t(t->nranges++);
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
    if (bucket < 0) {
        PyErr_SetString(PyExc_ValueError, "a bucket number below 0");
        return NULL;
    }
    if ((size_t)bucket >= t->nsums) {
        size_t room = t->nsums ? t->nsums : 1024;
        while (room <= (size_t)bucket) room *= 2;
        Sum *sums = big_calloc(room, sizeof(Sum));
        if (sums == NULL) return NULL;
        if (t->nsums) memcpy(sums, t->sums, t->nsums * sizeof(Sum));
        big_free(t->sums, t->nsums, sizeof(Sum));
        t->sums = sums;
        t->nsums = room;
    }
    return &t->sums[bucket];
}

/* The UTC datetime `ordinal` microseconds after the epoch. */
static PyObject *moment_object(int64_t ordinal) {
    int64_t day = ordinal >= 0 ? ordinal / 86400000000LL : -((-ordinal + 86399999999LL) / 86400000000LL);
    int64_t us = ordinal - day * 86400000000LL;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return PyDateTimeAPI->DateTime_FromDateAndTime(y, m, d, (int)(us / 3600000000LL), (int)(us / 60000000 % 60),
                                                   (int)(us / 1000000 % 60), (int)(us % 1000000),
                                                   PyDateTime_TimeZone_UTC, PyDateTimeAPI->DateTimeType);
}

/* The pending sums as [(bucket, count, first, last, [(rule, n), ...]), ...]; they restart at 0. */
static PyObject *Tally_flush(Tally *t, PyObject *unused) {
    if (spill_all(t) < 0) return NULL;
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
        PyObject *first = s->has_time ? moment_object(s->lo) : Py_NewRef(Py_None);
        PyObject *last = s->has_time ? moment_object(s->hi) : Py_NewRef(Py_None);
        PyObject *item = first && last ? Py_BuildValue("(iLNNN)", t->touched[k], (long long)s->count, first, last,
                                                       rules) : NULL;
        if (item == NULL) { Py_XDECREF(first); Py_XDECREF(last); Py_DECREF(out); return NULL; }
        PyList_SET_ITEM(out, (Py_ssize_t)k, item);
        s->has_time = 0;
        s->count = 0;
        s->nrules = 0;
        s->touched = 0;
    }
    t->ntouched = 0;
    return out;
}

/* A plan from on_port's (port, no-flow classifier, no-flow key, ((dir, set, classifier, key), ...)):
   0, or -1 with an exception (also for ranges numbers Python never gave). */
static int read_plan(Tally *t, PyObject *r, Plan *p) {
    PyObject *cands;
    memset(p, 0, sizeof(*p));
    if (!PyArg_ParseTuple(r, "liiO!", &p->port, &p->nomatch_cls, &p->nomatch_key, &PyTuple_Type, &cands))
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(cands);
    p->cands = PyMem_Calloc((size_t)n + 1, sizeof(Cand));
    if (p->cands == NULL) { PyErr_NoMemory(); return -1; }
    p->ncands = (int32_t)n;
    int bad = (size_t)p->nomatch_cls >= t->nranges;
    for (Py_ssize_t k = 0; k < n && !bad; k++) {
        Cand *x = &p->cands[k];
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(cands, k), "iiii", &x->dir, &x->set, &x->cls, &x->flowkey)) {
            PyMem_Free(p->cands);
            return -1;
        }
        bad = (size_t)x->set >= t->nranges || (size_t)x->cls >= t->nranges;
        bad = bad || (t->ranges[x->cls].n > 0 && t->ranges[x->cls].vid == NULL);
    }
    bad = bad || (t->ranges[p->nomatch_cls].n > 0 && t->ranges[p->nomatch_cls].vid == NULL);
    if (bad) {
        PyMem_Free(p->cands);
        PyErr_SetString(PyExc_ValueError, "on_port: a plan names ranges that were not added");
        return -1;
    }
    return 0;
}

/* Whether (protocol, port) is on a flow: its plan's number + 1, 0 (not on a flow), -1 on error.
   Leaves "proto port " in t->key. */
static int port_on_flow(Tally *t, const unsigned char *c, const Line *ln, size_t *used) {
    const Fields *f = &ln->f;
    size_t np = (size_t)(f->proto.b - f->proto.a), nd = (size_t)(f->port.b - f->port.a);
    size_t room = np + nd + 2 + (size_t)(f->packet.b - f->packet.a);
    if (grow((void **)&t->key, &t->key_room, room, 1) < 0) return -1;
    memcpy(t->key, c + f->proto.a, np);
    t->key[np] = ' ';
    memcpy(t->key + np + 1, c + f->port.a, nd);
    t->key[np + 1 + nd] = ' ';
    *used = np + 2 + nd;
    if (t->ports.used >= (size_t)t->small_limit) { /* start afresh: the IPv4 packets' keys name plans */
        if (spill_all(t) < 0) return -1;
        table_clear(&t->ports);
        t->ports_gen++;
        for (size_t k = 0; k < t->nplans; k++) PyMem_Free(t->plans[k].cands);
        t->nplans = 0;
        if (t->packets4.slots) memset(t->packets4.slots, 0, t->packets4.cap * sizeof(Entry4));
        t->packets4.used = 0;
    }
    if (ln->on >= 0 && ln->gen == t->ports_gen) return ln->on; /* scan_line found it: still the same */
    Entry *port = table_find(&t->ports, t->key, np + 1 + nd, 1);
    if (port == NULL) return -1;
    if (port->value < 0) {
        PyObject *r = PyObject_CallFunction(t->on_port, "y#y#", c + f->proto.a, (Py_ssize_t)np, c + f->port.a,
                                            (Py_ssize_t)nd);
        if (r == NULL) return -1;
        int on = r != Py_None;
        if (on && (grow((void **)&t->plans, &t->plans_room, t->nplans + 1, sizeof(Plan)) < 0
                   || read_plan(t, r, &t->plans[t->nplans]) < 0)) {
            Py_DECREF(r);
            return -1;
        }
        Py_DECREF(r);
        port->value = on ? (int32_t)++t->nplans : 0;
    }
    return port->value;
}

/* The packet's slot (key: t->key's "proto port " + the packet text), asking on_packet when it is
   new; `one` holds it when the cache is full. NULL on error. */
static Slot *packet_slot(Tally *t, const unsigned char *c, Py_ssize_t b, Py_ssize_t e, const Fields *f,
                         size_t used, long long number, Slot *one) {
    size_t npk = (size_t)(f->packet.b - f->packet.a);
    memcpy(t->key + used, c + f->packet.a, npk);
    int store = t->packets.used < (size_t)t->packet_limit;
    Entry *entry = table_find(&t->packets, t->key, used + npk, store);
    if (entry == NULL) return NULL;
    if (entry->value >= 0) return &entry->slot;
    PyObject *r = PyObject_CallFunction(t->on_packet, "LN", number, line_of(c, b, e));
    if (r == NULL) return NULL;
    int kind, target, bucket;
    if (!PyArg_ParseTuple(r, "iii", &kind, &target, &bucket)) { Py_DECREF(r); return NULL; }
    Py_DECREF(r);
    one->kind = (int8_t)kind; one->target = target; one->bucket = bucket; one->has_bucket = 0;
    if (!store) return one;
    entry->slot = *one;
    entry->value = 0;
    return &entry->slot;
}

/* The moment of the row's time text, asking on_time when it is new. NULL on error. */
/* A BSD time read in C (bsd_time): 1 and `m` set, 0 (Python decides), -1 on error. */
static int c_moment(Tally *t, const unsigned char *s, Py_ssize_t n, Moment *m) {
    int64_t ordinal;
    if (!t->clock || !bsd_time(s, n, t->now_year, t->limit, &ordinal)) return 0;
    m->has = 1;
    m->ordinal = ordinal;
    m->state = (t->has_since && ordinal < t->since) || (t->has_until && ordinal > t->until) ? TIME_OUTSIDE
                                                                                               : TIME_IN;
    return 1;
}

/* The new time text's moment, from C or on_time, stored as moments[nmoments]: 0, or -1. */
static int new_moment(Tally *t, const unsigned char *s, Py_ssize_t n) {
    if (grow((void **)&t->moments, &t->moments_room, t->nmoments + 1, sizeof(Moment)) < 0) return -1;
    Moment *m = &t->moments[t->nmoments];
    int done = c_moment(t, s, n, m);
    if (done != 0) return done;
    PyObject *r = PyObject_CallFunction(t->on_time, "y#", s, n), *moment;
    int state;
    long long ordinal;
    if (r == NULL) return -1;
    if (!PyArg_ParseTuple(r, "iLO", &state, &ordinal, &moment)) {
        Py_DECREF(r);
        return -1;
    }
    m->state = (int8_t)state; m->ordinal = ordinal; m->has = moment != Py_None;
    Py_DECREF(r);
    return 0;
}

/* The moment of the row's time text, made when it is new. NULL on error. */
static Moment *moment_of(Tally *t, const unsigned char *c, const Fields *f) {
    const unsigned char *s = c + f->time.a;
    Py_ssize_t n = f->time.b - f->time.a;
    /* the same time as the last row (sorted logs): no table look-up. benchmarks/drops.py: see docs */
    if (n == t->prev_time_len && memcmp(s, t->prev_time, (size_t)n) == 0) return &t->moments[t->prev_moment];
    if (t->times.used >= (size_t)t->small_limit) clear_moments(t);
    Entry *te = table_find(&t->times, s, (size_t)n, 1);
    if (te == NULL) return NULL;
    if (te->value < 0) {
        if (new_moment(t, s, n) < 0) return NULL;
        te->value = (int32_t)t->nmoments++;
    }
    if (n <= (Py_ssize_t)sizeof(t->prev_time)) {
        memcpy(t->prev_time, s, (size_t)n);
        t->prev_time_len = n;
        t->prev_moment = te->value;
    }
    return &t->moments[te->value];
}

/* The rule number of the row's log prefix (-1: none, -2: error), asking on_prefix when new. */
static int32_t rule_of(Tally *t, const unsigned char *c, const Fields *f) {
    const unsigned char *s = c + f->prefix.a;
    Py_ssize_t n = f->prefix.b - f->prefix.a;
    if (n == 0) return -1;
    if (n == t->prev_prefix_len && memcmp(s, t->prev_prefix, (size_t)n) == 0) return t->prev_rule;
    if (t->prefixes.used >= (size_t)t->small_limit) { table_clear(&t->prefixes); t->nrules = 0; }
    Entry *pe = table_find(&t->prefixes, s, (size_t)n, 1);
    if (pe == NULL) return -2;
    if (pe->value < 0) {
        PyObject *r = PyObject_CallFunction(t->on_prefix, "y#", c + f->prefix.a, f->prefix.b - f->prefix.a);
        if (r == NULL) return -2;
        long rule = PyLong_AsLong(r);
        Py_DECREF(r);
        if ((rule == -1 && PyErr_Occurred())
            || grow((void **)&t->rules, &t->rules_room, t->nrules + 1, sizeof(int32_t)) < 0) return -2;
        t->rules[t->nrules] = (int32_t)rule;
        pe->value = (int32_t)t->nrules++;
    }
    if (n <= (Py_ssize_t)sizeof(t->prev_prefix)) {
        memcpy(t->prev_prefix, s, (size_t)n);
        t->prev_prefix_len = n;
        t->prev_rule = t->rules[pe->value];
    }
    return t->rules[pe->value];
}

/* `n` more drops with `rule` in the bucket; a rule new since the last flush goes last. */
static int count_rule(Sum *s, int32_t rule, int64_t n) {
    RuleCount *rc = &s->rule0;
    int32_t k = 0;
    while (k < s->nrules && rc->rule != rule) rc = &s->more[k++];
    if (k == s->nrules) {
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
    rc->count += n;
    return 0;
}

/* The bucket's pending sum, listed for the next flush. NULL on error. */
static Sum *touch(Tally *t, int32_t bucket) {
    Sum *s = sum_at(t, bucket);
    if (s == NULL || s->touched) return s;
    if (grow((void **)&t->touched, &t->touched_room, t->ntouched + 1, sizeof(int32_t)) < 0) return NULL;
    t->touched[t->ntouched++] = bucket;
    s->touched = 1;
    return s;
}

/* Add an IPv4 entry's rows to its bucket's sum (where its rule was placed at its first row). */
static int spill(Tally *t, Entry4 *en) {
    if (en->count) {
        Sum *s = &t->sums[en->slot.bucket];
        int32_t rule = (int32_t)(en->k1 >> 32 & 0x7fffffff) - 1;
        if (rule >= 0 && count_rule(s, rule, en->count) < 0) return -1;
        s->count += en->count;
        if (en->has_time) widen(&s->lo, &s->hi, &s->has_time, en->lo, en->hi);
    }
    en->count = 0;
    en->has_time = 0;
    return 0;
}

/* Every pending entry spilled (before a flush, a rehash or a clear of the table). */
static int spill_all(Tally *t) {
    for (size_t k = 0; k < t->npending; k++) {
        if (spill(t, t->pending[k]) < 0) return -1;
        t->pending[k]->touched = 0;
    }
    t->npending = 0;
    return 0;
}

/* A row of a stored IPv4 entry in the window: summed in the entry. 0, or -1. */
static int entry_row(Tally *t, Entry4 *en, int32_t rule, const Moment *m) {
    if (!en->touched) { /* its first row since the flush: the bucket gets the rule in line order */
        Sum *s = touch(t, en->slot.bucket);
        if (s == NULL || (rule >= 0 && count_rule(s, rule, 0) < 0)
            || grow((void **)&t->pending, &t->pending_room, t->npending + 1, sizeof(Entry4 *)) < 0)
            return -1;
        t->pending[t->npending++] = en;
        en->touched = 1;
    }
    if (en->count == UINT32_MAX && spill(t, en) < 0) return -1;
    en->count++;
    if (m->has) widen(&en->lo, &en->hi, &en->has_time, m->ordinal, m->ordinal);
    return 0;
}

/* Aggregator.target for an IPv4 packet on plan `p` (see _nfscan_v4.h). */
static void classify4(const Tally *t, const Plan *p, uint32_t src, uint32_t dst, Slot4 *s) {
    int32_t cls = p->nomatch_cls, key = p->nomatch_key;
    int rsrc = 1, found = 0;
    for (int32_t k = 0; k < p->ncands && !found; k++) {
        const Cand *x = &p->cands[k];
        if ((x->dir == 0 && ranges_at(&t->ranges[x->set], dst) >= 0)
            || (x->dir == 1 && ranges_at(&t->ranges[x->set], src) >= 0)) {
            cls = x->cls; key = x->flowkey; rsrc = x->dir == 0; found = 1;
        }
    }
    const Ranges *r = &t->ranges[cls];
    Py_ssize_t at = ranges_at(r, rsrc ? src : dst);
    uint8_t flags = at >= 0 ? r->flags[at] : V_NOT_MS;
    s->kind = !found && (flags & V_NOT_MS) ? SLOT_UNRELATED : SLOT_OK; /* no flow, not Microsoft */
    s->has_bucket = 0; s->rsrc = (int8_t)rsrc; s->block = (flags & V_BLOCK) != 0;
    s->flowkey = key; s->vid = at >= 0 ? r->vid[at] : -1; s->bucket = -1;
}

/* The IPv4 packet's slot, classed in C when new; `one` holds it when the cache is full. */
static Slot4 *packet4_slot(Tally *t, int on, const Fields *f, int32_t rule, uint32_t src, uint32_t dst,
                           Slot4 *one) {
    uint64_t k1 = 1ull << 63 | (uint64_t)(rule + 1) << 32 | (uint64_t)on << 2 | (uint64_t)f->hook;
    uint64_t k2 = (uint64_t)src << 32 | dst;
    int store = t->packets4.used < (size_t)t->packet_limit;
    if (store && (t->packets4.used + 1) * 2 > t->packets4.cap && spill_all(t) < 0) return NULL; /* rehash */
    Entry4 *entry = table4_find(&t->packets4, k1, k2, store);
    if (entry == NULL) return NULL;
    if (entry->k1) return &entry->slot;
    classify4(t, &t->plans[on - 1], src, dst, one);
    if (!store) return one;
    entry->k1 = k1; entry->k2 = k2; entry->slot = *one;
    return &entry->slot;
}

/* An IPv4 packet's first drop in the window: on_first4 gives its bucket (made when new). */
static int first4(Tally *t, Slot4 *s, int on, const Fields *f, uint32_t src, uint32_t dst, long long number,
                  const unsigned char *c, Py_ssize_t b, Py_ssize_t e) {
    uint32_t remote = s->rsrc ? src : dst, local = s->rsrc ? dst : src;
    PyObject *r = PyObject_CallFunction(t->on_first4, "iiNLNNNli", s->flowkey, s->vid,
                                        s->block ? PyUnicode_New(0, 0) : ipv4_text(remote, 1), number,
                                        line_of(c, b, e), ipv4_text(remote, 0), ipv4_text(local, 0),
                                        t->plans[on - 1].port, f->hook);
    if (r == NULL) return -1;
    long bucket = PyLong_AsLong(r);
    Py_DECREF(r);
    if (bucket == -1 && PyErr_Occurred()) return -1;
    s->bucket = (int32_t)bucket;
    s->has_bucket = 1;
    return 0;
}

/* Both addresses of a line with a port read as IPv4 (ln->v4). */
static void read_v4(const unsigned char *c, Line *ln) {
    ln->v4 = ipv4(c, ln->f.src.a, ln->f.src.b, &ln->src) && ipv4(c, ln->f.dst.a, ln->f.dst.b, &ln->dst);
}

/* The row's packet: its kind, and its slot (IPv4 classed in C: *s4, else *slot). -1 on error. */
static int packet_of(Tally *t, int on, const Line *ln, const unsigned char *c, size_t used, long long number,
                     int32_t rule, Slot4 **s4, Slot4 *one4, Slot **slot, Slot *one) {
    if (ln->v4 < 0) read_v4(c, ln);
    if (ln->v4) {
        *s4 = packet4_slot(t, on, &ln->f, rule, ln->src, ln->dst, one4);
        return *s4 == NULL ? -1 : (*s4)->kind;
    }
    *slot = packet_slot(t, c, ln->b, ln->e, &ln->f, used, number, one);
    return *slot == NULL ? -1 : (*slot)->kind;
}

/* add_rows for one row with a port: 0, or -1 with an exception. */
static int tally_row(Tally *t, const unsigned char *c, const Line *ln, long long number) {
    const Fields *f = &ln->f;
    Py_ssize_t b = ln->b, e = ln->e;
    size_t used;
    int on = port_on_flow(t, c, ln, &used);
    if (on <= 0) {
        if (on == 0) t->unrelated++;
        return on;
    }
    Slot4 one4, *s4 = NULL;
    Slot one, *slot = NULL;
    int32_t rule = rule_of(t, c, f);
    if (rule == -2) return -1;
    int kind = packet_of(t, on, ln, c, used, number, rule, &s4, &one4, &slot, &one);
    uint32_t src = ln->src, dst = ln->dst;
    if (kind < 0) return -1;
    if (kind == SLOT_UNRELATED) { t->unrelated++; return 0; }
    if (kind == SLOT_BAD) {
        PyObject *r = PyObject_CallFunction(t->on_bad, "LNi", number, line_of(c, b, e), slot->target);
        Py_XDECREF(r);
        return r == NULL ? -1 : 0;
    }
    Moment *m = moment_of(t, c, f);
    if (m == NULL) return -1;
    if (t->windowed) {
        if (m->state == TIME_OUTSIDE) { t->outside++; return 0; }
        if (m->state == TIME_UNDATED) t->undated++;
    }
    if (s4 != NULL && !s4->has_bucket && first4(t, s4, on, f, src, dst, number, c, b, e) < 0) return -1;
    if (s4 == NULL && !slot->has_bucket) { /* the packet's first drop in the window */
        PyObject *r = PyObject_CallFunction(t->on_first, "iLN", slot->target, number, line_of(c, b, e));
        if (r == NULL) return -1;
        Py_DECREF(r);
        slot->has_bucket = 1;
    }
    if (s4 != NULL && s4 != &one4) /* a stored IPv4 entry: summed there */
        return entry_row(t, (Entry4 *)((char *)s4 - offsetof(Entry4, slot)), rule, m);
    Sum *s = touch(t, s4 != NULL ? s4->bucket : slot->bucket);
    if (s == NULL || (rule >= 0 && count_rule(s, rule, 1) < 0)) return -1;
    s->count++;
    if (m->has) widen(&s->lo, &s->hi, &s->has_time, m->ordinal, m->ordinal);
    return 0;
}

/* The LF-ended line from `b` in [0, n), scanned one line ahead of the one being added: matched,
   its port looked up (not added) in the ports table, and for a port on a flow its addresses read
   and its IPv4 entry's slot prefetched (pipelining: that cache miss was most of feed's own time,
   benchmarks/drops.py). Nothing here changes the Tally. 0 when no line is left. */
static int scan_line(Tally *t, const unsigned char *c, Py_ssize_t b, Py_ssize_t n, Line *ln) {
    const unsigned char *nl = b < n ? memchr(c + b, '\n', (size_t)(n - b)) : NULL;
    if (nl == NULL) return 0;
    ln->b = b;
    ln->e = nl - c;
    ln->fits = match(c, b, ln->e, &ln->f);
    ln->on = -1;
    ln->v4 = -1;
    if (!ln->fits || ln->f.port.b == ln->f.port.a) return 1;
    const Fields *f = &ln->f;
    size_t np = (size_t)(f->proto.b - f->proto.a), nd = (size_t)(f->port.b - f->port.a);
    unsigned char key[32];
    if (t->ports.slots != NULL && np + nd + 1 <= sizeof(key) && t->ports.used < (size_t)t->small_limit) {
        memcpy(key, c + f->proto.a, np);
        key[np] = ' ';
        memcpy(key + np + 1, c + f->port.a, nd);
        Entry *port = table_find(&t->ports, key, np + 1 + nd, 0);
        ln->on = port->value;
        ln->gen = t->ports_gen;
    }
    if (ln->on == 0) return 1;
    read_v4(c, ln);
    if (ln->v4 && t->packets4.slots != NULL)
        __builtin_prefetch(&t->packets4.slots[home4((uint64_t)f->hook, (uint64_t)ln->src << 32 | ln->dst)
                                              & (t->packets4.cap - 1)]);
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
    long long records = 0;
    Line lines[2], *ln = &lines[0], *ahead = &lines[1];
    int more = scan_line(t, c, 0, view.len, ln);
    while (more) {
        /* the next line matched first: its IPv4 entry is fetched while this one is added */
        int next = scan_line(t, c, ln->e + 1, view.len, ahead);
        Py_ssize_t b = ln->b, e = ln->e;
        number++;
        if (ln->fits && ln->f.port.b > ln->f.port.a) {
            records++;
            if (tally_row(t, c, ln, number) < 0) goto fail;
        } else if (!ln->fits && only_other(c, b, e)) {
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
        Line *done = ln;
        ln = ahead;
        ahead = done;
        more = next;
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

/* close(): drop the callbacks. They are bound methods of the reader that holds the Tally: that
   cycle kept the aggregate alive until a full collection (run.py moves it to the oldest
   generation). feed() refuses afterwards. */
static PyObject *Tally_close(Tally *t, PyObject *unused) {
    Tally_clear(t);
    Py_RETURN_NONE;
}

static PyMethodDef Tally_methods[] = {
    {"feed", (PyCFunction)Tally_feed, METH_VARARGS, "add_rows over an ASCII block: (last line, records)."},
    {"flush", (PyCFunction)Tally_flush, METH_NOARGS, "The pending bucket sums; they restart."},
    {"take_counts", (PyCFunction)Tally_take_counts, METH_NOARGS, "(unrelated, outside, undated, other)."},
    {"close", (PyCFunction)Tally_close, METH_NOARGS, "Drop the callbacks (the reader is done)."},
    {"add_ranges", (PyCFunction)Tally_add_ranges, METH_VARARGS, "IPv4 intervals for the plans: their number."},
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
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) return NULL;
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
