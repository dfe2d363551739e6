"""The nft text fast path for plain rule lines (`nft_text._PLAIN`): a line ``ip|ip6 saddr ...``
of plain words in a chain's body is one token, split by `plain_words`. Checked against the
tokeniser without it (the reference): on random lines of every awkward kind (operators glued to
words, quotes, comments, braces, tabs, CR, counters) inside random blocks, the tokens are the
same once the line tokens are split, and whole rulesets parse (full and scoped) and audit the
same."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.audit import audit_summary
from _support.hypo import examples
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import nft_text, parse_text
from hybridfw.rulesets._nft_text_shapes import plain_words

WORDS = ("ip", "ip6", "saddr", "daddr", "!=", "==", "!=10.0.0.1", "<=5", ">=", "10.1.0.0/16",
         "2001:db8::/32", "@s4", "@s6", "@nope", "tcp", "dport", "25", "587", "udp", "53", "accept",
         "drop", "return", "jump", "c1", "counter", "packets", "0", "bytes", "comment", '"a b"',
         '"x \\" y"', '"#"', "{", "}", ",", ";", "|", ".", "#tail", "vmap", ":", "ct", "state",
         "new", "established,related", "meta", "l4proto", "$v", "x\r", "chain", "c2")
SEPS = (" ", " ", " ", "  ", "\t")


@st.composite
def _line(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(("ip saddr", "ip6 saddr", "ip saddr !=", "ip daddr", "", "tcp")))
    words = [head, *draw(st.lists(st.sampled_from(WORDS), max_size=7))]
    if draw(st.booleans()):
        words += ["comment", draw(st.sampled_from(('"note 1"', '"a \\"q\\" b"', '""', '"open')))]
    text = "".join(f"{w}{draw(st.sampled_from(SEPS))}" for w in words if w).rstrip()
    return draw(st.sampled_from(("\t\t", "\t", "", "  "))) + text + draw(st.sampled_from(("", "", " ", "\r")))


@st.composite
def _text(draw: st.DrawFn) -> str:
    """Lines in and around chain bodies, sets and nested braces (often not valid nft)."""
    opens = ("table ip t {", "\tchain c1 {", "\tchain c2 {", "\tset s4 {", "\tadd chain ip t c {",
             "\t\tip saddr {", "\tchain\tc3 {", "}", "\t}")
    lines = draw(st.lists(st.one_of(_line(), st.sampled_from(opens)), max_size=14))
    return "\n".join(lines) + draw(st.sampled_from(("", "\n")))


@contextmanager
def _without_plain_lines() -> Iterator[None]:
    """The reference: every line tokenised word by word."""
    with mock.patch.object(nft_text, "_PLAIN", re.compile(r"(?!)")):
        yield


def _split(tokens: list[tuple[str, int]]) -> list[tuple[str, int]]:
    out = []
    for tok, line in tokens:
        words = plain_words(tok)
        out += [(w, line) for w in words] if words else [(tok, line)]
    return out


@settings(max_examples=examples(400), deadline=None)
@given(_text())
def test_plain_line_tokens_split_into_the_reference_tokens(text: str) -> None:
    try:
        fast: Any = _split(nft_text.tokenize(text, "t.nft"))
    except InputError as exc:  # an undefined $variable: the same error both ways
        fast = str(exc)
    with _without_plain_lines():
        try:
            reference: Any = nft_text.tokenize(text, "t.nft")
        except InputError as exc:
            reference = str(exc)
    assert fast == reference
    assert isinstance(reference, str) or all(plain_words(tok) is None for tok, _ in reference)
    flows = [Flow("in", "inbound", "tcp", (25,), AddressSet.parse(["10.1.0.0/16"]),
                  AddressSet.parse(["10.99.0.1"]), "test")]
    for scoped in (False, True):
        outcome = _outcome(text, scoped, flows)
        with _without_plain_lines():
            assert outcome == _outcome(text, scoped, flows)


def test_only_plain_lines_in_a_chain_body_become_one_token() -> None:
    text = ("table ip t {\n\tchain c {\n\t\tip saddr 10.0.0.0/8 tcp dport 25 accept comment \"a b\"\n"
            "\t\tip saddr { 10.0.0.1 } accept\n\t\tip saddr !=10.0.0.1 accept\n\t}\n"
            "\tset s { type ipv4_addr\n\t\tip saddr 10.0.0.1 accept\n\t}\n}\n")
    lines = [line for tok, line in nft_text.tokenize(text, "t.nft") if plain_words(tok)]
    assert lines == [3]


def _outcome(text: str, scoped: bool, flows: list[Flow]) -> Any:
    try:
        ruleset = parse_text(text, "t.nft", "nft")
        rules = [[(r.match, r.action, r.target, r.label, r.origin) for r in chain.rules]
                 for chain in ruleset.chains.values()]
        return rules, ruleset.omitted, audit_summary(text, "nft", flows, scoped, Interfaces("vb"))
    except Exception as exc:  # the same error at the same place
        return type(exc).__name__, str(exc)


_RULE = st.tuples(st.sampled_from(("ip saddr", "ip saddr !=", "ip6 saddr", "ip saddr ==")),
                  st.sampled_from(("10.1.0.0/16", "40.92.0.0/15", "@s4", "@s6", "2001:db8::/32",
                                   "10.1.2.3 | 10.1.2.4", "@s4 . 25", "0.0.0.0/0", "@nope")),
                  st.sampled_from(("tcp dport 25", "tcp dport { 25, 587 }", "udp dport 53", "",
                                   "counter packets 1 bytes 60 tcp dport 25", "ip daddr 10.99.0.1",
                                   "tcp dport vmap { 25 : accept, 587 : drop }", "ct state new")),
                  st.sampled_from(("accept", "drop", "return", "jump c1", "counter")),
                  st.sampled_from(("", ' comment "n 1"', ' comment "q \\" x"')))


@st.composite
def _ruleset(draw: st.DrawFn) -> str:
    family = draw(st.sampled_from(("ip", "ip6", "inet")))
    lines = [f"table {family} t {{",
             "\tset s4 { type ipv4_addr; flags interval; elements = { 40.92.0.0/15, 10.1.2.0/24 } }",
             "\tset s6 { type ipv6_addr; flags interval; elements = { 2001:db8::/32 } }",
             "\tchain c0 {", "\t\ttype filter hook input priority filter; policy drop;"]
    for chain in ("c0", "c1"):
        if chain != "c0":
            lines.append(f"\tchain {chain} {{")
        for rule in draw(st.lists(_RULE, max_size=6)):
            lines.append("\t\t" + " ".join(part for part in rule[:4] if part) + rule[4])
        lines.append("\t}")
    return "\n".join([*lines, "}", ""])


@settings(max_examples=examples(150, daily=40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_ruleset(), st.booleans(), st.sampled_from(((25,), (53,), (25, 587))))
def test_rulesets_parse_and_audit_as_without_the_fast_path(text: str, scoped: bool,
                                                           ports: tuple[int, ...]) -> None:
    flows = [Flow("in", "inbound", "tcp", ports, AddressSet.parse(["40.92.0.0/15", "2001:db8::/32"]),
                  AddressSet.parse(["10.99.0.1", "2001:db8::10"]), "test"),
             Flow("out", "outbound", "tcp", ports, AddressSet.parse(["10.1.2.3"]),
                  AddressSet.parse(["40.92.0.0/15"]), "test")]
    fast = _outcome(text, scoped, flows)
    with _without_plain_lines():
        assert fast == _outcome(text, scoped, flows), text
