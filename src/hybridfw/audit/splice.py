"""Lines inserted into a big rules file by offsets: the file is never split into a list of
line strings (100k lines: ~11 MiB of short strings for a fix of a few lines).

`splice_lazily` gives the same text as `patch_netfilter.splice` (the reference: it splits the
text, inserts with list slice assignment and joins again; tests/audit/test_audit_splice.py);
`place` and `render` see the file's lines through `TextLines`, which cuts a line when asked.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import TypeVar, overload

from hybridfw.audit.patch_types import Insertion

_CHUNK = 1 << 16  # characters whose line ends are counted in one step on a long jump forward
_STEPS = 256  # lines walked one at a time before counting a chunk at a time

Spot = tuple[int, list[str]]  # a 0-based line index (a list slice position) and its new lines
Lines = TypeVar("Lines", bound=Sequence[str])


class TextLines(Sequence[str]):
    """The lines of `text` as ``text.split("\\n")`` gives them, each cut from the text when
    read. Reading forward from the last line read is cheap (a rules file is read in order)."""

    __slots__ = ("_at", "_count", "_index", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._count = text.count("\n") + 1
        self._index = self._at = 0  # the last line found and where it starts

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("list index out of range")  # as the list's
        start = self.start(index)
        end = self._text.find("\n", start)
        return self._text[start:] if end < 0 else self._text[start:end]

    def first(self, index: int, needles: tuple[str, ...], test: Callable[[str], bool]) -> int | None:
        """The first line from `index` on that holds one of `needles` and passes `test` (None:
        none does), as a loop over the lines would find it; the text is searched for the
        needles, no line is cut that holds none: benchmarks/audit.py --all-relevant, fix CPU."""
        if index < 0 or any(not needle or "\n" in needle for needle in needles):
            return next((at for at in range(index, self._count)
                         if any(n in self[at] for n in needles) and test(self[at])), None)
        if index >= self._count:
            return None
        text, line, at = self._text, index, self.start(index)
        hits = [text.find(needle, at) for needle in needles]  # each needle's next, -1: none
        while True:
            # a needle is searched again only once passed (never over the text per line)
            hits = [text.find(n, at) if 0 <= hit < at else hit for n, hit in zip(needles, hits, strict=True)]
            if max(hits) < 0:
                return None
            first = min(hit for hit in hits if hit >= 0)
            begin = text.rfind("\n", at, first) + 1 or at  # the line holding the first
            line += text.count("\n", at, begin)
            end = text.find("\n", begin)
            if test(text[begin:] if end < 0 else text[begin:end]):
                self._index, self._at = line, begin
                return line
            if end < 0:
                return None
            line, at = line + 1, end + 1

    def start(self, index: int) -> int:
        """Where line `index` (0 <= index < len) starts in the text."""
        text, line, at = self._text, self._index, self._at
        if index < line:
            if line - index <= _STEPS:
                while line > index:
                    at = text.rfind("\n", 0, at - 1) + 1
                    line -= 1
            else:
                line = at = 0
        while index - line > _STEPS:  # a long jump: line ends counted a chunk at a time
            count = text.count("\n", at, at + _CHUNK)
            if not count or line + count > index:
                break
            at = text.rfind("\n", at, at + _CHUNK) + 1
            line += count
        while line < index:
            at = text.index("\n", at) + 1
            line += 1
        self._index, self._at = line, at
        return at


def splice_lazily(text: str, items: list[Insertion],
                  place: Callable[[TextLines, Insertion], int | None],
                  render: Callable[[Insertion, TextLines, int], list[str]]) -> Spliced | str:
    """`patch_netfilter.splice` without the list of lines, and without joining the result:
    `str()` of it is the same text, `diff.unified` reads it as it is. With `patch.fix_diffs`:
    benchmarks/audit.py --all-relevant, the fix's traced peak 14.5 -> 7.7 MiB."""
    lines = TextLines(text)
    return inserted(text, lines, spots(lines, items, place, render))


