"""The fix's unified diff (`audit.diff.unified`) writes what difflib writes, in one pass."""

from __future__ import annotations

import difflib
from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from hybridfw.audit import diff
from hybridfw.audit.diff import _OTHER_ENDS, other_ends, unified

# A small alphabet, so context lines repeat and hunks meet, merge and touch both ends.
_REPEATING = st.lists(st.sampled_from(["-A INPUT -j ACCEPT", "COMMIT", "*filter", "", "# x"]),
                      max_size=40)
_DISTINCT = st.lists(st.integers(0, 99).map(lambda n: f"-A INPUT -s 10.0.0.{n} -j DROP"),
                     max_size=40, unique=True)
_WHERE = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 3)), max_size=5)


def _difflib(before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True), "f", "f"))


def _texts(old: list[str], where: list[tuple[int, int]], final_newline: bool) -> tuple[str, str]:
    lines = list(old)
    for number, (position, count) in enumerate(sorted(where, reverse=True)):
        at = min(position, len(lines))
        lines[at:at] = [f"-I INPUT -s 192.0.2.{number} -j ACCEPT #{k}" for k in range(count)]
    end = "\n" if final_newline else ""
    return ("\n".join(old) + end if old else ""), ("\n".join(lines) + end if lines else "")


def _applied(before: str, diff: str) -> str:
    """`diff` (context and added lines only) applied to `before`, its context checked."""
    old = before.splitlines(keepends=True)
    out: list[str] = []
    done = 0
    for line in diff.splitlines(keepends=True)[2:]:
        if line.startswith("@@"):
            start = int(line.split()[1][1:].split(",")[0])
            length = line.split()[1].split(",")
            start -= 0 if len(length) > 1 and length[1] == "0" else 1
            out += old[done:start]
            done = start
        elif line.startswith(" "):
            assert old[done] == line[1:]
            out.append(line[1:])
            done += 1
        else:
            assert line.startswith("+")
            out.append(line[1:])
    return "".join(out + old[done:])


@settings(max_examples=examples(300), deadline=None)
@given(_DISTINCT, _WHERE, st.booleans())
def test_insertions_are_diffed_as_difflib_does(old: list[str], where: list[tuple[int, int]],
                                               final_newline: bool) -> None:
    before, after = _texts(old, where, final_newline)
    assert unified("f", before, after) == _difflib(before, after)


@settings(max_examples=examples(300), deadline=None)
@given(_REPEATING, _WHERE, st.booleans())
def test_insertions_among_repeated_lines_give_a_diff_that_applies(
        old: list[str], where: list[tuple[int, int]], final_newline: bool) -> None:
    # difflib may align repeated lines otherwise (a deletion and an insertion): the one-pass
    # diff only inserts, and applying it gives the patched text. (A line added after a last
    # line without its newline changes that line: difflib's diff then.)
    before, after = _texts(old, where, final_newline)
    diff = unified("f", before, after)
    if diff != _difflib(before, after):
        assert not any(line.startswith("-") for line in diff.splitlines()[2:])
        assert _applied(before, diff) == after
    assert (diff == "") == (before == after)


def test_other_changes_and_other_line_ends_go_to_difflib() -> None:
    before = "a\nb\nc\nd\n"
    for after in ("a\nc\nd\n", "a\nB\nc\nd\n", "a\nb\rx\nc\nd\n", "a\nb\nc\nd\n"):
        assert unified("f", before, after) == _difflib(before, after)
    # A lone "\r" is a line end to difflib (str.splitlines): the pass leaves such text to it.
    assert unified("f", "a\rb\n", "a\rb\nc\n") == _difflib("a\rb\n", "a\rb\nc\n")


def test_a_headed_diff_names_both_files() -> None:
    text = unified("rules.v4", "a\nb\n", "a\nnew\nb\n", "rules.v4.fixed")
    assert text.splitlines()[:3] == ["--- rules.v4", "+++ rules.v4.fixed", "@@ -1,2 +1,3 @@"]
    assert "+new" in text.splitlines()



@given(st.text(alphabet=st.sampled_from("a\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u2027 "), max_size=12))
def test_other_ends_is_what_the_pattern_finds(text: str) -> None:
    assert other_ends(text) == (_OTHER_ENDS.search(text) is not None)


def _line_by_line(before: str, after: str) -> tuple[list[Any], dict[int, str]] | None:
    """The reference of `diff._insertions`: each line of `after` equal to the next line of
    `before` is kept, any other is inserted."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    codes: list[Any] = []
    inserted: dict[int, str] = {}
    i = 0
    for j, line in enumerate(new):
        if i < len(old) and line == old[i]:
            if codes and codes[-1][0] == "equal":
                codes[-1] = ("equal", codes[-1][1], i + 1, codes[-1][3], j + 1)
            else:
                codes.append(("equal", i, i + 1, j, j + 1))
            i += 1
        else:
            inserted[j] = line
            if codes and codes[-1][0] == "insert":
                codes[-1] = ("insert", i, i, codes[-1][3], j + 1)
            else:
                codes.append(("insert", i, i, j, j + 1))
    if i < len(old):
        return None
    return codes or [("equal", 0, 0, 0, 0)], inserted


@settings(max_examples=examples(400, 100), deadline=None)
@given(st.text(st.sampled_from("ab\n"), max_size=30), st.text(st.sampled_from("ab\n"), max_size=30),
       st.sampled_from((1, 2, 3, 5, 1 << 16)), st.booleans())
def test_insertions_compare_whole_lines_as_line_by_line(before: str, extra: str, chunk: int,
                                                         inserted: bool) -> None:
    # `after` is often `before` with text put in, so equal runs, insertions and endings meet;
    # small chunks make the chunked comparison cross its chunk edges.
    after = extra
    if inserted:
        cut = len(extra) % (len(before) + 1)
        after = before[:cut] + extra + before[cut:]
    with mock.patch.object(diff, "_CHUNK", chunk):
        found = diff._insertions(before, after)
    expected = _line_by_line(before, after)
    assert (found if found is None else found[:2]) == expected
    if found is not None:  # each opcode's offset is where its first line of `before` starts
        assert found[2] == [len("".join(before.splitlines(keepends=True)[:code[1]]))
                            for code in found[0]]
