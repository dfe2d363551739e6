"""Nested errors unwrapped to their innermost cause; targets extracted; findings tied to flows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support.trace import ALL_CASES, TRACE_DATA, cases
from hybridfw.model import Severity
from hybridfw.trace import diagnose_files
from hybridfw.trace.catalog import load_catalog
from hybridfw.trace.diagnose import clean_ip, diagnose_text, layers, target_of

CATALOG = load_catalog()


@pytest.mark.parametrize(("text", "expected"), ALL_CASES, ids=[c[1] for c in ALL_CASES])
def test_each_labelled_text_gets_its_cause(text: str, expected: str) -> None:
    diagnosis = diagnose_text(text, CATALOG)
    assert diagnosis.entry is not None
    assert diagnosis.entry.id == expected
    assert diagnosis.entry.category == CATALOG.by_id(expected).category


def test_founding_story_is_connection_refused_with_the_chain_kept() -> None:
    diagnosis = diagnose_text(cases.FOUNDING, CATALOG)
    assert diagnosis.entry is not None
    assert diagnosis.entry.id == "winsock-refused"
    assert diagnosis.entry.category == "firewall"
    assert "port 25" in diagnosis.entry.cause and "EOP" in diagnosis.entry.cause
    assert diagnosis.chain == ("4.4.101", "4.4.1", "winsock:10061")


def test_founding_story_finding_names_audit_and_the_flow() -> None:
    text = (cases.FOUNDING
            + " OutboundProxyTargetIP: 203.0.113.25. OutboundProxyTargetHostName: mail.contoso.com")
    report = diagnose_files([], texts=[text])
    (finding,) = report.findings
    assert finding.severity == Severity.ERROR
    assert finding.code == "trace.firewall.winsock-refused"
    assert finding.subject == "smtp-inbound"  # what `hybridfw check` files it under
    assert "hybridfw audit" in finding.fix
    assert "smtp-inbound" in finding.fix and "203.0.113.25" in finding.fix
    assert any("4.4.101 -> 4.4.1 -> winsock:10061" in e for e in finding.evidence)
    assert report.exit_code == 1


@pytest.mark.parametrize(("text", "ip", "host"), [
    ("[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.25:25]", "203.0.113.25",
     "mail.contoso.com"),
    ("Reason: [{LED=450 4.4.312 DNS query failed};{MSG=};{FQDN=mx.contoso.com};{IP=198.51.100.4};{LRT=}]",
     "198.51.100.4", "mx.contoso.com"),
    ("OutboundProxyTargetIP: 2001:db8::25. OutboundProxyTargetHostName: mail.contoso.com.", "2001:db8::25",
     "mail.contoso.com"),
    ("The last endpoint attempted was 40.107.22.36:25", "40.107.22.36", ""),
    ("Error encountered while communicating with primary target IP address 203.0.113.9: \"x\"",
     "203.0.113.9", ""),
    ("[IP=]", "", ""),
])
def test_target_ip_and_host_extraction(text: str, ip: str, host: str) -> None:
    assert target_of(text) == (ip, host)


def test_clean_ip_drops_ports_and_brackets() -> None:
    assert clean_ip("[2a01:111:f406::25]:52000") == "2a01:111:f406::25"
    assert clean_ip("40.107.1.1:25") == "40.107.1.1"
    assert clean_ip("not-an-ip") == ""


def test_version_numbers_and_addresses_are_not_status_codes() -> None:
    assert layers("Version 15.02.1544.004 at 52.100.4.5 and 4.4.1.2") == []
    assert [layer.code for layer in layers("failed 4.4.7.")] == ["4.4.7"]


def test_unknown_code_is_unrecognised_not_dropped() -> None:
    report = diagnose_files([], texts=["550 5.9.99 Something new happened"])
    assert [c.entry.id for c in report.causes] == ["unrecognised"]
    assert report.exit_code == 1


WRAPPERS = [
    "450 4.4.101 Proxy session setup failed on Frontend with '{inner}'",
    "451 4.4.0 Primary target IP address responded with: \"{inner}\" Attempted failover to alternate host.",
    "550 4.4.7 QUEUE.Expired; {inner}",
]
# Texts whose cause lies in the wrapped reply itself (not "message delayed" style outer states).
INNER = [(t, e) for t, e in ALL_CASES
         if CATALOG.by_id(e).category in ("firewall", "tls", "dns", "connector", "directory", "loop")
         and e not in ("proxy-session-failed", "primary-target-responded", "proxy-session-failed-470")]


@given(case=st.sampled_from(INNER), wrappers=st.lists(st.sampled_from(WRAPPERS), max_size=3))
def test_wrapping_never_changes_the_innermost_cause(case: tuple[str, str], wrappers: list[str]) -> None:
    text, expected = case
    for wrapper in wrappers:
        text = wrapper.format(inner=text)
    diagnosis = diagnose_text(text, CATALOG)
    assert diagnosis.entry is not None and diagnosis.entry.id == expected


@given(st.text(alphabet=st.characters(exclude_categories=["Nd"]), max_size=200))
def test_text_without_digits_has_no_layers(text: str) -> None:
    assert layers(text) == []


def test_onprem_firewall_failures_point_at_smtp_outbound() -> None:
    from _support.trace import TRACE_DATA

    report = diagnose_files([TRACE_DATA / "MSGTRK2026052908-1.LOG"])
    finding = next(f for f in report.findings if f.code == "trace.firewall.winsock-timeout")
    assert finding.subject == "smtp-outbound"
    assert "smtp-outbound" in finding.fix and "hybridfw audit" in finding.fix
    tls = next(f for f in report.findings if f.code == "trace.tls.must-issue-starttls")
    assert tls.subject == "tls" and "hybridfw probe smtp --cert-name" in tls.fix


def test_check_commands_are_made_concrete() -> None:
    texts = [cases.EXO_CASES["subject-mismatch"], cases.EXO_CASES["dns-query-failed"],
             "450 4.7.320 Certificate validation failed [LastAttemptedIP=2001:db8::25]"]
    report = diagnose_files([], texts=texts)
    by_id = {c["id"]: c for c in report.to_dict()["causes"]}
    assert by_id["subject-mismatch"]["check_command"] == (
        "hybridfw probe smtp mail.contoso.com --cert-name <expected name>")
    assert by_id["certificate-validation-failed"]["check_command"] == (
        "hybridfw probe smtp [2001:db8::25] --cert-name <expected name>")
    # --text carries no recipient, so the DNS check stays generic.
    assert by_id["dns-query-failed"]["check_command"] == "hybridfw probe dns"
    fixture = diagnose_files([TRACE_DATA / "trace_detail_utf16_type.csv"]).to_dict()["causes"]
    dns = next(c for c in fixture if c["id"] == "dns-query-failed")
    assert dns["check_command"] == "hybridfw probe dns contoso.com"
