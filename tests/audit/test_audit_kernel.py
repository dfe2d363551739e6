"""Kernel-differential test: random iptables and nftables rulesets are loaded into a network
namespace; SYNs from sampled source addresses are sent over a veth pair to the audited
destination and ports; the kernel's verdict (the listener answered, or not) must equal
hybridfw's for every sample. hybridfw audits what the kernel hands back (`iptables-save`,
`nft list ruleset`, `nft -j list ruleset`), the files a user would feed it.

Needs root, iproute2, iptables and nft: without them the test fails (it never skips).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from netns_helpers import netns, run
from random_rulesets import DST, PORTS, GenRuleset, gen_ruleset, sample_sources, to_iptables, to_nft
from test_audit_differential import accepted_sources

from hybridfw.rulesets import parse_text

PROBE = Path(__file__).with_name("syn_probe.py")
SOURCES = sample_sources()
# Accepts and closes every connection, so the accept queue never fills (a full queue drops SYNs).
LISTENER = ("import select,socket,sys\n"
            "socks=[]\n"
            "for p in map(int, sys.argv[1:]):\n"
            "    s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "    s.bind(('0.0.0.0', p)); s.listen(4096); socks.append(s)\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    for s in select.select(socks, [], [])[0]:\n"
            "        s.accept()[0].close()\n")


class Lab:
    """Sender namespace ↔ veth ↔ firewall namespace with listeners on PORTS."""

    def __init__(self, sender: str, firewall: str) -> None:
        self.sender, self.firewall = sender, firewall
        run("ip", "-n", sender, "link", "add", "va", "type", "veth", "peer", "name", "vb",
            "netns", firewall)
        batch_a = ["link set va up", "addr add 10.99.0.2/16 dev va"]
        batch_a += [f"addr add {src}/32 dev va" for src in SOURCES]
        run("ip", "-n", sender, "-batch", "-", stdin="\n".join(batch_a) + "\n")
        batch_b = ["link set vb up", f"addr add {DST}/16 dev vb", "route add default dev vb"]
        run("ip", "-n", firewall, "-batch", "-", stdin="\n".join(batch_b) + "\n")
        self.listener = subprocess.Popen(
            ["ip", "netns", "exec", firewall, sys.executable, "-c", LISTENER, *map(str, PORTS)],
            stdout=subprocess.PIPE, text=True)
        assert self.listener.stdout is not None and self.listener.stdout.readline().strip() == "ready"

    def kernel_verdicts(self) -> dict[tuple[str, int], bool]:
        pairs = [(src, port) for port in PORTS for src in SOURCES]
        out = run("ip", "netns", "exec", self.sender, sys.executable, str(PROBE), DST, "0.6",
                  json.dumps(pairs))
        return {pair: verdict == "accept" for pair, verdict in zip(pairs, json.loads(out), strict=True)}

    def close(self) -> None:
        self.listener.kill()
        self.listener.wait(timeout=10)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with netns("snd") as sender, netns("fw") as firewall:
        lab = Lab(sender, firewall)
        try:
            yield lab
        finally:
            lab.close()


# The rule each test puts first lets every packet after the SYN through (handshake ACKs, FINs):
# it cannot match the audited SYN, and without it a random rule that rejects ESTABLISHED
# packets races the client's connect() result.


def compare(lab: Lab, dumps: dict[str, str]) -> None:
    kernel = lab.kernel_verdicts()
    for fmt, text in dumps.items():
        ruleset = parse_text(text, f"kernel.{fmt}", fmt)
        for port in PORTS:
            accepted = accepted_sources(ruleset, port)
            wrong = [src for src in SOURCES if accepted.contains_address(src) != kernel[(src, port)]]
            assert not wrong, f"{fmt} port {port}: hybridfw disagrees with the kernel for {wrong}\n{text}"


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(gen=gen_ruleset())
def test_iptables_verdicts_match_kernel(lab: Lab, gen: GenRuleset) -> None:
    run("nft", "flush", "ruleset", ns=lab.firewall)
    run("iptables-restore", ns=lab.firewall, stdin=to_iptables(gen))
    run("iptables", "-I", "INPUT", "1", "-p", "tcp", "!", "--syn", "-j", "ACCEPT", ns=lab.firewall)
    compare(lab, {"iptables": run("iptables-save", ns=lab.firewall)})


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(gen=gen_ruleset())
def test_nft_verdicts_match_kernel(lab: Lab, gen: GenRuleset) -> None:
    run("nft", "-f", "-", ns=lab.firewall, stdin="flush ruleset\n" + to_nft(gen))
    run("nft", "insert", "rule", "ip", "hfwtest", "INPUT", "tcp", "flags", "!=", "syn", "accept",
        ns=lab.firewall)
    compare(lab, {"nft": run("nft", "list", "ruleset", ns=lab.firewall),
                  "nft-json": run("nft", "-j", "list", "ruleset", ns=lab.firewall)})
