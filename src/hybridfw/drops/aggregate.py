"""Tie each drop to a required flow, class its Microsoft end, and aggregate.

Aggregates are keyed by flow × class × source block (the published CIDR the address lies in,
else its /24 or /48). Every lookup is cached per distinct text (addresses, flow matches, time
stamps): deny logs repeat the same few senders and servers millions of times.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hybridfw.drops.classify import Classifier, Verdict, block_of
from hybridfw.drops.interface import Drop, ParseStats, Row
from hybridfw.drops.times import TimeParser
from hybridfw.model import Flow

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNMATCHED = "(no flow)"
# bucket key, verdict, the Microsoft-end address, the on-premises address, destination port, hook
Target = tuple[tuple[str, str, str], Verdict, str, str, int, str]
_CACHE_LIMIT = 1_000_000  # distinct (protocol, port, source, destination) remembered
# distinct time texts remembered: sub-second log times are distinct on every line, so the cache
# starts afresh when full instead of growing with the file (results are the same either way)
TIME_CACHE_LIMIT = 65_536


def _rules() -> Counter[str]:
    """An empty Counter made without Counter.__init__, whose Python-level update() was most of the
    cost of a new bucket (benchmarks/drops.py makes 100k)."""
    return Counter.__new__(Counter)


@dataclass
class Bucket:
    """One flow × class × block aggregate."""

    flow: str
    verdict: Verdict
    source: str
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    rules: Counter[str] = field(default_factory=_rules)
    evidence: str = ""  # file:line: text of the first drop
    where: str = ""  # file:line of the first drop
    addresses: set[str] = field(default_factory=set)  # a few distinct senders, for the report
    # the first drop: Microsoft end, on-premises end, port, netfilter hook ("" = not logged)
    example: tuple[str, str, int, str] = ("", "", 0, "")
    firewall: str = ""  # with --firewall: what the audit's evaluation says about the example

    def seen(self, when: datetime) -> None:
        if self.first_seen is None or when < self.first_seen:
            self.first_seen = when
        if self.last_seen is None or when > self.last_seen:
            self.last_seen = when

    def to_dict(self) -> dict[str, object]:
        return {
            "flow": self.flow, "class": self.verdict.klass, "source": self.source, "count": self.count,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "rule": self.rules.most_common(1)[0][0] if self.rules else "",
            "rules": dict(self.rules.most_common(5)),
            "set_id": self.verdict.set_id, "set": self.verdict.set_name, "version": self.verdict.version,
            "addresses": sorted(self.addresses), "evidence": self.evidence,
            **({"firewall": self.firewall} if self.firewall else {}),
        }


class _Seen:
    """add_rows' record of one packet on a flow port: its target and, once made, its bucket."""

    __slots__ = ("bucket", "target")

    def __init__(self, target: Target) -> None:
        self.target = target
        self.bucket: Bucket | None = None


