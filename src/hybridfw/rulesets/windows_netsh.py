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
from hybridfw.rulesets import _detect
from hybridfw.rulesets._vendor_util import parse_logged
from hybridfw.rulesets._windows_model import PROFILES, Profile, WinRule, admitted, build_ruleset, profile_set
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Ruleset
from hybridfw.rulesets.scope import Scope

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
        return _listed(fields.get(key, "Any"))

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


class _Reader:
    """The reader's state across lines; `line` reads one line (the reference step: every line
    through the regular expressions). `emit` turns a rule's fields into a WinRule."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rules: list[WinRule] = []
        self.profiles: dict[str, Profile] = {}
        self.fields: dict[str, str] | None = None  # of the rule being read (values unstripped)
        self.start = 0
        self.profile: Profile | None = None
        self.blocks = 0  # rules read, kept or not

    def line(self, number: int, raw: str) -> None:
        if raw[:1].isspace() or not raw.strip():
            return
        heading = _PROFILE.match(raw)
        if heading:
            name = heading.group(1).lower()
            self.profile = self.profiles[name] = Profile(name, number)
            return
        setting = _SETTING.match(raw) if self.profile is not None and self.fields is None else None
        if setting and self.profile is not None:
            if setting.group(1).lower() == "state":
                self.profile.enabled = setting.group(2).strip().lower() != "off"
            else:
                _policy(self.profile, setting.group(2))
            return
        found = _FIELD.match(raw)
        if not found:
            return
        key, value = found.group(1).strip().lower(), found.group(2)
        if key == "rule name":
            self.begin(number)
        if self.fields is not None:
            self.fields[key] = value

    def begin(self, number: int) -> dict[str, str]:
        """A rule starts at line `number`: the one before it is complete. Returns its fields."""
        self.close()
        fields: dict[str, str] = {}
        self.fields, self.start, self.profile = fields, number, None
        return fields

    def close(self) -> None:
        if self.fields is not None:
            self.blocks += 1
            rule = self.emit(self.fields, self.start)
            if rule is not None:
                self.rules.append(rule)

    def emit(self, fields: dict[str, str], start: int) -> WinRule | None:
        return _rule({k: v.strip() for k, v in fields.items()}, start, self.path)

    def finish(self) -> tuple[list[WinRule], list[Profile]]:
        self.close()
        if not self.blocks and not self.profiles:
            raise InputError("no 'Rule Name:' rules or 'Profile Settings:' sections (netsh output "
                             "in English is needed)", path=self.path, field="netsh")
        return self.rules, [self.profiles[p] for p in PROFILES if p in self.profiles]


class _ScopedReader(_Reader):
    """Leaves out the enabled rules no packet of `scope` can match (`admitted`); disabled rules
    are kept (the audit names them) and every rule's Direction and Action are checked as in
    the full parse."""

    def __init__(self, path: str, scope: Scope) -> None:
        super().__init__(path)
        self.scope = scope
        self.seen: dict[tuple[str, str], bool] = {}  # (Protocol, destination port text) -> admitted
        self.omitted = 0

    def emit(self, fields: dict[str, str], start: int) -> WinRule | None:
        direction = fields.get("direction", "").strip().lower()
        if (direction in ("in", "out") and fields.get("enabled", "").strip().lower() == "yes"
                and fields.get("action", "").strip().lower() in _ACTIONS):
            key = (fields.get("protocol", "Any"),
                   fields.get("localport" if direction == "in" else "remoteport", "Any"))
            found = self.seen.get(key)
            if found is None:
                found = self.seen[key] = admitted(self.scope, key[0], _listed(key[1].strip()))
            if not found:
                self.omitted += 1
                return None
        return super().emit(fields, start)


# netsh's own spelling of each field name (-> the reference step's key). A line `Name: value`
# with one of them is a field line in the reference step too (it starts with a letter and is
# no profile heading or setting), so `_scan` stores it without the regular expressions.
_SPELLED = {"Rule Name": "rule name", "Enabled": "enabled", "Direction": "direction",
            "Profiles": "profiles", "Grouping": "grouping", "LocalIP": "localip",
            "RemoteIP": "remoteip", "Protocol": "protocol", "LocalPort": "localport",
            "RemotePort": "remoteport", "Edge traversal": "edge traversal", "Program": "program",
            "Service": "service", "InterfaceTypes": "interfacetypes", "Security": "security",
            "Rule source": "rule source", "Description": "description", "Action": "action"}


def _scan(reader: _Reader, text: str) -> None:
    """Every line of `text` as `_Reader.line` reads it, faster: once a rule has begun, a line
    without a colon changes nothing (headings and fields have one, settings are read before
    the first rule only) and a field in netsh's own spelling is stored directly; every other
    line takes the reference step."""
    # audit_vendor.py windows-netsh scoped: the regex step per line was ~60 % of the parse
    spelled = _SPELLED.get
    for number, raw in enumerate(text.splitlines(), start=1):
        key, colon, value = raw.partition(":")
        name = spelled(key)
        fields = reader.fields
        if name is not None and colon and fields is not None:
            if name == "rule name":
                fields = reader.begin(number)
            fields[name] = value
        elif colon or fields is None:
            reader.line(number, raw)


def _listed(value: str) -> list[str]:
    return [v for v in value.split(",") if v.strip()]


def read(text: str, path: str) -> tuple[list[WinRule], list[Profile]]:
    reader = _Reader(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        reader.line(number, raw)
    return reader.finish()


def read_scoped(text: str, path: str, scope: Scope) -> tuple[list[WinRule], list[Profile], int]:
    """As `read`, leaving out the rules no packet of `scope` can match (and counting them)."""
    reader = _ScopedReader(path, scope)
    _scan(reader, text)
    rules, profiles = reader.finish()
    return rules, profiles, reader.omitted


class WindowsNetshParser(RulesetParser):
    name = "windows-netsh"
    platform = "windows-advfirewall"
    description = ("Windows Defender Firewall: netsh advfirewall show allprofiles + "
                   "netsh advfirewall firewall show rule name=all verbose (English)")

    def detect(self, text: str) -> float:
        return _detect.windows_netsh(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_logged(self.name, path, lambda: build_ruleset(*read(text, path), path, self.name))

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        def build() -> Ruleset:
            rules, profiles, omitted = read_scoped(text, path, scope)
            return build_ruleset(rules, profiles, path, self.name, omitted)

        return parse_logged(self.name, path, build)
