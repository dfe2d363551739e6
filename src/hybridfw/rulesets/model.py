"""The normalised firewall ruleset every parser produces and the audit evaluator consumes.

A `Ruleset` is a set of named `Chain`s plus `Entry` points. A chain is an ordered list of
`Rule`s; a rule is a `Match`, an `Action` (with a target chain for jump/goto) and an `Origin`
(file, line, raw text) used as evidence in findings.

* Entry points. An `Entry` is what one packet traverses for one kind of traffic, as an ordered
  tuple of *base chains* (stages). Each stage is evaluated first-match; ACCEPT (explicit, or the
  stage's ACCEPT policy) passes the packet on to the next stage, DROP/REJECT ends it. This is the
  netfilter model (raw → mangle → filter on one hook; several nft base chains on one hook in
  priority order) and also covers ACL platforms: one entry per ACL binding, one stage each.
  A nat stage (`Chain.nat`, only on ``forward``: the nat PREROUTING chain / nft ``type nat
  hook prerouting`` chains, in hook order) translates instead: a DNAT rule sends the packet
  on to the later stages with its new destination (address and port).
  Entry names used by the netfilter parsers: ``input`` (traffic to the firewall host itself),
  ``forward`` (traffic routed through it), ``output`` (traffic the host sends). ACL parsers name
  entries after the binding (``outside in``, a zone pair, an interface). The evaluator decides
  which entries a flow is audited against (see `hybridfw.audit`).
* Chains are keyed by a parser-chosen unique key (`chain_key()`); jump/goto targets hold keys.
  `Chain.family` is 4, 6 or None (both): stages and chains of the other family are skipped.
  A non-base chain (policy None) that runs off its end returns to its caller, like RETURN.
* Match conditions are *sets*: `sources`/`destinations` are AddressSets with any negation
  already folded in by the parser (``! -s 10.0.0.0/8`` → everything else of that family);
  `protocols` with `protocol_negated`; destination ports as inclusive intervals (negation
  folded), None meaning any port.
* The audited packet is the first packet of a new TCP connection (a SYN with state NEW) arriving
  from a remote host. A condition that can never hold for it (``--state ESTABLISHED,RELATED``,
  ``-i lo``, ``! --syn``) sets `Match.never` to a reason: the rule cannot match. Interface
  conditions (other than lo) are `Match.interfaces` (`InterfaceMatch`), decided when the audit
  knows the interface names. A condition hybridfw cannot decide from addresses and ports
  (zones, time, rate limits, marks, unknown modules, source ports) goes into
  `Match.undecidable`; the evaluator then reports the affected addresses as ``unknown`` (never
  silently allowed or denied), except for non-terminal rules (LOG, counters) where matching
  changes nothing; so does an interface condition whose name the audit was not given.
"""

from __future__ import annotations

import enum
import zlib
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from hybridfw.addresses import AddressSet
from hybridfw.model import Finding
from hybridfw.rulesets.ports import PortInterval

ChainFamily = Literal[4, 6] | None


class Action(enum.Enum):
    """What a rule does with a matching packet."""

    ACCEPT = "accept"
    DROP = "drop"
    REJECT = "reject"
    JUMP = "jump"  # call a chain; RETURN or its end comes back here
    GOTO = "goto"  # continue in a chain; its RETURN/end returns to *our* caller
    RETURN = "return"
    CONTINUE = "continue"  # non-terminal: log, counter, mark ... evaluation goes on
    UNKNOWN = "unknown"  # a verdict hybridfw cannot interpret (e.g. a queue to userspace)
    # Destination NAT (a nat chain's DNAT / nft ``dnat to``): the rule's `target` is the new
    # destination as written ("10.0.0.5", "10.0.0.5:2525", "[2001:db8::5]:25"; "" when the
    # parser could not read it). Outside a nat chain the evaluator treats it as UNKNOWN.
    DNAT = "dnat"

    @property
    def terminal(self) -> bool:
        return self in (Action.ACCEPT, Action.DROP, Action.REJECT)

    @property
    def denies(self) -> bool:
        return self in (Action.DROP, Action.REJECT)


