"""Cisco ASA running-config: extended access-lists bound with access-group.

Each ``access-group ACL in|out interface IF`` binding is an entry (``outside in``) whose one
stage is that ACL, followed by the global ACL for inbound bindings, then the implicit deny.
``access-group ACL global`` alone is the ``global`` entry. ACLs that are not bound are not
evaluated and are reported; a file with no ``access-group`` at all (an excerpt) has every ACL
evaluated as if bound inbound, with a warning saying so.

Addresses: ``any``/``any4``/``any6``, ``host``, address + mask, IPv6 prefixes, ``name``
aliases, ``object``/``object-group`` (nested). FQDN objects, ``interface`` operands, users,
security groups, time ranges and source ports are undecidable conditions. ``inactive`` entries
and remarks are skipped. Since ASA 8.3 ACLs name real (untranslated) addresses, so the topology
must give the servers' real addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from hybridfw.errors import InputError
from hybridfw.model import Finding
from hybridfw.rulesets import _detect
from hybridfw.rulesets._asa_ace import FAST_ACE, NOT_LITERAL, PROTOCOL_PORT, AceCompiler
from hybridfw.rulesets._asa_interfaces import implicit_entries, read_interfaces
from hybridfw.rulesets._asa_objects import AsaObjects, Definition, UndefinedObject
from hybridfw.rulesets._asa_omit import MARK, leave_out
from hybridfw.rulesets._vendor_util import info, parse_logged, warning
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Match, Origin, Rule, Ruleset, chain_key
from hybridfw.rulesets.scope import Scope

_NONE = (None,) * len(NOT_LITERAL)
_GROUP_KINDS = ("network", "service", "protocol", "icmp-type", "user", "security")


# An ACL line: its words (after `extended`), its FAST_ACE match, None (left out when read), or
# (match,): left out if its objects resolve (else compiled: its error is raised or reported)
Item = list[str] | re.Match[str] | tuple[re.Match[str]] | None


@dataclass
class Acl:
    name: str
    lines: list[tuple[Item, int, str]] = field(default_factory=list)  # item, line, raw
    left_out: int = 0  # entries the scoped pre-pass left out (`_asa_omit`), not in `lines`
    first_left_out: int = 0  # the line of the first of them

    @property
    def has_entries(self) -> bool:
        """More than remarks."""
        return self.left_out > 0 or any(words != ["remark"] for words, _, _ in self.lines)

    @property
    def first_line(self) -> int:
        """Its first entry's line (with entries left out there are no `line N` inserts)."""
        if not self.left_out:
            return self.lines[0][1]
        return min(self.first_left_out, self.lines[0][1]) if self.lines else self.first_left_out


@dataclass
class Binding:
    acl: str
    direction: str  # "in", "out" or "global"
    interface: str
    line: int
    raw: str


