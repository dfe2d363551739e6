"""Chain loops and call depths the kernel refuses (`hybridfw.audit.loops`): the finding names
the chains and the jumps' lines, every verdict from the file is unknown (never allowed or
denied), a scoped parse finds the same as a full one, and the detector agrees with plain
references of x_tables' and nf_tables' checks on random chain graphs."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings

from _support.chain_graphs import CALLS, CASES, Graph, graphs, jump, to_iptables, to_nft
from _support.hypo import examples
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_files, audit_scope
from hybridfw.audit.loops import JUMP_STACK, refusals
from hybridfw.model import Flow, Severity
from hybridfw.rulesets import parse_files

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