class LineSource:
    """A ruleset file's lines, from which evidence text is cut when a finding needs it: a
    parser of a big file gives its `Origin`s this instead of one string per rule (100k rules:
    ~1 MiB compressed instead of ~14 MiB).

    The parser either holds the file's whole text (`hold`: a file of at most `HOLD_MAX`
    characters, lines numbered from 1) or adds it compressed block by block (`add`), each block
    a run of whole lines starting at a known line number; `line(n)` cuts (or decompresses) one
    block (the last one is kept).
    """

    __slots__ = ("_blocks", "_cached", "_firsts", "_starts", "_text")

    def __init__(self) -> None:
        self._firsts: list[int] = []
        self._blocks: list[bytes] = []
        self._cached: tuple[int, list[str]] = (-1, [])
        self._text = ""  # the held text (`hold`), else ""
        self._starts: list[int] = []  # with a held text: where each block of `_firsts` starts

    def hold(self, text: str) -> None:
        """Keep `text`, the whole file, as it is (no copy): its blocks are found when a line is
        first asked for."""
        self._text = text

    def add(self, first_line: int, lines: str) -> None:
        """`lines`: the text of lines first_line, first_line + 1, ... separated by "\\n"."""
        self._firsts.append(first_line)
        self._blocks.append(zlib.compress(lines.encode("utf-8", "surrogatepass"), 1))

    def line(self, number: int) -> str:
        text = self._text
        if text and not self._starts:
            self._index(text)
        index = bisect_right(self._firsts, number) - 1
        if index < 0:
            return ""
        if self._cached[0] != index:
            if text:
                starts = self._starts
                end = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
                block = text[starts[index]:end]
            else:
                block = zlib.decompress(self._blocks[index]).decode("utf-8", "surrogatepass")
            self._cached = (index, block.split("\n"))
        lines = self._cached[1]
        offset = number - self._firsts[index]
        return lines[offset].rstrip("\r") if offset < len(lines) else ""

    def _index(self, text: str) -> None:
        """The held text's blocks: runs of whole lines of about 64 KiB, as `add` gets them."""
        number, start, size = 1, 0, len(text)
        while start < size:
            self._firsts.append(number)
            self._starts.append(start)
            end = text.find("\n", start + _BLOCK)
            end = size if end < 0 else end
            number += text.count("\n", start, end) + 1
            start = end + 1


