"""The fix's splice by offsets (`audit.splice`) writes the text the list-based splice writes
(`_old_splice` below: patch_netfilter.splice as it was before, split + slice assignment +
join), for any positions and lines `place` and `render` give; the unjoined `Spliced` text reads
(slices, `find`, the fix's diff) as the joined one; `TextLines` reads the lines
`str.split("\\n")` gives."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.addresses import AddressSet
from hybridfw.audit import patch_netfilter, splice
from hybridfw.audit.diff import unified
from hybridfw.audit.patch_netfilter import IptablesPatcher, NftTextPatcher
from hybridfw.audit.patch_types import Insertion
from hybridfw.audit.splice import Spliced, TextLines, splice_lazily
from hybridfw.rulesets.model import Origin

_TEXT = st.text(st.sampled_from("ab \n\r}{\x0c"), max_size=300) | st.text(st.sampled_from("\n\na}"),
                                                                     max_size=120)
_SMALL = st.one_of(st.none(), st.tuples(st.sampled_from([1, 2, 3, 7]), st.sampled_from([0, 1, 2])))


def _old_splice(text: str, items: list[Insertion], place: Callable[..., int | None],
                render: Callable[..., list[str]]) -> str:
    """patch_netfilter.splice before this change, verbatim: the oracle."""
    lines = text.split("\n")
    groups: dict[tuple[int, str, bool], list[Insertion]] = {}
    for item in items:
        groups.setdefault((item.origin.line, item.chain_key, item.policy), []).append(item)
    spots: list[tuple[int, list[str]]] = []
    for group in groups.values():
        at = place(lines, group[0])
        if at is None:
            continue
        rendered: list[str] = []
        for item in group:
            rendered += render(item, lines, at)
        spots.append((at, [line for unit in dict.fromkeys(rendered) for line in unit.split("\n")]))
    for at, new in sorted(spots, key=lambda s: s[0], reverse=True):
        lines[at:at] = new
    return "\n".join(lines)


def _steps(small: tuple[int, int] | None) -> contextlib.AbstractContextManager[object]:
    """Tiny chunks and walks, so short texts take every path of `TextLines.start`."""
    if small is None:
        return contextlib.nullcontext()
    return mock.patch.multiple(splice, _CHUNK=small[0], _STEPS=small[1])


@settings(max_examples=examples(400, daily=60), deadline=None)
@given(_TEXT, st.lists(st.integers(-40, 80), max_size=25), _SMALL)
def test_text_lines_are_the_split_lines(text: str, reads: list[int],
                                        small: tuple[int, int] | None) -> None:
    rows = text.split("\n")
    with _steps(small):
        lines = TextLines(text)
        assert len(lines) == len(rows)
        for index in reads:
            if -len(rows) <= index < len(rows):
                assert lines[index] == rows[index]
                if index >= 0:
                    assert lines.start(index) == sum(len(r) + 1 for r in rows[:index])
            else:
                with pytest.raises(IndexError):
                    lines[index]
        assert lines[1:-1] == rows[1:-1] and list(lines) == rows and list(reversed(lines)) == rows[::-1]


def _item(line: int, chain: str, policy: bool) -> Insertion:
    return Insertion(Origin("f", line), chain, policy, "smtp-inbound", "inbound", "192.0.2.1", 25,
                     "tcp", AddressSet.empty())


_ITEMS = st.lists(st.builds(_item, st.integers(0, 6), st.sampled_from("xy"), st.booleans()),
                  max_size=8)
# per (line, chain, policy): where `place` puts it (None: not placed; negative, or past the
# end: list slice positions)
_PLACES = st.dictionaries(st.tuples(st.integers(0, 6), st.sampled_from("xy"), st.booleans()),
                          st.one_of(st.none(), st.integers(-5, 45)))
_UNITS = st.lists(st.sampled_from(["n1", "n2", "n1\nn3", "", "a\nb\nc", "n2"]), max_size=4)


@settings(max_examples=examples(500, daily=80), deadline=None)
@given(_TEXT, _ITEMS, _PLACES, st.data(), _SMALL)
def test_splice_at_offsets_is_the_list_splice(text: str, items: list[Insertion],
                                              places: dict[tuple[int, str, bool], int | None],
                                              data: st.DataObject,
                                              small: tuple[int, int] | None) -> None:
    units = {id(item): data.draw(_UNITS) for item in items}

    def place(lines: Sequence[str], item: Insertion) -> int | None:
        key = (item.origin.line, item.chain_key, item.policy)
        if key not in places:  # the first line at or after the rule's holding a brace
            return next((i for i in range(item.origin.line, len(lines)) if "}" in lines[i]), None)
        return places[key]

    def render(item: Insertion, lines: Sequence[str], at: int) -> list[str]:
        near = lines[at] if 0 <= at < len(lines) else "end"  # what a renderer reads
        return [f"{u} {near[:3]}" if u else u for u in units[id(item)]]

    expected = _old_splice(text, items, place, render)
    assert patch_netfilter.splice(text, items, place, render) == expected
    with _steps(small):
        got = splice_lazily(text, items, place, render)
    assert str(got) == expected
    if isinstance(got, Spliced):  # read as diff.unified reads it: the same as the joined text
        assert got.changed == (expected != text) and len(got) == len(expected)
        for start, stop in data.draw(st.lists(st.tuples(st.integers(-3, len(expected) + 3),
                                                        st.integers(-3, len(expected) + 3)))):
            assert got[start:stop] == expected[start:stop]
            assert got.find("\n", start) == expected.find("\n", start)
        assert unified("f", text, got) == unified("f", text, expected)


_IPT_LINE = st.sampled_from(["*filter", ":INPUT DROP [0:0]", ":C - [0:0]", "-A INPUT -j C",
                             "-A C -s 10.0.0.1 -j DROP", "-A C -j RETURN", "-A INPUT -g C",
                             "COMMIT", "", "# c"])
_NFT_LINE = st.sampled_from(["table ip t {", "\tchain input {",
                             "\t\ttype filter hook input priority 0; policy drop;",
                             "\t\tip saddr 10.0.0.1 drop", "\t\tgoto c", "\t\treturn", "\t}",
                             "}", "", "\tchain c { return; }"])


@settings(max_examples=examples(300, daily=60), deadline=None)
@given(st.sampled_from(["iptables", "nft"]), st.data())
def test_netfilter_patchers_insert_as_with_the_list(fmt: str, data: st.DataObject) -> None:
    """The patchers' own place and render read TextLines as they read the list."""
    rows = data.draw(st.lists(_IPT_LINE if fmt == "iptables" else _NFT_LINE, max_size=30))
    text = "\n".join(rows) + data.draw(st.sampled_from(["", "\n"]))
    items = [Insertion(Origin("f", line), key, policy, "smtp-inbound", "inbound", address, 25,
                       "tcp", AddressSet.parse([remote]))
             for line, key, policy, address, remote in data.draw(st.lists(st.tuples(
                 st.integers(1, len(rows) + 1), st.sampled_from(["filter:INPUT", "filter:C"]),
                 st.booleans(), st.sampled_from(["192.0.2.1", "2001:db8::1"]),
                 st.sampled_from(["40.92.0.0/15", "2a01:111:f400::/48"])), max_size=5))]
    chains = {"filter:INPUT": ("filter", "INPUT"), "filter:C": ("filter", "C")}
    patcher = IptablesPatcher() if fmt == "iptables" else NftTextPatcher()
    got = _outcome(lambda: patcher.insert(text, items, chains))
    with mock.patch.object(patch_netfilter, "splice_lazily", _old_splice):
        assert got == _outcome(lambda: patcher.insert(text, items, chains))
    if isinstance(got, str):  # the fix's diff reads the patched text unjoined: the same diff
        lazily = patcher.insert_lazily(text, items, chains)
        assert unified("f", text, lazily) == unified("f", text, got)


