"""Observed vs published: only Exchange Online senders count; unlisted ones get an override."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from _support.trace import TRACE_DATA, cases
from hybridfw.addresses import AddressSet
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.endpoints.snapshot import load_snapshot
from hybridfw.trace import diagnose_files
from hybridfw.trace.aggregate import SenderTally
from hybridfw.trace.observed import judge_senders

UNLISTED = {"52.104.12.34", "2a01:111:f406:1c01::25", "40.96.12.7"}


def test_unlisted_senders_across_all_sources() -> None:
    report = diagnose_files(sorted(TRACE_DATA.glob("*.csv")) + sorted(TRACE_DATA.glob("*.LOG")))
    senders = report.senders
    assert senders is not None
    assert {u.ip for u in senders.unlisted} == UNLISTED
    by_ip = {u.ip: u for u in senders.unlisted}
    # 2 RECEIVE rows in MSGTRK + 4 in the extended report (odd rows).
    assert by_ip["52.104.12.34"].tally.count == 6
    assert by_ip["52.104.12.34"].rule == "hostname"
    assert by_ip["40.96.12.7"].rule == "published-exchange"
    assert by_ip["2a01:111:f406:1c01::25"].evidence.startswith("CN=mail.protection.outlook.com")
    first, last = by_ip["52.104.12.34"].tally.first_seen, by_ip["52.104.12.34"].tally.last_seen
    assert first is not None and last is not None and first < last
    assert len(report.sender_rules) >= 3  # the rule used is said, per source kind


def test_internet_and_internal_senders_are_not_counted() -> None:
    report = diagnose_files([TRACE_DATA / "message_trace_ps51_ascii.csv"])
    senders = report.senders
    assert senders is not None
    # 40.107.1.5 (EOP, listed) and 40.96.12.7 (Exchange set, unlisted) count; 81.2.69.160 does not.
    assert (senders.counted, senders.listed, senders.not_counted) == (2, 1, 1)
    recv = diagnose_files([TRACE_DATA / "RECV2026052908-1.LOG"]).senders
    assert recv is not None
    # 192.0.2.10 said EHLO mail.example.org: never sighted at all.
    assert recv.counted == 2 and {u.ip for u in recv.unlisted} == {"2a01:111:f406:1c01::25"}


def test_private_address_with_exchange_hostname_is_internal() -> None:
    now = datetime(2026, 5, 29, tzinfo=UTC)
    senders = {"10.1.2.3": SenderTally(count=4, first_seen=now, last_seen=now, rule="hostname"),
               "40.107.9.9": SenderTally(count=1, first_seen=now, last_seen=now, rule="hostname")}
    observed = judge_senders(senders, load_snapshot())
    assert (observed.counted, observed.listed, observed.not_counted) == (1, 1, 1)
    assert observed.unlisted == () and observed.overrides_toml() == ""


def test_not_internet_ranges() -> None:
    from hybridfw.trace.observed import NOT_INTERNET

    for inside in ("10.1.2.3", "172.31.0.1", "192.168.9.9", "127.0.0.1", "203.0.113.5", "fe80::1", "::1",
                   "fd00::5", "2001:db8::25"):
        assert NOT_INTERNET.contains_address(inside), inside
    for outside in ("40.107.1.1", "52.104.12.34", "81.2.69.160", "2a01:111:f406::1"):
        assert not NOT_INTERNET.contains_address(outside), outside


def test_overrides_entry_admits_exactly_the_unlisted() -> None:
    report = diagnose_files([*sorted(TRACE_DATA.glob("*.LOG")), TRACE_DATA / "message_trace_v2_utf8.csv"])
    assert report.senders is not None
    doc = tomllib.loads(report.senders.overrides_toml())
    admitted = AddressSet.parse(doc["overrides"]["smtp_inbound"])
    assert admitted == AddressSet.parse(UNLISTED)
    eop = eop_smtp_addresses(load_snapshot().sets)
    assert not (admitted & eop)
    finding = next(f for f in report.findings if f.code == "trace.observed.unlisted-sender")
    assert "smtp_inbound" in finding.fix and finding.subject == "smtp-inbound"


def test_sighting_against_older_endpoint_data(tmp_path: Path) -> None:
    # Against a list that lacks 40.107.0.0/16 an EOP host in it becomes unlisted: the check
    # really uses the endpoint data it is given.
    data = load_snapshot()
    from dataclasses import replace

    stale_sets = tuple(replace(s, ips=s.ips - AddressSet.parse(["40.107.0.0/16"])) for s in data.sets)
    report = diagnose_files([TRACE_DATA / "RECV2026052908-1.LOG"], data=replace(data, sets=stale_sets))
    assert report.senders is not None
    assert {u.ip for u in report.senders.unlisted} == {"40.107.22.36", "2a01:111:f406:1c01::25"}
    assert cases.TARGET not in {u.ip for u in report.senders.unlisted}


def test_printed_overrides_make_smtp_inbound_admit_the_senders(tmp_path: Path) -> None:
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    report = diagnose_files([*sorted(TRACE_DATA.glob("*.LOG")), TRACE_DATA / "message_trace_v2_utf8.csv"])
    assert report.senders is not None
    topology = tmp_path / "hybrid.toml"
    topology.write_text(
        'instance = "Worldwide"\nmode = "classic-full"\nipv6 = true\n'
        '[smtp]\naddresses = ["203.0.113.10", "2001:db8::10"]\ntls_certificate_name = "mail.contoso.com"\n'
        '[web]\naddresses = ["203.0.113.20"]\nnames = ["mail.contoso.com"]\n'
        + report.senders.overrides_toml())
    data = load_snapshot()
    flows = {f.id: f for f in required_flows(load_topology(topology), data)}
    for ip in UNLISTED:
        assert flows["smtp-inbound"].sources.contains_address(ip), ip
