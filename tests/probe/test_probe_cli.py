"""`hybridfw probe` as a user runs it, against loopback peers: JSON shape, human output, exit codes
(0 pass, 1 error finding, 2 input error) and one-line errors. In-process through `cli.main`, but
in a real process where the process is what is tested (its resolver, its terminal)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from _support.cli_runner import Ran, run_here
from _support.probe_peers import EXCHANGE_401, DnsPeer, HttpsPeers, Peers, closed_port, server_context

NAME = "mail.contoso.test"
ZONE = Path(__file__).parent.parent / "data" / "probe" / "zone.txt"


def run_cli(*args: str) -> Ran:
    return run_here(*args)


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    res = run_cli(*args, "--json")
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout)


@pytest.fixture(scope="module")
def good_port(peers: Peers, ca: trustme.CA) -> int:
    return peers.smtp(server_context(ca.issue_cert(NAME)))


def test_smtp_json_shape_and_exit_0(good_port: int, ca_file: Path) -> None:
    code, doc = run_json("probe", "smtp", f"127.0.0.1:{good_port}", "--cert-name", NAME,
                         "--ca-file", str(ca_file), "--timeout", "3")
    assert code == 0, doc["findings"]
    assert set(doc) == {"schema_version", "command", "ok", "targets", "results", "findings"}
    assert doc["command"] == "probe smtp" and doc["ok"] is True
    result = doc["results"][0]
    assert set(result) == {"kind", "target", "address", "port", "ok", "elapsed_ms", "steps", "transcript",
                           "facts", "findings"}
    assert set(result["steps"][0]) == {"name", "status", "elapsed_ms", "detail"}
    assert {"direction": "C", "text": "STARTTLS"} in [
        {k: v for k, v in t.items() if k != "at_ms"} for t in result["transcript"]]
    assert result["facts"]["certificate"]["dns_names"] == [NAME]


def test_smtp_refused_is_exit_1_with_exchange_text(ca_file: Path) -> None:
    port = closed_port()
    code, doc = run_json("probe", "smtp", f"127.0.0.1:{port}", "--timeout", "2")
    assert code == 1 and doc["ok"] is False
    assert (doc["results"][0]["address"], doc["results"][0]["port"]) == ("127.0.0.1", port)
    finding = doc["findings"][0]
    assert finding["code"] == "probe.smtp.connect-refused" and finding["severity"] == "error"
    assert finding["evidence"][0].startswith("Exchange Online would report: 450 4.4.316 Connection refused "
                                             "[Message=Socket error code 10061]")


def test_smtp_several_hosts_human_output(good_port: int, ca_file: Path) -> None:
    res = run_cli("probe", "smtp", f"127.0.0.1:{good_port}", f"127.0.0.1:{closed_port()}",
                  "--cert-name", NAME, "--ca-file", str(ca_file), "--timeout", "2")
    assert res.returncode == 1
    assert "C: EHLO" in res.stdout and "S: 220 " in res.stdout
    assert "4.4.316" in res.stdout and "transcript" in res.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["smtp", "127.0.0.1:99999"], "bad port"),
    (["smtp", "127.0.0.1", "--timeout", "0"], "--timeout"),
    (["smtp", "127.0.0.1", "--send"], "--send needs --rcpt"),
    (["smtp", "127.0.0.1", "--rcpt", "not-an-address"], "--rcpt"),
    (["smtp", "127.0.0.1", "--ca-file", "/nonexistent/ca.pem"], "--ca-file"),
    (["smtp", "127.0.0.1", "--client-key", "/etc/hostname"], "--client-key needs --client-cert"),
    (["https", "127.0.0.1", "--client-cert", "/etc/hostname"], "--client-cert"),
    (["https", "127.0.0.1", "--url", "owa=https://127.0.0.1/owa"], "--url"),
    (["https", "http://mail.contoso.test"], "only https://"),
    (["https", "mail.contoso.test", "--paths", "owa"], "--paths"),
    (["dns", "contoso.test", "--nameserver", "dns.example"], "--nameserver"),
    (["dns", "nodots"], "DOMAIN"),
    (["--json", "smtp", "127.0.0.1"], "after the subcommand"),
])
def test_input_errors_are_exit_2_one_line(args: list[str], needle: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """In-process through `cli.main` (the same path as the console script), to keep the suite fast."""
    from hybridfw import cli

    monkeypatch.setattr(sys, "argv", ["hybridfw", "probe", *args])
    with pytest.raises(SystemExit) as info:
        cli.main()
    captured = capsys.readouterr()
    assert info.value.code == 2, captured
    assert captured.err.startswith("hybridfw: error: ") and captured.err.count("\n") == 1
    assert needle in captured.err


def test_bad_ca_file_content_is_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("this is not a certificate\n")
    res = run_cli("probe", "smtp", "127.0.0.1", "--ca-file", str(bad))
    assert res.returncode == 2 and "not a PEM CA certificate file" in res.stderr


def test_probe_without_subcommand_or_topology_is_usage_error() -> None:
    res = run_cli("probe")
    assert res.returncode == 2 and "Usage" in res.stdout


@pytest.mark.parametrize("command", ["smtp", "https", "dns"])
def test_every_subcommand_documents_exit_codes(command: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from hybridfw import cli

    monkeypatch.setattr(sys, "argv", ["hybridfw", "probe", command, "--help"])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 0
    assert "Exit codes: 0 every step passed" in capsys.readouterr().out


def test_https_cli(ca: trustme.CA, ca_file: Path) -> None:
    web = HttpsPeers(lambda: server_context(ca.issue_cert(NAME)))
    try:
        port = web.start({"/autodiscover/autodiscover.svc": EXCHANGE_401, "/ews/exchange.asmx": EXCHANGE_401})
        code, doc = run_json("probe", "https", f"https://127.0.0.1:{port}/", "--cert-name", NAME,
                             "--ca-file", str(ca_file), "--paths", "autodiscover,ews")
        assert code == 0 and doc["command"] == "probe https"
        code, doc = run_json("probe", "https", f"127.0.0.1:{port}", "--cert-name", NAME,
                             "--ca-file", str(ca_file), "--paths", "mrsproxy")
        assert code == 1 and [f["code"] for f in doc["findings"]] == ["probe.https.not-found"]
        res = run_cli("probe", "https", f"127.0.0.1:{port}", "--url", "ews=https://other.test/EWS/Exchange.asmx")
        assert res.returncode == 2 and "probe that host separately" in res.stderr
    finally:
        web.close()


@pytest.fixture(scope="module")
def dns_server() -> Iterator[str]:
    peer = DnsPeer(ZONE.read_text())
    yield f"127.0.0.1:{peer.port}"
    peer.close()


def test_dns_cli_exit_codes(dns_server: str) -> None:
    code, doc = run_json("probe", "dns", "good.test", "--nameserver", dns_server, "--timeout", "2")
    assert code == 0 and doc["ok"] and doc["results"][0]["facts"]["spf_lookups"] == 2
    code, doc = run_json("probe", "dns", "bad.test", "--nameserver", dns_server, "--timeout", "2")
    assert code == 1 and "probe.dns.spf-multiple" in {f["code"] for f in doc["findings"]}


def test_topology_probes_its_smtp_hosts_on_25(peers: Peers, ca: trustme.CA, ca_file: Path,
                                              tmp_path: Path) -> None:
    """Needs root to bind port 25 (the port the topology mode probes); fails without it. The
    address is a loopback one of this process's own (127.13.x.y), so another test on the machine
    holding 127.0.0.1:25 cannot collide with it."""
    pid = os.getpid()
    address = f"127.13.{pid // 250 % 250 + 1}.{pid % 250 + 1}"
    peers.smtp(server_context(ca.issue_cert(NAME)), port=25, host=address)
    topology = tmp_path / "topology.toml"
    topology.write_text('instance = "Worldwide"\nmode = "modern-full"\n\n[smtp]\n'
                        f'addresses = ["{address}/32", "192.0.2.0/30"]\ntls_certificate_name = "{NAME}"\n\n'
                        '[hybrid_agent]\naddresses = ["192.0.2.40"]\n')
    code, doc = run_json("probe", "--topology", str(topology), "--ca-file", str(ca_file), "--timeout", "3")
    assert doc["command"] == "probe --topology"
    assert doc["targets"] == [f"{address}:25"]  # the /30 range is not probed host by host
    assert [(f["severity"], f["code"], f["subject"]) for f in doc["findings"]] == [
        ("warning", "probe.topology.range-not-probed", "192.0.2.0/30")]  # said in the JSON too
    assert code == 0, doc["findings"]


def test_topology_of_ranges_only_never_says_all_steps_passed(tmp_path: Path) -> None:
    """Nothing is probed: the text said 'All steps passed.' and the JSON listed nothing at all."""
    topology = tmp_path / "topology.toml"
    topology.write_text('instance = "Worldwide"\nmode = "modern-full"\n\n[smtp]\n'
                        f'addresses = ["192.0.2.0/30"]\ntls_certificate_name = "{NAME}"\n\n'
                        '[hybrid_agent]\naddresses = ["192.0.2.40"]\n')
    text = run_here("probe", "--topology", str(topology), "--timeout", "3")
    assert "All steps passed" not in text.stdout and "192.0.2.0/30" in text.stdout, text.stdout
    assert "probe.topology.range-not-probed" in text.stdout
    code, doc = run_json("probe", "--topology", str(topology), "--timeout", "3")
    assert doc["targets"] == []
    assert [f["code"] for f in doc["findings"]] == ["probe.topology.range-not-probed"]
    assert code == text.returncode == 0


def test_smtp_send_and_rejected_recipient(peers: Peers, ca: trustme.CA, ca_file: Path) -> None:
    from _support.probe_peers import RecordingHandler

    handler = RecordingHandler()
    port = peers.smtp(server_context(ca.issue_cert(NAME)), handler)
    common = ["probe", "smtp", f"127.0.0.1:{port}", "--cert-name", NAME, "--ca-file", str(ca_file),
              "--no-legacy-tls", "--mail-from", "admin@contoso.test"]
    code, doc = run_json(*common, "--rcpt", "user@contoso.test", "--send")
    assert code == 0 and len(handler.messages) == 1
    texts = [t["text"] for t in doc["results"][0]["transcript"]]
    assert "MAIL FROM:<admin@contoso.test>" in texts and "DATA" in texts
    code, doc = run_json(*common, "--rcpt", "nobody@contoso.test")
    assert code == 1 and [f["code"] for f in doc["findings"]] == ["probe.smtp.rcpt-rejected"]


def test_black_holed_resolver_does_not_hold_the_command(tmp_path: Path) -> None:
    """Needs root (unshare, mount, port 53): /etc/resolv.conf points, in a private mount namespace
    only, at a loopback name server that never answers. The finding must come at --timeout and the
    process must exit then, not when the system resolver's own retries end (2 x 30 s)."""
    # a loopback address of this run's own (all of 127/8 is local): another suite's name server on
    # 127.0.0.1:53 at the same moment once made the bind fail ("Address already in use")
    server = f"127.53.{os.getpid() >> 8 & 255}.{os.getpid() & 255 or 1}"
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver {server}\noptions timeout:30 attempts:2\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind((server, 53))
        started = time.perf_counter()
        private_resolv = f'mount --bind "{resolv}" /etc/resolv.conf && exec "$0" "$@"'
        probe = [sys.executable, "-m", "hybridfw", "probe", "smtp", "mail.example.org", "--timeout", "1",
                 "--json"]
        res = subprocess.run(["unshare", "-m", "sh", "-c", private_resolv, *probe], capture_output=True,
                             text=True, timeout=120)
        elapsed = time.perf_counter() - started
    assert res.returncode == 1, res.stderr
    doc = json.loads(res.stdout)
    assert [f["code"] for f in doc["findings"]] == ["probe.smtp.dns-failed"]
    assert "Winsock 11002" in doc["findings"][0]["message"]
    # start-up plus the 1 s step; waiting for the resolver would take 60 s. The bound leaves room for
    # a loaded machine (13.4 s was seen at load 10 with a benchmark beside it)
    assert elapsed < 30.0


