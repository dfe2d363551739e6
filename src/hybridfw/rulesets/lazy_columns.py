"""A chain's kept rules read straight from the iptables scanner's columns (`_iptables_fast`)
while the audit walks: a rule's shape, source interval and line come from the columns, and
no Record or Parts is made for it (benchmarks/audit.py --all-relevant).

`LazyRules.columns` holds one of these for a chain of scanned rules; `hybridfw.audit.steps`
uses it and `LazyRules.parts` stays the reference (tests/audit/test_audit_columns.py checks
that both give the same audit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hybridfw.addresses import AddressSet, Interval
from hybridfw.rulesets._iptables_fast import Scanned
from hybridfw.rulesets.model import LineSource, Origin, Rule


class ChainColumns:
    """The rules of one chain by position: `row(position)` is the scanner's index of a
    scanned rule, -1 for any other item (a Rule or a Record: `LazyRules.parts` makes it)."""

    def __init__(self, scanned: Scanned, items: Sequence[object], resolve: Callable[[Rule], Rule],
                 path: str, source: LineSource) -> None:
        self.scanned = scanned
        self.family = scanned.family
        # A run of consecutive scanned rules comes as a range: no list of rows (no int object
        # per rule: benchmarks/audit.py --all-relevant, peak RSS -4 MiB).
        self._first = items.start if isinstance(items, range) else 0
        self._rows: list[int] | None = (None if isinstance(items, range) else
                                        [item if isinstance(item, int) else -1 for item in items])
        self._count = len(items)
        self._resolve = resolve  # a shape with its jump target resolved (cached by the table)
        self._path = path
        self._source = source
        self._last = (1 << 32) - 1 if scanned.family == 4 else (1 << 128) - 1
        self._holding: list[int] | None = None

    def shapes(self, preview: Callable[[int], tuple[Rule, bool]]) -> list[Rule]:
        """Each position's shape as `LazyRules.shapes` gives it (`preview` for other items)."""
        shape, row = self.shape, self.row
        return [shape(row(at)) if row(at) >= 0 else preview(at)[0] for at in range(self._count)]

    def where(self, test: Callable[[Rule], bool],
              preview: Callable[[int], tuple[Rule, bool]]) -> list[int]:
        """The positions whose shape (as `shapes` gives it) passes `test`: a scanned rule's
        shape is tested once per distinct shape (`Scanned.picked`), not once per rule."""
        picked, keys = self.scanned.picked(test), self.scanned.key_ids
        rows = self._rows
        if rows is None:  # all scanned rules
            first = self._first
            return [at for at in range(self._count) if picked[keys[first + at]]] if picked else []
        return [at for at, row in enumerate(rows)
                if (bool(picked) and picked[keys[row]] == 1 if row >= 0 else test(preview(at)[0]))]

    def holding_positions(self, preview: Callable[[int], tuple[Rule, bool]]) -> list[int]:
        """The positions whose sources may hold an audited source (`LazyRules.previews`)."""
        if self._holding is None:
            holding, row = self.scanned.holding, self.row
            self._holding = [at for at in range(self._count)
                             if (holding[row(at)] == 1 if row(at) >= 0 else preview(at)[1])]
        return self._holding

    def row(self, position: int) -> int:
        """The scanner's index of the rule at `position`, -1 for another item."""
        rows = self._rows
        return self._first + position if rows is None else rows[position]

    def shape(self, row: int) -> Rule:
        """The shape of scanned rule `row` as `LazyRules.previews` gives it."""
        return self.scanned.shape(row).rule

    def rule(self, row: int) -> Rule:
        """Its shape with the jump target resolved, as `LazyRules.parts` gives it."""
        return self._resolve(self.scanned.shape(row).rule)

    def origin(self, row: int) -> Origin:
        return Origin(self._path, self.scanned.numbers[row], "", self._source)

    def holding(self, row: int) -> bool:
        """Whether its sources may hold an audited on-premises source."""
        return self.scanned.holding[row] == 1

    def pieces(self, row: int) -> tuple[Interval, ...]:
        """Its sources as canonical intervals of the file's family (as `parts` makes them)."""
        lo, hi = self.scanned.interval(row)
        if self.scanned.negated[row] != 1:
            return ((lo, hi),)
        if lo == 0:
            return ((hi + 1, self._last),) if hi < self._last else ()
        return ((0, lo - 1), (hi + 1, self._last)) if hi < self._last else ((0, lo - 1),)

    def varying(self, row: int) -> tuple[Interval, ...] | None:
        """`pieces`, None when they cover the whole family (a step's varying side: any)."""
        pieces = self.pieces(row)
        return None if len(pieces) == 1 and pieces[0] == (0, self._last) else pieces

    def sources(self, row: int) -> AddressSet:
        pieces = self.pieces(row)
        if self.family == 4:
            return AddressSet.from_canonical(pieces, ())
        return AddressSet.from_canonical((), pieces)

    def holds(self, row: int, point: int) -> bool:
        """Whether its sources hold the address `point` (of the file's family)."""
        lo, hi = self.scanned.interval(row)
        return (lo <= point <= hi) != (self.scanned.negated[row] == 1)
