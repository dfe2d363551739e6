"""The common iptables-save rule line read by the optional C scanner (`_iptscan.c`), kept as
columns: a scoped parse of a 100k-rule file holds no Python object per rule until the audit
walks into it (benchmarks/audit.py --all-relevant).

`scan` returns None when the scanner is not built (or HYBRIDFW_PURE=1) or cannot take the text;
the line-by-line reader (`iptables._SaveFile.feed`) is then used, and it stays the reference:
tests/rulesets/test_iptables_fast.py checks that both give the same ruleset and audit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from hybridfw.addresses import Interval
from hybridfw.rulesets._iptables_rule import Record, Shape
from hybridfw.rulesets.model import LineSource, Rule

try:  # the optional compiled build's scanner (hatch_build.py); the pure reader is the reference
    from hybridfw.rulesets import _iptscan
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _iptscan = None  # type: ignore[assignment]


class Scanned:
    """The lines `_iptscan.scan` read from one file, by index: each is ``-A CHAIN [! ]-s VALUE
    REST`` with VALUE one network of the file's family. `general` lines are left to the reader.
    A kept rule is its index in a chain's list (`record` makes its `Record` when walked)."""

    def __init__(self, family: int, columns: tuple[bytes, ...], chains: list[str],
                 keys: list[str]) -> None:
        numbers, starts, ends, chain_ids, key_ids, negated, lows, highs, holds = columns[:9]
        self.family = family
        self.numbers = memoryview(numbers).cast("I")
        self.starts = memoryview(starts).cast("I")
        self.ends = memoryview(ends).cast("I")
        self.chain_ids = memoryview(chain_ids).cast("I")
        self.key_ids = memoryview(key_ids).cast("I")
        self.negated = negated
        self.lows = memoryview(lows).cast("I") if family == 4 else memoryview(lows)
        self.highs = memoryview(highs).cast("I") if family == 4 else memoryview(highs)
        self.holds = holds  # the source condition holds an audited on-premises source
        gnumbers, gstarts, gends = columns[9:12]
        self.general = (memoryview(gnumbers).cast("I"), memoryview(gstarts).cast("I"),
                        memoryview(gends).cast("I"))
        self.chains = chains
        self.keys = keys
        self.shapes: list[Shape | None] = [None] * len(keys)  # by key id, parsed when first met
        self.holding = bytearray(len(negated))  # per kept rule: may hold an audited source
        # (shape rule, may hold) by 2 * key id + may hold: shared, one pair per shape and flag
        self.previews: list[tuple[Rule, bool] | None] = [None] * (2 * len(keys))
        self.picks: dict[object, bytes] = {}  # `picked`, by test

    def picked(self, test: Callable[[Rule], bool]) -> bytes:
        """By key id: 1 where the shape passes `test` (asked once per shape and test; empty
        when none does)."""
        found = self.picks.get(test)
        if found is None:
            mask = bytes(shape is not None and test(shape.rule) for shape in self.shapes)
            found = self.picks[test] = mask if 1 in mask else b""
        return found

    def __len__(self) -> int:
        return len(self.negated)

    def interval(self, index: int) -> Interval:
        if self.family == 4:
            return self.lows[index], self.highs[index]
        at = 16 * index
        return (int.from_bytes(self.lows[at:at + 16], "big"),
                int.from_bytes(self.highs[at:at + 16], "big"))

    def shape(self, index: int) -> Shape:
        shape = self.shapes[self.key_ids[index]]
        assert shape is not None  # a kept rule's shape was parsed when it was read
        return shape

    def record(self, index: int) -> Record:
        """The `Record` of kept rule `index` (made when the audit walks into it)."""
        return Record(self.numbers[index], self.negated[index] == 1, self.interval(index),
                      self.shape(index).rule, self.holding[index] == 1)

    def preview(self, index: int) -> tuple[Rule, bool]:
        at = 2 * self.key_ids[index] + self.holding[index]
        found = self.previews[at]
        if found is None:
            found = self.previews[at] = (self.shape(index).rule, self.holding[index] == 1)
        return found

    def done(self) -> None:
        """Drop what only reading needed (line offsets, chain ids, the general lines)."""
        empty = memoryview(b"").cast("I")
        self.starts = self.ends = self.chain_ids = empty
        self.general = (empty, empty, empty)
        self.holds = b""


def scan(text: str, family: int, held: tuple[Interval, ...]) -> Scanned | None:
    """The scanner's reading of `text`, or None (not built, or the text is not ASCII)."""
    if _iptscan is None:
        return None
    found = _iptscan.scan(text, family, held)
    if found is None:
        return None
    return Scanned(family, found[:12], found[12], found[13])


def numbered_lines(text: str, source: LineSource | None) -> Iterator[tuple[int, str]]:
    """(number, line) split on "\\n" as iptables-restore reads, a block at a time: a 100k-line
    file never exists as one list of line strings next to its text. Each block also goes into
    `source` when given."""
    for number, block in blocks(text):
        if source is not None:
            source.add(number + 1, block)
        for line in block.split("\n"):
            number += 1
            yield number, line


def blocks(text: str) -> Iterator[tuple[int, str]]:
    """Runs of whole lines of about _BLOCK characters, each with the number of lines before it."""
    number, start, size = 0, 0, len(text)
    while start < size:
        end = text.find("\n", start + _BLOCK)
        end = size if end < 0 else end
        block = text[start:end]
        yield number, block
        number += block.count("\n") + 1
        start = end + 1


_BLOCK = 1 << 16


def compact(items: list[Rule | Record | int]) -> list[Rule | Record | int] | range:
    """A chain's items; a run of consecutive scanned rules as a range (no int object per rule:
    benchmarks/audit.py --all-relevant, peak RSS -4 MiB)."""
    if not items or not isinstance(first := items[0], int):
        return items
    if all(isinstance(item, int) and item == first + at for at, item in enumerate(items)):
        return range(first, first + len(items))
    return items