class _AsaReader:
    """Pass 1: definitions, ACL lines and bindings, by line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.objects = AsaObjects(path)
        self.acls: dict[str, Acl] = {}
        self.bindings: list[Binding] = []
        self.findings: list[Finding] = []
        self.interfaces: list[Definition] = []
        self.routes: list[tuple[list[str], int]] = []  # words after "route" / "ipv6 route", line
        self.inserts = False  # an `access-list NAME line N` entry was read
        self.not_extended: set[str] = set()  # standard/webtype/ethertype access-lists
        self.control_plane: set[str] = set()  # access-lists bound for traffic to the ASA itself

    def read(self, text: str, omits: Callable[[str, str | None], bool] | None = None) -> None:
        """`omits`: the scope's test for an ACE with literal operands (protocol word, eq port)."""
        block: Definition | None = None
        fast = FAST_ACE.match
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw == MARK:  # a line the scoped pre-pass left out: an ACE
                block = None
                continue
            ace = fast(raw)
            if ace is not None:  # one match per common ACE: benchmarks/audit_vendor.py asa CPU time,
                # scoped parse -33 %, full parse -15 %
                acl = self.acls.get(ace[1]) or self.acls.setdefault(ace[1], Acl(ace[1]))
                item: Item = ace
                if omits is not None and omits(*ace.group(*PROTOCOL_PORT)):
                    # left out here when its operands are literals: scoped parse -17 %
                    if ace.group(*NOT_LITERAL) == _NONE:
                        item = None
                    elif ace[16] != "object-group":  # left out once its objects resolve: -48 %
                        item = (ace,)
                acl.lines.append((item, number, raw))
                block = None
                continue
            words = raw.split()
            if not words or words[0].startswith(("!", ":")):
                continue
            if raw[0].isspace():
                if block is not None:
                    block.members.append((words, number))
                continue
            try:
                block = self._command(words, number, raw)
            except IndexError:
                raise InputError(f"{words[0]} line ends too early", path=self.path, line=number,
                                 field=words[0]) from None

    def _command(self, words: list[str], number: int, raw: str) -> Definition | None:
        head = words[0]
        if head in ("object", "object-group") and len(words) >= 3:
            return self._define(words, number)
        if head == "interface" and len(words) >= 2:
            found = Definition("interface", words[1], number, False)
            self.interfaces.append(found)
            return found
        if head == "name" and len(words) >= 3:
            self.objects.names[words[2]] = words[1]
        elif head == "access-list" and len(words) >= 3:
            self._acl_line(words, number, raw)
        elif head == "access-group" and len(words) >= 3:
            self._binding(words, number, raw)
        elif head == "route" and len(words) >= 4:
            self.routes.append((words[1:], number))
        elif words[:2] == ["ipv6", "route"] and len(words) >= 4:
            self.routes.append((words[2:], number))
        elif words[:2] == ["ipv6", "access-list"]:
            self.findings.append(warning("audit.acl-line-not-evaluated", "ipv6 access-list (the "
                                         "syntax before ASA 9.0) is not evaluated", self.path, number))
        return None

    def _define(self, words: list[str], number: int) -> Definition:
        kind = words[1]
        if kind not in _GROUP_KINDS:
            raise InputError(f"unknown object type {kind!r}", path=self.path, line=number, field="object")
        port_protocol = words[3] if kind == "service" and len(words) > 3 else ""
        found = Definition(kind, words[2], number, words[0] == "object-group", port_protocol)
        self.objects.defs[found.name] = found
        return found

    def _acl_line(self, words: list[str], number: int, raw: str) -> None:
        name, rest = words[1], words[2:]
        position = None
        if rest[0] == "line" and len(rest) > 2 and rest[1].isdigit():
            position, rest = int(rest[1]), rest[2:]
            self.inserts = True
        if rest[0] == "remark":  # occupies a line number (ASA counts remarks for `line N`)
            self.acls.setdefault(name, Acl(name)).lines.append((["remark"], number, raw))
            return
        if rest[0] in ("standard", "webtype", "ethertype"):
            self.not_extended.add(name)
            self.findings.append(info("audit.acl-line-not-evaluated",
                                      f"{rest[0]} access-list {name} does not filter routed traffic "
                                      "and is not evaluated", self.path, number))
            return
        if rest[0] == "extended":
            rest = rest[1:]
        acl = self.acls.setdefault(name, Acl(name))
        item = (rest, number, raw)
        if position is None:
            acl.lines.append(item)
        else:
            acl.lines.insert(max(0, position - 1), item)

    def _binding(self, words: list[str], number: int, raw: str) -> None:
        direction = words[2]
        if "control-plane" in words[5:]:  # filters traffic to the ASA itself, not through it
            self.control_plane.add(words[1])
            self.findings.append(info("audit.acl-line-not-evaluated", f"access-group {words[1]} "
                                      "control-plane filters traffic to the ASA itself and is not "
                                      "evaluated", self.path, number))
            return
        if direction == "global":
            self.bindings.append(Binding(words[1], "global", "", number, raw))
        elif direction in ("in", "out") and len(words) >= 5 and words[3] == "interface":
            self.bindings.append(Binding(words[1], direction, words[4], number, raw))
        else:
            raise InputError(f"cannot read access-group binding {' '.join(words[2:])!r}",
                             path=self.path, line=number, field="access-group")


