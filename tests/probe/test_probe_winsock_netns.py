"""What the kernel saw vs what Exchange Online would report, against real nftables rejects in a
namespace pair: the probe runs in namespace A (`ip netns exec`, the CLI with --json), the
target address lives in namespace B behind an nftables ruleset with one reject kind per port."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [pytest.mark.root, pytest.mark.server]
TARGET = "10.213.0.2"
REJ = "probe.smtp.connect-rejected"
RULES = """table inet hfw_i13 {
  chain input {
    type filter hook input priority 0;
    tcp dport 1001 reject with tcp reset
    tcp dport 1002 reject with icmp type port-unreachable
    tcp dport 1003 reject with icmp type host-unreachable
    tcp dport 1004 reject with icmp type admin-prohibited
    tcp dport 1005 reject with icmp type net-unreachable
    tcp dport 1006 drop
  }
}
"""


def _run(*argv: str, stdin: str | None = None) -> None:
    tool = shutil.which(argv[0])
    assert tool, f"{argv[0]} is not installed (Debian packages iproute2, nftables)"
    res = subprocess.run([tool, *argv[1:]], input=stdin, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"{' '.join(argv)}: {res.stderr}"


@pytest.fixture(scope="module")
def namespaces() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    pid = os.getpid()
    a, b = f"hfw13a{pid}", f"hfw13b{pid}"
    _run("ip", "netns", "add", a)
    _run("ip", "netns", "add", b)
    try:
        _run("ip", "link", "add", f"h13a{pid}", "netns", a, "type", "veth", "peer", "name", f"h13b{pid}",
             "netns", b)
        _run("ip", "-n", a, "addr", "add", "10.213.0.1/24", "dev", f"h13a{pid}")
        _run("ip", "-n", b, "addr", "add", f"{TARGET}/24", "dev", f"h13b{pid}")
        for ns, dev in ((a, f"h13a{pid}"), (b, f"h13b{pid}")):
            _run("ip", "-n", ns, "link", "set", dev, "up")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
        _run("ip", "netns", "exec", b, "nft", "-f", "-", stdin=RULES)
        yield a
    finally:
        subprocess.run(["ip", "netns", "del", a], capture_output=True, timeout=30)
        subprocess.run(["ip", "netns", "del", b], capture_output=True, timeout=30)


def probe_from(ns: str, kind: str, target: str) -> tuple[int, dict[str, Any]]:
    res = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "hybridfw", "probe", kind, target,
                          "--timeout", "1.5", "--no-legacy-tls", "--json"],
                         capture_output=True, text=True, timeout=60)
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, json.loads(res.stdout)


@pytest.mark.parametrize(("port", "code", "seen", "winsock", "likely"), [
    (1001, "probe.smtp.connect-refused", "TCP reset (RST)", 10061, False),
    (1999, "probe.smtp.connect-refused", "TCP reset (RST)", 10061, False),  # nothing listens
    (1002, REJ, f"ICMP type 3 code 3 (port unreachable) from {TARGET}", 10061, True),
    (1003, REJ, f"ICMP type 3 code 1 (host unreachable) from {TARGET}", 10065, True),
    (1004, REJ,
     f"ICMP type 3 code 13 (communication administratively prohibited) from {TARGET}", 10065, True),
    (1005, REJ, f"ICMP type 3 code 0 (net unreachable) from {TARGET}", 10051, True),
    (1006, "probe.smtp.connect-timeout", "silence: no answer to the TCP SYN until the time-out", 10060,
     False),
])
def test_each_reject_kind_is_told_apart(namespaces: str, port: int, code: str, seen: str, winsock: int,
                                        likely: bool) -> None:
    exit_code, doc = probe_from(namespaces, "smtp", f"{TARGET}:{port}")
    result = doc["results"][0]
    assert exit_code == 1 and (result["address"], result["port"]) == (TARGET, port)
    assert [f["code"] for f in doc["findings"]] == [code]
    failure = result["facts"]["network_failure"]
    assert (failure["seen"], failure["winsock"], failure["likely"]) == (seen, winsock, likely)
    evidence = doc["findings"][0]["evidence"]
    prefix = "Exchange Online would likely report: " if likely else "Exchange Online would report: "
    assert evidence[0].startswith(prefix) and f"{winsock}" in evidence[0]
    if likely:
        assert "a firewall or router rejected the connection" in doc["findings"][0]["message"]


def test_local_failure_is_the_probe_host_not_exchange_online(namespaces: str) -> None:
    """Namespace A has no route to 192.0.2.1: no packet leaves, nothing is said about the path."""
    for kind, target, code in (("smtp", "192.0.2.1:25", "probe.smtp.local-failure"),
                               ("https", "192.0.2.1:443", "probe.https.local-failure")):
        exit_code, doc = probe_from(namespaces, kind, target)
        assert exit_code == 1 and [f["code"] for f in doc["findings"]] == [code]
        finding = doc["findings"][0]
        assert finding["message"].startswith(("not tested", "192.0.2.1:443 not tested"))
        assert not any(e.startswith("Exchange Online would") for e in finding["evidence"])
        assert doc["results"][0]["facts"]["network_failure"]["kind"] == "local"
