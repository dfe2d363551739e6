/* IPv4 packets classed in C and BSD-syslog times read in C, for _nfscan.c's Tally.
 *
 * What Aggregator.target does for a packet, for the case where both addresses are IPv4 as
 * `ipaddress` reads them (4 decimal octets, no leading zero, each <= 255): the flow (the
 * first candidate of the port whose address set holds the packet's destination, inbound, or
 * its source, outbound), the Microsoft end's verdict (the flow's Classifier: the last row
 * whose start <= the address, if the address <= its end; bisect as in Python) and its block
 * (the verdict's CIDR, else the /24). The sets and classifier rows come from Python
 * (Tally.add_ranges, drops/native_plan.py); anything else (IPv6, unreadable addresses) goes
 * the Python way. `bsd_time` is TimeParser for `Mmm dd hh:mm:ss`, valid dates only; every
 * other text, and Feb 29 (TimeParser's year rollback may raise there), goes to Python.
 * tests/drops/test_drops_native.py proves both equal to the Python reference.
 */
#ifndef NFSCAN_V4_H
#define NFSCAN_V4_H

enum { V_NOT_MS = 1, V_BLOCK = 2 }; /* a verdict's flags: not-microsoft, names its own block */

/* Sorted intervals [lo, hi]: an AddressSet's IPv4 part, or a Classifier's IPv4 rows with each
   row's verdict number and flags (vid == NULL for a set). */
typedef struct { uint32_t *lo, *hi; int32_t *vid; uint8_t *flags; Py_ssize_t n; } Ranges;

/* A required flow that has the port: inbound (dir 0: its destinations hold the packet's DST)
   or outbound (dir 1: its sources hold the SRC); its set and classifier (Ranges numbers). */
typedef struct { int32_t dir, set, cls, flowkey; } Cand;
/* One (protocol, port) on a flow: its port number, the classifier and key for "no flow", and
   the candidate flows in Aggregator._by_port's order. */
typedef struct { long port; int32_t nomatch_cls, nomatch_key, ncands; Cand *cands; } Plan;

/* An IPv4 packet's target: kind (SLOT_*), whether its first drop in the window was seen, whether
   the Microsoft end is the source, whether the verdict names its block; flow key, verdict, bucket. */
typedef struct { int8_t kind, has_bucket, rsrc, block; int32_t flowkey, vid, bucket; } Slot4;
/* k1: 1 << 63 | (rule + 1) << 32 | plan << 2 | hook; k2: src << 32 | dst (k1 == 0: free). The
   rows of a packet with one log prefix since the last flush are summed here (count, earliest and
   latest time), beside the key the row looked up, and added to the bucket's sum later: one cache
   miss per row instead of two (benchmarks/drops.py, docs/drops.md). 64 bytes: one cache line. */
typedef struct {
    uint64_t k1, k2;
    Slot4 slot;
    int64_t lo, hi;
    uint32_t count;
    int8_t touched, has_time; /* touched: listed in Tally.pending, its rule placed in the bucket */
    char pad[10];
} Entry4;
typedef struct { Entry4 *slots; size_t cap, used; } Table4;

/* The last row with lo <= v (bisect_right(lo, v) - 1) if v <= its hi, else -1. */
static Py_ssize_t ranges_at(const Ranges *r, uint32_t v) {
    Py_ssize_t a = 0, b = r->n;
    while (a < b) {
        Py_ssize_t m = a + (b - a) / 2;
        if (r->lo[m] <= v) a = m + 1; else b = m;
    }
    a--;
    return a >= 0 && v <= r->hi[a] ? a : -1;
}

static void ranges_free(Ranges *r) {
    PyMem_Free(r->lo); PyMem_Free(r->hi); PyMem_Free(r->vid); PyMem_Free(r->flags);
    memset(r, 0, sizeof(*r));
}

/* ipaddress.IPv4Address's reading of [a, b): 4 dot-separated decimal octets of 1-3 digits,
   no leading zero, each <= 255. 1 and *out set, or 0. */
static int ipv4(const unsigned char *c, Py_ssize_t a, Py_ssize_t b, uint32_t *out) {
    uint32_t v = 0;
    for (int part = 0; part < 4; part++) {
        Py_ssize_t s = a;
        unsigned x = 0;
        while (a < b && a - s < 4 && c[a] >= '0' && c[a] <= '9') x = x * 10 + (unsigned)(c[a++] - '0');
        if (a == s || a - s > 3 || (a - s > 1 && c[s] == '0') || x > 255) return 0;
        v = v << 8 | x;
        if (part < 3) {
            if (a >= b || c[a] != '.') return 0;
            a++;
        }
    }
    if (a != b) return 0;
    *out = v;
    return 1;
}

