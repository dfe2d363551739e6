"""nft text read by shape (`_nft_text_shapes`): a rule ``ip saddr VALUE REST`` is the parsed
REST plus VALUE as sources. Checked against the plain reading (the same rules behind a no-op
``meta nfproto ipv4``, which nothing splits), and the scoped parse against the full one, on
random rulesets whose sources are single networks, anonymous sets and named sets, with
comments and counters."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.audit import audit_summary
from _support.hypo import examples
from _support.random_rulesets import DEST_CIDRS, PORTS, SOURCE_CIDRS, GenRuleset, gen_ruleset, to_nft
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_ruleset, audit_scope
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text

_SOURCE = re.compile(r"^(\t\tip saddr (?:!= )?)(\S+)( .*)$")
_VERDICT = re.compile(r" (accept|drop|reject|return|jump \S+|goto \S+|log prefix \"hfw \")$")


def _dress(text: str, kinds: list[int]) -> str:
    """Sources become named or anonymous sets, and comments and counters are added, by `kinds`
    (cycled over the rules)."""
    sets: list[str] = []
    out: list[str] = []
    index = 0
    for line in text.splitlines():
        if line.startswith("\t\t") and not line.startswith("\t\ttype "):
            kind = kinds[index % len(kinds)] if kinds else 0
            index += 1
            found = _SOURCE.match(line)
            if found and kind in (1, 2):
                elements = f"{found[2]}, 198.51.100.{index}"
                if kind == 1:
                    line = f"{found[1]}{{ {elements} }}{found[3]}"
                else:
                    sets.append(f"\tset s{index} {{ type ipv4_addr; flags interval; "
                                f"elements = {{ {elements} }} }}")
                    line = f"{found[1]}@s{index}{found[3]}"
            if kind == 3:
                line = _VERDICT.sub(rf' counter packets {index} bytes {index * 60} \g<0>', line)
            if kind in (2, 3):
                line = _VERDICT.sub(rf' comment "note {index}"\g<0>', line)
        out.append(line)
    return "\n".join([out[0], *sets, *out[1:]]) + "\n"


def _plain(text: str) -> str:
    """Every rule read whole (no leading source to split off); the same packets match."""
    return re.sub(r"^\t\t(?!type )", "\t\tmeta nfproto ipv4 ", text, flags=re.M)


def _rules(text: str) -> list[list[tuple[Any, ...]]]:
    ruleset = parse_text(text, "t.nft", "nft")
    return [[(r.match, r.action, r.target, r.label, r.origin.line) for r in chain.rules]
            for chain in ruleset.chains.values()]


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset(max_chains=4, max_rules=8), st.lists(st.integers(0, 3), max_size=6))
def test_rules_read_by_shape_equal_the_plain_reading(gen: GenRuleset, kinds: list[int]) -> None:
    text = _dress(to_nft(gen), kinds)
    assert _rules(text) == _rules(_plain(text)), text


@st.composite
def _flows(draw: st.DrawFn) -> list[Flow]:
    def some(options: tuple[str, ...]) -> AddressSet:
        return AddressSet.parse(draw(st.lists(st.sampled_from(options), min_size=1, max_size=3)))

    ports = st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True).map(tuple)
    flows = [Flow("in", "inbound", "tcp", draw(ports), some(SOURCE_CIDRS),
                  some(("10.99.0.1", "10.99.0.2", "10.98.1.1")), "test")]
    if draw(st.booleans()):
        flows.append(Flow("out", "outbound", "tcp", draw(ports),
                          some(("10.200.1.7", "10.201.0.9", "10.0.0.1")), some(DEST_CIDRS), "test"))
    return flows


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset(max_chains=4, max_rules=8), st.lists(st.integers(0, 3), max_size=6), _flows())
def test_scoped_nft_parse_audits_like_a_full_parse(gen: GenRuleset, kinds: list[int],
                                                   flows: list[Flow]) -> None:
    text = _dress(to_nft(gen), kinds)
    vb = Interfaces("vb")
    assert audit_summary(text, "nft", flows, True, vb) == audit_summary(text, "nft", flows, False, vb)


def test_scoped_nft_parse_leaves_out_rules_no_audited_packet_can_match() -> None:
    text = """table inet f {
\tset eop { type ipv4_addr; flags interval; elements = { 40.92.0.0/15, 40.107.0.0/16 } }
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tip saddr 10.1.0.0/16 udp dport 53 accept
\t\tip saddr @eop tcp dport 25 accept comment "EOP"
\t\tip saddr { 10.2.0.0/16, 10.3.0.0/16 } tcp dport 22 accept
\t\tip daddr 192.0.2.99 tcp dport 25 drop
\t\tct state established,related accept
\t}
}
"""
    flow = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
                AddressSet.parse(["192.0.2.10"]), "test")
    ruleset = parse_text(text, "f.nft", "nft", audit_scope([flow]))
    (chain,) = [c for c in ruleset.chains.values() if c.name == "input"]
    assert [r.origin.line for r in chain.rules] == [6] and ruleset.omitted == 4
    assert chain.rules[0].match.sources == flow.sources
    (row,) = audit_ruleset(ruleset, [flow]).flows
    assert row.allowed == flow.sources
    assert row.evidence["allowed"] == ('f.nft:6: ip saddr @eop tcp dport 25 accept comment "EOP"',)