def _stderr_on_a_terminal(*args: str) -> str:
    """Run the CLI with stderr on a pseudo-terminal; return what was drawn there."""
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        res = subprocess.run([sys.executable, "-m", "hybridfw", *args], stdout=subprocess.PIPE,
                             stderr=follower, timeout=60, env={**os.environ, "COLUMNS": "100"})
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert res.returncode == 1
    return drawn.decode("utf-8", "replace")


def test_progress_bar_only_on_a_terminal() -> None:
    hosts = [f"127.0.0.1:{closed_port()}" for _ in range(3)]
    assert "probing" in _stderr_on_a_terminal("probe", "smtp", *hosts, "--timeout", "1")
    assert "probing" not in _stderr_on_a_terminal("probe", "smtp", *hosts, "--timeout", "1", "--json")


def test_dns_follow_mx_probes_each_mx_host_with_smtp(dns_server: str, good_port: int, ca_file: Path) -> None:
    code, doc = run_json("probe", "dns", "follow.test", "--nameserver", dns_server, "--timeout", "3",
                         "--follow-mx", "--smtp-port", str(good_port), "--ca-file", str(ca_file))
    assert [r["kind"] for r in doc["results"]] == ["dns", "smtp"]
    smtp = doc["results"][1]
    assert smtp["target"] == f"127.0.0.1:{good_port}" and smtp["ok"], smtp["findings"]
    assert any(s["name"] == "certificate name" and s["detail"].startswith(NAME) for s in smtp["steps"])
    # the test MX host is on loopback: internal, as a leaked split-DNS answer would be
    assert code == 0
    assert [f["code"] for f in doc["findings"]] == ["probe.dns.mx-elsewhere", "probe.dns.mx-internal"]