def _read(text: str, path: str, scope: Scope | None) -> tuple[_AsaReader, AceCompiler]:
    reader = _AsaReader(path)
    compiler = AceCompiler(reader.objects, scope)
    reader.read(text, compiler.omits if scope is not None else None)
    return reader, compiler


def _read_scoped(text: str, path: str, scope: Scope) -> tuple[_AsaReader, AceCompiler]:
    """The read pass of the text the pre-pass keeps (`_asa_omit`; scoped parse -40 %), or of
    the whole text when the pre-pass may differ from it: `name` aliases (a name may stand for a
    literal), `line N` inserts (positions count left-out lines), or a left-out line's object
    that does not resolve (its error or undecidable rule keeps its place) or might not in
    another order (nesting near the limit)."""
    found = leave_out(text, scope)
    if found is not None:
        reader, compiler = _read(found.kept, path, scope)
        if (not reader.objects.names and not reader.inserts and reader.objects.nesting_is_shallow()
                and all(compiler.spelling_resolves(spec) for spec in found.operands)):
            for name, count in found.counts.items():
                acl = reader.acls.get(name) or reader.acls.setdefault(name, Acl(name))
                acl.left_out, acl.first_left_out = count, found.first_lines[name]
            reader.acls = dict(sorted(reader.acls.items(), key=lambda item: item[1].first_line))
            compiler.omitted += sum(found.counts.values())
            return reader, compiler
    return _read(text, path, scope)


def parse_asa(text: str, path: str, scope: Scope | None = None) -> Ruleset:
    reader, compiler = _read(text, path, None) if scope is None else _read_scoped(text, path, scope)
    if not reader.acls and not reader.bindings:
        raise InputError("no extended access-list and no access-group: not an ASA configuration "
                         "hybridfw can audit", path=path, field="access-list")
    compiled = {acl.name: _compile_acl(acl, compiler, reader) for acl in reader.acls.values()}
    had_bindings = bool(reader.bindings)
    reader.bindings = _through_bindings(reader)
    bindings = reader.bindings if had_bindings else [
        Binding(name, "in", f"(not bound) {name}", acl.first_line, "")
        for name, acl in reader.acls.items() if acl.has_entries]
    if not had_bindings and reader.acls:
        reader.findings.append(warning("audit.acl-not-bound", "no access-group in the file: every "
                                       "access-list is evaluated as if bound inbound", path, 1))
    chains, entries = _entries(path, bindings, compiled, reader.findings)
    if not any(b.direction == "global" for b in reader.bindings):
        interfaces = read_interfaces(reader.interfaces, reader.routes, reader.objects)
        bound = {b.interface for b in reader.bindings if b.direction == "in"}
        more_chains, more_entries = implicit_entries(path, interfaces, bound, reader.findings)
        chains.update(more_chains)
        entries += more_entries
    bound = {b.acl for b in bindings}
    for name, acl in reader.acls.items():
        if name not in bound and name not in reader.control_plane and acl.has_entries:
            reader.findings.append(warning("audit.acl-not-bound", f"access-list {name} is not bound "
                                           "with access-group and is not evaluated", path, acl.first_line))
    return Ruleset(format="asa", platform="ciscoasa", paths=(path,), chains=chains,
                   entries=tuple(entries), findings=tuple(reader.findings), omitted=compiler.omitted)


def _through_bindings(reader: _AsaReader) -> list[Binding]:
    """The bindings of extended access-lists: an ethertype (or other) access-list bound to the
    same interface is a list of its own beside the extended one, not a replacement for it."""
    kept = []
    for b in reader.bindings:
        if b.acl in reader.not_extended and b.acl not in reader.acls:
            reader.findings.append(info("audit.acl-line-not-evaluated", f"access-group {b.acl} binds "
                                        "a non-extended access-list, which does not filter routed IP "
                                        "traffic: not evaluated", reader.path, b.line))
        else:
            kept.append(b)
    return kept