class Aggregator:
    """Consumes drops; `buckets` holds the aggregates, the counters what fell outside them."""

    def __init__(self, flows: Sequence[Flow], classifier_for: Callable[[Flow | None, int], Classifier],
                 *, since: datetime | None = None, until: datetime | None = None,
                 times: TimeParser | None = None) -> None:
        self.flows = list(flows)
        self._classifier_for = classifier_for
        self._classifiers: dict[str, Classifier] = {}
        self.since, self.until = since, until
        self.times = times or TimeParser()
        self.buckets: dict[tuple[str, str, str], Bucket] = {}
        self.unrelated = 0  # drops on no required flow's protocol and port
        self.outside_window = 0
        self.undated = 0
        self.unreadable = 0  # records whose addresses could not be read (counted as malformed)
        self._by_port: dict[tuple[str, int], list[Flow]] = {}
        for flow in self.flows:
            for port in flow.ports:
                self._by_port.setdefault((flow.protocol, port), []).append(flow)
        self._addresses: dict[str, Address | None] = {}
        self._texts: dict[str, str] = {}  # logged address text -> str(address)
        self._targets: dict[tuple[str, int, str, str, str], Target | str | None] = {}
        self.windowed = since is not None or until is not None
        self._verdicts: dict[tuple[str, str], tuple[Verdict, str]] = {}
        # add_rows' caches, per distinct bytes: protocol -> port -> the packets' targets (None: the
        # port is on no flow), times, prefixes
        self._row_ports: dict[bytes, dict[bytes, dict[bytes, _Seen | str | None] | None]] = {}
        self._row_cached = 0
        self._row_times: dict[bytes, datetime | None] = {}
        self._row_rules: dict[bytes, str] = {}

    def _address(self, text: str) -> Address | None:
        try:
            return self._addresses[text]
        except KeyError:
            try:
                found: Address | None = ipaddress.ip_address(text)
            except ValueError:
                found = None
            self._addresses[text] = found
            return found

    def _flow(self, drop: Drop, candidates: list[Flow], src: Address,
              dst: Address) -> tuple[Flow | None, bool]:
        """The flow the drop belongs to (None: none) and whether its Microsoft end is the source."""
        for flow in candidates:
            if flow.direction == "inbound" and flow.destinations.contains_address(int(dst), dst.version):
                return flow, True
            if flow.direction == "outbound" and flow.sources.contains_address(int(src), src.version):
                return flow, False
        return None, True

    def flows_on(self, proto: str, port: int) -> list[Flow] | None:
        """The required flows with this protocol and port, in the order `target` tries them."""
        return self._by_port.get((proto, port))

    def classifier(self, flow: Flow | None, port: int) -> Classifier:
        """The classifier of `flow`'s Microsoft end (None: of drops on `port` tied to no flow)."""
        flow_id = flow.id if flow else f"{UNMATCHED} {port}"
        classifier = self._classifiers.get(flow_id)
        if classifier is None:
            classifier = self._classifiers[flow_id] = self._classifier_for(flow, port)
        return classifier

    def _verdict(self, flow: Flow | None, port: int, remote: str, address: Address) -> tuple[Verdict, str]:
        key = (flow.id if flow else f"{UNMATCHED} {port}", remote)
        found = self._verdicts.get(key)
        if found is None:
            verdict = self.classifier(flow, port).verdict(address.version, int(address))
            found = self._verdicts[key] = (verdict, block_of(address, verdict))
        return found

    def target(self, drop: Drop) -> Target | str | None:
        """Where a drop counts: its bucket key and verdict; None = unrelated; text = why unreadable."""
        candidates = self._by_port.get((drop.proto, drop.dport))
        if candidates is None:
            return None
        src, dst = self._address(drop.src), self._address(drop.dst)
        if src is None or dst is None:
            return f"not an address: {drop.src if src is None else drop.dst}"
        flow, remote_is_source = self._flow(drop, candidates, src, dst)
        remote, address = (drop.src, src) if remote_is_source else (drop.dst, dst)
        local = drop.dst if remote_is_source else drop.src
        verdict, block = self._verdict(flow, drop.dport, remote, address)
        if flow is None and verdict.klass == "not-microsoft":
            return None
        flow_id = flow.id if flow else f"{UNMATCHED} {drop.proto}/{drop.dport}"
        texts = self._texts
        return ((flow_id, verdict.klass, block), verdict, texts.get(remote) or self._text(remote),
                texts.get(local) or self._text(local), drop.dport, drop.hook)

    def _text(self, logged: str) -> str:
        """The address `logged` (already read by `_address`) as ipaddress writes it, cached."""
        text = self._texts[logged] = str(self._addresses[logged])
        return text

    def add(self, drop: Drop, stats: ParseStats, file: str) -> None:
        key = (drop.proto, drop.dport, drop.src, drop.dst, drop.hook)
        try:
            target = self._targets[key]
        except KeyError:
            target = self.target(drop)
            if len(self._targets) < _CACHE_LIMIT:
                self._targets[key] = target
        if target is None:
            self.unrelated += 1
            return
        if isinstance(target, str):
            stats.bad(drop.line, drop.text, target)
            self.unreadable += 1
            return
        when = self.times(drop.when) if drop.when else None
        if self.windowed and not self._in_window(when):
            return
        bucket = self.bucket_for(target, file, drop.line, drop.text)
        bucket.count += 1
        if drop.rule:
            bucket.rules[drop.rule] += 1
        if when is not None:
            bucket.seen(when)

    def bucket_for(self, target: Target, file: str, line: int, text: str | bytes) -> Bucket:
        """The target's bucket (made at its first drop) with the target's address offered to it."""
        bucket_key, verdict, address, local, port, hook = target
        bucket = self.buckets.get(bucket_key)
        if bucket is None:
            where = f"{file}:{line}"
            text = text if isinstance(text, str) else text.decode("ascii")
            bucket = self.buckets[bucket_key] = Bucket(bucket_key[0], verdict, bucket_key[2], where=where,
                                                       evidence=f"{where}: {text[:300]}",
                                                       example=(address, local, port, hook))
        if len(bucket.addresses) < 8:
            bucket.addresses.add(address)
        return bucket

    def on_flow_port(self, proto: bytes, dport: bytes) -> bool:
        """Whether a required flow has this (protocol, port) as logged."""
        return (proto.decode("ascii").lower(), int(dport)) in self._by_port

    def _packets(self, proto: bytes, dport: bytes) -> dict[bytes, _Seen | str | None] | None:
        """The cache of packets on (`proto`, `dport`); None when no flow has that port."""
        on_flow = self.on_flow_port(proto, dport)
        found = self._row_ports.setdefault(proto, {})[dport] = {} if on_flow else None
        return found

    def add_rows(self, rows: list[Row], number: int, file: str, stats: ParseStats,
                 parse_line: Callable[[int, str, ParseStats], Drop | None]) -> tuple[int, int]:
        """`add` for a block's rows (`BlockParser.scan`) from line `number` + 1: (last line, records).

        The result is add()'s on every line's drop. Rows the fast pattern did not fit, or without
        a port, go through `parse_line`; the others make no Drop: their (protocol, port), packet,
        time and prefix lookups are cached per distinct bytes.
        """
        records = 0
        ports, times, rules = self._row_ports, self._row_times, self._row_rules
        for row in rows:
            number += 1
            line, when, rule, packet, proto, dport, other = row
            if not dport:
                drop = parse_line(number, (line or other).decode("ascii"), stats)
                if drop is not None:
                    records += 1
                    self.add(drop, stats, file)
                continue
            records += 1
            try:
                packets = ports[proto][dport]
            except KeyError:
                packets = self._packets(proto, dport)
            if packets is None:
                self.unrelated += 1
                continue
            try:
                seen = packets[packet]
            except KeyError:
                drop = parse_line(number, line.decode("ascii"), stats)
                target = self.target(drop) if drop is not None else None
                seen = _Seen(target) if isinstance(target, tuple) else target
                if self._row_cached < _CACHE_LIMIT:
                    packets[packet] = seen
                    self._row_cached += 1
            if seen is None:
                self.unrelated += 1
                continue
            if isinstance(seen, str):
                stats.bad(number, line.decode("ascii"), seen)
                self.unreadable += 1
                continue
            try:
                moment = times[when]
            except KeyError:
                if len(times) >= TIME_CACHE_LIMIT:
                    times.clear()
                moment = times[when] = self.times(when.decode("ascii"))
            if self.windowed and not self._in_window(moment):
                continue
            bucket = seen.bucket
            if bucket is None:  # a packet's first drop in the window; later ones add no address
                bucket = seen.bucket = self.bucket_for(seen.target, file, number, line)
            # add()'s tally inlined, bucket kept per packet: benchmarks/drops.py, 2M lines, 3 runs:
            # 15.8-18.1 -> 14.7-16.2 CPU s (min -7 %)
            bucket.count += 1
            if rule:
                try:
                    prefix = rules[rule]
                except KeyError:
                    prefix = rules[rule] = rule.decode("ascii").strip()
                if prefix:
                    bucket.rules[prefix] += 1
            if moment is not None:
                if bucket.first_seen is None or moment < bucket.first_seen:
                    bucket.first_seen = moment
                if bucket.last_seen is None or moment > bucket.last_seen:
                    bucket.last_seen = moment
        return number, records

    def _in_window(self, when: datetime | None) -> bool:
        if when is None:
            self.undated += 1  # cannot be placed: kept, and the report says how many
            return True
        if (self.since and when < self.since) or (self.until and when > self.until):
            self.outside_window += 1
            return False
        return True
