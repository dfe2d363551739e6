"""PAN-OS XML configuration (``show config running`` / an exported running-config.xml).

Reads ``/config/shared`` objects, every ``/config/devices/entry/vsys/entry`` (objects, zones,
``rulebase/security/rules`` and ``default-security-rules``) and, for a Panorama export, every
``device-group`` entry with its pre- and post-rulebase (shared pre-rules first, shared
post-rules last). Evaluation is in `_panos_common`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

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
from hybridfw.rulesets._panos_xml_omit import RuleFilter
from hybridfw.rulesets._vendor_util import XmlNode, parse_logged, parse_xml
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope

_RULE_LISTS = frozenset({"from", "to", "source", "destination", "source-user", "category",
                         "application", "service", "source-hip", "destination-hip"})
_RULE_WORDS = frozenset({"action", "disabled", "negate-source", "negate-destination", "schedule",
                         "rule-type"})
_ADDRESS_KINDS = ("ip-netmask", "ip-range", "ip-wildcard", "fqdn")


def _entries(node: XmlNode | None) -> list[XmlNode]:
    return [] if node is None else list(node.children_named("entry"))


def _named(entry: XmlNode, kind: str, values: list[str], extra: str = "") -> Named:
    return Named(entry.attrs.get("name", ""), kind, values, entry.line, extra)


def _read_objects(node: XmlNode, scope: PanScope) -> None:
    for e in _entries(node.child("address")):
        kind = next((k for k in _ADDRESS_KINDS if e.child(k) is not None), "unknown")
        scope.addresses[e.attrs.get("name", "")] = _named(e, kind, [e.text_of(kind)])
    for e in _entries(node.child("address-group")):
        kind = "dynamic" if e.child("dynamic") is not None else "static"
        members = e.members("static") if kind == "static" else []
        scope.address_groups[e.attrs.get("name", "")] = _named(e, kind, [m for m in members if m])
    for e in _entries(node.child("service")):
        proto = e.child("protocol")
        transport = proto.children[0] if proto is not None and proto.children else None
        if transport is not None:
            scope.services[e.attrs.get("name", "")] = _named(
                e, transport.tag, [transport.text_of("port")], transport.text_of("source-port"))
    for table, tag in (("service_groups", "service-group"), ("application_groups", "application-group")):
        for e in _entries(node.child(tag)):
            getattr(scope, table)[e.attrs.get("name", "")] = _named(e, tag, e.members("members"))
    for e in _entries(node.child("external-list")):
        scope.external_lists[e.attrs.get("name", "")] = _named(e, "edl", [])
    scope.zones += [e.attrs.get("name", "") for e in _entries(node.child("zone"))]


def _read_rulebase(node: XmlNode | None, scope: PanScope, skip: Callable[[Any], bool] | None,
                   panorama: bool = False) -> None:
    if node is None:
        return
    rules = node.path("security", "rules")
    if rules is not None:  # one pass over each rule's children, the first of each tag counts
        read = [PanRule(name, line, f'security rule "{name}"', fields) for name, line, fields
                in rules.entries_fields("entry", _RULE_LISTS, _RULE_WORDS, skip)]
        if panorama:
            _read_targets(rules, read)
        scope.rules += read
    _read_defaults(node, scope)


def _read_defaults(node: XmlNode | None, scope: PanScope) -> None:
    """Overrides of intrazone-default and interzone-default (a later call wins)."""
    for e in _entries(node.path("default-security-rules", "rules") if node is not None else None):
        action = e.text_of("action")
        if action:
            scope.defaults[e.attrs.get("name", "")] = (action, e.line)


def _read_targets(rules: XmlNode, read: list[PanRule]) -> None:
    """A Panorama rule's `<target>`: the firewalls it is pushed to (`_target_condition`)."""
    by_name = {r.name: r for r in read}
    for e in rules.children_named("entry"):
        target, rule = e.child("target"), by_name.get(e.attrs.get("name", ""))
        if target is None or rule is None:
            continue
        for device in _entries(target.child("devices")):
            limited = device.child("vsys") is not None  # pushed to some of its vsys only
            key = "target-partial" if limited else "target-devices"
            rule.fields.setdefault(key, []).append(device.attrs.get("name", ""))
        tags = target.members("tags") if target.child("tags") is not None else []
        if tags:
            rule.fields.setdefault("target-partial", []).append(f"tags {' '.join(tags)}")
        rule.fields["target-negate"] = [target.text_of("negate")]


def _read_rulebases(config: PanConfig, scope: PanScope, nodes: list[XmlNode | None],
                    audit: Scope | None) -> int:
    """Read a scope's rulebases in order; with `audit`, leave out (unread, counted) the rules
    `RuleFilter` can tell no audited packet matches: scoped parse -45 %. Returns that count.
    Their zones join the scope's (so the zone pairs stay), unless there are more pairs than
    MAX_ZONE_PAIRS: then each rule's own pairs count, and every rule is read."""
    usable = audit is not None and RuleFilter.usable(config, scope)
    skip = RuleFilter(config, scope, audit) if usable and audit is not None else None
    declared = list(scope.zones)
    panorama = len(nodes) > 1
    for node in nodes:
        _read_rulebase(node, scope, skip, panorama)
    if skip is None or not skip.left_out:
        return 0
    scope.zones += sorted(skip.zones - {"any"} - set(declared))
    named = {z for r in scope.rules for key in ("from", "to") for z in r.fields.get(key) or ()}
    if len((named - {"any"}) | set(scope.zones)) ** 2 > MAX_ZONE_PAIRS:  # as `_zone_pairs` counts
        scope.rules, scope.zones = [], declared
        for node in nodes:
            _read_rulebase(node, scope, None, panorama)
        return 0
    return skip.left_out


