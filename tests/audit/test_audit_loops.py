"""Chain loops and call depths the kernel refuses (`hybridfw.audit.loops`): the finding names
the chains and the jumps' lines, every verdict from the file is unknown (never allowed or
denied), a scoped parse finds the same as a full one, and the detector agrees with plain
references of x_tables' and nf_tables' checks on random chain graphs."""

from __future__ import annotations

import re
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.chain_graphs import CALLS, CASES, HEADS, Graph, graphs, jump, to_iptables, to_nft
from _support.hypo import examples
from hybridfw.addresses import AddressSet, Family
from hybridfw.audit import audit_files, audit_scope
from hybridfw.audit.loops import JUMP_STACK, Call, chain_calls, first_stop, refusals
from hybridfw.model import Flow, Severity
from hybridfw.rulesets import _iptables_fast, parse_files, parse_text
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import Action, Chain, Rule

FLOW = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
            AddressSet.parse(["203.0.113.10", "2001:db8::10"]), "test")
SCOPE = audit_scope([FLOW])
LOOP = {"INPUT": (jump("A"),), "A": (jump("B", "udp"),), "B": (jump("A"),)}


def _judged(text: str, name: str = "rules.v4", scoped: bool = False) -> tuple[bool, str] | None:
    """(certain, finding code) of the file's refusal, or None when it loads. Written to a file:
    the check reads an iptables-save file's header to know which tool wrote it."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(text)
        found = refusals(parse_files([path], scope=SCOPE if scoped else None))
    return None if not found else (found[0].certain, found[0].finding.code)


@pytest.mark.parametrize(("name", "graph", "legacy", "nf_tables"), CASES, ids=[c[0] for c in CASES])
def test_cases_as_the_kernel_answers(name: str, graph: Graph, legacy: bool, nf_tables: bool) -> None:
    """Each backend refuses (certain) exactly what the kernel refused; a loop no base chain
    reaches is "may not load" for nf_tables (older kernels refuse it)."""
    unreachable = name == "unreachable-loop"
    assert (_judged(to_iptables(graph, "legacy")) is None) == legacy
    for text, path in ((to_iptables(graph, "nf_tables"), "rules.v4"), (to_nft(graph), "t.nft")):
        found = _judged(text, path)
        assert (found is None or not found[0]) == nf_tables
        assert (found is not None) == (not nf_tables or unreachable)
    both = _judged(to_iptables(graph))  # no header: either tool may load it
    assert (both is not None and both[0]) == (not legacy)
    assert (both is None) == (legacy and nf_tables and not unreachable)


def test_finding_and_verdicts(tmp_path: Path) -> None:
    """The finding names the loop's chains and its jumps' lines; every row of the refused file
    is unknown with that reason (nothing allowed or missing); the IPv6 file still decides."""
    v4, v6 = tmp_path / "rules.v4", tmp_path / "rules.v6"
    v4.write_text(to_iptables(LOOP, "legacy"))
    v6.write_text(to_iptables({"INPUT": (), "FORWARD": ()}, "legacy").replace(
        "iptables-save", "ip6tables-save"))
    result = audit_files([v4, v6], [FLOW])
    (finding,) = [f for f in result.findings if f.code == "audit.chain-loop"]
    assert finding.severity is Severity.ERROR and "A -> B -> A of table filter" in finding.message
    assert "kernel refuses to load this table" in finding.message
    assert finding.evidence == (f"{v4}:9: -A A -p udp -j B", f"{v4}:10: -A B -j A")
    rows4 = [r for r in result.flows if ":" not in r.address]
    assert rows4 and all(r.unknown == FLOW.sources and not r.allowed and not r.missing
                         for r in rows4)
    assert all("kernel refuses to load" in e for r in rows4 for e in r.evidence["unknown"])
    rows6 = [r for r in result.flows if ":" in r.address]
    assert rows6 and all(not r.unknown for r in rows6)  # no IPv6 sources: decided, not unknown


@settings(max_examples=examples(100, daily=25), deadline=None)
@given(graphs())
def test_scoped_parse_finds_the_same(graph: Graph) -> None:
    """The scoped parse keeps every jump (even on -p udp, which no audited packet has)."""
    for text, path in ((to_iptables(graph), "rules.v4"), (to_nft(graph), "t.nft")):
        assert _judged(text, path, scoped=True) == _judged(text, path)


def _x_tables_refuses(graph: Graph) -> bool:
    """x_tables' walk, plainly: from INPUT follow each call until a chain's first
    unconditional verdict; a chain met again on the current path is a loop."""
    def walk(chain: str, path: frozenset[str]) -> bool:
        if chain in path:
            return True
        for step in graph[chain]:
            if step.op in CALLS and walk(step.target, path | {chain}):
                return True
            if step.op not in CALLS and not step.condition:
                return False
        return False
    return walk("INPUT", frozenset())


def _nf_tables_refuses(graph: Graph) -> bool:
    """nf_tables' commit check, plainly: every call from the base chain, refused at level 16."""
    @cache
    def deep(chain: str, level: int) -> bool:
        return level == JUMP_STACK or any(deep(s.target, level + 1) for s in graph[chain]
                                          if s.op in CALLS)
    return deep("INPUT", 0)


