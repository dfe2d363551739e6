"""Kernel-differential test: random iptables and nftables rulesets are loaded into a network
namespace; SYNs from sampled source addresses are sent over a veth pair to the audited
destination and ports; the kernel's verdict (the listener answered, or not) must equal
hybridfw's for every sample. hybridfw audits what the kernel hands back (`iptables-save`,
`nft list ruleset`, `nft -j list ruleset`), the files a user would feed it.

Needs root, iproute2, iptables and nft: without them the test fails (it never skips).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from _support.audit import accepted_sources
from _support.kernel_lab import Lab
from _support.netns import netns, run
from _support.random_rulesets import (
    PORTS,
    GenRuleset,
    gen_ruleset,
    sample_sources,
    to_iptables,
    to_nft,
)
from hybridfw.rulesets import parse_text

SOURCES = sample_sources()
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