def _panorama_server(device: XmlNode) -> tuple[str, int] | None:
    """The Panorama server a firewall is managed by (``deviceconfig/system/panorama-server``,
    or ``panorama/local-panorama/panorama-server`` since PAN-OS 9.1), and its line."""
    system = device.path("deviceconfig", "system")
    if system is None:
        return None
    for node in (system, system.path("panorama", "local-panorama")):
        found = node.child("panorama-server") if node is not None else None
        if found is not None and found.text.strip():
            return found.text.strip(), found.line
    return None


def _parents(root: XmlNode, groups: dict[str, XmlNode]) -> dict[str, str]:
    """Each device-group's parent (Panorama): `<parent-dg>` in the export's
    ``readonly/devices/entry/device-group`` or in the group itself; none: ``shared``."""
    parents: dict[str, str] = {}
    readonly = root.child("readonly")
    for device in _entries(readonly.child("devices") if readonly is not None else None):
        for e in _entries(device.child("device-group")):
            if e.text_of("parent-dg"):
                parents[e.attrs.get("name", "")] = e.text_of("parent-dg")
    for name, group in groups.items():
        if group.text_of("parent-dg"):
            parents[name] = group.text_of("parent-dg")
    return parents


def _ancestors(name: str, groups: dict[str, XmlNode], parents: dict[str, str], config: PanConfig,
               line: int) -> tuple[list[XmlNode], str]:
    """The device-groups above `name`, the topmost first (their rules wrap the group's), and
    the name of an ancestor the file does not hold ('' when none)."""
    found: list[XmlNode] = []
    seen = {name}
    parent = parents.get(name, "")
    while parent and parent != "shared":
        if parent in seen:
            raise InputError(f"device-group {name}: parent-dg {parent} makes a loop", path=config.path,
                             line=line, field="parent-dg")
        if parent not in groups:
            return found, parent
        seen.add(parent)
        found.insert(0, groups[parent])
        parent = parents.get(parent, "")
    return found, ""


def read_panos_xml(text: str, path: str, audit: Scope | None = None) -> tuple[PanConfig, int]:
    """The configuration, and how many rules a scoped read (`audit`) left out unread."""
    root = parse_xml(text, path)
    if root.tag == "response":  # the XML API's answer: <response><result><config>
        result = root.child("result")
        inner = result.child("config") if result is not None else None
        if inner is None:
            raise InputError("a PAN-OS API <response> without <result><config>", path=path,
                             line=root.line, field="xml")
        root = inner
    if root.tag != "config":
        raise InputError(f"root element is <{root.tag}>, not a PAN-OS <config>", path=path,
                         line=root.line, field="xml")
    config = PanConfig(path)
    left_out = 0
    shared = root.child("shared")
    if shared is not None:
        _read_objects(shared, config.shared)
    for device in _entries(root.child("devices")):
        server = _panorama_server(device)
        for vsys in _entries(device.child("vsys")):
            scope = PanScope(vsys.attrs.get("name", "vsys1"))
            _read_objects(vsys, scope)
            left_out += _read_rulebases(config, scope, [vsys.child("rulebase")], audit)
            if server is not None:
                panorama_pushed(scope, *server)
            config.scopes[scope.name] = scope
        groups = {g.attrs.get("name", ""): g for g in _entries(device.child("device-group"))}
        parents = _parents(root, groups)
        for name, group in groups.items():
            scope = PanScope(name or "device-group")
            scope.devices = {d.attrs.get("name", "") for d in _entries(group.child("devices"))}
            ancestors, missing = _ancestors(name, groups, parents, config, group.line)
            for node in [*ancestors, group]:  # a group's own objects win over its ancestors'
                _read_objects(node, scope)
            left_out += _read_rulebases(config, scope, [
                shared.child("pre-rulebase") if shared is not None else None,
                *(a.child("pre-rulebase") for a in ancestors),
                group.child("pre-rulebase"), group.child("post-rulebase"),
                *(a.child("post-rulebase") for a in reversed(ancestors)),
                shared.child("post-rulebase") if shared is not None else None], audit)
            # Default rules: a device-group's override wins over its parents', which win over
            # shared (Panorama administrator's guide, "Device Group Policies")
            scope.defaults = {}
            for level in (shared, *ancestors, group):
                for base in ("pre-rulebase", "post-rulebase"):
                    _read_defaults(level.child(base) if level is not None else None, scope)
            if missing:  # its rules come first: every verdict unknown
                scope.rules.insert(0, PanRule(f"parent device-group {missing}", group.line,
                                              f"device-group {missing} (parent of {name}, not in "
                                              "this file)", {"action": ["unknown"]}))
            config.scopes[scope.name] = scope
    if not config.scopes:
        raise InputError("no vsys or device-group with a rulebase in this PAN-OS config",
                         path=path, line=root.line, field="devices")
    return config, left_out


def _build(text: str, path: str, fmt: str, audit: Scope | None) -> Ruleset:
    config, left_out = read_panos_xml(text, path, audit)
    ruleset = build_ruleset(config, fmt, audit)
    return dataclasses.replace(ruleset, omitted=ruleset.omitted + left_out) if left_out else ruleset


class PanosXmlParser(RulesetParser):
    name = "panos"
    platform = "paloalto"
    description = "PAN-OS XML configuration (security rules, objects, zones)"

    def detect(self, text: str) -> float:
        return _detect.panos(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return self._parse(text, path, None)

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return self._parse(text, path, scope)

    def _parse(self, text: str, path: str, scope: Scope | None) -> Ruleset:
        return parse_logged(self.name, path, lambda: _build(text, path, self.name, scope))
