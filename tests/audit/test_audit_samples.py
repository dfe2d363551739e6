"""Every real sample in ../shared/data/firewall-samples, audited for SMTP from Exchange Online
to 203.0.113.10:25 (and, where the file says something about it, SMTP out), with the verdict
per path written by hand from reading the file. The comment on each row says why. Samples with
their own detailed test elsewhere are listed there (test_audit_paths / test_audit_platforms /
tests/rulesets); this table makes sure none is left out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from _support.audit import MAIL_V4, smtp_inbound
from hybridfw.audit import Interfaces, audit_files
from hybridfw.model import Flow

pytestmark = pytest.mark.slow  # every real sample, both placements
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"
ALLOWED, MISSING, UNKNOWN = "allowed", "missing", "unknown"

# (file, placement, {path: verdict}) for smtp-inbound to MAIL_V4 (IPv4 EOP sources).
INBOUND: list[tuple[str, str | None, dict[str, str]]] = [
    # INPUT DROP accepting udp/53 and tcp/22 only; FORWARD ACCEPT with no rules.
    ("iptables-save__batfish__host1.iptables", "host", {"input": MISSING}),
    ("iptables-save__batfish__host1.iptables", "gateway", {"forward": ALLOWED}),
    ("iptables-save__batfish__host1.iptables", None, {"input": MISSING, "forward": ALLOWED}),
    # mangle PREROUTING DROP admits only OSPF from 10.0.1.1, two LANs by interface, and web
    # traffic of 10.0.8.10: nothing for mail, on either hook (no filter table at all).
    ("iptables-save__batfish__z2-firewall.v4", "host", {"input": MISSING}),
    ("iptables-save__batfish__z2-firewall.v4", "gateway", {"forward": MISSING}),
    # INPUT ACCEPT, but `-i ens3 -j FILTERS` (which drops all but ssh) decides by interface:
    # unknown without names. FORWARD DROP and no FORWARD rule in the file (DOCKER-USER is not
    # jumped to from FORWARD here): missing. The SMTP accept is in a conntrack match elsewhere.
    ("iptables-restore__gmasse_emailgw__rules.v4", "host", {"input": UNKNOWN}),
    ("iptables-restore__gmasse_emailgw__rules.v4", "gateway", {"forward": MISSING}),
    # -P INPUT DROP after ACCEPT declared; ICMP, lo, udp 53/123, tcp 3128 only: missing. FORWARD:
    # an undecidable -m string DROP first, then interface accepts: unknown.
    ("iptables-save__firemanxbr_firewall-services__iptables", "host", {"input": MISSING}),
    ("iptables-save__firemanxbr_firewall-services__iptables", "gateway", {"forward": UNKNOWN}),
    # Docker's rules: INPUT ACCEPT without rules; FORWARD decided by docker0/bridge interfaces.
    ("iptables-save__moby_docker-bridge__iptables.golden", "host", {"input": ALLOWED}),
    ("iptables-save__moby_docker-bridge__iptables.golden", "gateway", {"forward": UNKNOWN}),
    ("nft-list-table__moby_docker-bridges__ip.golden", "host", {"input": ALLOWED}),
    ("nft-list-table__moby_docker-bridges__ip.golden", "gateway", {"forward": UNKNOWN}),
    # `iptables -S`: the same picture as Docker's iptables-save.
    ("iptables-S__moby__usernet-portmap-filter.txt", "host", {"input": ALLOWED}),
    ("iptables-S__moby__usernet-portmap-filter.txt", "gateway", {"forward": UNKNOWN}),
    # kube-proxy: `:INPUT - [0:0]`, no rule for mail: the live policy decides.
    ("iptables-save__kubernetes__cleanup-test-initial.rules", "host", {"input": UNKNOWN}),
    # nftables-init: input policy accept, no rule matches a SYN to 25 from EOP (blackhole set
    # empty, admin sources are not Microsoft's). As a gateway: no forward chain, but the nat
    # prerouting chain's bare `redirect` (line 40) sends every connection to the firewall
    # itself, never on to a server behind it: not followed, unknown.
    ("nft-source__nftables-rs__nftables-init.nft", "host", {"input": ALLOWED}),
    ("nft-source__nftables-rs__nftables-init.nft", "gateway", {"forward": UNKNOWN}),
    ("nft-json-list-ruleset__nftables-rs__nftables-init.json", "host", {"input": ALLOWED}),
    # The emailgw v6 file has no IPv4 rules: unknown with entry "-".
    ("ip6tables-restore__gmasse_emailgw__rules.v6", "host", {"-": UNKNOWN}),
    # rulebase-tracing: RULE4 allows any service to every destination except 10.11.12.13 and
    # 10.11.11.0/24 (negate-destination), and nothing earlier matches 203.0.113.10.
    ("paloalto-set__batfish__rulebase-tracing.set", None,
     {"z1 -> z1": ALLOWED, "z1 -> z2": ALLOWED, "z2 -> z1": ALLOWED, "z2 -> z2": ALLOWED}),
    # move-rulebase-security: after the moves RULE3 (deny all) is first; MY_VSYS denies all.
    ("paloalto-set__batfish__move-rulebase-security.set", None,
     {"vsys1 z1 -> z1": MISSING, "vsys1 z1 -> z2": MISSING, "vsys1 z2 -> z1": MISSING,
      "vsys1 z2 -> z2": MISSING, "MY_VSYS any -> any": MISSING}),
    # pfSense factory default: LAN passes only its own 192.168.1.0/24 (IPv4 exact despite
    # track6); WAN has no rules. Neither admits Microsoft: both paths missing.
    ("pfsense-config__pfsense__default-config.xml", None, {"lan": MISSING, "wan": MISSING}),
    # asa-acl-object: no access-group; acl2 names undefined objects: unknown, not exit 2.
    ("ciscoasa__batfish__asa-acl-object.cfg", None, {"(not bound) acl2 in": UNKNOWN}),
]
# Covered by their own tests: asa-filters (test_audit_paths), the saute API answer
# (test_audit_platforms), the iron-skillet templates (tests/rulesets/test_vendor_roundtrip).
ELSEWHERE = {"ciscoasa__batfish__asa-filters.cfg", "paloalto-api-xml__saute__panorama-show-config.xml",
             "paloalto-xml__iron-skillet__panos_full.xml", "paloalto-set__iron-skillet__panos_full.conf",
             "paloalto-xml__iron-skillet__panorama_full.xml", "nft-source__nftables-rs__NOTICE.txt",
             "SOURCES.md"}


@pytest.fixture(scope="module")
def eop() -> Flow:
    assert SAMPLES.is_dir(), f"{SAMPLES} is missing: the real firewall samples must sit beside the repo"
    return smtp_inbound()


def _verdict(row: object, required: object) -> str:
    for name, attr in ((ALLOWED, "allowed"), (MISSING, "missing"), (UNKNOWN, "unknown")):
        if getattr(row, attr) == required:
            return name
    return "mixed"


@pytest.mark.parametrize(("name", "placement", "expected"), INBOUND)
def test_sample_verdicts(eop: Flow, name: str, placement: str | None, expected: dict[str, str]) -> None:
    result = audit_files([SAMPLES / name], [eop],
                         interfaces=Interfaces(placement=placement))  # type: ignore[arg-type]
    required = eop.sources.family(4)
    got = {r.entry: _verdict(r, required) for r in result.flows if r.address == MAIL_V4}
    assert got == expected


def test_nftables_init_spamalert_drops_smtp_out(eop: Flow) -> None:
    """The output chain drops tcp 25/465/587 to anything but $mailout (127.0.0.1)."""
    out = replace(eop, id="smtp-outbound", direction="outbound", sources=eop.destinations,
                  destinations=eop.sources)
    for name in ("nft-source__nftables-rs__nftables-init.nft",
                 "nft-json-list-ruleset__nftables-rs__nftables-init.json"):
        result = audit_files([SAMPLES / name], [out], interfaces=Interfaces(placement="host"))
        (row,) = [r for r in result.flows if r.address == MAIL_V4]
        assert row.entry == "output" and row.missing == eop.sources.family(4)
        if name.endswith(".nft"):
            assert any("SPAMALERT" in e for e in row.evidence["missing"])


def test_every_sample_is_covered() -> None:
    assert SAMPLES.is_dir()
    listed = {name for name, _, _ in INBOUND} | ELSEWHERE
    assert {p.name for p in SAMPLES.iterdir()} <= listed
