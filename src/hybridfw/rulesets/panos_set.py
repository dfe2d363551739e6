"""PAN-OS set commands (``show config running`` in set format, or a loadable set file).

``set [vsys V | shared | device-group G] <object or rulebase path> ...`` lines fill the same
model as the XML reader; a line without a scope prefix belongs to ``vsys1``. Member lists are
``[ a b ]`` or one word and add up over lines, as in the CLI. Several attributes may share a
line (``... from untrust to trust source any``); an attribute hybridfw does not know ends the
line's reading (profiles, log settings: nothing the audit needs). ``move rulebase security rules
R top|bottom|before X|after X`` reorders; ``delete`` lines are reported and not applied.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from hybridfw.errors import InputError
from hybridfw.rulesets import _detect
from hybridfw.rulesets._panos_common import (
    MAX_ZONE_PAIRS,
    Named,
    PanConfig,
    PanRule,
    PanScope,
    build_ruleset,
    panorama_pushed,
)
from hybridfw.rulesets._panos_set_scoped import NO_SHAPE, RULE_KEYS, FirstLine, Shape, decide
from hybridfw.rulesets._vendor_util import parse_logged, warning
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope

_TOKEN = re.compile(r'"([^"]*)"|\'([^\']*)\'|(\S+)')
_RULE_LINE = "set rulebase security rules "
_ADDRESS_KINDS = ("ip-netmask", "ip-range", "ip-wildcard", "fqdn")
Handler = Callable[["_SetReader", PanScope, list[str], int, str], None]


def tokens(line: str) -> list[str]:
    if '"' not in line and "'" not in line:  # the same words; benchmarks/audit_vendor.py
        return line.split()  # panos-set: parse about 25 % faster
    return [a or b or c for a, b, c in _TOKEN.findall(line)]


def _values(words: list[str], i: int) -> tuple[list[str], int]:
    """A ``[ a b ]`` list or one word at words[i]; returns the values and the next index."""
    if i >= len(words):
        return [], i
    if words[i] != "[":
        return [words[i]], i + 1
    end = words.index("]", i) if "]" in words[i:] else len(words)
    return words[i + 1:end], end + 1


def _fields(rule: PanRule, words: list[str], i: int) -> None:
    """The rule's attributes from words[i] on, up to one hybridfw does not know."""
    fields, count = rule.fields, len(words)
    while i < count and words[i] in RULE_KEYS:
        key = words[i]
        if i + 1 < count and words[i + 1] != "[":  # one value, inline: benchmarks/audit_vendor.py
            known = fields.get(key)  # panos-set, scoped parse -12 %
            if known is None:
                fields[key] = [words[i + 1]]
            else:
                known.append(words[i + 1])
            i += 2
            continue
        values, i = _values(words, i + 1)
        fields.setdefault(key, []).extend(values)


