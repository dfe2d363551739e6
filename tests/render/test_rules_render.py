"""Renderer behaviour: partial flows, the address guard, aerleon fix-ups, names, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from _support.rules_extractors import EXTRACTORS
from hybridfw.addresses import AddressSet
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.errors import InputError
from hybridfw.flows import required_flows
from hybridfw.model import Severity
from hybridfw.render import platforms, render_flows
from hybridfw.render.aerleon_backend import AerleonRenderer, AerleonTarget
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "hybrid.toml"
DATA = load_snapshot()
FLOWS = required_flows(load_topology(EXAMPLE), DATA)
SMTP_IN = next(f for f in FLOWS if f.id == "smtp-inbound")


@pytest.mark.parametrize("platform", ["iptables", "nftables", "ciscoasa", "paloalto", "pf"])
def test_partial_flow_renders_only_the_missing_sources(platform: str) -> None:
    missing = AddressSet.parse(["52.100.0.0/14", "2a01:111:f403::/48"])
    partial = replace(SMTP_IN, sources=missing)
    result = render_flows([partial], platform, data=DATA)
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    assert EXTRACTORS[platform](result.files) == missing


def test_guard_catches_aerleon_dropping_ipv6() -> None:
    # aerleon's own ciscoasa output, without hybridfw's IPv6 lines, loses the v6 sources.
    raw = AerleonRenderer(AerleonTarget("raw-asa", "ciscoasa", "test", header="{name}"))
    result = raw.render([SMTP_IN], DATA)
    lost = [f for f in result.findings if f.code == "render.address-lost"]
    assert lost and lost[0].severity is Severity.ERROR
    assert "2a01:111:f400::" in lost[0].evidence
    fixed = render_flows([SMTP_IN], "ciscoasa", data=DATA)
    assert not [f for f in fixed.findings if f.code == "render.address-lost"]


def test_asa_output_does_not_clear_the_access_list() -> None:
    text = render_flows(FLOWS, "ciscoasa", data=DATA).files["hybridfw.asa"]
    assert not re.search(r"(?m)^clear configure", text)
    assert all(len(line.split(" remark ", 1)[-1]) <= 100
               for line in text.splitlines() if " remark " in line)


def test_nftables_rules_are_not_duplicated_and_lists_are_named_sets() -> None:
    text = render_flows(FLOWS, "nftables", data=DATA).files["hybridfw.nft"]
    rules = [line.strip() for line in text.splitlines() if line.strip().endswith("accept")]
    assert len(rules) == len(set(rules))
    assert not re.search(r"saddr \{|daddr \{", text)  # no anonymous address sets
    assert "ip saddr @smtp_inbound_s4" in text and "ip6 saddr @smtp_inbound_s6" in text
    assert text.count("hook forward") == 1  # one base chain: inbound must not drop outbound
    assert all(len(c) <= 128 for c in re.findall(r'comment "([^"]*)"', text))


def test_comments_carry_flow_id_and_data_version() -> None:
    text = render_flows(FLOWS, "juniper", data=DATA).files["hybridfw.jcl"]
    assert "hybridfw smtp-inbound; endpoint data snapshot 2026-05-29" in text


@pytest.mark.parametrize("platform", sorted(set(platforms()) - {"exchange"}))
def test_fqdn_only_flow_is_never_omitted(platform: str) -> None:
    crl = next(f for f in FLOWS if f.id == "crl-outbound")
    result = render_flows([crl], platform, data=DATA)  # alone: nothing else to hide behind
    text = "\n".join(result.files.values())
    assert all(name in text for name in crl.destination_fqdns)
    assert not [f for f in result.findings if f.severity is Severity.ERROR]
    assert any(f.subject == "crl-outbound" and "fqdn" in f.code for f in result.findings) or \
        platform in ("edl", "csv")


def test_unknown_platform_is_input_error() -> None:
    with pytest.raises(InputError, match="unknown platform 'nope'"):
        render_flows(FLOWS, "nope", data=DATA)


def test_exchange_script_sets_remote_ip_ranges() -> None:
    script = render_flows(FLOWS, "exchange", data=DATA).files["hybridfw-receive-connector.ps1"]
    assert "Set-ReceiveConnector -Identity $connector.Identity -RemoteIPRanges $ranges" in script
    empty = render_flows([f for f in FLOWS if f.id != "smtp-inbound"], "exchange", data=DATA)
    assert [f.code for f in empty.findings] == ["render.no-smtp-inbound"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hybridfw", *args], capture_output=True,
                          text=True, timeout=120)


def test_cli_list_platforms_json() -> None:
    res = run_cli("rules", "--list-platforms", "--json")
    assert res.returncode == 0
    names = [p["name"] for p in json.loads(res.stdout)["platforms"]]
    assert names == sorted(platforms()) and len(names) >= 25


def test_cli_rules_out_writes_files_atomically(tmp_path: Path) -> None:
    out = tmp_path / "rules"
    res = run_cli("rules", "-t", str(EXAMPLE), "-p", "nftables", "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert set(doc) == {"schema_version", "platform", "files", "findings", "data", "written"}
    assert sorted(p.name for p in out.iterdir()) == sorted(doc["files"])  # no temp files left
    assert (out / "hybridfw.nft").read_text() == doc["files"]["hybridfw.nft"]


def test_cli_rules_to_stdout_keeps_long_lines_whole() -> None:
    res = run_cli("rules", "-t", str(EXAMPLE), "-p", "iptables")
    assert res.returncode == 0
    assert "-A h_smtp-inbound -p tcp --dport 25 -s 2a01:111:f400::/48 -d 2001:db8::10/128 -m state" in \
        res.stdout


def test_cli_rules_exit_1_on_error_findings(tmp_path: Path) -> None:
    minimal = tmp_path / "minimal.toml"
    minimal.write_text('mode = "classic-minimal"\n[web]\naddresses = ["192.0.2.1"]\n')
    res = run_cli("rules", "-t", str(minimal), "-p", "exchange", "--json")
    assert res.returncode == 1
    assert json.loads(res.stdout)["findings"][0]["code"] == "render.no-smtp-inbound"


def test_cli_rules_needs_topology_and_platform() -> None:
    res = run_cli("rules", "-p", "nftables")
    assert res.returncode == 2 and "Traceback" not in res.stderr


def test_cli_flows_json() -> None:
    res = run_cli("flows", "-t", str(EXAMPLE), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["data"]["version"] is None and doc["data"]["source"] == "snapshot"
    assert doc["data"]["data_date"].startswith("2026-05-29")
    assert [f["id"] for f in doc["flows"]][:2] == ["smtp-inbound", "smtp-outbound"]
    assert doc["flows"][0]["sources"] == SMTP_IN.sources.to_cidrs()


@pytest.mark.parametrize(("platform", "file", "wildcards_as_objects"), [
    ("paloalto", "hybridfw-fqdn.set", False), ("ciscoasa", "hybridfw-fqdn.asa", False),
    ("fortigate", "hybridfw-fqdn.fgacl", True),
])
def test_fqdn_objects_where_the_platform_has_them(platform: str, file: str,
                                                   wildcards_as_objects: bool) -> None:
    crl = next(f for f in FLOWS if f.id == "crl-outbound")
    result = render_flows(FLOWS, platform, data=DATA)
    objects = result.files[file]
    exact = [n for n in crl.destination_fqdns if "*" not in n]
    assert all(re.search(rf"fqdn \"?{re.escape(n)}\"?$", objects, re.M) for n in exact)
    finding = next(f for f in result.findings if f.subject == "crl-outbound")
    if wildcards_as_objects:
        assert finding.severity is Severity.INFO and finding.code == "render.fqdn-objects"
    else:  # wildcards stay on the allow-list, and the warning says how many
        assert finding.severity is Severity.WARNING and "*.entrust.net" in finding.evidence
        assert "*.entrust.net" in result.files["hybridfw-fqdn-allowlist.txt"]


def test_cli_verbose_logs_flows_and_render_to_stderr() -> None:
    res = run_cli("-v", "rules", "-t", str(EXAMPLE), "-p", "pf", "--json")
    assert res.returncode == 0
    assert "INFO hybridfw.flows: flow smtp-inbound: 6 source" in res.stderr
    assert "INFO hybridfw.render: rendered 5 flow(s) for pf" in res.stderr
    json.loads(res.stdout)  # logging never reaches stdout


LONG = replace(SMTP_IN, id="smtp-inbound-observed-but-unpublished-sources")


@pytest.mark.parametrize("platform", sorted(set(platforms()) - {"exchange"}))
def test_long_flow_ids_fit_every_platforms_name_limits(platform: str) -> None:
    result = render_flows([LONG], platform, data=DATA)
    assert not [f for f in result.findings if f.severity is Severity.ERROR]


@pytest.mark.root
def test_long_flow_id_chains_accepted_by_iptables_restore() -> None:
    import shutil

    files = render_flows([LONG], "iptables", data=DATA).files
    for name, tool in (("hybridfw-v4.ipt", "iptables-restore"),
                       ("hybridfw-v6.ipt", "ip6tables-restore")):
        path = shutil.which(tool)
        assert path, f"{tool} is not installed"
        res = subprocess.run([path, "--test", "--noflush"], input=files[name], text=True,
                             capture_output=True, timeout=60)
        assert res.returncode == 0, res.stderr
        assert all(len(line) <= 3 + 28 for line in files[name].splitlines()
                   if line.startswith("-N "))


def test_guard_checks_the_microsoft_side_on_cloud_platforms() -> None:
    def lose_ipv6(files: dict[str, str], flows: object, data: object) -> dict[str, str]:
        return {n: re.sub(r"cidr: 2a01:\S*", "cidr: 192.0.2.0/24", t) for n, t in files.items()}

    faithful = render_flows([SMTP_IN], "k8s", data=DATA)
    assert not [f for f in faithful.findings if f.severity is Severity.ERROR]
    lossy = AerleonRenderer(AerleonTarget("lossy-k8s", "k8s", "test", header="{gdir}",
                                          attached_to_servers=True, fixups=(lose_ipv6,)))
    lost = [f for f in lossy.render([SMTP_IN], DATA).findings if f.code == "render.address-lost"]
    assert lost and "2a01:111:f400::" in lost[0].evidence
