"""Windows Defender Firewall scoped parse (netsh text, PowerShell JSON): the enabled rules whose
protocol and destination port no audited packet has are left out. On random rule sets (block,
allow and bypass rules, profiles, disabled rules, port lists, ranges and keywords, address
keywords, lines in other spellings) and random flows, profiles and placements it audits exactly
like the full parse, or raises the same input error; the netsh line reader that skips the
regular expressions reads every rule as the reference reader does."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.scoped import audit_of, audited_flows
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.audit.coverage import Interfaces
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets.windows_netsh import _Reader, _scan, read

_LOCAL_IPS = ("Any", "Any", "192.0.2.10", "192.0.2.0/24", "192.0.2.0/255.255.255.0", "LocalSubnet",
              "192.0.2.5-192.0.2.20", "198.51.100.1")
_REMOTE_IPS = ("Any", "Any", "40.92.0.0/15", "LocalSubnet", "Internet", "DNS", "40.92.0.0/15,10.5.5.5",
               "40.107.0.0-40.107.255.255", "Intranet", "10.5.5.5/255.255.255.255", "2001:db8::/32")
_PORTS = ("Any", "Any", "25", "443", "80", "25,443", "20-30", "1000-2000", "1500", "RPC", "80,1500",
          "IPHTTPS", "3000", "")
_PROTOCOLS = ("TCP", "TCP", "TCP", "UDP", "Any", "ICMPv4", "6", "17")
_PROFILES = ("Domain", "Private", "Public", "Domain,Private,Public", "Any", "Domain,Public", "")


@st.composite
def _netsh_rule(draw: st.DrawFn) -> str:
    protocol = draw(st.sampled_from(_PROTOCOLS))
    fields: list[tuple[str, str] | str] = [
        ("Rule Name", draw(st.sampled_from(("web", "smtp: in", "r", "Block old")))), "-" * 70,
        ("Enabled", draw(st.sampled_from(("Yes", "Yes", "No", " yes ")))),
        ("Direction", draw(st.sampled_from(("In", "In", "Out", "Sideways" if draw(st.integers(0, 30)) == 0
                                            else "In")))),
        ("Profiles", draw(st.sampled_from(_PROFILES))), ("Grouping", ""),
        ("LocalIP", draw(st.sampled_from(_LOCAL_IPS))), ("RemoteIP", draw(st.sampled_from(_REMOTE_IPS))),
        ("Protocol", protocol)]
    if protocol == "ICMPv4":
        fields += [" " * 38 + "Type    Code", " " * 38 + "Any     Any"]
    fields += [("LocalPort", draw(st.sampled_from(_PORTS))), ("RemotePort", draw(st.sampled_from(_PORTS))),
               ("Edge traversal", draw(st.sampled_from(("No", "Yes", "Defer to application"))))]
    fields += draw(st.sampled_from(([], [("Program", "Any")], [("Program", r"C:\x\edge.exe")],
                                    [("Service", "MSExchangeTransport")])))
    verbose = draw(st.integers(0, 8)) > 0
    if verbose:
        fields += [("InterfaceTypes", draw(st.sampled_from(("Any", "Any", "Wireless")))),
                   ("Security", draw(st.sampled_from(("NotRequired", "NotRequired", "Authenticate"))))]
    fields += [("Rule source", "Local Setting"),
               ("Action", draw(st.sampled_from(("Allow", "Allow", "Block", "Block", "Bypass", "Maybe"
                                                if draw(st.integers(0, 30)) == 0 else "Allow"))))]
    lines = [f if isinstance(f, str) else f"{f[0] + ':':<38}{f[1]}" for f in fields]
    for _ in range(draw(st.integers(0, 2))):  # rarely: lines in other spellings, repeated fields
        odd = draw(st.sampled_from((
            "DIRECTION:  Out", "direction :In", "Action : Block", "LOCALPORT: 25", "LocalPort:443",
            "RemotePort:   25", "Protocol: UDP", "Enabled:No", "Foo: bar", "  LocalPort: 25", "Ok.",
            "RULE NAME: other", "Rule Name : second", "Rule Name:third", "Profiles : Public", "Security",
            "Private Profile Settings:", "LocalPort", "State                ON")))
        lines.insert(draw(st.integers(1, len(lines))), odd)
    return "\n".join(lines) + "\n"


_POLICIES = ("BlockInbound,AllowOutbound", "AllowInbound,AllowOutbound", "BlockInboundAlways,BlockOutbound")


@st.composite
def _netsh_text(draw: st.DrawFn) -> str:
    head = ""
    for name in draw(st.lists(st.sampled_from(("Domain", "Private", "Public")), max_size=3, unique=True)):
        state = draw(st.sampled_from(("ON", "OFF")))
        head += (f"{name} Profile Settings:\n{'-' * 70}\nState{' ' * 33}{state}\n"
                 f"Firewall Policy{' ' * 23}{draw(st.sampled_from(_POLICIES))}\n\n")
    text = head + "Ok.\n\n" + "\n".join(draw(st.lists(_netsh_rule(), max_size=8))) + "Ok.\n"
    ending = draw(st.sampled_from(("\n", "\n", "\n", "\r\n", "\x0c")))  # CRLF: a file from Windows
    return text.replace("\n", ending) if ending != "\n" else text


def _json_rule(draw: st.DrawFn) -> dict[str, Any]:
    return {"DisplayName": draw(st.sampled_from(("web", "smtp", "r"))),
            "Enabled": draw(st.sampled_from(("True", "True", "False", 1, 2))),
            "Direction": draw(st.sampled_from(("Inbound", "Inbound", "Outbound", 1, 2, "Sideways"
                                               if draw(st.integers(0, 30)) == 0 else "Inbound"))),
            "Profile": draw(st.sampled_from(("Any", "Domain", "Public", 0, 1, 6))),
            "Action": draw(st.sampled_from(("Allow", "Block", 2, 4))),
            "OverrideBlockRules": draw(st.sampled_from((False, False, True))),
            "LocalAddress": draw(st.sampled_from((*_LOCAL_IPS, None, ["192.0.2.10", "LocalSubnet"]))),
            "RemoteAddress": draw(st.sampled_from((*_REMOTE_IPS, None, ["40.92.0.0/15", "10.5.5.5"]))),
            "Protocol": draw(st.sampled_from((*_PROTOCOLS, None))),
            "LocalPort": draw(st.sampled_from((*_PORTS, None, ["25", "443"], ["1000-2000", "RPC"], 25))),
            "RemotePort": draw(st.sampled_from((*_PORTS, None))),
            "Program": draw(st.sampled_from(("Any", None, r"C:\x\edge.exe"))),
            "InterfaceType": draw(st.sampled_from(("Any", 0, "Wireless"))),
            "Authentication": draw(st.sampled_from(("NotRequired", "NotRequired", "Required")))}


@st.composite
def _json_text(draw: st.DrawFn) -> str:
    rules = [_json_rule(draw) for _ in range(draw(st.integers(0, 8)))]
    profiles = [{"Name": name, "Enabled": draw(st.sampled_from(("True", "False"))),
                 "DefaultInboundAction": draw(st.sampled_from(("NotConfigured", "Allow", "Block", 4))),
                 "DefaultOutboundAction": draw(st.sampled_from(("NotConfigured", "Allow", "Block")))}
                for name in draw(st.lists(st.sampled_from(("Domain", "Private", "Public")), max_size=3,
                                          unique=True))]
    doc: Any = rules if draw(st.integers(0, 5)) == 0 else {"Profiles": profiles, "Rules": rules}
    return json.dumps(doc, indent=draw(st.sampled_from((None, 2))))


def _outcome(text: str, fmt: str, flows: list[Flow], scoped: bool, interfaces: Interfaces) -> tuple[Any, ...]:
    """The audit of the scoped or full parse, or the input error it raised (message, line)."""
    try:
        return audit_of(text, fmt, flows, scoped, interfaces)
    except InputError as exc:
        return ("error", str(exc), exc.line)


_INTERFACES = st.builds(Interfaces, st.sampled_from((None, "domain", "Public", "private")), st.none(),
                        st.sampled_from((None, "host", "gateway")))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_netsh_text().map(lambda t: ("windows-netsh", t)),
                 _json_text().map(lambda t: ("windows-json", t))), audited_flows(), _INTERFACES)
def test_windows_scoped_parse_audits_like_a_full_parse(case: tuple[str, str], flows: list[Flow],
                                                        interfaces: Interfaces) -> None:
    fmt, text = case
    assert _outcome(text, fmt, flows, True, interfaces) == _outcome(text, fmt, flows, False, interfaces), text


def _scanned(text: str) -> Any:
    reader = _Reader("t.txt")
    try:
        _scan(reader, text)
        return reader.finish()
    except InputError as exc:
        return ("error", str(exc), exc.line)


def _reference(text: str) -> Any:
    try:
        return read(text, "t.txt")
    except InputError as exc:
        return ("error", str(exc), exc.line)


@settings(max_examples=examples(300), deadline=None)
@given(_netsh_text())
def test_netsh_line_scan_reads_like_the_reference_reader(text: str) -> None:
    assert _scanned(text) == _reference(text)


_SMTP = [Flow("in", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
              AddressSet.parse(["192.0.2.10"]), "test")]
_RULES = "".join(
    f"Rule Name: {name}\nEnabled: {enabled}\nDirection: In\nProfiles: Any\nRemoteIP: {remote}\n"
    f"Protocol: {protocol}\nLocalPort: {port}\nSecurity: NotRequired\nAction: {action}\n\n"
    for name, enabled, remote, protocol, port, action in (
        ("ssh", "Yes", "Any", "TCP", "22", "Allow"), ("dns", "Yes", "Any", "UDP", "25", "Allow"),
        ("old", "No", "Any", "TCP", "3000", "Allow"),
        ("smtp", "Yes", "40.92.0.0/15", "TCP", "25", "Allow"),
        ("drop", "Yes", "40.92.4.0/24", "TCP", "20-30", "Block"),
        ("far", "Yes", "Any", "TCP", "1000", "Block")))


def test_scoped_parse_keeps_what_can_match_and_disabled_rules() -> None:
    ruleset = parse_text(_RULES, "t.txt", "windows-netsh", audit_scope(_SMTP))
    assert ruleset.omitted == 3  # ssh, dns (UDP), far; "old" is disabled and still named
    kept = {r.origin.describe().split("'")[1] for c in ruleset.chains.values() for r in c.rules}
    assert kept == {"smtp", "drop"}
    assert [f.message for f in ruleset.findings if "disabled" in f.message] == ["disabled rule 'old' skipped"]
    assert audit_of(_RULES, "windows-netsh", _SMTP, True) == audit_of(_RULES, "windows-netsh", _SMTP, False)
    (row,) = audit_of(_RULES, "windows-netsh", _SMTP, True)[0]["flows"]
    assert row["allowed"] == ["40.92.0.0/22", "40.92.5.0/24", "40.92.6.0/23", "40.92.8.0/21", "40.92.16.0/20",
                              "40.92.32.0/19", "40.92.64.0/18", "40.92.128.0/17", "40.93.0.0/16"]


def test_scoped_parse_refuses_a_rule_it_would_leave_out_as_the_full_parse_does() -> None:
    text = _RULES.replace("Protocol: TCP\nLocalPort: 1000\nSecurity: NotRequired\nAction: Block",
                          "Protocol: TCP\nLocalPort: 1000\nSecurity: NotRequired\nAction: Maybe")
    errors = []
    for scope in (None, audit_scope(_SMTP)):
        try:
            parse_text(text, "t.txt", "windows-netsh", scope)
        except InputError as exc:
            errors.append((str(exc), exc.line))
    assert len(errors) == 2 and errors[0] == errors[1] and "no readable Action" in errors[0][0]
