/* The fast line pattern of netfilter.py (_COMMON_BYTES) matched by hand: included by _nfscan.c.
 *
 * Every part of the pattern has one way to match: each greedy run of a class is followed by a
 * character the class excludes (so backtracking into it cannot help), the optional bracket
 * either matches whole or the prefix could not end inside it, and the lazy prefix cannot pass
 * the first "=" of the line, so the " IN=" it stops at is the one ending there. One pass from
 * the left therefore finds the groups the regex engine's backtracking finds.
 */
#ifndef NFSCAN_MATCH_H
#define NFSCAN_MATCH_H

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
/* time, prefix, packet, protocol, port (a == b: no port); the packet's addresses and its hook
   (IN= not empty: 2, OUT= not empty: 1, as netfilter._HOOKS) */
typedef struct { Span time, prefix, packet, proto, port, src, dst; int hook; } Fields;

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
    f->hook = (i > q + 3) << 1;
    j = run(c, i + 5, e, C_NS);
    f->hook |= j > i + 5;
    i = j;
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
    f->src.a = i + 4; f->src.b = j;
    i = run(c, j + 5, e, C_HEX);
    if (i == j + 5 || i >= e || c[i] != ' ') return 0;
    f->dst.a = j + 5; f->dst.b = i;
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

#endif
