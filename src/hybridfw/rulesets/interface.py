"""The normalised firewall ruleset every parser produces and the audit evaluator consumes.

Model
-----
A `Ruleset` is a set of named `Chain`s plus `Entry` points. A chain is an ordered list of
`Rule`s; a rule is a `Match`, an `Action` (with a target chain for jump/goto) and an `Origin`
(file, line, raw text) used as evidence in findings.

* Entry points. An `Entry` is what one packet traverses for one kind of traffic, as an ordered
  tuple of *base chains* (stages). Each stage is evaluated first-match; ACCEPT (explicit, or the
  stage's ACCEPT policy) passes the packet on to the next stage, DROP/REJECT ends it. This is the
  netfilter model (raw → mangle → filter on one hook; several nft base chains on one hook in
  priority order) and also covers ACL platforms: one entry per ACL binding, one stage each.
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
  ``-i lo``, ``! --syn``) sets `Match.never` to a reason: the rule cannot match. A condition
  hybridfw cannot decide from addresses and ports alone (interfaces other than lo, zones, time,
  rate limits, marks, unknown modules, source ports) goes into `Match.undecidable`; the
  evaluator then reports the affected addresses as ``unknown`` (never silently allowed or
  denied), except for non-terminal rules (LOG, counters) where matching changes nothing.
* Parsers never crash on bad input: they raise `hybridfw.errors.InputError` naming path, line
  and field, or record what they skipped as `Finding`s in `Ruleset.findings`.

Registry
--------
Each concrete parser is a module in this package defining a `RulesetParser` subclass decorated
with `@register_parser`. `hybridfw.rulesets` discovers the modules (no list to edit) and offers
`parsers()`, `get_parser(name)`, `detect_format(text, path)` and `parse_files(paths, fmt)`.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from hybridfw.addresses import AddressSet
from hybridfw.model import Finding

PortInterval = tuple[int, int]  # inclusive
ChainFamily = Literal[4, 6] | None
ALL_PORTS: tuple[PortInterval, ...] = ((0, 65535),)


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

    @property
    def terminal(self) -> bool:
        return self in (Action.ACCEPT, Action.DROP, Action.REJECT)

    @property
    def denies(self) -> bool:
        return self in (Action.DROP, Action.REJECT)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rule (or policy) came from, for evidence: ``path:line: raw text``."""

    path: str
    line: int
    text: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"

    def describe(self) -> str:
        return f"{self}: {self.text.strip()}" if self.text else str(self)


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
    rules: tuple[Rule, ...]
    table: str = ""
    family: ChainFamily = None
    policy: Action | None = None  # ACCEPT or DROP for base chains, None for regular chains
    policy_origin: Origin | None = None

    @property
    def display(self) -> str:
        fam = "" if self.family is None else f"ipv{self.family} "
        return f"{fam}{self.table + ' ' if self.table else ''}{self.name}"


@dataclass(frozen=True)
class Entry:
    """Where packets of one kind enter evaluation: base chains evaluated in order."""

    name: str  # "input", "forward", "output", or an ACL binding
    stages: tuple[str, ...]  # chain keys, in evaluation order


@dataclass(frozen=True, slots=True)
class Ruleset:
    """One parsed ruleset (one or several files of one format)."""

    format: str  # parser name: "iptables", "nft", "list", ...
    platform: str  # render platform for "rules to add" (`hybridfw.render.platforms()`)
    paths: tuple[str, ...]
    chains: Mapping[str, Chain]
    entries: tuple[Entry, ...]
    findings: tuple[Finding, ...] = ()

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
        entries: dict[str, tuple[str, ...]] = {e.name: e.stages for e in self.entries}
        for e in other.entries:
            entries[e.name] = entries.get(e.name, ()) + e.stages
        return Ruleset(
            format=self.format if self.format == other.format else f"{self.format}+{other.format}",
            platform=self.platform,
            paths=self.paths + other.paths,
            chains=chains,
            entries=tuple(Entry(n, s) for n, s in entries.items()),
            findings=self.findings + other.findings,
        )


def chain_key(path: str, *parts: object) -> str:
    """A unique chain key: the file plus whatever makes the chain unique inside it."""
    return "/".join([path, *(str(p) for p in parts)])


class RulesetParser(ABC):
    """One concrete ruleset format."""

    name: ClassVar[str]  # the --format value: "iptables", "nft", "nft-json", "list", ...
    platform: ClassVar[str]  # the render platform for fixes
    description: ClassVar[str] = ""

    @abstractmethod
    def detect(self, text: str) -> float:
        """Confidence 0.0–1.0 that `text` is in this format. Must be cheap and never raise."""

    @abstractmethod
    def parse(self, text: str, path: str) -> Ruleset:
        """Parse `text` (read from `path`). Raises InputError naming path, line and field."""


_REGISTRY: dict[str, RulesetParser] = {}


def register_parser(cls: type[RulesetParser]) -> type[RulesetParser]:
    """Class decorator: make a parser available under its `name`."""
    _REGISTRY[cls.name] = cls()
    return cls


def registered() -> Mapping[str, RulesetParser]:
    return _REGISTRY



def merge_ports(intervals: list[PortInterval]) -> tuple[PortInterval, ...]:
    """Sort and merge port intervals (helpers for parsers)."""
    out: list[PortInterval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return tuple(out)


def complement_ports(intervals: tuple[PortInterval, ...]) -> tuple[PortInterval, ...]:
    """Every port 0–65535 not in `intervals` (how a parser folds ``! --dport``)."""
    out: list[PortInterval] = []
    nxt = 0
    for lo, hi in merge_ports(list(intervals)):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= 65535:
        out.append((nxt, 65535))
    return tuple(out)
