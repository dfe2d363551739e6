"""Helpers shared by the vendor parsers (Cisco ASA, PAN-OS XML and set commands, pfSense).

Vendor rules name objects that hybridfw can only partly resolve: an FQDN object, a dynamic
address group, an external list, an application that is not identified by port. Such a part is
kept as a `Fuzzy` address set: the addresses the rule surely matches (`sure`) and those it might
match (`maybe`). `expand_rule` then turns one vendor rule into at most two normalised rules per
service: the sure part (decided) followed by the sure+maybe part marked undecidable. First match
makes this exact: whatever the sure rule did not take but the maybe part could match becomes an
explicit unknown, never a silent allow or deny.

`parse_xml` reads XML with lxml (libxml2, in C) into a tree that keeps line numbers (for
evidence) and refuses DTDs, so entity-expansion bombs cannot get in.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, cast

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.model import Finding, Severity
from hybridfw.rulesets._xml_lines import Lines, for_tree
from hybridfw.rulesets.lazy import gc_paused
from hybridfw.rulesets.model import Action, Match, Origin, Rule, Ruleset
from hybridfw.rulesets.ports import PortInterval, complement_ports
from hybridfw.rulesets.scope import Scope

log = logging.getLogger(__name__)
MAX_NESTING = 32  # object groups nested deeper than this are treated as a loop


_NOTHING = AddressSet.empty()


class Fuzzy(NamedTuple):
    """An address set known only up to `maybe`: sure ⊆ matched ⊆ sure ∪ maybe.

    NamedTuples (this and `Service`), not frozen dataclasses: benchmarks/audit_vendor.py, ASA
    full parse about 10 % faster (built once or twice per vendor rule)."""

    sure: AddressSet
    maybe: AddressSet = _NOTHING
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
        if all(not p.maybe and not p.reasons for p in parts):  # exact parts: one merge, not one
            # per part (benchmarks/audit_vendor.py asa, 400 groups: scoped parse -30 %, CPU time)
            return Fuzzy(AddressSet.union_all([p.sure for p in parts]))
        out = Fuzzy(AddressSet.empty())
        for part in parts:
            out = out | part
        return out


class FamilyCache:
    """`Fuzzy.restricted` to a rule's address family, computed once per (side, family): rules
    repeat the same few sides. A value keeps its side, so the side's id is not reused while
    it is cached."""

    __slots__ = ("_cache", "_default", "_families")

    def __init__(self, families: Mapping[str, AddressSet], default: AddressSet) -> None:
        self._cache: dict[tuple[int, str], tuple[Fuzzy, Fuzzy]] = {}
        self._families, self._default = families, default

    def restricted(self, side: Fuzzy, family: str) -> Fuzzy:
        cached = self._cache.get((id(side), family))
        if cached is None or cached[0] is not side:
            found = side.restricted(self._families.get(family, self._default))
            cached = self._cache[(id(side), family)] = (side, found)
        return cached[1]


class Service(NamedTuple):
    """One protocol/port combination a rule matches; `reasons` make it undecidable."""

    protocols: frozenset[str] | None = None  # None: every protocol
    ports: tuple[PortInterval, ...] | None = None  # None: every port
    reasons: tuple[str, ...] = ()


def admitted(scope: Scope | None, services: Sequence[Service]) -> bool:
    """Whether a packet of the audit's `scope` may match one of `services` (always without a
    scope). A rule none of whose services is admitted can be left out of a scoped parse."""
    # No Match per service: audit_vendor.py pfsense, 5k rules, scoped parse -18 % instructions (callgrind)
    return scope is None or any(scope.admits_service(s.protocols, s.ports) for s in services)


class SideCompiler(Protocol):
    """A pfSense/OPNsense rule compiler as `left_out` uses it."""

    scope: Scope | None
    omitted: int
    resolvable: set[str]  # address fields its aliases resolved without an error

    def services(self, protocol: str, port: str, line: int) -> tuple[list[Service], bool]: ...

    def side(self, texts: dict[str, str], which: str, line: int) -> Fuzzy: ...


def left_out(compiler: SideCompiler, texts: dict[str, str], line: int) -> bool:
    """Whether a scoped parse leaves out this pfSense/OPNsense rule (`XmlNode.child_texts`):
    none of its services is admitted. Decided before its sides are built: a side can fail (an
    alias loop) only through an address field not resolved before, so only such a side is
    resolved; errors come in the full parse's order (source, destination, then service)."""
    # audit_vendor.py pfsense scoped: no side lookups for the rules left out (CPU ~-12 %)
    if compiler.scope is None:
        return False
    try:
        admits = compiler.services(texts.get("protocol", "any"), texts.get("destination/port", ""),
                                   line)[1]
    except InputError:
        compiler.side(texts, "source", line)
        compiler.side(texts, "destination", line)
        raise
    if admits:
        return False
    for which, field in (("source", "source/address"), ("destination", "destination/address")):
        address = texts.get(field)
        if address is not None and address not in compiler.resolvable:
            compiler.side(texts, which, line)
    compiler.omitted += 1
    return True


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
    # benchmarks/audit_vendor.py parse without -> with the pause: ASA 3.6 -> 2.3 s, SRX 5.5 -> 3.0 s
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