_BLOCK = 1 << 16
# A file up to this size is held as it is: not compressing its 6.5 MiB saves ~30 ms of the
# parse (benchmarks/audit.py --all-relevant), for a few MiB more held.
HOLD_MAX = 16 << 20


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rule (or policy) came from, for evidence: ``path:line: raw text``. The raw text is
    `text`, or else cut from `source` when asked for."""

    path: str
    line: int
    text: str = ""
    source: LineSource | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def raw(self) -> str:
        if self.text or self.source is None:
            return self.text
        return self.source.line(self.line)

    def describe(self) -> str:
        raw = self.raw.strip()
        return f"{self}: {raw}" if raw else str(self)


@dataclass(frozen=True, slots=True)
class InterfaceMatch:
    """A condition on the interface a packet arrives on (``in``: ``-i``, ``iifname``) or leaves
    by (``out``: ``-o``, ``oifname``). It holds when the name is one of `names` (a trailing
    ``*`` matches any name starting with what precedes it), or is none of them if `negated`.
    Loopback never appears here: a parser decides ``lo`` itself (remote traffic never uses it).
    The audit decides the condition when it is told the outside/inside interface names
    (`hybridfw audit --outside-interface`); otherwise it is undecidable."""

    way: Literal["in", "out"]
    names: tuple[str, ...]
    negated: bool
    text: str  # as written, for findings: "-i eth0", 'iifname != { "eth1", "eth2" }'

    def holds(self, name: str) -> bool:
        for pattern in self.names:
            if name == pattern or (pattern[-1:] == "*" and name.startswith(pattern[:-1])):
                return not self.negated
        return self.negated


@dataclass(frozen=True, slots=True)
class Match:
    """The conditions of one rule, as sets. The defaults match every packet."""

    sources: AddressSet = field(default_factory=lambda: AddressSet.any())
    destinations: AddressSet = field(default_factory=lambda: AddressSet.any())
    protocols: frozenset[str] | None = None  # lower-case names ("tcp"); None = any protocol
    protocol_negated: bool = False  # True: matches every protocol *not* in `protocols`
    dst_ports: tuple[PortInterval, ...] | None = None  # None = any (or no) port
    never: str = ""  # non-empty: why this cannot match a new inbound TCP SYN
    undecidable: tuple[str, ...] = ()  # conditions hybridfw cannot evaluate, as written
    interfaces: tuple[InterfaceMatch, ...] = ()  # decided when the audit knows the names

    def matches_protocol(self, protocol: str) -> bool:
        if self.protocols is None:
            return True
        return (protocol in self.protocols) != self.protocol_negated

    def matches_port(self, port: int) -> bool:
        ports = self.dst_ports
        if ports is None:
            return True
        for lo, hi in ports:  # noqa: SIM110 (any(genexpr) is slower; called per rule and probe)
            if lo <= port <= hi:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Rule:
    match: Match
    action: Action
    origin: Origin
    target: str = ""  # chain key for JUMP/GOTO
    label: str = ""  # the platform's own word for the verdict, e.g. "LOG", "MASQUERADE"


@dataclass(frozen=True)
class Chain:
    """An ordered list of rules. Base chains (stages of an Entry) have a policy."""

    key: str  # unique within the Ruleset
    name: str  # as the platform calls it: "INPUT", "input", an ACL name
    rules: Sequence[Rule]  # a tuple, or LazyRules
    table: str = ""
    family: ChainFamily = None
    policy: Action | None = None  # ACCEPT or DROP for base chains, None for regular chains
    policy_origin: Origin | None = None
    # A nat chain (iptables nat table, nft ``type nat``): on an entry it translates instead of
    # filtering. DNAT rules send the packet on with the new destination; ACCEPT, RETURN from it
    # or its end send it on untranslated.
    nat: bool = False

    @property
    def display(self) -> str:
        fam = "" if self.family is None else f"ipv{self.family} "
        return f"{fam}{self.table + ' ' if self.table else ''}{self.name}"


@dataclass(frozen=True)
class Entry:
    """Where packets of one kind enter evaluation: base chains evaluated in order."""

    name: str  # "input", "forward", "output", or an ACL binding
    stages: tuple[str, ...]  # chain keys, in evaluation order
    # For an ACL bound to an interface: which one ("*": every interface without its own
    # binding, e.g. an ASA global ACL) and which way ("in": traffic arriving on it, "out":
    # traffic leaving by it). The audit chains an "in" and an "out" binding of two different
    # interfaces into one path. Empty: the entry is a path of its own.
    interface: str = ""
    way: Literal["in", "out", ""] = ""


@dataclass(frozen=True, slots=True)
class Ruleset:
    """One parsed ruleset (one or several files of one format)."""

    format: str  # parser name: "iptables", "nft", "list", ...
    platform: str  # render platform for "rules to add" (`hybridfw.render.platforms()`)
    paths: tuple[str, ...]
    chains: Mapping[str, Chain]
    entries: tuple[Entry, ...]
    findings: tuple[Finding, ...] = ()
    omitted: int = 0  # rules a parser left out because they match nothing in the audit's Scope

    def chain(self, key: str) -> Chain | None:
        return self.chains.get(key)

    def merged(self, other: Ruleset) -> Ruleset:
        """Both rulesets as one view (e.g. iptables-save + ip6tables-save).

        Entries with the same name are concatenated stage-wise; stages of the wrong address
        family are skipped by the evaluator, so a v4 and a v6 file combine naturally. Chain keys
        must be unique across the two (parsers put the path into the key, see `chain_key`).
        """
        chains = dict(self.chains)
        chains.update(other.chains)
        entries: dict[str, Entry] = {e.name: e for e in self.entries}
        for e in other.entries:
            had = entries.get(e.name)
            entries[e.name] = e if had is None else Entry(e.name, had.stages + e.stages,
                                                          had.interface, had.way)
        return Ruleset(
            format=self.format if self.format == other.format else f"{self.format}+{other.format}",
            platform=self.platform,
            paths=self.paths + other.paths,
            chains=chains,
            entries=tuple(entries.values()),
            findings=self.findings + other.findings,
            omitted=self.omitted + other.omitted,
        )


def chain_key(path: str, *parts: object) -> str:
    """A unique chain key: the file plus whatever makes the chain unique inside it."""
    return "/".join([path, *(str(p) for p in parts)])
