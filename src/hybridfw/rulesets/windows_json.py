"""Windows Defender Firewall from PowerShell (NetSecurity module) as JSON.

Made on the Exchange server with the PowerShell line that ``hybridfw audit --help`` and
docs/audit.md give: an object ``{"Profiles": [...], "Rules": [...]}`` where each rule carries the
fields of Get-NetFirewallRule joined with its address, port, application, service, interface
type and security filters.

A plain array of such rule objects is read too (the profile defaults are then unknown). Enums
may be names (``"Inbound"``, ``"Block"``) or the numbers ``ConvertTo-Json`` writes without
``[string]`` (Direction 1 inbound / 2 outbound, Action 2 allow / 4 block, Enabled 1 true / 2 false,
Profile flags 1 Domain, 2 Private, 4 Public, 0 any; DefaultInboundAction 0 not configured,
2 allow, 4 block). Evaluation: see `_windows_model`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hybridfw.errors import InputError
from hybridfw.rulesets import _detect
from hybridfw.rulesets._vendor_util import parse_logged
from hybridfw.rulesets._windows_model import PROFILES, Profile, WinRule, admitted, build_ruleset, profile_set
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope

_DIRECTION = {"inbound": True, "1": True, "outbound": False, "2": False}
_ACTION = {"allow": "allow", "2": "allow", "block": "block", "4": "block"}
_DEFAULT = {"allow": "allow", "2": "allow", "block": "block", "4": "block", "notconfigured": "",
            "0": "", "": ""}
_PROFILE_BITS = {1: "domain", 2: "private", 4: "public"}
_NAME_KEY = re.compile(r'"DisplayName"\s*:')


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _list(value: Any) -> list[str]:
    if value is None:
        return ["Any"]
    items = value if isinstance(value, list) else [value]
    return [_text(v) for v in items if _text(v)] or ["Any"]


def _profiles_of(value: Any) -> frozenset[str]:
    text = _text(value)
    if text.isdigit():
        bits = int(text)
        return frozenset(PROFILES) if bits == 0 else frozenset(
            n for b, n in _PROFILE_BITS.items() if bits & b)
    return profile_set(text)


def _rule(item: Any, index: int, path: str) -> WinRule:
    if not isinstance(item, dict):
        raise InputError(f"rule {index} is not an object", path=path, field="Rules")
    name = _text(item.get("DisplayName")) or _text(item.get("Name")) or f"#{index}"
    inbound = _DIRECTION.get(_text(item.get("Direction")).lower())
    action = _ACTION.get(_text(item.get("Action")).lower())
    if inbound is None or action is None:
        missing = "Direction" if inbound is None else "Action"
        raise InputError(f"rule {name!r} (#{index}) has no readable {missing}", path=path, field=missing)
    if action == "allow" and _text(item.get("OverrideBlockRules")).lower() in ("true", "1"):
        action = "bypass"
    security = "NotRequired"
    if _text(item.get("Authentication")).lower() not in ("", "notrequired", "0"):
        security = f"Authentication {_text(item.get('Authentication'))}"
    elif _text(item.get("Encryption")).lower() not in ("", "notrequired", "0"):
        security = f"Encryption {_text(item.get('Encryption'))}"
    program, service = _text(item.get("Program")), _text(item.get("Service"))
    interface = _text(item.get("InterfaceType")) or "Any"
    return WinRule(name=name, line=index, enabled=_text(item.get("Enabled")).lower() in ("true", "1"),
                   inbound=inbound, profiles=_profiles_of(item.get("Profile")), action=action,
                   local_ips=_list(item.get("LocalAddress")), remote_ips=_list(item.get("RemoteAddress")),
                   protocol=_text(item.get("Protocol")) or "Any", local_ports=_list(item.get("LocalPort")),
                   remote_ports=_list(item.get("RemotePort")), program=program, service=service,
                   interface_types="Any" if interface in ("0", "Any") else interface, security=security)


def _profile(item: Any, path: str) -> Profile | None:
    if not isinstance(item, dict):
        raise InputError("a profile is not an object", path=path, field="Profiles")
    name = _text(item.get("Name")).lower()
    if name not in PROFILES:
        return None
    enabled = _text(item.get("Enabled")).lower() not in ("false", "0")
    inbound = _DEFAULT.get(_text(item.get("DefaultInboundAction")).lower())
    outbound = _DEFAULT.get(_text(item.get("DefaultOutboundAction")).lower())
    if inbound is None or outbound is None:
        raise InputError(f"profile {name}: unreadable default action", path=path, field="Profiles")
    return Profile(name, 0, enabled, inbound or "block", outbound or "allow")


def _kept(item: Any, scope: Scope, seen: dict[tuple[str, object], bool]) -> bool:
    """Whether a scoped parse keeps this rule: it may match an audited packet (`admitted`), is
    disabled (the audit names it) or is unreadable (`_rule` refuses it as the full parse does)."""
    if not isinstance(item, dict):
        return True
    inbound = _DIRECTION.get(_text(item.get("Direction")).lower())
    if (inbound is None or _ACTION.get(_text(item.get("Action")).lower()) is None
            or _text(item.get("Enabled")).lower() not in ("true", "1")):
        return True
    protocol = _text(item.get("Protocol")) or "Any"
    ports = item.get("LocalPort" if inbound else "RemotePort")
    key = (protocol, ports if isinstance(ports, str) else repr(ports))  # repr: lists are unhashable
    found = seen.get(key)
    if found is None:
        found = seen[key] = admitted(scope, protocol, _list(ports))
    return found


def read(text: str, path: str, scope: Scope | None = None) -> tuple[list[WinRule], list[Profile], int]:
    """The rules and profiles of `text` and how many rules were left out: with `scope`, the
    enabled rules no packet of it can match are (see `_kept`)."""
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as exc:
        raise InputError(f"not JSON ({str(exc).splitlines()[0][:120]})", path=path, field="json") from None
    raw_rules, raw_profiles = (doc, []) if isinstance(doc, list) else (
        (doc.get("Rules"), doc.get("Profiles")) if isinstance(doc, dict) else (None, None))
    if isinstance(raw_rules, dict):
        raw_rules = [raw_rules]  # ConvertTo-Json writes a single rule as an object
    if isinstance(raw_profiles, dict):
        raw_profiles = [raw_profiles]
    if not isinstance(raw_rules, list) or not isinstance(raw_profiles, list):
        raise InputError("expected {\"Profiles\": [...], \"Rules\": [...]} or a list of rules",
                         path=path, field="json")
    seen: dict[tuple[str, object], bool] = {}
    rules = [_rule(item, i, path) for i, item in enumerate(raw_rules, start=1)
             if scope is None or _kept(item, scope, seen)]
    marks = [m.start() for m in _NAME_KEY.finditer(text)]
    if len(marks) == len(raw_rules):  # evidence names the line each rule's object starts on
        line, last = 1, 0
        for rule in rules:
            mark = marks[rule.line - 1]  # the rule's index until now
            line += text.count("\n", last, mark)
            rule.line, last = line, mark
    profiles = [p for item in raw_profiles if (p := _profile(item, path)) is not None]
    for profile in profiles:  # evidence names the line of the profile's "Name"
        found = re.search(rf'"Name"\s*:\s*"{profile.name}"', text, re.IGNORECASE)
        if found is not None:
            profile.line = text.count("\n", 0, found.start()) + 1
    return rules, profiles, len(raw_rules) - len(rules)


class WindowsJsonParser(RulesetParser):
    name = "windows-json"
    platform = "windows-advfirewall"
    description = "Windows Defender Firewall: Get-NetFirewallRule + filters as JSON (see --help)"

    def detect(self, text: str) -> float:
        return _detect.windows_json(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return self._parse(text, path, None)

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        return self._parse(text, path, scope)

    def _parse(self, text: str, path: str, scope: Scope | None) -> Ruleset:
        def build() -> Ruleset:
            rules, profiles, omitted = read(text, path, scope)
            return build_ruleset(rules, profiles, path, self.name, omitted)

        return parse_logged(self.name, path, build)