def _direct_text(el: Any) -> str:
    """The character data directly inside an lxml element: before and between its children."""
    return (el.text or "") + "".join([c.tail or "" for c in el])


class XmlNode:
    """An XML element (a thin view of an lxml element) with the line it starts on.

    The tree itself is built by libxml2 in C; a node is wrapped only when a reader asks for it.
    `text` is all the character data directly inside the element (between its children too).
    `lines`: the document's `Lines` when libxml2's own lines are wrong past line 65,534.
    """

    __slots__ = ("_el", "_lines")

    def __init__(self, element: Any, lines: Lines | None = None) -> None:
        self._el = element
        self._lines = lines

    @property
    def tag(self) -> str:
        return str(self._el.tag)

    @property
    def attrs(self) -> Mapping[str, str]:
        return cast("Mapping[str, str]", self._el.attrib)

    @property
    def line(self) -> int:
        return int(self._el.sourceline or 0) if self._lines is None else self._lines.line(self._el)

    @property
    def children(self) -> list[XmlNode]:
        return [XmlNode(c, self._lines) for c in self._el]

    @property
    def text(self) -> str:
        el = self._el
        return (el.text or "") if not len(el) else _direct_text(el)

    def child_texts(self) -> dict[str, str]:
        """The stripped `text` of the first child of each tag, by tag, and likewise of the first
        grandchild of each tag under those children, by ``child/grandchild``; in one pass."""
        out: dict[str, str] = {}
        for c in self._el:
            tag = c.tag
            if tag in out:
                continue
            text = c.text
            if len(c):
                # Each grandchild read once, for its own text and for its tail (part of its parent's
                # text): audit_vendor.py pfsense, 5k rules, scoped parse -9 % instructions (callgrind)
                text = text or ""
                prefix = tag + "/"
                for g in c:
                    key = prefix + g.tag
                    if key not in out:
                        out[key] = ((g.text or "") if not len(g) else _direct_text(g)).strip()
                    tail = g.tail
                    if tail:
                        text += tail
            out[tag] = text.strip() if text else ""
        return out

    def count(self, tag: str) -> int:
        """How many children are named `tag` (counted in C, no proxy objects)."""
        return 0 if "*" in tag or "{" in tag else int(self._el.xpath("count(*[name()=$t])", t=tag))

    def child(self, tag: str) -> XmlNode | None:
        if "*" in tag or "{" in tag:  # no element has such a name; lxml would read it as a pattern
            return None
        found = next(self._el.iterchildren(tag), None)
        return None if found is None else XmlNode(found, self._lines)

    def children_named(self, tag: str) -> Iterator[XmlNode]:
        if "*" in tag or "{" in tag:
            return iter(())
        lines = self._lines
        return (XmlNode(c, lines) for c in self._el.iterchildren(tag))

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
        return [] if node is None else node.own_members()

    def own_members(self) -> list[str]:
        """This node's ``<member>`` texts; its own text when it has none."""
        return _own_members(self._el)

    def entries_fields(self, tag: str, lists: frozenset[str], words: frozenset[str],
                       skip: Callable[[Any], bool] | None = None,
                       ) -> list[tuple[str, int, dict[str, list[str]]]]:
        """For each child named `tag`: its ``name`` attribute, its line and its fields: by tag,
        for the first child of each tag, its `own_members` if the tag is in `lists`, its
        stripped `text` (one value) if in `words`; other children are left out. Children for
        which `skip` (given the lxml element) is true are left out."""
        # No XmlNode per entry: benchmarks/audit_vendor.py panos, scoped parse -12 % (CPU time)
        if "*" in tag or "{" in tag:
            return []
        lines = self._lines
        return [(e.get("name", ""), int(e.sourceline or 0) if lines is None else lines.line(e),
                 _first_fields(e, lists, words))
                for e in self._el.iterchildren(tag) if skip is None or not skip(e)]


