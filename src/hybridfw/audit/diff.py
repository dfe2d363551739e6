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
from bisect import bisect_right
from typing import Literal

from hybridfw.audit.splice import Spliced

# As difflib's get_opcodes: tag, i1, i2, j1, j2.
Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]
_CONTEXT = 3
# Line ends other than "\n" and "\r\n" that str.splitlines (difflib's split) also cuts at.
_OTHER_ENDS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SINGLE_ENDS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def unified(path: str, before: str, after: str | Spliced, target: str = "") -> str:
    """The unified diff of `before` and `after` (3 lines of context), headed with `path` and
    `target` (default: `path`). `after` may be a `Spliced` text, read without joining it."""
    found = None
    if not (other_ends(before) or _other_ends(after)):
        found = _insertions(before, after)
    if found is None:
        return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                            str(after).splitlines(keepends=True), path,
                                            target or path))
    codes, inserted, offsets = found
    if len(codes) == 1 and codes[0][0] == "equal":
        return ""
    out = [f"--- {path}\n", f"+++ {target or path}\n"]
    for group in _Grouped(list(codes)).get_grouped_opcodes(_CONTEXT):  # it trims its list
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in _context(before, codes, offsets, i1, i2)]
            else:
                out += ["+" + inserted[j] for j in range(j1, j2)]
    return "".join(out)


def other_ends(text: str) -> bool:
    """Whether `text` has a line end `_OTHER_ENDS` finds. One `in` per character, the regex
    only when a CR is there: benchmarks/audit.py --format nft (5.8 MB, twice) CPU -7 %."""
    return any(end in text for end in _SINGLE_ENDS) or ("\r" in text and _OTHER_ENDS.search(text) is not None)


def _other_ends(text: str | Spliced) -> bool:
    if isinstance(text, str):
        return other_ends(text)
    if text.contains("\r"):  # "\r\n" may span two parts: ask the joined text (rare)
        return other_ends(str(text))
    return text.contains(_SINGLE_ENDS)


def _insertions(before: str, after: str | Spliced,
                ) -> tuple[list[Opcode], dict[int, str], list[int]] | None:
    """The opcodes of `after` against `before`, the inserted lines by their index in `after`
    and, per opcode, the offset in `before` where it starts, when `after` is `before` with
    whole lines inserted; None otherwise. Line by line: a line of `after` equal to the next of
    `before` is kept, any other is inserted."""
    offsets: list[int] = []
    codes: list[Opcode] = []
    inserted: dict[int, str] = {}
    i = j = at = at_new = 0  # line numbers and offsets in before / after
    while at_new < len(after):
        # The equal lines in one step, compared a chunk at a time, not a line at a time:
        # benchmarks/audit.py --all-relevant, fix CPU about -0.2 s.
        same = _equal_lines(before, at, after, at_new)
        if same:
            count = before.count("\n", at, at + same)
            if same == len(before) - at and before[-1:] != "\n":
                count += 1  # the last line, without its end
            codes.append(("equal", i, i + count, j, j + count))
            offsets.append(at)
            i, j, at, at_new = i + count, j + count, at + same, at_new + same
            if at_new >= len(after):
                break
        end = after.find("\n", at_new)
        end = len(after) if end < 0 else end + 1
        inserted[j] = after[at_new:end]
        if codes and codes[-1][0] == "insert":
            codes[-1] = ("insert", i, i, codes[-1][3], j + 1)
        else:
            codes.append(("insert", i, i, j, j + 1))
            offsets.append(at)
        j, at_new = j + 1, end
    if at < len(before):
        return None  # a line of `before` is not in `after`: not only insertions
    return codes or [("equal", 0, 0, 0, 0)], inserted, offsets or [0]


def _context(before: str, codes: list[Opcode], offsets: list[int], i1: int, i2: int) -> list[str]:
    """Lines i1 to i2 of `before`, which lie in one equal opcode: found from the nearer end of
    it (a context line is near one), never by indexing every line of a 100k-line file."""
    index = bisect_right([code[1] for code in codes], i1) - 1
    while codes[index][0] != "equal" or codes[index][2] < i2:
        index -= 1  # an insert starts where the equal run before it ends
    _, first, last, _, _ = codes[index]
    at = offsets[index]
    if i1 - first > last - i2:  # nearer its end: walk back from the start of line `last`
        at = offsets[index + 1] if index + 1 < len(offsets) else len(before)
        for _ in range(last - i1):
            at = before.rfind("\n", 0, at - 1) + 1
    else:
        for _ in range(i1 - first):
            at = before.index("\n", at) + 1
    out = []
    for _ in range(i2 - i1):
        end = before.find("\n", at)
        end = len(before) if end < 0 else end + 1
        out.append(before[at:end])
        at = end
    return out


_CHUNK = 1 << 16


def _equal_lines(before: str, at: int, after: str | Spliced, at_new: int) -> int:
    """The length of the longest run of whole lines (each with its end) that `before` from `at`
    and `after` from `at_new` start with alike; a last line without an end counts only when it
    ends both texts."""
    size = 0
    chunk = _CHUNK
    while True:
        a, b = before[at + size:at + size + chunk], after[at_new + size:at_new + size + chunk]
        if a == b and len(a) == chunk:
            size += chunk
            continue
        if a == b and at + size + len(a) == len(before) and at_new + size + len(b) == len(after):
            return size + len(a)  # both end here
        if chunk == 1 or not a or not b:
            break
        chunk = max(1, chunk // 2)  # the first difference lies in this chunk: halve it
    # `size` characters agree; back to the end of the last whole line among them.
    end = before.rfind("\n", at, at + size)
    return end + 1 - at if end >= 0 else 0


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
