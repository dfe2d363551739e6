"""Per-platform correctness seen on real configs: nft concatenations (text and JSON), iptables
`-` policies and `iptables -S`, precision of undecidable rules, ASA dhcp interfaces and undefined
objects, pfSense track6, PAN-OS API answers and App-ID standard ports, clear input errors.
Expected verdicts are written by hand from the rulesets (the comments say why)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _support.audit import MAIL_V4, smtp_inbound
from hybridfw.addresses import AddressSet
from hybridfw.audit import AuditResult, Interfaces, audit_files
from hybridfw.errors import InputError
from hybridfw.rulesets import parse_text

pytestmark = [pytest.mark.root, pytest.mark.slow]  # nft in a namespace; the CLI runs
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"
EOP4 = smtp_inbound().sources.family(4)
A, B = AddressSet.parse(["40.92.0.0/15"]), AddressSet.parse(["40.107.0.0/16"])


@pytest.fixture(scope="module")
def samples() -> Path:
    assert SAMPLES.is_dir(), f"{SAMPLES} is missing: the real firewall samples must sit beside the repo"
    return SAMPLES


def _row(paths: list[Path], placement: str | None = "host", entry: str | None = None,
         address: str = MAIL_V4) -> object:
    result = audit_files(paths, [smtp_inbound()], entry=entry,
                         interfaces=Interfaces(placement=placement))  # type: ignore[arg-type]
    rows = [r for r in result.flows if r.address == address]
    assert len(rows) == 1, [r.entry for r in rows]
    return rows[0]


CONCAT_NFT = """table inet f {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tip daddr . tcp dport { 203.0.113.99 . 25, 203.0.113.10 . 26 } accept
\t\tmeta l4proto . th dport { tcp . 25 } ip saddr 40.92.0.0/15 accept
\t\tip saddr . tcp dport vmap { 40.107.0.0/16 . 25 : accept, 52.100.0.0/14 . 25 : drop }
\t\tct status dnat accept
\t}
}
"""


def _concat_expectations(row: object) -> None:
    # line 4: no element is (203.0.113.10, 25); line 5: A accepted; line 6: B accepted, 52.100/14
    # dropped; the rest reaches `ct status dnat` (undecidable, then policy drop): unknown.
    assert row.allowed == A | B  # type: ignore[attr-defined]
    assert row.missing == EOP4 & AddressSet.parse(["52.100.0.0/14"])  # type: ignore[attr-defined]
    assert row.unknown == EOP4 - A - B - AddressSet.parse(["52.100.0.0/14"])  # type: ignore[attr-defined]
    assert any("status" in e for e in row.evidence["unknown"])  # type: ignore[attr-defined]


def test_nft_concatenations_text(tmp_path: Path) -> None:
    path = tmp_path / "concat.nft"
    path.write_text(CONCAT_NFT)
    _concat_expectations(_row([path]))


def test_nft_concatenations_json_from_the_kernel(tmp_path: Path) -> None:
    """The same ruleset as `nft -j list ruleset` prints it (loaded in a test-made namespace)."""
    nft = shutil.which("nft")
    assert nft is not None, "nft is installed by `make system-deps`"
    source = tmp_path / "concat.nft"
    source.write_text(CONCAT_NFT)
    made = subprocess.run(["unshare", "-n", "sh", "-c", f"{nft} -f {source} && {nft} -j list ruleset"],
                          capture_output=True, text=True, check=True)
    path = tmp_path / "concat.json"
    path.write_text(made.stdout)
    assert "concat" in made.stdout
    _concat_expectations(_row([path]))


def test_nft_json_error_names_the_item_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"nftables": [{"metainfo": {}}, {"rule": {"family": "ip"}}]}))
    with pytest.raises(InputError, match=r"bad.json \[nftables\[1\]\.rule\]: key 'table' missing"):
        parse_text(path.read_text(), str(path), "nft-json")


def test_iptables_dash_policy_is_unknown_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dash.rules"
    path.write_text("*filter\n:INPUT - [0:0]\n:FORWARD DROP [0:0]\n"
                    "-A INPUT -s 40.92.0.0/15 -p tcp --dport 25 -j ACCEPT\nCOMMIT\n")
    row = _row([path])
    assert row.allowed == A and row.unknown == EOP4 - A and not row.missing  # type: ignore[attr-defined]
    assert any(":2: :INPUT - [0:0]" in e for e in row.evidence["unknown"])  # type: ignore[attr-defined]


def test_kubernetes_sample_dash_policies_are_unknown(samples: Path) -> None:
    """kube-proxy's `initial` ruleset: `:INPUT - [0:0]`, KUBE-* chains that only mark or
    handle service addresses: nothing accepts mail, the live INPUT policy decides."""
    row = _row([samples / "iptables-save__kubernetes__cleanup-test-initial.rules"])
    assert row.unknown == EOP4 and not row.allowed  # type: ignore[attr-defined]
    assert any(":INPUT - [0:0]" in e for e in row.evidence["unknown"])  # type: ignore[attr-defined]


def test_iptables_dash_s_output_is_read(samples: Path) -> None:
    """moby's `iptables -S` (no *filter): policies ACCEPT, FORWARD goes through DOCKER-USER
    (RETURN) and interface-bound Docker chains. Host: INPUT ACCEPT policy, no rule: allowed.
    Gateway: the -i/-o docker0/bridge1 rules decide, and the interfaces are not named: unknown."""
    path = samples / "iptables-S__moby__usernet-portmap-filter.txt"
    assert _row([path], "host").allowed == EOP4  # type: ignore[attr-defined]
    gateway = _row([path], "gateway")
    assert gateway.unknown == EOP4  # type: ignore[attr-defined]
    assert any("-i docker0" in e or "-o bridge1" in e for e in gateway.evidence["unknown"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("rules", "allowed", "missing", "unknown"), [
    # an unknown ACCEPT followed by a definite ACCEPT: accepted either way (A); the others
    # are accepted with the mark and dropped by the policy without it: unknown
    (["-m mark --mark 1 -j ACCEPT", "-s 40.92.0.0/15 -j ACCEPT"], A, AddressSet.empty(), EOP4 - A),
    # an unknown DROP followed by the DROP policy: dropped either way
    (["-m mark --mark 1 -j DROP"], AddressSet.empty(), EOP4, AddressSet.empty()),
    # an unknown DROP before an ACCEPT: depends on the mark
    (["-m mark --mark 1 -j DROP", "-s 40.92.0.0/15 -j ACCEPT"], AddressSet.empty(), EOP4 - A, A),
])
def test_undecidable_rule_decides_nothing_when_both_outcomes_agree(
        tmp_path: Path, rules: list[str], allowed: AddressSet, missing: AddressSet,
        unknown: AddressSet) -> None:
    path = tmp_path / "mark.rules"
    path.write_text("*filter\n:INPUT DROP [0:0]\n"
                    + "".join(f"-A INPUT -p tcp --dport 25 {r}\n" for r in rules) + "COMMIT\n")
    row = _row([path])
    assert (row.allowed, row.missing, row.unknown) == (allowed, missing, unknown)  # type: ignore[attr-defined]


def test_asa_dhcp_interface_and_undefined_object(samples: Path, tmp_path: Path) -> None:
    path = tmp_path / "dhcp.cfg"
    path.write_text("interface Gi0/0\n nameif outside\n security-level 0\n ip address dhcp setroute\n"
                    "!\naccess-list OUT extended permit tcp any host 203.0.113.10 eq smtp\n"
                    "access-group OUT in interface outside\n")
    result = audit_files([path], [smtp_inbound()], interfaces=Interfaces("outside", "inside"))
    assert [r.entry for r in result.flows if r.address == MAIL_V4] == ["outside in"]
    # batfish asa-acl-object: acl2 names objects nobody defined. A warning, not exit 2; the
    # entry matches an unknown part of every packet, so what it could decide is unknown.
    sample = audit_files([samples / "ciscoasa__batfish__asa-acl-object.cfg"], [smtp_inbound()])
    assert any(f.code == "audit.acl-undefined-object" and f.severity.name == "WARNING"
               for f in sample.findings)
    row = next(r for r in sample.flows if r.address == MAIL_V4)
    assert row.unknown == EOP4 and "acl2" in row.entry


def test_pfsense_track6_lan_decides_ipv4(samples: Path) -> None:
    """Factory default: LAN 192.168.1.1/24 with track6; "Default allow LAN to any" passes only
    sources in 192.168.1.0/24. Microsoft's addresses are not there: missing, not unknown."""
    row = _row([samples / "pfsense-config__pfsense__default-config.xml"], None, entry="lan")
    assert row.missing == EOP4 and not row.unknown  # type: ignore[attr-defined]