class _SetReader:
    def __init__(self, path: str, audit: Scope | None = None) -> None:
        self.config = PanConfig(path)
        self.path = path
        self.rule_index: dict[str, dict[str, PanRule]] = {}  # scope → rule name → rule
        # Scoped parse: vsys1's rule lines (no quotes) by rule name, built at the end (`settle`)
        # unless another line is about vsys1's rules first (`materialize`); first line, others
        self.pending: dict[str, FirstLine] | None = None if audit is None else {}
        self.more: dict[str, list[list[str]]] = {}
        self.device_groups: list[str] = []  # Panorama device-groups, in the order first named
        self.panorama: tuple[str, int] | None = None  # the Panorama server managing the firewall

    def scope(self, name: str) -> PanScope:
        if name == "shared":
            return self.config.shared
        found = self.config.scopes.get(name)
        if found is None:  # not setdefault (a PanScope per line): panos-set scoped parse -17 %
            found = self.config.scopes[name] = PanScope(name)
        return found

    def read(self, text: str) -> PanConfig:
        lines = enumerate(text.splitlines(), start=1)
        if self.pending is not None:
            self._read_pending(lines)
        for number, raw in lines:
            if raw.startswith(_RULE_LINE) and '"' not in raw and "'" not in raw:
                words = raw.split()  # a vsys1 rule's line straight to its fields, as _line would
                if len(words) > 4:  # (benchmarks/audit_vendor.py panos-set: scoped parse -9 %)
                    _fields(self._rule(self.scope("vsys1"), words[4], number, raw), words, 5)
                    continue
            self._other(number, raw)
        if not self.config.scopes:
            raise InputError("no security rules or objects of a vsys in these set commands",
                             path=self.path, field="rulebase")
        return self.config

    def _read_pending(self, lines: Iterator[tuple[int, str]]) -> None:
        """`read`'s loop keeping vsys1's rule lines (`pending`), until another line is about
        vsys1's rules (`materialize`) or to the end."""
        pending, more, shape = self.pending, self.more, NO_SHAPE
        if pending is None:
            return
        for number, raw in lines:
            if raw.startswith(_RULE_LINE) and '"' not in raw and "'" not in raw:
                words = raw.split()
                if len(words) > 4:
                    name = words[4]
                    if name in pending:
                        more.setdefault(name, []).append(words)
                        continue
                    if not pending:
                        self.scope("vsys1")  # made at its first rule line, as `read` makes it
                    # the layout of the line before, checked in C (audit_vendor.py panos-set, scoped)
                    if len(words) != shape.size or shape.key_of(words) != shape.keys or "[" in words:
                        found = Shape(words)
                        if found.size < 0:
                            pending[name] = (number, raw, None, ())
                            continue
                        shape = found
                    pending[name] = (number, raw, shape, shape.value_of(words))
                    continue
            self._other(number, raw)
            if self.pending is None:
                return

    def _other(self, number: int, raw: str) -> None:
        """Any line but a vsys1 rule's line without quotes."""
        words = tokens(raw)
        if not words or words[0].startswith("#"):
            return
        try:
            self._line(words, number, raw)
        except (IndexError, ValueError):
            raise InputError(f"cannot read {' '.join(words[:4])!r}", path=self.path,
                             line=number, field=words[0]) from None

    def _line(self, words: list[str], number: int, raw: str) -> None:
        verb, rest = words[0], words[1:]
        if verb not in ("set", "move", "delete", "edit", "exit", "top", "up"):
            raise InputError(f"not a set command: {verb!r}", path=self.path, line=number, field="command")
        if verb == "delete":
            self.config.findings.append(warning("audit.delete-not-applied",
                                                "delete command not applied", self.path, number))
        if verb not in ("set", "move") or not rest:
            return
        scope_name = "vsys1"
        if rest[0] in ("vsys", "device-group") and len(rest) > 2:
            if rest[0] == "device-group" and rest[1] not in self.device_groups:
                self.device_groups.append(rest[1])
            scope_name, rest = rest[1], rest[2:]
        elif rest[0] == "shared":
            scope_name, rest = "shared", rest[1:]
        if verb == "move":
            self._move(self.scope(scope_name), rest, number)
            return
        if rest[0] == "deviceconfig" and "panorama-server" in rest[:-1]:
            self.panorama = (rest[rest.index("panorama-server") + 1], number)
            return
        handler = _HANDLERS.get(rest[0])
        if handler is not None and len(rest) > 1:
            handler(self, self.scope(scope_name), rest[1:], number, raw)

    def _address(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        if len(words) >= 3 and words[1] in _ADDRESS_KINDS:
            scope.addresses[words[0]] = Named(words[0], words[1], [words[2]], line)

    def _address_group(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        if len(words) < 2 or words[1] not in ("static", "dynamic"):
            return
        found = scope.address_groups.setdefault(words[0], Named(words[0], words[1], [], line))
        found.values += _values(words, 3 if words[1] == "dynamic" else 2)[0]

    def _service(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        if len(words) < 4 or words[1] != "protocol":
            return
        found = scope.services.setdefault(words[0], Named(words[0], words[2], [""], line))
        found.kind = words[2]
        if words[3] == "port" and len(words) > 4:
            found.values = [words[4]]
        elif words[3] == "source-port" and len(words) > 4:
            found.extra = words[4]

    def _external_list(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        scope.external_lists.setdefault(words[0], Named(words[0], "edl", [], line))

    def _zone(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        if words[0] not in scope.zones:
            scope.zones.append(words[0])

    def _rulebase(self, scope: PanScope, words: list[str], line: int, raw: str, post: bool = False) -> None:
        if words[0] == "default-security-rules" and len(words) >= 5 and words[3] == "action":
            scope.defaults[words[2]] = (words[4], line)
            return
        if words[:2] != ["security", "rules"] or len(words) < 3:
            return
        rule = self._rule(scope, words[2], line, raw, post)
        if len(words) > 4 and words[3] == "target":
            _target(rule.fields, words[4:])
        else:
            _fields(rule, words, 3)

    def _devices(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        scope.devices.update(_values(words, 0)[0])

    def _post_rulebase(self, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        self._rulebase(scope, words, line, raw, post=True)

    def _rule(self, scope: PanScope, name: str, line: int, raw: str, post: bool = False) -> PanRule:
        if self.pending is not None and scope.name == "vsys1":
            self.materialize()
        index = self.rule_index.setdefault(scope.name, {})
        rule = index.get(name)
        if rule is None:
            rule = index[name] = PanRule(name, line, raw.strip())
            (scope.post_rules if post else scope.rules).append(rule)
        return rule

    def assemble(self) -> None:
        """Each device-group's rules as a firewall of the group evaluates them (Panorama):
        shared pre-rules, the group's pre-rules, its post-rules, shared post-rules."""
        shared = self.config.shared
        if self.panorama is not None:
            for name, scope in self.config.scopes.items():
                if name not in self.device_groups:
                    panorama_pushed(scope, *self.panorama)
        for name in self.device_groups:
            group = self.config.scopes[name]
            group.rules = shared.rules + group.rules + group.post_rules + shared.post_rules
            group.defaults = {**shared.defaults, **group.defaults}  # the group's override wins
            group.post_rules = []

    def _pending_rule(self, name: str, first: FirstLine) -> PanRule:
        """A pending rule built as the line-by-line reading builds it."""
        rule = PanRule(name, first[0], first[1].strip())
        _fields(rule, first[1].split(), 5)
        for more in self.more.get(name, ()):
            _fields(rule, more, 5)
        return rule

    def materialize(self, names: list[str] | None = None) -> None:
        """The pending rules (or those of `names`) as vsys1's first rules; nothing pending then."""
        pending, self.pending = self.pending, None
        if not pending:  # no rule line kept: vsys1 is not made here
            return
        scope, index = self.scope("vsys1"), self.rule_index.setdefault("vsys1", {})
        for name in pending if names is None else names:
            rule = index[name] = self._pending_rule(name, pending[name])
            scope.rules.append(rule)

    def settle(self, audit: Scope) -> None:
        """The pending rules built, but those `decide` leaves out: counted, not built."""
        pending = self.pending
        decided = decide(self.config, audit, pending, self.more) if pending else None
        if pending is None or decided is None:
            self.materialize()
            return
        kept, omitted, zones = decided
        scope = self.scope("vsys1")
        self.materialize(kept)
        named = zones.union(scope.zones, *(r.fields.get(k) or () for r in scope.rules
                                           for k in ("from", "to")))
        named.discard("any")
        if len(named) ** 2 > MAX_ZONE_PAIRS:  # zone pairs made from each rule's zones: build all
            scope.rules.clear()
            self.pending = pending
            self.materialize()
            return
        scope.omitted += omitted
        scope.zones += sorted(zones.difference(scope.zones))  # their zones still make zone pairs

    def _move(self, scope: PanScope, words: list[str], line: int) -> None:
        if (words[0] not in ("rulebase", "pre-rulebase", "post-rulebase")
                or words[1:3] != ["security", "rules"] or len(words) < 5):
            return
        if self.pending is not None and scope.name == "vsys1":
            self.materialize()
        rules = scope.post_rules if words[0] == "post-rulebase" else scope.rules
        name, where = words[3], words[4]
        rule = next((r for r in rules if r.name == name), None)
        anchor = words[5] if len(words) > 5 else ""
        others = {r.name for r in rules if r is not rule}
        if rule is None or where not in ("top", "bottom", "before", "after") or (
                where in ("before", "after") and anchor not in others):
            raise InputError(f"cannot move rule {name} {where} {anchor}".strip(),
                             path=self.path, line=line, field="move")
        rules.remove(rule)
        if where == "top":
            rules.insert(0, rule)
        elif where == "bottom":
            rules.append(rule)
        else:
            at = next(i for i, r in enumerate(rules) if r.name == anchor)
            rules.insert(at if where == "before" else at + 1, rule)


def _target(fields: dict[str, list[str]], words: list[str]) -> None:
    """``target negate yes|no``, ``target devices S [vsys V]``, ``target tags T`` of a Panorama
    rule, as the XML reader keeps them (`_target_condition`)."""
    values, i = _values(words, 1)
    if words[0] == "negate":
        fields["target-negate"] = values
    elif words[0] == "devices":  # with vsys: pushed to some of its vsys only
        key = "target-partial" if i < len(words) and words[i] == "vsys" else "target-devices"
        fields.setdefault(key, []).extend(values)
    elif words[0] == "tags" and values:
        fields.setdefault("target-partial", []).append(f"tags {' '.join(values)}")


def _members(table: str) -> Handler:
    def handle(reader: _SetReader, scope: PanScope, words: list[str], line: int, raw: str) -> None:
        at = 2 if len(words) > 1 and words[1] == "members" else 1
        found: Named = getattr(scope, table).setdefault(words[0], Named(words[0], table, [], line))
        found.values += _values(words, at)[0]
    return handle


# Plain functions, not bound methods in the reader: a reader holding its own methods is a cycle
# that only a collection of the whole model frees (benchmarks/audit_vendor.py
# panos-set, CPU time: scoped parse -35 %, full parse -20 %)
_HANDLERS: dict[str, Handler] = {
    "address": _SetReader._address, "address-group": _SetReader._address_group,
    "service": _SetReader._service, "service-group": _members("service_groups"),
    "application-group": _members("application_groups"),
    "external-list": _SetReader._external_list, "zone": _SetReader._zone,
    "rulebase": _SetReader._rulebase, "pre-rulebase": _SetReader._rulebase,
    "post-rulebase": _SetReader._post_rulebase, "devices": _SetReader._devices,
}


class PanosSetParser(RulesetParser):
    name = "panos-set"
    platform = "paloalto"
    description = "PAN-OS set commands (security rules, objects, zones)"

    def detect(self, text: str) -> float:
        return _detect.panos_set(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return self._parse(text, path, None)

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return self._parse(text, path, scope)

    def _parse(self, text: str, path: str, scope: Scope | None) -> Ruleset:
        def build() -> Ruleset:
            reader = _SetReader(path, scope)
            config = reader.read(text)
            if scope is not None:
                reader.settle(scope)
            reader.assemble()
            return build_ruleset(config, self.name, scope)
        return parse_logged(self.name, path, build)
