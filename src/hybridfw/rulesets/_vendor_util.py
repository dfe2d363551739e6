"""Helpers shared by the vendor parsers (Cisco ASA, PAN-OS XML and set commands, pfSense).

Vendor rules name objects that hybridfw can only partly resolve: an FQDN object, a dynamic
address group, an external list, an application that is not identified by port. Such a part is
kept as a `Fuzzy` address set: the addresses the rule surely matches (`sure`) and those it might
match (`maybe`). `expand_rule` then turns one vendor rule into at most two normalised rules per
service: the sure part (decided) followed by the sure+maybe part marked undecidable. First match
makes this exact: whatever the sure rule did not take but the maybe part could match becomes an
explicit unknown, never a silent allow or deny.

`parse_xml` reads XML with expat into a small tree that keeps line numbers (for evidence) and
refuses DTDs, so entity-expansion bombs cannot get in.
"""

from __future__ import annotations

import functools
import logging
import re
import time
import xml.parsers.expat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding, Severity
from hybridfw.rulesets.lazy import gc_paused
from hybridfw.rulesets.model import Action, Match, Origin, Rule, Ruleset
from hybridfw.rulesets.ports import PortInterval, complement_ports

log = logging.getLogger(__name__)
MAX_NESTING = 32  # object groups nested deeper than this are treated as a loop


@dataclass(frozen=True)
class Fuzzy:
    """An address set known only up to `maybe`: sure ⊆ matched ⊆ sure ∪ maybe."""

    sure: AddressSet
    maybe: AddressSet = field(default_factory=AddressSet.empty)
    reasons: tuple[str, ...] = ()

    @staticmethod
    def exact(addresses: AddressSet) -> Fuzzy:
        return Fuzzy(addresses)

    @staticmethod
    def unknown(reason: str, universe: AddressSet | None = None) -> Fuzzy:
        return Fuzzy(AddressSet.empty(), AddressSet.any() if universe is None else universe, (reason,))

    def __or__(self, other: Fuzzy) -> Fuzzy:
        sure = self.sure | other.sure
        reasons = tuple(dict.fromkeys(self.reasons + other.reasons))
        return Fuzzy(sure, (self.maybe | other.maybe) - sure, reasons)

    def negated(self) -> Fuzzy:
        """Everything this does not match: the maybe part stays maybe."""
        return Fuzzy(AddressSet.any() - self.sure - self.maybe, self.maybe, self.reasons)

    def restricted(self, universe: AddressSet) -> Fuzzy:
        return Fuzzy(self.sure & universe, self.maybe & universe, self.reasons)

    @staticmethod
    def union(parts: Sequence[Fuzzy]) -> Fuzzy:
        out = Fuzzy(AddressSet.empty())
        for part in parts:
            out = out | part
        return out


@dataclass(frozen=True)
class Service:
    """One protocol/port combination a rule matches; `reasons` make it undecidable."""

    protocols: frozenset[str] | None = None  # None: every protocol
    ports: tuple[PortInterval, ...] | None = None  # None: every port
    reasons: tuple[str, ...] = ()


def expand_rule(sources: Fuzzy, destinations: Fuzzy, services: Sequence[Service], action: Action,
                origin: Origin, undecidable: tuple[str, ...] = (), never: str = "") -> list[Rule]:
    """One vendor rule as normalised rules: per service a decided part and an unknown part."""
    rules: list[Rule] = []
    label = "" if action != Action.UNKNOWN else "unknown action"
    for svc in services:
        why = undecidable + svc.reasons
        if sources.sure and destinations.sure:
            match = Match(sources=sources.sure, destinations=destinations.sure,
                          protocols=svc.protocols, dst_ports=svc.ports, never=never, undecidable=why)
            rules.append(Rule(match, action, origin, label=label))
        if sources.maybe or destinations.maybe:
            extra = tuple(dict.fromkeys(why + sources.reasons + destinations.reasons))
            match = Match(sources=sources.sure | sources.maybe,
                          destinations=destinations.sure | destinations.maybe,
                          protocols=svc.protocols, dst_ports=svc.ports, never=never, undecidable=extra)
            rules.append(Rule(match, action, origin, label=label))
    return rules


def parse_logged(fmt: str, path: str, build: Callable[[], Ruleset]) -> Ruleset:
    """Run a parser's `build` with the collector paused and log what came out (``-v``)."""
    start = time.perf_counter()
    with gc_paused():
        ruleset = build()
    rules = sum(len(c.rules) for c in ruleset.chains.values())
    log.debug("%s: %s parsed in %.0f ms: %d entries, %d normalised rules, %d findings", path, fmt,
             (time.perf_counter() - start) * 1000, len(ruleset.entries), rules, len(ruleset.findings))
    return ruleset


