"""A scoped parse (rules that cannot matter left out, the rest built only when walked into)
audits exactly like a full parse: same rows, evidence, shadows and findings, on random
iptables rulesets and random inbound and outbound flows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.random_rulesets import DEST_CIDRS, PORTS, SOURCE_CIDRS, GenRuleset, gen_ruleset, to_iptables
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files, audit_ruleset, audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets._iptables_fast import blocks
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import LineSource, Rule

_TARGET = re.compile(r" (-[jg] )")


def _with_comments(text: str, comments: list[int]) -> str:
    """Some rules get a comment before their target: quoted with spaces, or one bare word
    (rules that differ only in source and comment share a parsed shape); some are spaced
    out, which the fast line split does not take."""
    out, index = [], 0
    for line in text.splitlines():
        if line.startswith("-A "):
            kind = comments[index % len(comments)] if comments else 0
            index += 1
            if kind == 1:
                line = _TARGET.sub(rf' -m comment --comment "note {index} -j DROP" \1', line, 1)
            elif kind == 2:
                line = _TARGET.sub(rf" -m comment --comment note{index} \1", line, 1)
            elif kind == 3:  # not as iptables-save spaces it: the general tokenising path
                line = line.replace(" ", "  ")
        out.append(line)
    return "\n".join(out) + "\n"


@st.composite
def _flows(draw: st.DrawFn) -> list[Flow]:
    def some(options: tuple[str, ...]) -> AddressSet:
        return AddressSet.parse(draw(st.lists(st.sampled_from(options), min_size=1, max_size=3)))

    ports = st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True).map(tuple)
    flows = [Flow("in", "inbound", "tcp", draw(ports), some(SOURCE_CIDRS),
                  some(("10.99.0.1", "10.99.0.2", "10.98.1.1")), "test")]
    if draw(st.integers(0, 3)):
        flows.append(Flow("out", "outbound", "tcp", draw(ports),
                          some(("10.200.1.7", "10.201.0.9", "10.0.0.1")), some(DEST_CIDRS), "test"))
    return flows


def _audit(text: str, flows: list[Flow], scoped: bool,
           interfaces: Interfaces | None) -> tuple[Any, ...]:
    ruleset = parse_text(text, "random.rules", "iptables", audit_scope(flows) if scoped else None)
    result = audit_ruleset(ruleset, flows, interfaces=interfaces)
    return (result.to_dict(), [row.evidence for row in result.flows],
            [[s.to_dict() for s in row.shadowed] for row in result.flows])


def _on_forward(text: str) -> str:
    """The generated rules on FORWARD (INPUT then accepts): the path of inbound and outbound
    flows both, where INPUT is inbound only."""
    return (text.replace(":INPUT ", ":TMP ").replace(":FORWARD ", ":INPUT ")
            .replace(":TMP ", ":FORWARD ").replace("-A INPUT ", "-A FORWARD "))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset(max_chains=5, max_rules=8), st.lists(st.integers(0, 3), max_size=6), _flows(),
       st.booleans(), st.sampled_from([None, Interfaces("vb"), Interfaces("va", "vb")]))
def test_scoped_parse_audits_like_a_full_parse(gen: GenRuleset, comments: list[int],
                                               flows: list[Flow], forward: bool,
                                               interfaces: Interfaces | None) -> None:
    text = _with_comments(to_iptables(gen), comments)
    text = _on_forward(text) if forward else text
    assert (_audit(text, flows, True, interfaces) == _audit(text, flows, False, interfaces)), text


RULES = """*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:MAIL - [0:0]
:OTHER - [0:0]
-A INPUT -s 10.1.0.0/16 -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -s 10.2.0.0/16 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 10.3.0.0/16 -j LOG --log-prefix "in "
-A INPUT -d 192.0.2.10/32 -j MAIL
-A INPUT -d 192.0.2.99/32 -j OTHER
-A MAIL -s 40.92.0.0/15 -p tcp -m tcp --dport 25 -m comment --comment "EOP a" -j ACCEPT
-A MAIL -s 40.107.0.0/16 -p tcp -m tcp --dport 25 -m comment --comment "EOP b" -j ACCEPT
-A OTHER -s 40.92.0.0/15 -p tcp -m tcp --dport 25 -j ACCEPT
-A OTHER -s 10.9.9.9/32 -p tcp -m tcp --dport 25 -j ACCEPT
COMMIT
"""


def test_scoped_parse_leaves_out_what_cannot_matter_and_builds_only_what_is_walked() -> None:
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,),
                AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"]),
                AddressSet.parse(["192.0.2.10"]), "test")
    ruleset = parse_text(RULES, "host.rules", "iptables", audit_scope([flow]))
    # udp/53, tcp/22, established-only and LOG: no SMTP packet to 192.0.2.10 can match them.
    # The jump for traffic to 192.0.2.99 cannot either, but every jump is kept (the kernel's
    # loop check needs the whole chain graph: hybridfw.audit.loops).
    assert ruleset.omitted == 4
    chains = {c.name: c for c in ruleset.chains.values()}
    assert [r.origin.line for r in chains["INPUT"].rules] == [11, 12]
    assert len(chains["OTHER"].rules) == 2
    result = audit_ruleset(ruleset, [flow], interfaces=Interfaces(placement="host"))
    (row,) = result.flows
    assert row.allowed == flow.sources and not row.missing and not row.stale
    assert row.evidence["allowed"] == (
        'host.rules:13: -A MAIL -s 40.92.0.0/15 -p tcp -m tcp --dport 25 -m comment '
        '--comment "EOP a" -j ACCEPT',
        'host.rules:14: -A MAIL -s 40.107.0.0/16 -p tcp -m tcp --dport 25 -m comment '
        '--comment "EOP b" -j ACCEPT')
    # OTHER is entered only by traffic to 192.0.2.99: never walked, never built. MAIL was
    # walked, but only the rules the probe can match were built.
    other = chains["OTHER"].rules
    assert isinstance(other, LazyRules) and not other.built
    assert isinstance(chains["MAIL"].rules, LazyRules) and not chains["MAIL"].rules.built
    assert not any(isinstance(item, Rule) for item in other._items)  # records, or scanner indexes
    # Anything else that reads the rules gets all of them, each with its own line.
    assert [r.origin.line for r in other] == [15, 16] and other.built


def test_scoped_parse_still_rejects_bad_addresses_in_rules_it_leaves_out(tmp_path: Any) -> None:
    bad = RULES.replace("-s 10.2.0.0/16", "-s 10.2.0.300/16")
    path = tmp_path / "bad.rules"
    path.write_text(bad)
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                AddressSet.parse(["192.0.2.10"]), "test")
    with pytest.raises(InputError) as caught:
        audit_files([path], [flow])
    message = str(caught.value)
    assert "bad.rules" in message and ":8" in message and "10.2.0.300" in message


def test_line_source_cuts_lines_across_blocks() -> None:
    lines = [f"line {i} " + "x" * (i % 50) for i in range(1, 3001)]
    source = LineSource()
    for start in range(0, 3000, 700):  # blocks of 700 lines, as a parser adds them
        source.add(start + 1, "\n".join(lines[start:start + 700]))
    for number in (1, 2, 700, 701, 1402, 2999, 3000, 1, 1500):
        assert source.line(number) == lines[number - 1]
    assert source.line(0) == "" and source.line(3001) == ""


@pytest.mark.parametrize("end", ["", "\n", "\r\n"])
def test_held_line_source_cuts_the_lines_the_compressed_one_does(end: str) -> None:
    """A file's text held as it is (`LineSource.hold`, no compression) gives every line as the
    blocks the parser adds compressed do, also across its ~64 KiB blocks and past its end."""
    lines = [f"-A C{i} -s 10.{i % 256}.0.0/16 " + "x" * (i % 97) + ("\r" if i % 5 == 0 else "")
             for i in range(1, 6001)]
    text = "\n".join(lines) + end
    held, compressed = LineSource(), LineSource()
    held.hold(text)
    for number, block in blocks(text):
        compressed.add(number + 1, block)
    for number in (*range(0, 6003), 3000, 1, 6000, 2):
        assert held.line(number) == compressed.line(number)
    assert held.line(2) == lines[1] and held.line(5) == lines[4][:-1]


def test_rule_kept_for_its_on_premises_source_alone() -> None:
    """An outbound flow's packet is matched on its (fixed) source: a rule whose destination
    excludes every inbound server must stay when its source holds an outbound one."""
    text = RULES.replace(":FORWARD DROP", ":FORWARD DROP\n:OUT - [0:0]").replace(
        "COMMIT", "-A FORWARD -j OUT\n-A OUT -s 192.0.2.0/28 -d 52.96.0.0/14 -p tcp -m tcp "
                  "--dport 443 -j ACCEPT\n-A OUT -s 198.51.100.0/24 -p tcp -j ACCEPT\nCOMMIT")
    flows = [Flow("https-outbound", "outbound", "tcp", (443,), AddressSet.parse(["192.0.2.10"]),
                  AddressSet.parse(["52.96.0.0/14", "40.96.0.0/13"]), "test")]
    ruleset = parse_text(text, "gw.rules", "iptables", audit_scope(flows))
    out = next(c for c in ruleset.chains.values() if c.name == "OUT")
    assert len(out.rules) == 1  # the 198.51.100.0/24 rule cannot see 192.0.2.10's packets
    (row,) = [r for r in audit_ruleset(ruleset, flows).flows if r.entry == "forward"]
    assert row.allowed == AddressSet.parse(["52.96.0.0/14"])
    assert row.missing == AddressSet.parse(["40.96.0.0/13"])


def test_insert_positions_count_rules_left_out() -> None:
    """``-I CHAIN N`` counts every rule before it, also those the scope leaves out."""
    text = """*filter
