/* Intern tables for _nfscan.c: byte strings -> small ints, open addressing, keys in one arena. */
#ifndef NFSCAN_TABLE_H
#define NFSCAN_TABLE_H
#if defined(__linux__)
#include <sys/mman.h>
#endif

enum { HUGE_BYTES = 2 << 20 };

/* Zeroed memory for n items; from 2 MiB on in transparent huge pages where Linux has them: the
   IPv4 packets and the bucket sums are read at random, once per log line, and their TLB misses
   were a large part of the scan (benchmarks/drops.py, see docs/drops.md). NULL on error. */
static void *big_calloc(size_t n, size_t item) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n * item >= HUGE_BYTES) {
        void *p = mmap(NULL, n * item, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return PyErr_NoMemory();
        madvise(p, n * item, MADV_HUGEPAGE);
        return p;
    }
#endif
    void *p = PyMem_Calloc(n, item);
    return p != NULL ? p : PyErr_NoMemory();
}

static void big_free(void *p, size_t n, size_t item) {
    if (p == NULL) return;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n * item >= HUGE_BYTES) {
        munmap(p, n * item);
        return;
    }
#endif
    PyMem_Free(p);
}

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

#endif
