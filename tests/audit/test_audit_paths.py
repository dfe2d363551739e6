"""The packet's real path: placement (host / gateway / not given), ACL bindings chained along the
path, and every evaluated entry shown. Expected verdicts are written by hand from reading each
ruleset (the comment says why); the real samples come from ../shared beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.audit import MAIL_V4, MAIL_V6, smtp_inbound
from hybridfw.addresses import AddressSet
from hybridfw.audit import AuditResult, Interfaces, audit_files
from hybridfw.audit.paths import Placement

pytestmark = pytest.mark.slow  # real samples with the full endpoint data
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO.parent / "shared" / "data" / "firewall-samples"


@pytest.fixture(scope="module")
def samples() -> Path:
    # CI has shared/ beside the clone: a missing directory is a broken checkout, not a skip.
    assert SAMPLES.is_dir(), f"{SAMPLES} is missing: the real firewall samples must sit beside the repo"
    return SAMPLES


def _audit(paths: list[Path], placement: Placement | None = None, outside: str | None = None,
           inside: str | None = None) -> AuditResult:
    return audit_files(paths, [smtp_inbound()],
                       interfaces=Interfaces(outside, inside, placement))


def _by(result: AuditResult, address: str) -> dict[str, object]:
    return {r.entry: r for r in result.flows if r.address == address}


HOST_WITH_OPEN_FORWARD = """*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 25 -j DROP
-A INPUT -s 40.107.0.0/16 -p tcp --dport 25 -j ACCEPT
COMMIT
"""


def test_host_firewall_is_not_read_as_a_gateway(tmp_path: Path) -> None:
    """The issue's case: the kernel drops mail to this host (INPUT), FORWARD's ACCEPT policy
    must not make it "allowed"; the shadowed accept on line 6 is named."""
    path = tmp_path / "host.rules"
    path.write_text(HOST_WITH_OPEN_FORWARD)
    eop = smtp_inbound().sources.family(4)
    for placement in ("host", None):
        rows = _by(_audit([path], placement), MAIL_V4)
        row = rows["input"]
        assert row.missing == eop and not row.allowed  # type: ignore[attr-defined]
        (shadow,) = row.shadowed  # type: ignore[attr-defined]
        assert shadow.accepted_by.line == 6 and shadow.denied_by.line == 5
        assert shadow.addresses == eop & AddressSet.parse(["40.107.0.0/16"])
        if placement is None:  # both paths shown, each names its assumption
            assert set(rows) == {"input", "forward"}
            assert "placement not given" in row.assumption  # type: ignore[attr-defined]
            assert rows["forward"].allowed == eop  # type: ignore[attr-defined]
        else:
            assert set(rows) == {"input"} and not row.assumption  # type: ignore[attr-defined]
    gateway = _by(_audit([path], "gateway"), MAIL_V4)
    assert set(gateway) == {"forward"} and gateway["forward"].complete  # type: ignore[attr-defined]


def test_no_placement_never_reports_allowed_when_a_path_drops(tmp_path: Path) -> None:
    path = tmp_path / "host.rules"
    path.write_text(HOST_WITH_OPEN_FORWARD)
    result = _audit([path])
    missing = [f for f in result.findings if f.code == "audit.missing" and MAIL_V4 in f.message]
    assert missing and "placement not given" in missing[0].message
    assert "placement" in missing[0].fix
    assert result.to_dict()["placement"] is None


def test_batfish_host1_sample(samples: Path) -> None:
    """host1: filter INPUT DROP accepting only udp/53 and tcp/22; FORWARD ACCEPT. Mail to the
    host is dropped (INPUT); routed mail passes (FORWARD policy). No IPv6 file: v6 unknown."""
    path = samples / "iptables-save__batfish__host1.iptables"
    eop4 = smtp_inbound().sources.family(4)
    host = _by(_audit([path], "host"), MAIL_V4)
    assert set(host) == {"input"} and host["input"].missing == eop4  # type: ignore[attr-defined]
    assert any(":12:" in e or "policy" in e for e in host["input"].evidence["missing"])  # type: ignore[attr-defined]
    gateway = _by(_audit([path], "gateway"), MAIL_V4)
    assert gateway["forward"].allowed == eop4  # type: ignore[attr-defined]
    both = _audit([path])
    assert set(_by(both, MAIL_V4)) == {"input", "forward"}
    assert any(f.code == "audit.missing" for f in both.findings)
    v6 = _by(both, MAIL_V6)["-"]
    assert v6.unknown and not v6.allowed  # type: ignore[attr-defined]


def test_emailgw_v6_sample(samples: Path) -> None:
    """rules.v6: INPUT DROP accepting lo, ICMPv6 echo and established only; FORWARD ACCEPT."""
    path = samples / "ip6tables-restore__gmasse_emailgw__rules.v6"
    eop6 = smtp_inbound().sources.family(6)
    assert _by(_audit([path], "host"), MAIL_V6)["input"].missing == eop6  # type: ignore[attr-defined]
    assert _by(_audit([path], "gateway"), MAIL_V6)["forward"].allowed == eop6  # type: ignore[attr-defined]
    assert {r.entry for r in _audit([path]).flows if r.address == MAIL_V6} == {"input", "forward"}


def test_asa_in_and_out_bindings_are_chained_along_the_path(samples: Path) -> None:
    """asa-filters: name1 in permits all IP; out ACLs on name1 and name5 permit only tcp/123;
    FILTER_UNDEF (out on name2) has no entries, so it denies all; name4 in permits tcp/123."""
    path = samples / "ciscoasa__batfish__asa-filters.cfg"
    eop4 = smtp_inbound().sources.family(4)
    unnamed = _by(_audit([path]), MAIL_V4)
    # Arriving on name1 (whose ACL admits mail), leaving by name5 or name2 drops it.
    assert unnamed["name1 in -> name5 out"].missing == eop4  # type: ignore[attr-defined]
    assert unnamed["name1 in -> name2 out"].missing == eop4  # type: ignore[attr-defined]
    assert unnamed["name1 in"].allowed == eop4  # type: ignore[attr-defined]
    assert "name5" in unnamed["name1 in -> name5 out"].assumption  # type: ignore[attr-defined]
    # name4's ACL has no rule for port 25: evaluated, shown, not deciding.
    result = _audit([path])
    assert any(r.entry.startswith("name4 in") for r in result.off_path)
    # Named interfaces: exactly one path.
    named = _by(_audit([path], outside="name4", inside="name1"), MAIL_V4)
    assert set(named) == {"name4 in -> name1 out"}
    assert named["name4 in -> name1 out"].missing == eop4  # type: ignore[attr-defined]
    through = _by(_audit([path], outside="name1", inside="name3"), MAIL_V4)
    assert set(through) == {"name1 in"} and through["name1 in"].allowed == eop4  # type: ignore[attr-defined]


def test_asa_rebinding_replaces_the_earlier_acl(tmp_path: Path) -> None:
    path = tmp_path / "rebound.cfg"
    path.write_text("access-list A extended permit tcp any host 203.0.113.10 eq 25\n"
                    "access-list B extended deny ip any any\n"
                    "access-group A in interface outside\n"
                    "access-group B in interface outside\n")
    result = _audit([path], outside="outside", inside="inside")
    rows = [r for r in result.flows if r.address == MAIL_V4]
    assert [r.entry for r in rows] == ["outside in"]
    assert rows[0].missing == smtp_inbound().sources.family(4)
    assert any(f.code == "audit.acl-rebound" for f in result.findings)
