"""Interface matches (-i/-o, iifname/oifname) are decided once the audit knows the firewall's
outside and inside interface names (CLI options or the topology's [firewall] section), and
stay unknown — naming the condition — when it does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _support.audit import MAIL_V4, TOPOLOGY, run_cli, smtp_inbound
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_ruleset
from hybridfw.errors import InputError
from hybridfw.rulesets import parse_text
from hybridfw.topology import load_topology

EOP_A, EOP_B = "40.92.0.0/15", "40.107.0.0/16"
GATEWAY = f"""*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i ppp+ -d {MAIL_V4}/32 -p tcp -m tcp --dport 25 -j DROP
-A FORWARD -i eth0 -o eth1 -s {EOP_A} -d {MAIL_V4}/32 -p tcp -m tcp --dport 25 -j ACCEPT
-A FORWARD ! -i eth0 -s {EOP_B} -d {MAIL_V4}/32 -p tcp -m tcp --dport 25 -j ACCEPT
-A FORWARD -i eth+ -o dmz0 -s {EOP_B} -p tcp -m tcp --dport 25 -j ACCEPT
COMMIT
"""
NFT = f"""table inet filter {{
	chain forward {{
		type filter hook forward priority filter; policy drop;
		iifname "ppp*" ip daddr {MAIL_V4} tcp dport 25 drop
		iifname "eth0" oifname "eth1" ip saddr {EOP_A} ip daddr {MAIL_V4} tcp dport 25 accept
		iifname != "eth0" ip saddr {EOP_B} ip daddr {MAIL_V4} tcp dport 25 accept
		iifname {{ "lo", "eth*" }} oifname "dmz0" ip saddr {EOP_B} tcp dport 25 accept
	}}
}}
"""


def _row(text: str, fmt: str, interfaces: Interfaces | None) -> object:
    flow = smtp_inbound(MAIL_V4)
    result = audit_ruleset(parse_text(text, f"gw.{fmt}", fmt), [flow], interfaces=interfaces)
    (row,) = [r for r in result.flows if r.entry == "forward"]
    return row


@pytest.mark.parametrize(("text", "fmt"), [(GATEWAY, "iptables"), (NFT, "nft")])
def test_known_interfaces_decide_the_rules(text: str, fmt: str) -> None:
    row = _row(text, fmt, Interfaces("eth0", "eth1"))
    eop = smtp_inbound().sources.family(4)
    # Rule 2 admits EOP_A; rule 3 (not from eth0) and rule 4 (to dmz0) cannot match.
    assert row.allowed == AddressSet.parse([EOP_A])  # type: ignore[attr-defined]
    assert row.missing == eop - AddressSet.parse([EOP_A])  # type: ignore[attr-defined]
    assert not row.unknown  # type: ignore[attr-defined]
    # On a PPP uplink the first rule drops everything for the mail server instead.
    row = _row(text, fmt, Interfaces("ppp0", "eth1"))
    assert not row.allowed and row.missing == eop  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "fmt"), [(GATEWAY, "iptables"), (NFT, "nft")])
def test_unknown_interfaces_name_the_condition(text: str, fmt: str) -> None:
    row = _row(text, fmt, None)
    # Rule 1 (-i ppp+ DROP) cannot be decided; for sources no later rule admits, both of its
    # outcomes end in the DROP policy: missing. EOP_A and EOP_B depend on the interfaces.
    eop = smtp_inbound().sources.family(4)
    assert row.unknown == AddressSet.parse([EOP_A, EOP_B])  # type: ignore[attr-defined]
    assert row.missing == eop - AddressSet.parse([EOP_A, EOP_B])  # type: ignore[attr-defined]
    reasons = " ".join(row.evidence["unknown"])  # type: ignore[attr-defined]
    assert ("-i ppp+" if fmt == "iptables" else "iifname ppp*") in reasons
    # Knowing only the outside name decides -i/iifname (rules 1 and 3 cannot match) but
    # leaves the -o/oifname conditions of rules 2 and 4 undecided.
    row = _row(text, fmt, Interfaces("eth0"))
    reasons = " ".join(row.evidence["unknown"])  # type: ignore[attr-defined]
    assert row.unknown == AddressSet.parse([EOP_A, EOP_B])  # type: ignore[attr-defined]
    for name in ("eth1", "dmz0"):
        assert (f"-o {name}" if fmt == "iptables" else f"oifname {name}") in reasons
    assert "ppp" not in reasons


def test_nft_interface_set_with_loopback_is_not_loopback_only() -> None:
    text = NFT.replace('{ "lo", "eth*" }', '{ "lo", "eth0" }')
    ruleset = parse_text(text, "gw.nft", "nft")
    rules = [r for c in ruleset.chains.values() for r in c.rules]
    assert not rules[-1].match.never
    assert rules[-1].match.interfaces[0].names == ("eth0",)


def _write(tmp_path: Path, extra: str) -> tuple[str, str]:
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY + extra)
    rules = tmp_path / "gw.rules"
    rules.write_text(GATEWAY)
    return str(topology), str(rules)


def test_cli_options_and_topology_section(tmp_path: Path) -> None:
    topology, rules = _write(tmp_path, "")
    unknown = json.loads(run_cli("audit", rules, "-t", topology, "--json").stdout)
    decided = run_cli("audit", rules, "-t", topology, "--json", "--outside-interface", "eth0",
                      "--inside-interface", "eth1")
    assert decided.returncode == 1, decided.stderr  # EOP_B and the rest are missing
    doc = json.loads(decided.stdout)
    smtp = [r for r in doc["flows"] if r["flow"] == "smtp-inbound" and r["entry"] == "forward"]
    assert smtp[0]["allowed"] == [EOP_A] and not smtp[0]["unknown"]
    before = [r for r in unknown["flows"] if r["flow"] == "smtp-inbound" and r["entry"] == "forward"]
    assert before[0]["unknown"] and not before[0]["allowed"]
    fixes = {"-i ppp+" in " ".join(f["evidence"]): f["fix"]
             for f in unknown["findings"] if f["code"] == "audit.unknown"}
    # The interface rows suggest naming the interfaces; the rows unknown because no IPv6 file
    # was given do not.
    assert "--outside-interface" in fixes[True] and "--outside-interface" not in fixes[False]
    # The same names from the topology give the same answer.
    topology, _ = _write(tmp_path, '\n[firewall]\noutside_interface = "eth0"\n'
                                   'inside_interface = "eth1"\n')
    from_topology = json.loads(run_cli("audit", rules, "-t", topology, "--json").stdout)
    assert from_topology["flows"] == doc["flows"]


def test_bad_interface_names_exit_2(tmp_path: Path) -> None:
    topology, rules = _write(tmp_path, "")
    res = run_cli("audit", rules, "-t", topology, "--outside-interface", "eth 0")
    assert res.returncode == 2 and "--outside-interface" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    path = tmp_path / "bad.toml"
    path.write_text(TOPOLOGY + '\n[firewall]\noutside_interface = "a-very-long-name0"\n')
    with pytest.raises(InputError, match=r"bad\.toml:\d+ \[firewall\.outside_interface\]"):
        load_topology(path)
    path.write_text(TOPOLOGY + "\n[firewall]\noutside = \"eth0\"\n")
    with pytest.raises(InputError, match=r"firewall\.outside"):
        load_topology(path)


def test_unknown_for_other_reasons_does_not_suggest_interface_names(tmp_path: Path) -> None:
    topology, rules = _write(tmp_path, "")
    Path(rules).write_text(GATEWAY.replace("-i eth0 -o eth1 ", "-m limit --limit 5/s "))
    doc = json.loads(run_cli("audit", rules, "-t", topology, "--json", "--outside-interface",
                             "eth0", "--inside-interface", "eth1").stdout)
    fixes = [f["fix"] for f in doc["findings"] if f["code"] == "audit.unknown"]
    assert fixes and not any("--outside-interface" in fix for fix in fixes)
