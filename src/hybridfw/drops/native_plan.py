"""What the compiled scanner needs to class IPv4 packets itself (`_nfscan_v4.h`).

Per (protocol, port) on a required flow, a plan: the port, the classifier and bucket flow key for
drops tied to no flow, and the candidate flows in `Aggregator.target`'s order, each with the
address set it tests (inbound: its destinations, outbound: its sources) and its classifier. Sets
and classifiers go to C once, as sorted IPv4 intervals (`Tally.add_ranges`); a classifier's rows
carry their verdict's number here and its flags (not-microsoft, names its own block). Also the
clock C needs to read BSD-syslog times as `TimeParser` does. The Python `Aggregator.target` and
`TimeParser` stay the reference: tests/drops/test_drops_native.py compares both paths.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from hybridfw.addresses import AddressSet
from hybridfw.drops.aggregate import UNMATCHED, Aggregator
from hybridfw.drops.classify import NOT_MICROSOFT, Classifier, Verdict
from hybridfw.drops.times import TimeParser

# (port, no-flow classifier, no-flow key, ((direction 0 in / 1 out, set, classifier, key), ...))
Plan = tuple[int, int, int, tuple[tuple[int, int, int, int], ...]]
AddRanges = Callable[[int, bytes, bytes, bytes, bytes], int]
_NOT_MS, _BLOCK = 1, 2  # a verdict's flags, as _nfscan_v4.h's V_*
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_T = TypeVar("_T")
HOOKS = ("", "output", "input", "forward")  # by IN= set (2) | OUT= set (1), as netfilter._HOOKS


def clock(agg: Aggregator) -> tuple[int, int, int | None, int | None] | None:
    """(now's year, now + 1 day, since, until) in microseconds since the epoch for C's BSD times;
    None (Python reads every time) unless the times are a plain TimeParser and all are aware."""
    now = agg.times.now if type(agg.times) is TimeParser else None
    bounds = [agg.since, agg.until]
    if now is None or any(t is not None and t.utcoffset() is None for t in (now, *bounds)):
        return None
    since, until = ((t - _EPOCH) // _MICROSECOND if t is not None else None for t in bounds)
    return now.year, (now + timedelta(days=1) - _EPOCH) // _MICROSECOND, since, until


class Plans:
    """The plans of one Tally; `verdicts` and `flow_ids` name the numbers C hands back."""

    def __init__(self, agg: Aggregator) -> None:
        self.agg = agg
        self.add_ranges: AddRanges | None = None  # the Tally's, set once it exists
        self.verdicts: list[Verdict] = []
        self.flow_ids: list[str] = []
        self._verdict_ids: dict[Verdict, int] = {}
        self._flow_keys: dict[str, int] = {}
        self._ranges: dict[int, tuple[object, int]] = {}  # id(set or classifier) -> (it, number)

    def verdict(self, number: int) -> Verdict:
        return NOT_MICROSOFT if number < 0 else self.verdicts[number]

    def plan(self, proto: bytes, dport: bytes) -> Plan | None:
        """on_port: the plan of (protocol, port) as logged; None when no required flow has it."""
        protocol, port = proto.decode("ascii").lower(), int(dport)
        flows = self.agg.flows_on(protocol, port)
        if flows is None:
            return None
        candidates = []
        for flow in flows:  # Aggregator._flow's test: inbound destinations, outbound sources
            if flow.direction in ("inbound", "outbound"):
                inbound = flow.direction == "inbound"
                tested = flow.destinations if inbound else flow.sources
                candidates.append((0 if inbound else 1, self._set(tested),
                                   self._classifier(self.agg.classifier(flow, port)), self._key(flow.id)))
        nomatch = self._classifier(self.agg.classifier(None, port))
        return port, nomatch, self._key(f"{UNMATCHED} {protocol}/{port}"), tuple(candidates)

    def _key(self, flow_id: str) -> int:
        return _number(self._flow_keys, self.flow_ids, flow_id)

    def _set(self, ips: AddressSet) -> int:
        found = self._ranges.get(id(ips))
        if found is None:
            lo, hi = array("I", (r[0] for r in ips.v4)), array("I", (r[1] for r in ips.v4))
            found = self._ranges[id(ips)] = (ips, self._add(len(lo), lo, hi, b"", b""))
        return found[1]

    def _classifier(self, classifier: Classifier) -> int:
        found = self._ranges.get(id(classifier))
        if found is None:
            rows = classifier.rows(4)
            lo, hi = array("I", (r[0] for r in rows)), array("I", (r[1] for r in rows))
            vid = array("i", (_number(self._verdict_ids, self.verdicts, r[2]) for r in rows))
            flags = bytes((_NOT_MS if r[2].klass == "not-microsoft" else 0) | (_BLOCK if r[2].block else 0)
                          for r in rows)
            found = self._ranges[id(classifier)] = (classifier, self._add(len(lo), lo, hi, vid, flags))
        return found[1]

    def _add(self, n: int, lo: array[int], hi: array[int], vid: array[int] | bytes, flags: bytes) -> int:
        assert self.add_ranges is not None
        return self.add_ranges(n, lo.tobytes(), hi.tobytes(), bytes(vid), flags)


def _number(numbers: dict[_T, int], items: list[_T], item: _T) -> int:
    """`item`'s number in `items` (appended when new)."""
    found = numbers.get(item)
    if found is None:
        found = numbers[item] = len(items)
        items.append(item)
    return found