def _compile_acl(acl: Acl, compiler: AceCompiler, reader: _AsaReader) -> list[Rule]:
    path, names = reader.path, reader.objects.names
    rules: list[Rule] = []
    for words, line, raw in acl.lines:
        if words is None and not names:
            compiler.omitted += 1
            continue
        if isinstance(words, tuple):
            if not names and compiler.operands_resolve(words[0], line):
                compiler.omitted += 1
                continue
            words = words[0]
        if words is None:  # a `name` may stand for a literal: the whole check
            words = FAST_ACE.match(raw)
            assert words is not None
        if words == ["remark"]:
            continue
        try:
            got = (compiler.compile(words, line, raw) if isinstance(words, list)
                   else compiler.compile_fast(words, line, raw))
        except IndexError:
            raise InputError("access-list entry ends too early", path=path, line=line,
                             field="access-list") from None
        except UndefinedObject as exc:
            got = _undefined(words[0] if isinstance(words, list) else words[2], line, raw, exc,
                             reader.findings)
        if got is None:
            reader.findings.append(info("audit.rule-inactive", f"inactive entry in {acl.name} skipped",
                                        path, line))
        else:
            rules += got
    return rules


def _undefined(verb: str, line: int, raw: str, exc: UndefinedObject,
               findings: list[Finding]) -> list[Rule]:
    """An ACE naming an undefined object: a warning, and a rule that matches an unknown part
    of every packet (its verdict stays unknown wherever it could decide an audited flow)."""
    path = exc.path or ""
    findings.append(warning("audit.acl-undefined-object", f"{exc.reason}: the entry is "
                            "undecidable for any flow it could match", path, line))
    action = Action.ACCEPT if verb == "permit" else Action.DROP
    return [Rule(Match(undecidable=(exc.reason,)), action, Origin(path, line, raw))]


def _latest(bindings: list[Binding], findings: list[Finding], path: str) -> list[Binding]:
    """One binding per interface and way (and one global): a later ``access-group`` for the
    same interface and way replaces the earlier one, as on the device."""
    latest: dict[tuple[str, str], Binding] = {}
    for b in bindings:
        earlier = latest.get((b.direction, b.interface))
        if earlier is not None and earlier.acl != b.acl:
            findings.append(info("audit.acl-rebound", f"access-group {b.acl} replaces {earlier.acl} "
                                 f"({b.direction} {b.interface or 'global'}, line {earlier.line})",
                                 path, b.line))
        latest.pop((b.direction, b.interface), None)
        latest[(b.direction, b.interface)] = b
    return list(latest.values())


def _entries(path: str, bindings: list[Binding], compiled: dict[str, list[Rule]],
             findings: list[Finding]) -> tuple[dict[str, Chain], list[Entry]]:
    bindings = _latest(bindings, findings, path)
    glob = next((b for b in bindings if b.direction == "global"), None)
    chains: dict[str, Chain] = {}
    entries: list[Entry] = []
    for b in bindings:
        if b.acl not in compiled:
            findings.append(warning("audit.acl-missing", f"access-group names access-list {b.acl}, "
                                    "which has no entries: everything is denied", path, b.line))
        rules = list(compiled.get(b.acl, []))
        if glob is not None and b.direction == "in":
            rules += compiled.get(glob.acl, [])
        name = "global" if b.direction == "global" else f"{b.interface} {b.direction}"
        key = chain_key(path, "access-group", name)
        chains[key] = Chain(key=key, name=b.acl, rules=tuple(rules), policy=Action.DROP,
                            policy_origin=Origin(path, b.line, f"implicit deny at the end of {b.acl}"))
        if b.raw:  # bound: chained along the packet's path (global: every other interface in)
            way: Literal["in", "out"] = "out" if b.direction == "out" else "in"
            entries.append(Entry(name, (key,), b.interface or "*", way))
        else:  # an excerpt without access-group: each ACL is a path of its own
            entries.append(Entry(name, (key,)))
    return chains, entries


class AsaParser(RulesetParser):
    name = "asa"
    platform = "ciscoasa"
    description = "Cisco ASA running-config (access-list extended, objects, access-group)"

    def detect(self, text: str) -> float:
        return _detect.asa(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: parse_asa(text, path))

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return parse_logged(self.name, path, lambda: parse_asa(text, path, scope))