/* An entry's hash: its addresses and hook only (k2, k1's low bits), not its plan or rule, so the
   scan can prefetch its slot before the line's port and prefix are looked up (_nfscan.c
   scan_line); the few entries of one address pair (a port on a flow, a log prefix) sit together. */
static uint64_t home4(uint64_t hook, uint64_t k2) {
    uint64_t h = k2 ^ hook << 62;
    h = (h ^ (h >> 33)) * 0xff51afd7ed558ccdull;
    h = (h ^ (h >> 33)) * 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

static uint64_t hash4(uint64_t k1, uint64_t k2) {
    return home4(k1 & 3, k2);
}

/* The entry of (k1, k2): found, or a free one with k1 == 0 (stored by the caller when
   `insert`, else a scratch entry). NULL on memory error. */
static Entry4 *table4_find(Table4 *t, uint64_t k1, uint64_t k2, int insert) {
    static Entry4 scratch;
    if (t->slots == NULL || (insert && (t->used + 1) * 2 > t->cap)) { /* grow: rehash */
        size_t cap = t->cap ? t->cap * 2 : 4096;
        Entry4 *slots = big_calloc(cap, sizeof(Entry4));
        if (slots == NULL) return NULL;
        for (size_t k = 0; k < t->cap; k++) {
            if (!t->slots[k].k1) continue;
            size_t to = (size_t)hash4(t->slots[k].k1, t->slots[k].k2) & (cap - 1);
            while (slots[to].k1) to = (to + 1) & (cap - 1);
            slots[to] = t->slots[k];
        }
        big_free(t->slots, t->cap, sizeof(Entry4));
        t->slots = slots;
        t->cap = cap;
    }
    size_t mask = t->cap - 1, at = (size_t)hash4(k1, k2) & mask;
    while (t->slots[at].k1) {
        if (t->slots[at].k1 == k1 && t->slots[at].k2 == k2) return &t->slots[at];
        at = (at + 1) & mask;
    }
    if (!insert) {
        memset(&scratch, 0, sizeof(scratch));
        return &scratch;
    }
    t->used++;
    return &t->slots[at];
}

static void table4_free(Table4 *t) {
    big_free(t->slots, t->cap, sizeof(Entry4));
    memset(t, 0, sizeof(*t));
}

/* The text of an IPv4 address (ipaddress's str), or with `block` its /24 ("a.b.c.0/24"). */
static PyObject *ipv4_text(uint32_t v, int block) {
    /* written by hand: snprintf took ~1,700 instructions a call, 3 calls per new packet */
    char buf[24], *o = buf;
    for (int part = 3; part >= 0; part--) {
        unsigned x = block && part == 0 ? 0 : v >> (8 * part) & 255;
        if (x >= 100) *o++ = (char)('0' + x / 100);
        if (x >= 10) *o++ = (char)('0' + x / 10 % 10);
        *o++ = (char)('0' + x % 10);
        if (part > 0) *o++ = '.';
    }
    if (block) memcpy(o, "/24", 3), o += 3;
    return PyUnicode_FromStringAndSize(buf, o - buf);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* TimeParser on a BSD-syslog time `Mmm dd hh:mm:ss` (the fast pattern's 15 characters) with
   the year `year` (TimeParser.now's), one year back when later than `limit` (now + 1 day, in
   microseconds since the epoch, UTC): 1 with the date, 0 when Python must decide. */
static int bsd_time(const unsigned char *s, Py_ssize_t n, int year, int64_t limit, int64_t *ordinal) {
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (n != 15 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':') return 0;
    int month = 0;
    for (int k = 0; k < 12; k++)
        if (memcmp(s, months + 3 * k, 3) == 0) month = k + 1;
    if (month == 0) return 0;
    for (int k = 5; k < 15; k++)
        if ((k == 6 || k == 9 || k == 12) ? 0 : (s[k] < '0' || s[k] > '9')) return 0;
    if (s[4] != ' ' && (s[4] < '0' || s[4] > '9')) return 0;
    int day = (s[4] == ' ' ? 0 : s[4] - '0') * 10 + s[5] - '0';
    int h = (s[7] - '0') * 10 + s[8] - '0', mi = (s[10] - '0') * 10 + s[11] - '0';
    int sec = (s[13] - '0') * 10 + s[14] - '0';
    if (day < 1 || day > days_in_month(year, month) || h > 23 || mi > 59 || sec > 59) return 0;
    if (month == 2 && day == 29) return 0;
    int64_t seconds = days_from_civil(year, month, day) * 86400 + h * 3600 + mi * 60 + sec;
    if (seconds * 1000000 > limit) {
        year--;
        seconds = days_from_civil(year, month, day) * 86400 + h * 3600 + mi * 60 + sec;
    }
    *ordinal = seconds * 1000000;
    return 1;
}

/* The date of `z` days from 1970-01-01 (proleptic Gregorian). */
static void civil_from_days(int64_t z, int *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

#endif