def _has_loop(graph: Graph) -> bool:
    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            for step in graph[todo.pop()]:
                if step.op in CALLS and step.target not in seen:
                    if step.target == goal:
                        return True
                    seen.add(step.target)
                    todo.append(step.target)
        return False
    return any(reaches(chain, chain) for chain in graph)


@settings(max_examples=examples(150, daily=40), deadline=None)
@given(graphs())
def test_detector_matches_plain_references(graph: Graph) -> None:
    x_tables, nf_tables, loop = _x_tables_refuses(graph), _nf_tables_refuses(graph), _has_loop(graph)
    legacy = _judged(to_iptables(graph, "legacy"))
    assert (legacy is not None) == x_tables and (legacy is None or legacy[0])
    for text, path in ((to_iptables(graph, "nf_tables"), "rules.v4"), (to_nft(graph), "t.nft")):
        found = _judged(text, path)
        assert (found is not None and found[0]) == nf_tables
        assert (found is not None) == (nf_tables or loop)
    either = _judged(to_iptables(graph))
    assert (either is not None and either[0]) == x_tables
    assert (either is not None) == (x_tables or nf_tables or loop)


# The calls and the first unconditional verdict of a chain as `loops` found them by walking
# every rule's shape (before `LazyRules.where`): the reference for the scanner's columns.
def _shape_walk_calls(chain: Chain) -> list[Call]:
    rules = chain.rules
    if isinstance(rules, LazyRules) and not rules.built:
        out = []
        for index, shape in enumerate(rules.shapes()):
            if shape.action in (Action.JUMP, Action.GOTO):
                parts = rules.parts(index)
                if parts.shape.action in (Action.JUMP, Action.GOTO):
                    out.append(Call(parts.shape.target, index, parts.origin))
        return out
    return [Call(r.target, i, r.origin) for i, r in enumerate(rules)
            if r.action in (Action.JUMP, Action.GOTO)]


def _shape_walk_stop(chain: Chain) -> int | None:
    families: tuple[Family, ...] = (4, 6) if chain.family is None else (chain.family,)

    def plain(rule: Rule, sources: bool) -> bool:
        m = rule.match
        return (m.protocols is None and m.dst_ports is None and not m.never and not m.undecidable
                and not m.interfaces and all(m.destinations.covers(f) for f in families)
                and (not sources or all(m.sources.covers(f) for f in families)))

    rules = chain.rules
    lazy = rules if isinstance(rules, LazyRules) and not rules.built else None
    for index, shape in enumerate(lazy.shapes() if lazy is not None else rules):
        if shape.action not in (Action.ACCEPT, Action.DROP, Action.RETURN) or not plain(shape, False):
            continue
        rule = lazy.parts(index).rule() if lazy is not None else shape
        if plain(rule, True) and re.match(r"^-A \S+(?: -s (?:0\.0\.0\.0/0|::/0)| -p all)* -j "
                                          r"(?:ACCEPT|DROP|RETURN)$", rule.origin.raw.strip()):
            return index
    return None