def test_panos_api_answer_and_quic_rule(samples: Path) -> None:
    """saute: the API's <response><result><config>; device group houston, WAN -> DMZ: "Block
    Quic" (quic is UDP only), "Network Services" (dhcp, icmp, ms-rdp, ping, ssh, traceroute at
    their standard ports) and the other rules do not match TCP 25 to our address, so the
    interzone default (deny) decides: missing, not unknown."""
    row = _row([samples / "paloalto-api-xml__saute__panorama-show-config.xml"], None,
               entry="houston WAN -> DMZ")
    assert row.missing == EOP4 and not row.unknown  # type: ignore[attr-defined]


def test_audit_result_has_placement(tmp_path: Path) -> None:
    path = tmp_path / "r.rules"
    path.write_text("*filter\n:INPUT DROP [0:0]\nCOMMIT\n")
    result: AuditResult = audit_files([path], [smtp_inbound()], interfaces=Interfaces(placement="host"))
    assert result.to_dict()["placement"] == "host"


@pytest.mark.parametrize(("make", "needle"), [
    (lambda d: d / "empty.rules", "empty file"),
    (lambda d: d, "is a directory"),
])
def test_input_errors_are_one_clear_line(tmp_path: Path, make: object, needle: str) -> None:
    (tmp_path / "empty.rules").write_text("\n  \n")
    target = make(tmp_path)  # type: ignore[operator]
    run = subprocess.run([sys.executable, "-m", "hybridfw", "audit", str(target), "-t",
                          str(REPO / "examples" / "hybrid.toml")], capture_output=True, text=True)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in run.stderr