def _own_members(el: Any) -> list[str]:
    # From the lxml elements, no XmlNode per member: benchmarks/audit_vendor.py panos, full
    # and scoped parse about 10 % faster (CPU time, best of 4).
    found = [((m.text or "") if not len(m) else _direct_text(m)).strip()
             for m in el if m.tag == "member"]
    if found:
        return found
    own = ((el.text or "") if not len(el) else _direct_text(el)).strip()
    return [own] if own else []


def _first_fields(el: Any, lists: frozenset[str], words: frozenset[str]) -> dict[str, list[str]]:
    # Straight from the lxml elements, no XmlNode per child: benchmarks/audit_vendor.py
    # panos, scoped parse -24 % (CPU time, best of 7)
    out: dict[str, list[str]] = {}
    for c in el:
        tag = c.tag
        if tag in out:
            continue
        if tag in lists:
            out[tag] = _own_members(c)
        elif tag in words:
            out[tag] = [((c.text or "") if not len(c) else _direct_text(c)).strip()]
    return out


# parse_xml's libxml2 options. The text goes in decoded, as UTF-8: the declaration's encoding=
# must not steer the parser (an unknown name there once raised LookupError; found by fuzzing).
XML_OPTIONS: dict[str, Any] = {
    "encoding": "utf-8", "resolve_entities": False, "load_dtd": False, "no_network": True,
    "remove_comments": True, "remove_pis": True, "huge_tree": True}


def _one_line(message: str) -> str:
    return " ".join(message.split())


def parse_xml(text: str, path: str, data: bytes | None = None) -> XmlNode:
    """Parse XML into an `XmlNode` tree; malformed XML is an InputError with the line.

    libxml2 (lxml) builds the tree; a document with a DTD is refused (no entity declarations,
    so no entity-expansion bombs), nothing is fetched from the network, comments and processing
    instructions are dropped. `data`: `text` already encoded as UTF-8 (errors replaced).
    """
    from lxml import etree  # lazy: start-up stays fast

    parser = etree.XMLParser(**XML_OPTIONS)
    if data is None:
        data = text.encode("utf-8", errors="replace")
    try:
        root = etree.fromstring(data, parser)
    except etree.LxmlError as exc:
        line = getattr(exc, "lineno", None) or None
        raise InputError(f"not well-formed XML ({_one_line(str(getattr(exc, 'msg', exc)))})",
                         path=path, line=line, field="xml") from None
    if root is None:
        raise InputError("empty XML document", path=path, field="xml")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        at = text.find("<!DOCTYPE")
        raise InputError("DTDs and entity declarations are not allowed", path=path,
                         line=text.count("\n", 0, at) + 1 if at >= 0 else None, field="xml")
    return XmlNode(root, for_tree(root, data))