_SOURCES = {4: ["", "-s 10.0.0.0/8 ", "! -s 10.0.0.0/8 ", "-s 0.0.0.0/0 ", "! -s 0.0.0.0/0 ",
                "-s 10.1.2.3/0 ", "-s 40.92.0.1/32 ", "-s 0.0.0.0/0 -p all "],
            6: ["", "-s 2001:db8::/32 ", "-s ::/0 ", "! -s ::/0 ", "-s 2001:db8::1/0 ",
                "-s 2a01:111:f400::1/128 "]}
_MATCHES = ["", "", "-p udp ", "-p tcp -m tcp --dport 25 ", '-m comment --comment "note" ',
            "-i eth0 "]


@st.composite
def _scanned_files(draw: st.DrawFn) -> tuple[str, int]:
    """An iptables-save file whose rules are mostly `-A CHAIN -s ...` lines, which the C
    scanner reads into columns: calls, verdicts, extension targets and inserts, in chains of
    runs and of mixed items."""
    family = draw(st.sampled_from([4, 6]))
    chains = ["INPUT", "FORWARD", "U0", "U1", "U2"]
    targets = [*(f"{op} {c}" for op in ("-j", "-g") for c in chains[2:]), "-j ACCEPT", "-j DROP",
               "-j RETURN", "-j LOG", "-j NOSUCH"]
    head = draw(st.sampled_from(list(HEADS.values())))
    lines = [(head.replace("iptables", "ip6tables") if family == 6 else head) + "*filter",
             ":INPUT DROP [0:0]",
             ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":U0 - [0:0]", ":U1 - [0:0]",
             ":U2 - [0:0]"]
    for _ in range(draw(st.integers(0, 40))):
        chain = draw(st.sampled_from(chains))
        command = draw(st.sampled_from(["-A", "-A", "-A", "-A", "-I", "-F"]))
        if command == "-F":
            lines.append(f"-F {chain}")
            continue
        destination = "-d 203.0.113.10/32 " if family == 4 else "-d 2001:db8::10/128 "
        rule = (draw(st.sampled_from(_SOURCES[family]))
                + draw(st.sampled_from([*_MATCHES, destination])) + draw(st.sampled_from(targets)))
        lines.append(f"-A {chain} {rule}" if command == "-A" else f"-I {chain} 1 {rule}")
    return "\n".join([*lines, "COMMIT", ""]), family


@settings(max_examples=examples(300, daily=60), deadline=None)
@given(_scanned_files())
def test_calls_and_stops_as_the_shape_walk_finds_them(file: tuple[str, int]) -> None:
    """`chain_calls` and `first_stop` (shapes tested once each from the scanner's columns)
    give what walking every rule's shape gave, on a scoped parse as the audit makes it."""
    text, family = file
    ruleset = parse_text(text, f"rules.v{family}", "iptables", SCOPE)
    for chain in ruleset.chains.values():
        assert chain_calls(chain) == _shape_walk_calls(chain)
        assert first_stop(chain) == _shape_walk_stop(chain)


def test_scanned_calls_and_stops_come_from_columns() -> None:
    """The property above reads the scanner's columns when the build has the scanner."""
    text = "\n".join(["*filter", ":INPUT DROP [0:0]", ":A - [0:0]",
                      "-A INPUT -s 10.0.0.0/8 -j A", "-A A -s 0.0.0.0/0 -j DROP",
                      "-A A -s 10.0.0.0/8 -g A", "COMMIT", ""])
    chains = parse_text(text, "rules.v4", "iptables", SCOPE).chains
    a = chains["rules.v4/filter/A"]
    if _iptables_fast._iptscan is not None:
        assert isinstance(a.rules, LazyRules) and a.rules.columns is not None
    assert [(c.target, c.position, c.origin.line) for c in chain_calls(a)] == [
        ("rules.v4/filter/A", 1, 6)]
    assert first_stop(a) == 0
    assert [c.origin.line for c in chain_calls(chains["rules.v4/filter/INPUT"])] == [4]