def spots(lines: Lines, items: list[Insertion], place: Callable[[Lines, Insertion], int | None],
          render: Callable[[Insertion, Lines, int], list[str]]) -> list[Spot]:
    """Where the rendered lines of each group (the insertions denied by one rule) go: before
    the 0-based line `place` gives (None: the group cannot be placed and is left out; the
    re-audit then still reports it)."""
    found: list[Spot] = []
    for group in grouped(items).values():
        at = place(lines, group[0])
        if at is None:
            continue
        rendered: list[str] = []
        for item in group:
            rendered += render(item, lines, at)
        # one unit per rule (a multi-line rule is one string): identical rules only once
        found.append((at, [line for unit in dict.fromkeys(rendered) for line in unit.split("\n")]))
    return found


def grouped(items: list[Insertion]) -> dict[tuple[int, str, bool], list[Insertion]]:
    groups: dict[tuple[int, str, bool], list[Insertion]] = {}
    for item in items:
        groups.setdefault((item.origin.line, item.chain_key, item.policy), []).append(item)
    return groups


def inserted(text: str, lines: TextLines, where: list[Spot]) -> Spliced | str:
    """`text` with each spot's lines inserted as ``lines[at:at] = new`` would, applied from the
    last position to the first (of equal ones, the later spot ends up first)."""
    count = len(lines)
    ordered = sorted(where, key=lambda spot: spot[0], reverse=True)
    if any(not 0 <= at <= count for at, _ in ordered):  # slice positions from the end, or past it
        return by_list(text.split("\n"), ordered)
    parts: list[tuple[str, int, int]] = []
    done = 0
    changed = False
    for at, new in reversed(ordered):  # first position first; of equal ones the later spot
        if not new:
            continue
        block, changed = "\n".join(new), True
        offset = len(text) if at == count else lines.start(at)
        parts.append((text, done, offset))
        done = offset
        parts.append(("\n" + block, 0, len(block) + 1) if at == count else
                     (block + "\n", 0, len(block) + 1))
    parts.append((text, done, len(text)))
    return Spliced(parts, changed)


class Spliced:
    """A text with lines inserted, kept as windows on the original and the new blocks: a
    file-sized copy is made only by `str()`. `diff.unified` reads it by `len`, slices and
    `find`."""

    __slots__ = ("_ends", "_parts", "changed")

    def __init__(self, parts: list[tuple[str, int, int]], changed: bool) -> None:
        self._parts = [part for part in parts if part[2] > part[1]]
        self._ends = list(itertools.accumulate(end - start for _, start, end in self._parts))
        self.changed = changed  # whether a line was inserted (else it is the original text)

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __str__(self) -> str:
        return "".join(text[start:end] for text, start, end in self._parts)

    def __getitem__(self, cut: slice) -> str:
        first, stop, step = cut.indices(len(self))
        if step != 1 or first >= stop:
            return str(self)[cut] if step != 1 else ""
        out = []
        index = bisect_right(self._ends, first)
        while first < stop:
            text, start, end = self._parts[index]
            before = self._ends[index] - (end - start)  # where this part starts in the whole
            take = min(stop, self._ends[index]) - first
            out.append(text[start + first - before:start + first - before + take])
            first += take
            index += 1
        return "".join(out)

    def find(self, sub: str, start: int = 0) -> int:
        """The first `sub` (one character) at or after `start`, -1 when there is none."""
        if len(sub) != 1:
            raise ValueError("Spliced.find looks for one character")
        if start < 0:  # from the end, as str.find counts
            start = max(0, len(self) + start)
        index = bisect_right(self._ends, start)
        for at in range(index, len(self._parts)):
            text, first, end = self._parts[at]
            before = self._ends[at] - (end - first)
            found = text.find(sub, first + max(0, start - before), end)
            if found >= 0:
                return before + found - first
        return -1

    def contains(self, chars: str) -> bool:
        """Whether one of `chars` is in the text."""
        return any(text.find(char, start, end) >= 0
                   for text, start, end in self._parts for char in chars)


def by_list(rows: list[str], ordered: list[Spot]) -> str:
    """The reference: insert into the split text by list slice assignment in `ordered` order
    (the last position first), and join."""
    for at, new in ordered:
        rows[at:at] = new
    return "\n".join(rows)
