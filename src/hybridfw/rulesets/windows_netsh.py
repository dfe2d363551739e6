"""Windows Defender Firewall as ``netsh`` shows it (English output), in one text file::

    netsh advfirewall show allprofiles > firewall.txt
    netsh advfirewall firewall show rule name=all verbose >> firewall.txt

A rule starts at ``Rule Name:`` and has ``Key: value`` lines (``Enabled``, ``Direction``,
``Profiles``, ``LocalIP``, ``RemoteIP``, ``Protocol``, ``LocalPort``, ``RemotePort``, ``Program``,
``Service``, ``InterfaceTypes``, ``Security``, ``Action``). A profile section starts at ``Domain
Profile Settings:`` and gives ``State`` and ``Firewall Policy`` (``BlockInbound,AllowOutbound``).
Indented continuation lines (ICMP types) are ignored. Output without ``verbose`` lacks the
program, service, interface and security conditions: every rule of it is then unknown, saying
so. Evaluation: see `_windows_model`.
"""

from __future__ import annotations

import re

from hybridfw.errors import InputError
from hybridfw.rulesets._vendor_util import parse_logged
from hybridfw.rulesets._windows_model import PROFILES, Profile, WinRule, build_ruleset, profile_set
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Ruleset

_FIELD = re.compile(r"^([A-Za-z][A-Za-z ]{0,40}?):\s*(.*?)\s*$")
_PROFILE = re.compile(r"^(Domain|Private|Public) Profile Settings:\s*$", re.IGNORECASE)
_SETTING = re.compile(r"^(State|Firewall Policy)\s{2,}(\S.*?)\s*$", re.IGNORECASE)
_ACTIONS = {"allow": "allow", "block": "block", "bypass": "bypass"}
# Without "verbose", netsh leaves out Program, Service, InterfaceTypes and Security.
_NOT_VERBOSE = "program/service not shown (run 'show rule name=all verbose')"


def _rule(fields: dict[str, str], line: int, path: str) -> WinRule:
    name = fields.get("rule name", "")
    direction = fields.get("direction", "").lower()
    action = _ACTIONS.get(fields.get("action", "").lower())
    if direction not in ("in", "out") or action is None:
        missing = "Direction" if direction not in ("in", "out") else "Action"
        raise InputError(f"rule {name!r} has no readable {missing}", path=path, line=line,
                         field=missing)

    def listed(key: str) -> list[str]:
        return [v for v in fields.get(key, "Any").split(",") if v.strip()]

    return WinRule(name=name, line=line, enabled=fields.get("enabled", "").lower() == "yes",
                   inbound=direction == "in", profiles=profile_set(fields.get("profiles", "Any")),
                   action=action, local_ips=listed("localip"), remote_ips=listed("remoteip"),
                   protocol=fields.get("protocol", "Any"), local_ports=listed("localport"),
                   remote_ports=listed("remoteport"), program=fields.get("program", ""),
                   service=fields.get("service", ""),
                   interface_types=fields.get("interfacetypes", "Any"),
                   security=fields.get("security", "NotRequired"),
                   hidden="" if "security" in fields else _NOT_VERBOSE)


def _policy(profile: Profile, value: str) -> None:
    for word in (w.strip().lower() for w in value.split(",")):
        if word in ("blockinbound", "allowinbound", "blockinboundalways"):
            profile.inbound = {"blockinbound": "block", "allowinbound": "allow"}.get(word, "blockalways")
        elif word in ("allowoutbound", "blockoutbound"):
            profile.outbound = "allow" if word == "allowoutbound" else "block"


def read(text: str, path: str) -> tuple[list[WinRule], list[Profile]]:
    rules: list[WinRule] = []
    profiles: dict[str, Profile] = {}
    fields: dict[str, str] | None = None
    start = 0
    profile: Profile | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1].isspace() or not raw.strip():
            continue
        heading = _PROFILE.match(raw)
        if heading:
            name = heading.group(1).lower()
            profile = profiles[name] = Profile(name, number)
            continue
        setting = _SETTING.match(raw) if profile is not None and fields is None else None
        if setting and profile is not None:
            if setting.group(1).lower() == "state":
                profile.enabled = setting.group(2).strip().lower() != "off"
            else:
                _policy(profile, setting.group(2))
            continue
        found = _FIELD.match(raw)
        if not found:
            continue
        key, value = found.group(1).strip().lower(), found.group(2)
        if key == "rule name":
            if fields is not None:
                rules.append(_rule(fields, start, path))
            fields, start, profile = {}, number, None
        if fields is not None:
            fields[key] = value
    if fields is not None:
        rules.append(_rule(fields, start, path))
    if not rules and not profiles:
        raise InputError("no 'Rule Name:' rules or 'Profile Settings:' sections (netsh output in "
                         "English is needed)", path=path, field="netsh")
    return rules, [profiles[p] for p in PROFILES if p in profiles]


class WindowsNetshParser(RulesetParser):
    name = "windows-netsh"
    platform = "windows-advfirewall"
    description = ("Windows Defender Firewall: netsh advfirewall show allprofiles + "
                   "netsh advfirewall firewall show rule name=all verbose (English)")

    def detect(self, text: str) -> float:
        head = text[:100_000]
        rules = head.count("\nRule Name:") + head.startswith("Rule Name:")
        if rules and "Direction:" in head and "Action:" in head:
            return 0.9
        return 0.9 if "Profile Settings:" in head and "Firewall Policy" in head else 0.0

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: build_ruleset(*read(text, path), path, self.name))
