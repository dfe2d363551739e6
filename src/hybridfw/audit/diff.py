"""A unified diff of a rules file and its patched copy, in linear time and small memory.

A fix inserts a few lines into a file that may hold 100k rules. `difflib.unified_diff` over
such a file splits both texts into line lists and indexes every line of the second: a peak of
several MiB for a diff of a few lines (benchmarks/audit.py default: peak RSS 71.2 -> 67.0 MiB
with this). When the copy is the original with lines inserted, one pass over both texts finds
the insertions; the hunks are grouped and written as difflib writes them (the same text where
the file's lines are distinct: tests/audit/test_audit_diff.py; among repeated lines difflib may
align otherwise, even as a deletion plus an insertion, where this diff only inserts). Anything
else goes to difflib.
"""

from __future__ import annotations

import difflib
import re
from array import array
from collections.abc import Iterator
from typing import Literal

# As difflib's get_opcodes: tag, i1, i2, j1, j2.
Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]
_CONTEXT = 3
# Line ends other than "\n" and "\r\n" that str.splitlines (difflib's split) also cuts at.
_OTHER_ENDS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SINGLE_ENDS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def unified(path: str, before: str, after: str, target: str = "") -> str:
    """The unified diff of `before` and `after` (3 lines of context), headed with `path` and
    `target` (default: `path`)."""
    found = None
    if not (other_ends(before) or other_ends(after)):
        found = _insertions(before, after)
    if found is None:
        return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                            after.splitlines(keepends=True), path,
                                            target or path))
    codes, inserted = found
    if len(codes) == 1 and codes[0][0] == "equal":
        return ""
    starts = _line_starts(before)
    out = [f"--- {path}\n", f"+++ {target or path}\n"]
    for group in _Grouped(codes).get_grouped_opcodes(_CONTEXT):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + before[starts[i]:starts[i + 1]] for i in range(i1, i2)]
            else:
                out += ["+" + inserted[j] for j in range(j1, j2)]
    return "".join(out)


def other_ends(text: str) -> bool:
    """Whether `text` has a line end `_OTHER_ENDS` finds. One `in` per character, the regex
    only when a CR is there: benchmarks/audit.py --format nft (5.8 MB, twice) CPU -7 %."""
    return any(end in text for end in _SINGLE_ENDS) or ("\r" in text and _OTHER_ENDS.search(text) is not None)


def _insertions(before: str, after: str) -> tuple[list[Opcode], dict[int, str]] | None:
    """The opcodes of `after` against `before` and the inserted lines by their index in
    `after`, when `after` is `before` with whole lines inserted; None otherwise."""
    old, new = _lines(before), _lines(after)
    codes: list[Opcode] = []
    inserted: dict[int, str] = {}
    i = 0
    pending = next(old, None)
    for j, line in enumerate(new):
        if line == pending:
            if codes and codes[-1][0] == "equal":
                codes[-1] = ("equal", codes[-1][1], i + 1, codes[-1][3], j + 1)
            else:
                codes.append(("equal", i, i + 1, j, j + 1))
            i += 1
            pending = next(old, None)
        else:
            inserted[j] = line
            if codes and codes[-1][0] == "insert":
                codes[-1] = ("insert", i, i, codes[-1][3], j + 1)
            else:
                codes.append(("insert", i, i, j, j + 1))
    if pending is not None:
        return None  # a line of `before` is not in `after`: not only insertions
    return codes or [("equal", 0, 0, 0, 0)], inserted


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their ends, as `str.splitlines(keepends=True)` for "\\n"
    ends, one at a time."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


def _line_starts(text: str) -> array[int]:
    starts = array("q", [0])
    position = text.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def _range(start: int, stop: int) -> str:
    """A hunk's line range as difflib writes it."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


class _Grouped(difflib.SequenceMatcher):  # type: ignore[type-arg]
    """difflib's hunk grouping (`get_grouped_opcodes`) over opcodes found here."""

    def __init__(self, codes: list[Opcode]) -> None:  # no sequences to compare
        self._codes = codes

    def get_opcodes(self) -> list[Opcode]:
        return self._codes
