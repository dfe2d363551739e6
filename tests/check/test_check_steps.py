"""The probe and trace steps of a readiness check, against real loopback peers and real logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support.check import REPO, TOPOLOGY, seed_history
from _support.cli_runner import run_here
from _support.probe_peers import Peers, closed_port
from _support.real_servers import own_loopback
from hybridfw.check import Verdict
from hybridfw.check.run import build_context, run_context

TRACE_DATA = REPO / "tests" / "data" / "trace"


@pytest.fixture
def plain_smtp() -> Iterator[int]:
    """An SMTP server on 127.0.0.1 without STARTTLS (what a misconfigured edge looks like), on the
    shared peers' loop: its close ends the session tasks still pending, so no 'Task was destroyed'
    record reaches a later in-process command's stderr."""
    hosts = Peers()
    try:
        yield hosts.smtp(None)
    finally:
        hosts.close()


def probe_verdict(home: Path, target: str, flow: str = "smtp-inbound") -> tuple[Verdict, list[str]]:
    seed_history(home, "2026112800")
    ctx = build_context(TOPOLOGY, probe=True)
    ctx.probe_targets, ctx.probe_web_targets, ctx.probe_timeout = [target], [target], 5.0
    result = run_context(ctx, with_timeline=False)
    probed = next(f for f in result.flows if f.flow.id == flow)
    assert "probe" in result.steps
    return probed.verdict, [f.code for f in probed.findings]


def test_probe_without_starttls_breaks_smtp_inbound(_isolated_home: Path, plain_smtp: int) -> None:
    verdict, codes = probe_verdict(_isolated_home, f"127.0.0.1:{plain_smtp}")
    assert verdict is Verdict.BROKEN, codes
    assert any("tls" in c for c in codes), codes


def test_probe_refused_breaks_smtp_inbound(_isolated_home: Path) -> None:
    verdict, codes = probe_verdict(_isolated_home, f"127.0.0.1:{closed_port()}")
    assert verdict is Verdict.BROKEN
    assert any("refused" in c or "10061" in c for c in codes), codes


def test_https_probe_refused_breaks_https_inbound(_isolated_home: Path) -> None:
    verdict, codes = probe_verdict(_isolated_home, f"127.0.0.1:{closed_port()}", "https-inbound")
    assert verdict is Verdict.BROKEN
    assert any(c.startswith("probe.https") for c in codes), codes


def test_https_probe_of_plain_smtp_port_breaks_https_inbound(_isolated_home: Path,
                                                              plain_smtp: int) -> None:
    """Something answers, but not TLS: the HTTPS probe must not pass it."""
    verdict, codes = probe_verdict(_isolated_home, f"127.0.0.1:{plain_smtp}", "https-inbound")
    assert verdict is Verdict.BROKEN, codes


def test_trace_step_adds_diagnoses(_isolated_home: Path) -> None:
    seed_history(_isolated_home, "2026112800")
    traces = sorted(TRACE_DATA.glob("message_trace_v2*.csv"))
    assert traces, "the trace fixtures are missing"
    ctx = build_context(TOPOLOGY, traces=traces)
    result = run_context(ctx, with_timeline=False)
    assert "trace" in result.steps
    trace_codes = [f.code for f in result.findings if f.code.startswith("trace")]
    assert trace_codes
    smtp = next(f for f in result.flows if f.flow.id == "smtp-inbound")
    # Senders seen in the trace but not in the published EOP set weigh on smtp-inbound.
    assert any(f.code.startswith("trace.observed") for f in smtp.findings)
    assert smtp.verdict is not Verdict.READY


def test_check_cli_with_bad_trace_file_is_input_error(tmp_path: Path) -> None:
    from _support.cli_runner import run_here

    bad = tmp_path / "trace.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    res = run_here("check", "-t", str(TOPOLOGY), "--trace", str(bad))
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("hybridfw: error:") and "Traceback" not in res.stderr


def _topology(tmp_path: Path, smtp: list[str], names: list[str], urls: str = "") -> Path:
    """The example topology with other SMTP addresses, web names and `[web] urls`."""
    text = TOPOLOGY.read_text().replace('addresses = ["203.0.113.10", "2001:db8::10"]',
                                        f"addresses = {smtp!r}")
    text = text.replace('names = ["mail.contoso.com", "autodiscover.contoso.com"]',
                        f"names = {names!r}" + (f"\nurls = {{ {urls} }}" if urls else ""))
    path = tmp_path / "topology.toml"
    path.write_text(text.replace("'", '"'))
    return path


def test_probe_of_a_topology_with_an_smtp_range_probes_the_hosts_and_names_the_range(
        _isolated_home: Path, tmp_path: Path) -> None:
    """`probe --topology` skips ranges; `check --probe` stopped with 'bad host' (exit 2) on them."""
    seed_history(_isolated_home, "2026112800")
    host = own_loopback()  # nothing listens on its port 25: refused at once
    topology = _topology(tmp_path, [host, "192.0.2.8/30"], [])
    run = run_here("check", "--topology", str(topology), "--probe", "--json")
    assert "Traceback" not in run.stderr and run.returncode == 1, run.stderr
    doc = json.loads(run.stdout)
    smtp = next(f for f in doc["flows"] if f["flow"] == "smtp-inbound")
    assert smtp["verdict"] == "broken" and smtp["checked_by"] == ["probe"]
    codes = {f["code"] for f in smtp["findings"]}
    assert {"probe.smtp.connect-refused", "probe.topology.range-not-probed"} <= codes, codes
    ranged = next(f for f in smtp["findings"] if f["code"] == "probe.topology.range-not-probed")
    assert "192.0.2.8/30" in ranged["message"] and ranged["severity"] == "warning"


def test_probe_of_ranges_only_is_not_checked(_isolated_home: Path, tmp_path: Path) -> None:
    seed_history(_isolated_home, "2026112800")
    ctx = build_context(_topology(tmp_path, ["192.0.2.8/30"], []), probe=True)
    result = run_context(ctx, with_timeline=False)
    smtp = next(f for f in result.flows if f.flow.id == "smtp-inbound")
    assert smtp.verdict == Verdict.NOT_CHECKED, smtp.verdict
    ranged = [f.code for f in smtp.findings if f.code.startswith("probe.")]
    assert ranged == ["probe.topology.range-not-probed"]


def test_probe_requests_the_configured_web_urls(_isolated_home: Path, tmp_path: Path) -> None:
    """Exchange Online calls the URLs `[web] urls` configures: `check --probe` requests them (it
    probed only `[web] names`, so a topology naming its EWS URL alone left https-inbound unprobed)."""
    seed_history(_isolated_home, "2026112800")
    port = closed_port()
    topology = _topology(tmp_path, ["203.0.113.10"], [], f'ews = "https://127.0.0.1:{port}/EWS/Exchange.asmx"')
    ctx = build_context(topology, probe=True)
    ctx.probe_targets, ctx.probe_timeout = [f"127.0.0.1:{closed_port()}"], 5.0
    result = run_context(ctx, with_timeline=False)
    https = next(f for f in result.flows if f.flow.id == "https-inbound")
    assert https.verdict == Verdict.BROKEN and "probe" in https.checked_by, https
    assert any(f.code == "probe.https.refused" and f"127.0.0.1:{port}" in " ".join(f.evidence)
               for f in https.findings), https.findings
