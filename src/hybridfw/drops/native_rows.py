"""The netfilter fast path compiled: `Aggregator.add_rows` over whole blocks in C (`_nfscan`).

`_nfscan` is a C extension the optional compiled build (hatch_build.py) makes when a C compiler
is there. Its `Tally.feed` matches each line of an ASCII block against the fast pattern by hand
(`_nfscan.rows` is `netfilter._ROWS.findall`, group for group) and does what `add_rows` does
with each row, in line order; it calls back here only for what is new: a (protocol, port), a
packet (its Drop is made by `parse_line`, its target by `Aggregator.target`), a time text, a log
prefix, a packet's first drop in the window (`Aggregator.bucket_for`), and every line the fast
pattern does not fit (`parse_line`, `Aggregator.add`). Counts, rule counts and first/last times
stay in C until `flush`, which runs before any line that may add to a bucket the Python way.
Packets whose addresses are both IPv4 are classed in C (`native_plan.Plans` hands it the flows'
sets and classifiers): Python sees them only at their first drop in the window (`_first4`), and
BSD-syslog times are read in C too.

Without the extension (no compiler, HYBRIDFW_PURE=1) `available()` is False and run.py uses the
pure `add_rows`, which is the reference: tests/drops/test_drops_native.py compares both.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hybridfw.drops.aggregate import Aggregator, Bucket, Target
from hybridfw.drops.interface import Drop, ParseStats
from hybridfw.drops.native_plan import HOOKS, Plans, clock
from hybridfw.drops.times import TimeParser

try:
    from hybridfw.drops import _nfscan
except ImportError:  # not built, or HYBRIDFW_PURE=1: the pure add_rows reads the blocks
    _nfscan = None  # type: ignore[assignment]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_OK, _UNRELATED, _BAD = 0, 1, 2  # a packet's kind, as _nfscan.c's SLOT_*
_IN, _UNDATED, _OUTSIDE = 0, 1, 2  # a time's state, as _nfscan.c's TIME_*
# Tally's cache sizes (packet_limit, small_limit) when set: the tests make them tiny to run the
# paths where the caches fill; the results never depend on them.
LIMITS: dict[str, int] = {}


def available() -> bool:
    """True when the compiled scanner was built and may be used."""
    return _nfscan is not None


def usable(agg: Aggregator) -> bool:
    """Whether the compiled scanner can read into `agg`: built, and its times are TimeParser's
    (all UTC: C keeps them as microseconds since the epoch and makes the datetime back)."""
    return _nfscan is not None and type(agg.times) is TimeParser


class NativeRows:
    """One file's ASCII blocks through `_nfscan.Tally`, into `agg` (the result of `add_rows`)."""

    def __init__(self, agg: Aggregator, parse_line: Callable[[int, str, ParseStats], Drop | None],
                 file: str, stats: ParseStats) -> None:
        self.agg, self.parse_line, self.file, self.stats = agg, parse_line, file, stats
        self._targets: list[Target] = []
        self._reasons: list[str] = []
        self._index: dict[tuple[str, str, str], int] = {}  # bucket key -> bucket number
        self._buckets: list[Bucket | None] = []
        self._rules: list[str] = []
        self._rule_index: dict[str, int] = {}
        self.plans = Plans(agg)
        self.tally = _nfscan.Tally(agg.windowed, self._line, self.plans.plan, self._packet, self._time,
                                   self._prefix, self._bad, self._first, self._first4, clock(agg), **LIMITS)
        self.plans.add_ranges = self.tally.add_ranges

    def feed(self, block: bytes, number: int) -> tuple[int, int]:
        """add_rows over `block` from line `number` + 1: (last line, records)."""
        return self.tally.feed(block, number, self.flush)

    def flush(self) -> None:
        """Hand the counts kept in C to their buckets (before Python adds to a bucket itself)."""
        for index, count, first, last, rules in self.tally.flush():
            bucket = self._buckets[index]
            assert bucket is not None  # made at its first drop, before any count
            bucket.count += count
            for rule, n in rules:
                bucket.rules[self._rules[rule]] += n
            if first is not None and (bucket.first_seen is None or first < bucket.first_seen):
                bucket.first_seen = first
            if last is not None and (bucket.last_seen is None or last > bucket.last_seen):
                bucket.last_seen = last

    def finish(self) -> None:
        """Flush, and add the counters kept in C to the aggregator and the file's stats."""
        self.flush()
        unrelated, outside, undated, other = self.tally.take_counts()
        self.agg.unrelated += unrelated
        self.agg.outside_window += outside
        self.agg.undated += undated
        self.stats.other += other
        self.tally.close()  # its callbacks are our methods: no cycle left to keep `agg` alive

    def _line(self, number: int, line: bytes) -> int:
        drop = self.parse_line(number, line.decode("ascii"), self.stats)
        if drop is None:
            return 0
        self.agg.add(drop, self.stats, self.file)
        return 1

    def _packet(self, number: int, line: bytes) -> tuple[int, int, int]:
        drop = self.parse_line(number, line.decode("ascii"), self.stats)
        target = self.agg.target(drop) if drop is not None else None
        if target is None:
            return _UNRELATED, -1, -1
        if isinstance(target, str):
            self._reasons.append(target)
            return _BAD, len(self._reasons) - 1, -1
        bucket = self._index.get(target[0])
        if bucket is None:
            bucket = self._index[target[0]] = len(self._buckets)
            self._buckets.append(None)
        self._targets.append(target)
        return _OK, len(self._targets) - 1, bucket

    def _time(self, text: bytes) -> tuple[int, int, datetime | None]:
        moment = self.agg.times(text.decode("ascii"))
        if moment is None:
            return _UNDATED, 0, None
        since, until = self.agg.since, self.agg.until
        state = _OUTSIDE if (since and moment < since) or (until and moment > until) else _IN
        return state, (moment - _EPOCH) // _MICROSECOND, moment

    def _prefix(self, text: bytes) -> int:
        prefix = text.decode("ascii").strip()
        if not prefix:
            return -1
        found = self._rule_index.get(prefix)
        if found is None:
            found = self._rule_index[prefix] = len(self._rules)
            self._rules.append(prefix)
        return found

    def _bad(self, number: int, line: bytes, reason: int) -> None:
        self.stats.bad(number, line.decode("ascii"), self._reasons[reason])
        self.agg.unreadable += 1

    def _first(self, target: int, number: int, line: bytes) -> None:
        found = self._targets[target]
        self._buckets[self._index[found[0]]] = self.agg.bucket_for(found, self.file, number, line)

    def _first4(self, flow: int, verdict_id: int, block: str, number: int, line: bytes, remote: str,
                local: str, port: int, hook: int) -> int:
        """An IPv4 packet's first drop in the window (classed in C): its bucket's number, the bucket
        made or offered the address as `bucket_for` does. `block`: the /24 unless the verdict names one."""
        verdict = self.plans.verdict(verdict_id)
        key = (self.plans.flow_ids[flow], verdict.klass, verdict.block or block)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self._buckets)
            self._buckets.append(None)
        bucket = self._buckets[index]
        if bucket is None:
            target = (key, verdict, remote, local, port, HOOKS[hook])
            self._buckets[index] = self.agg.bucket_for(target, self.file, number, line)
        elif len(bucket.addresses) < 8:
            bucket.addresses.add(remote)
        return index