:INPUT DROP [0:0]
-A INPUT -s 10.1.0.0/16 -p udp --dport 53 -j ACCEPT
-A INPUT -s 10.2.0.0/16 -p tcp --dport 22 -j ACCEPT
-A INPUT -s 40.92.0.0/15 -p tcp --dport 25 -j ACCEPT
-I INPUT 2 -s 40.92.0.0/16 -p tcp --dport 25 -j DROP
-I INPUT 4 -s 40.93.0.0/16 -p tcp --dport 25 -j DROP
-I INPUT -s 40.92.128.0/24 -p tcp --dport 25 -j REJECT
COMMIT
"""
    flows = [Flow("in", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                  AddressSet.parse(["192.0.2.1"]), "test")]
    full = parse_text(text, "i.rules", "iptables")
    scoped = parse_text(text, "i.rules", "iptables", audit_scope(flows))
    (chain_full,) = [c for c in full.chains.values() if c.name == "INPUT"]
    (chain_scoped,) = [c for c in scoped.chains.values() if c.name == "INPUT"]
    assert [r.origin.line for r in chain_full.rules] == [8, 3, 6, 4, 7, 5]
    assert [r.origin.line for r in chain_scoped.rules] == [8, 6, 7, 5] and scoped.omitted == 2
    assert _audit(text, flows, True, None) == _audit(text, flows, False, None)
