"""Windows Defender Firewall readers (netsh text, PowerShell JSON): block beats allow, then the
profile default; profiles decided by the interface name given to the audit, unknown otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.edge_writers import netsh_profiles, netsh_rule
from _support.vendor import addrs
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_ruleset
from hybridfw.audit.coverage import Interfaces
from hybridfw.audit.interface import FlowCoverage
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import detect_format, parse_files, parsers

DATA = Path(__file__).parent.parent / "data" / "audit_edge"
NETSH = DATA / "windows-netsh-features.txt"
JSON = DATA / "windows-json-features.json"
EOP = addrs("40.92.0.0/15", "52.100.0.0/14")
RETIRED = addrs("40.92.4.0/24")


def row(path: Path, destination: str, port: int, profile: str | None,
        direction: str = "inbound") -> FlowCoverage:
    family = 6 if ":" in destination else 4
    remote, local = AddressSet.any(family), AddressSet.parse([destination])
    flow = Flow(id="probe", direction=direction, protocol="tcp", ports=(port,),
                sources=remote if direction == "inbound" else local,
                destinations=local if direction == "inbound" else remote, reason="test")
    result = audit_ruleset(parse_files([path]), [flow], interfaces=Interfaces(profile, None))
    (found,) = result.flows
    return found


@pytest.mark.parametrize("path", [NETSH, JSON])
def test_detected(path: Path) -> None:
    assert detect_format(path.read_text()).name == path.name.rsplit("-", 1)[0]


def test_block_rule_wins_over_a_later_listed_allow() -> None:
    got = row(NETSH, "203.0.113.10", 25, "domain")
    partners = addrs("198.18.0.0/16")  # a Domain-profile rule, listed after the program rule
    assert got.allowed == (EOP - RETIRED) | partners
    # The Exchange program rule (any port) cannot be decided: which process listens is unknown.
    assert got.unknown == addrs("0.0.0.0/0") - EOP - partners
    assert "MSExchangeFrontendTransport.exe" in " ".join(got.evidence["unknown"])


def test_profile_unknown_without_its_name_and_block_all_on_public() -> None:
    unnamed = row(NETSH, "203.0.113.10", 25, None)
    # Public blocks all connections, Domain and Private admit EOP: never allowed, at most unknown.
    assert not unnamed.allowed and unnamed.unknown >= EOP - RETIRED
    assert "profile Public" in " ".join(unnamed.evidence["unknown"])
    public = row(NETSH, "203.0.113.10", 25, "public")
    assert not public.allowed and not public.unknown  # BlockInboundAlways: no allow rule counts


def test_domain_only_rule_and_address_keywords() -> None:
    domain = row(NETSH, "203.0.113.10", 587, "domain")
    assert addrs("198.18.0.0/16") <= domain.allowed
    ruleset = parsers()["windows-netsh"].parse(NETSH.read_text(), "w.txt")
    reasons = {why for c in ruleset.chains.values() for r in c.rules for why in r.match.undecidable}
    assert {"RemoteIP LocalSubnet", "program System"} <= reasons
    private = row(NETSH, "203.0.113.10", 587, "private")
    assert not private.allowed & addrs("198.18.0.0/16")


def test_ipv6_and_outbound() -> None:
    assert row(NETSH, "2001:db8::10", 25, "domain").allowed == addrs("2a01:111:f400::/48")
    out = row(NETSH, "203.0.113.10", 443, "domain", direction="outbound")
    assert out.allowed == addrs("0.0.0.0/0")


def test_json_profiles_bypass_and_defaults() -> None:
    # Domain default NotConfigured = block; bypass rule needs IPsec (unknown) and comes first.
    domain = row(JSON, "203.0.113.10", 25, "domain")
    assert addrs("0.0.0.0/0") - EOP <= domain.unknown  # bypass if IPsec, else the default blocks
    assert domain.unknown | domain.allowed == addrs("0.0.0.0/0") and not domain.missing
    assert domain.allowed <= EOP - addrs("40.92.4.0/24")
    assert "IPsec" in " ".join(domain.evidence["unknown"])
    # Public is off: everything is admitted before any rule.
    assert row(JSON, "203.0.113.10", 25, "public").allowed == addrs("0.0.0.0/0")
    ruleset = parsers()["windows-json"].parse(JSON.read_text(), "w.json")
    assert any(f.code == "audit.rule-disabled" for f in ruleset.findings)
    defaults = [r.origin for c in ruleset.chains.values() for r in c.rules
                if "default action" in r.origin.text]
    assert {(o.line, o.text) for o in defaults} >= {(3, "default action of the Domain profile")}


def test_json_without_profiles_leaves_the_default_unknown(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text('[{"DisplayName": "smtp", "Direction": "Inbound", "Action": "Allow", "Enabled": "True",'
                    ' "Profile": "Any", "RemoteAddress": "10.0.0.0/255.0.0.0", "LocalPort": "25",'
                    ' "Protocol": "TCP"}]')
    got = row(path, "203.0.113.10", 25, "domain")
    assert got.allowed == addrs("10.0.0.0/8")
    assert got.unknown == addrs("0.0.0.0/0") - addrs("10.0.0.0/8")


def test_rules_without_profile_settings(tmp_path: Path) -> None:
    path = tmp_path / "rules.txt"
    path.write_text(netsh_rule("smtp", "Allow", "Any", "25") + "Ok.\n")
    ruleset = parsers()["windows-netsh"].parse(path.read_text(), str(path))
    assert any(f.code == "audit.profiles-missing" for f in ruleset.findings)
    assert row(path, "203.0.113.10", 25, None).allowed == addrs("0.0.0.0/0")
    assert row(path, "203.0.113.10", 26, None).unknown == addrs("0.0.0.0/0")


@pytest.mark.parametrize(("fmt", "text", "message"), [
    ("windows-netsh", "Bonjour\n", "English"),
    ("windows-netsh", netsh_rule("x", "Maybe", "Any", "25"), "no readable Action"),
    ("windows-json", "{", "not JSON"),
    ("windows-json", '{"Rules": 3}', "expected"),
    ("windows-json", '[{"Direction": "Sideways", "Action": "Allow"}]', "no readable Direction"),
    ("windows-json", '{"Profiles": [{"Name": "Domain", "DefaultInboundAction": "Maybe"}], "Rules": []}',
     "unreadable default"),
])
def test_input_errors(fmt: str, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parsers()[fmt].parse(text, "w")


def test_profile_defaults_differ(tmp_path: Path) -> None:
    text = netsh_profiles().replace("BlockInbound,AllowOutbound", "AllowInbound,AllowOutbound", 1)
    path = tmp_path / "fw.txt"
    path.write_text(text)
    assert row(path, "203.0.113.10", 25, "domain").allowed == addrs("0.0.0.0/0")
    assert not row(path, "203.0.113.10", 25, "private").allowed
    assert row(path, "203.0.113.10", 25, None).unknown == addrs("0.0.0.0/0")


def test_help_gives_the_powershell_line_the_docs_give() -> None:
    from _support.cli_runner import run_here
    from _support.vendor import REPO
    from hybridfw.commands.audit import WINDOWS_JSON

    proc = run_here("audit", "--help", env={"COLUMNS": "400"})
    assert proc.returncode == 0
    assert "Get-NetFirewallPortFilter" in proc.stdout and "[string]$_.Enabled" in proc.stdout
    assert WINDOWS_JSON in (REPO / "docs" / "audit.md").read_text()


def test_output_without_verbose_is_unknown_not_unrestricted(tmp_path: Path) -> None:
    short = "\n".join(line for line in netsh_rule("smtp", "Allow", "Any", "25").splitlines()
                      if not line.startswith(("InterfaceTypes", "Security", "Rule source")))
    path = tmp_path / "fw.txt"
    path.write_text(netsh_profiles() + short + "\nOk.\n")
    got = row(path, "203.0.113.10", 25, None)
    assert got.unknown == addrs("0.0.0.0/0") and not got.allowed
    assert "verbose" in " ".join(got.evidence["unknown"])
