"""Property test: set-based first-match evaluation agrees with a brute-force evaluator that walks
the rules for one packet at a time — on random rulesets (chains, jumps, gotos, returns,
negations, port ranges, conntrack states, in-interface names and wildcards, the packet's
interface known), through both the iptables and the nft text parser."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings

from _support.audit import accepted_sources
from _support.random_rulesets import (
    DST,
    IN_IFACE,
    PORTS,
    GenRuleset,
    brute_force_accepts,
    gen_ruleset,
    sample_sources,
    to_iptables,
    to_nft,
)
from hybridfw.addresses import AddressSet
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.rulesets import parse_text

SOURCES = sample_sources()


def check(gen: GenRuleset, text: str, fmt: str) -> None:
    ruleset = parse_text(text, f"random.{fmt}", fmt)
    for port in PORTS:
        accepted = accepted_sources(ruleset, port)
        for src in SOURCES:
            expected = brute_force_accepts(gen, src, port, fmt)
            assert accepted.contains_address(src) == expected, (fmt, src, port, text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset())
def test_iptables_sets_agree_with_brute_force(gen: GenRuleset) -> None:
    check(gen, to_iptables(gen), "iptables")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset())
def test_nft_sets_agree_with_brute_force(gen: GenRuleset) -> None:
    check(gen, to_nft(gen), "nft")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset())
def test_dash_policy_leaves_exactly_the_policy_part_unknown(gen: GenRuleset) -> None:
    """`:INPUT - [0:0]` (issue 11): the live policy decides what falls off INPUT. hybridfw must
    call exactly those sources unknown (the brute force's RETURN), decide the rest as the rules
    do, and never accept what only the unknown policy would accept."""
    from _support.random_rulesets import run_chain

    text = to_iptables(gen).replace(f":INPUT {gen.policy} [0:0]", ":INPUT - [0:0]")
    ruleset = parse_text(text, "dash.rules", "iptables")
    entry = next(e for e in ruleset.entries if e.name == "input")
    for port in PORTS:
        probe = Probe("destination", int(ipaddress.IPv4Address(DST)), 4, port, in_interface=IN_IFACE)
        outcome = Evaluator(ruleset).run_entry(entry, probe, AddressSet.any(4))
        accepted, unknown = outcome.accepted_set(), outcome.unknown_set()
        for src in SOURCES:
            verdict = run_chain(gen, 0, src, port, "iptables")
            assert unknown.contains_address(src) == (verdict == "RETURN"), (src, port, text)
            assert accepted.contains_address(src) == (verdict == "ACCEPT"), (src, port, text)