@functools.lru_cache(maxsize=65536)
def parse_address(text: str) -> AddressSet | None:
    """An address, CIDR or ``a-b`` range, or None when `text` is not one.

    Cached: configurations repeat the same few addresses many times, and AddressSet is immutable.
    """
    if not text or len(text) > 100:
        return None
    try:
        return AddressSet.parse([text])
    except (AddressError, ValueError):
        return None


def port_range(op: str, values: Sequence[int]) -> tuple[PortInterval, ...]:
    """Ports for an operator as Cisco writes them: eq, neq, lt, gt, range."""
    if op == "eq":
        return ((values[0], values[0]),)
    if op == "neq":
        return complement_ports(((values[0], values[0]),))
    if op == "lt":
        return ((0, values[0] - 1),) if values[0] > 0 else ()
    if op == "gt":
        return ((values[0] + 1, 65535),) if values[0] < 65535 else ()
    lo, hi = sorted(values[:2])
    return ((lo, hi),)


_PORT_SPAN = re.compile(r"^(\d{1,5})(?:\s*[-:]\s*(\d{1,5}))?$")


def parse_port_span(text: str) -> PortInterval | None:
    """``25``, ``25-26`` or ``25:26`` as an interval; None when it is not one."""
    m = _PORT_SPAN.match(text.strip())
    if not m:
        return None
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if lo > 65535 or hi > 65535:
        return None
    return (min(lo, hi), max(lo, hi))


def warning(code: str, message: str, path: str, line: int) -> Finding:
    return Finding(Severity.WARNING, code, message, (f"{path}:{line}",), subject=path)


def info(code: str, message: str, path: str, line: int) -> Finding:
    return Finding(Severity.INFO, code, message, (f"{path}:{line}",), subject=path)


@dataclass
class XmlNode:
    """An XML element with the line it starts on."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[XmlNode] = field(default_factory=list)
    text: str = ""

    def child(self, tag: str) -> XmlNode | None:
        return next((c for c in self.children if c.tag == tag), None)

    def children_named(self, tag: str) -> Iterator[XmlNode]:
        return (c for c in self.children if c.tag == tag)

    def path(self, *tags: str) -> XmlNode | None:
        node: XmlNode | None = self
        for tag in tags:
            node = node.child(tag) if node is not None else None
        return node

    def text_of(self, tag: str, default: str = "") -> str:
        node = self.child(tag)
        return node.text.strip() if node is not None else default

    def members(self, tag: str) -> list[str]:
        """``<tag><member>a</member>...</tag>`` as a list; also a bare ``<tag>text</tag>``."""
        node = self.child(tag)
        if node is None:
            return []
        found = [m.text.strip() for m in node.children_named("member")]
        return found or ([node.text.strip()] if node.text.strip() else [])


class _TreeBuilder:
    def __init__(self, parser: xml.parsers.expat.XMLParserType) -> None:
        self.parser = parser
        self.stack: list[XmlNode] = []
        self.root: XmlNode | None = None
        self.texts: list[list[str]] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        node = XmlNode(tag, attrs, self.parser.CurrentLineNumber)
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)
        self.texts.append([])

    def end(self, tag: str) -> None:
        node = self.stack.pop()
        node.text = "".join(self.texts.pop())

    def data(self, text: str) -> None:
        if self.texts:
            self.texts[-1].append(text)


class _RefusedDtd(Exception):
    """Raised from inside expat when a document declares a DTD or an entity."""


def _refuse_dtd(*_args: object) -> None:
    raise _RefusedDtd("DTDs and entity declarations are not allowed")


def parse_xml(text: str, path: str) -> XmlNode:
    """Parse XML into an `XmlNode` tree; malformed XML is an InputError with the line."""
    # The text is already decoded and goes in as UTF-8: the declaration's encoding="..." must
    # not steer expat (an unknown name there raised LookupError; found by fuzz_parsers.py).
    parser = xml.parsers.expat.ParserCreate(encoding="utf-8")
    builder = _TreeBuilder(parser)
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    try:
        parser.Parse(text.encode("utf-8", errors="replace"), True)
    except xml.parsers.expat.ExpatError as exc:
        raise InputError(f"not well-formed XML ({xml.parsers.expat.ErrorString(exc.code)})",
                         path=path, line=exc.lineno, field="xml") from None
    except _RefusedDtd as exc:
        raise InputError(str(exc), path=path, line=parser.CurrentLineNumber, field="xml") from None
    if builder.root is None:
        raise InputError("empty XML document", path=path, field="xml")
    return builder.root