def _outcome(run: Callable[[], str]) -> str | tuple[str, str]:
    """The text, or the error (a rule line past the end: the same IndexError either way)."""
    try:
        return run()
    except IndexError as exc:
        return type(exc).__name__, str(exc)


_WORDS = st.sampled_from(["COMMIT", "C", "CC", "-A", "-j", "RETURN", " ", "  ", "\n", "\n", "\t", "x",
                          "COMM", "IT"])


@settings(max_examples=examples(400, daily=60), deadline=None)
@given(st.lists(_WORDS, max_size=60).map("".join), st.integers(-3, 25), st.integers(-3, 25),
       st.sampled_from([("COMMIT",), ("COMMIT", "C"), ("C",), ("CC", "COMMIT"), ("",), ("C\n",)]),
       st.sampled_from(["strip", "split", "any"]), _SMALL)
def test_the_first_line_found_by_search_is_the_first_found_line_by_line(
        text: str, read: int, index: int, needles: tuple[str, ...], kind: str,
        small: tuple[int, int] | None) -> None:
    tests: dict[str, Callable[[str], bool]] = {
        "strip": lambda line: line.strip() == "COMMIT",
        "split": lambda line: line.split()[1:2] == ["C"] and "RETURN" in line.split(),
        "any": lambda line: True}
    test = tests[kind]
    rows = text.split("\n")
    index = max(index, -len(rows))  # a line from the end, as a list reads it
    expected = next((at for at in range(index, len(rows))
                     if any(n in rows[at] for n in needles) and test(rows[at])), None)
    with _steps(small):
        lines = TextLines(text)
        if 0 <= read < len(rows):
            assert lines[read] == rows[read]  # the cursor somewhere else first
        assert lines.first(index, needles, test) == expected
        assert [lines[at] for at in range(len(rows))] == rows  # the cursor left valid
