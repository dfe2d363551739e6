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

#include "_nfscan_match.h"
#include "_nfscan_table.h"

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
        PyObject *item = Py_BuildValue("(iLOON)", t->touched[k], (long long)s->count,
                                       s->first ? s->first : Py_None, s->last ? s->last : Py_None, rules);
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

/* Whether (protocol, port) is on a flow: 1, 0, -1 on error. Leaves "proto port " in t->key. */
static int port_on_flow(Tally *t, const unsigned char *c, const Fields *f, size_t *used) {
    size_t np = (size_t)(f->proto.b - f->proto.a), nd = (size_t)(f->port.b - f->port.a);
    size_t room = np + nd + 2 + (size_t)(f->packet.b - f->packet.a);
    if (grow((void **)&t->key, &t->key_room, room, 1) < 0) return -1;
    memcpy(t->key, c + f->proto.a, np);
    t->key[np] = ' ';
    memcpy(t->key + np + 1, c + f->port.a, nd);
    t->key[np + 1 + nd] = ' ';
    *used = np + 2 + nd;
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
static Moment *moment_of(Tally *t, const unsigned char *c, const Fields *f) {
    if (t->times.used >= (size_t)t->small_limit) clear_moments(t);
    Entry *te = table_find(&t->times, c + f->time.a, (size_t)(f->time.b - f->time.a), 1);
    if (te == NULL) return NULL;
    if (te->value < 0) {
        PyObject *r = PyObject_CallFunction(t->on_time, "y#", c + f->time.a, f->time.b - f->time.a);
        if (r == NULL) return NULL;
        int state;
        long long ordinal;
        PyObject *moment;
        if (!PyArg_ParseTuple(r, "iLO", &state, &ordinal, &moment)
            || grow((void **)&t->moments, &t->moments_room, t->nmoments + 1, sizeof(Moment)) < 0) {
            Py_DECREF(r);
            return NULL;
        }
        Moment *m = &t->moments[t->nmoments];
        m->state = (int8_t)state; m->ordinal = ordinal; m->moment = moment == Py_None ? NULL : moment;
        Py_XINCREF(m->moment);
        Py_DECREF(r);
        te->value = (int32_t)t->nmoments++;
    }
    return &t->moments[te->value];
}

/* The rule number of the row's log prefix (-1: none, -2: error), asking on_prefix when new. */
static int32_t rule_of(Tally *t, const unsigned char *c, const Fields *f) {
    if (f->prefix.b == f->prefix.a) return -1;
    if (t->prefixes.used >= (size_t)t->small_limit) { table_clear(&t->prefixes); t->nrules = 0; }
    Entry *pe = table_find(&t->prefixes, c + f->prefix.a, (size_t)(f->prefix.b - f->prefix.a), 1);
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
    return t->rules[pe->value];
}

/* One more drop with `rule` in the bucket; a rule new since the last flush goes last. */
static int count_rule(Sum *s, int32_t rule) {
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
    rc->count++;
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

/* add_rows for one row with a port: 0, or -1 with an exception. */
static int tally_row(Tally *t, const unsigned char *c, Py_ssize_t b, Py_ssize_t e, const Fields *f,
                     long long number) {
    size_t used;
    int on = port_on_flow(t, c, f, &used);
    if (on <= 0) {
        if (on == 0) t->unrelated++;
        return on;
    }
    Slot one, *slot = packet_slot(t, c, b, e, f, used, number, &one);
    if (slot == NULL) return -1;
    if (slot->kind == SLOT_UNRELATED) { t->unrelated++; return 0; }
    if (slot->kind == SLOT_BAD) {
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
    if (!slot->has_bucket) { /* the packet's first drop in the window */
        PyObject *r = PyObject_CallFunction(t->on_first, "iLN", slot->target, number, line_of(c, b, e));
        if (r == NULL) return -1;
        Py_DECREF(r);
        slot->has_bucket = 1;
    }
    Sum *s = touch(t, slot->bucket);
    int32_t rule = rule_of(t, c, f);
    if (s == NULL || rule == -2 || (rule >= 0 && count_rule(s, rule) < 0)) return -1;
    s->count++;
    if (m->moment != NULL) {
        if (s->first == NULL || m->ordinal < s->lo) {
            Py_INCREF(m->moment); Py_XSETREF(s->first, m->moment); s->lo = m->ordinal;
        }
        if (s->last == NULL || m->ordinal > s->hi) {
            Py_INCREF(m->moment); Py_XSETREF(s->last, m->moment); s->hi = m->ordinal;
        }
    }
    return 0;
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
