"""Hostile inputs for ruleset parsers: garbage, truncated and mutated real-looking files,
files of the wrong format and huge lines. Shared by the test suite (a few hundred examples) and
benchmarks/fuzz_parsers.py (>= 10k per parser). Any parser from the registry is checked: it must
return a Ruleset that the evaluator can walk, or raise InputError; nothing else."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from hypothesis import strategies as st

from hybridfw.addresses import AddressSet
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.errors import InputError
from hybridfw.rulesets import parsers
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.scope import Scope

DATA = Path(__file__).parent.parent / "data"


def corpus() -> list[str]:
    """Every ruleset-like file the audit tests ship (all formats, vendor ones included)."""
    texts = []
    for folder in (DATA / "audit", DATA / "audit_vendor", DATA / "audit_edge"):
        if folder.is_dir():
            texts += [p.read_text(errors="replace") for p in sorted(folder.iterdir())
                      if p.is_file() and p.stat().st_size < 200_000 and not p.name.endswith(".xml.gz")]
    return texts


_CORPUS = corpus()
_PIECES = st.sampled_from(["{", "}", "[", "]", '"', ";", "\n", "!", "-A", "-j", "*filter", ":", "/",
                           "ip saddr", "@", "$", "0.0.0.0/0", "::/0", "jump", "goto", "vmap",
                           "<", ">", "&", "-", ",", "..", "COMMIT", "table", "chain", "\x00"])


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_CORPUS))
    lines = text.splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "cut", "insert", "swap"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]))))]
        elif op == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(_PIECES) + lines[i][pos:]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


@st.composite
def truncated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_CORPUS))
    return text[: draw(st.integers(0, len(text)))]


@st.composite
def huge_line(draw: st.DrawFn) -> str:
    piece = draw(st.sampled_from(["-A INPUT -s 10.0.0.0/8 ", "{", "[", "ip saddr 1.2.3.4 ", "a",
                                  '{"nftables": [', "1.2.3.4\n", "-j X "]))
    head = draw(st.sampled_from(["", "*filter\n", "table inet t {\nchain c {\n", '{"nftables": ']))
    return head + piece * draw(st.integers(1000, 40000))


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=2000), mutated(), truncated(), huge_line(),
                     st.sampled_from(_CORPUS))


_SCOPE = Scope(frozenset({("tcp", 25)}), frozenset({("tcp", 443)}),
               AddressSet.parse(["203.0.113.10", "2001:db8::10"]),
               AddressSet.parse(["203.0.113.10", "2001:db8::10"]))


def check_parser(parser: RulesetParser, text: str) -> None:
    """The contract: a walkable Ruleset or an InputError, parsed whole or for an audit's scope
    (whose rules, built on demand, must then build without error too)."""
    parser.detect(text)
    for scoped in (False, True):
        try:
            ruleset = (parser.parse_scoped(text, "fuzz", _SCOPE) if scoped
                       else parser.parse(text, "fuzz"))
        except InputError:
            continue
        evaluator = Evaluator(ruleset)
        for entry in ruleset.entries:
            for family, address in ((4, "203.0.113.10"), (6, "2001:db8::10")):
                value = int(ipaddress.ip_address(address))
                for probe in (Probe("destination", value, family, 25),  # type: ignore[arg-type]
                              Probe("source", value, family, 443)):  # type: ignore[arg-type]
                    evaluator.run_entry(entry, probe, AddressSet.any(family))  # type: ignore[arg-type]
        for chain in ruleset.chains.values():
            assert all(rule.origin.describe() for rule in chain.rules)


def parser_names() -> list[str]:
    return sorted(parsers())
