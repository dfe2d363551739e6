"""A chain's rules built only when the evaluator walks into them, and a pause of the cyclic
garbage collector for building big acyclic models (the other vendors' readers use it; the
iptables reader does without: `benchmarks/audit.py` showed no gain from it, issue 18)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from hybridfw.addresses import AddressSet
from hybridfw.rulesets.model import Origin, Rule

if TYPE_CHECKING:
    from hybridfw.rulesets.lazy_columns import ChainColumns


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building a large acyclic model: its full
    collections over the growing heap make parsing big configurations superlinear."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Parts(NamedTuple):
    """What the audit's chain walk needs of one rule, without building it."""

    shape: Rule  # its action, target, label and conditions except its sources (for a record:
    # its shape, whose own sources and origin are another line's)
    sources: AddressSet  # its sources
    origin: Origin

    def rule(self) -> Rule:
        shape = self.shape
        if shape.match.sources is self.sources and shape.origin is self.origin:
            return shape
        return replace(shape, match=replace(shape.match, sources=self.sources), origin=self.origin)


class LazyRules(Sequence[Rule]):
    """A chain's rules, built from the parser's compact records when first needed.

    A scoped parse of a big ruleset (see `Scope`) keeps each rule as a small record. The
    evaluator looks at a record's `preview` (the rule's conditions except its sources, and
    whether its sources may hold an audited on-premises source), takes the `parts` of the rules
    a probe can match, and builds no Rule; anything else that iterates builds them all. `len()`
    builds nothing.
    """

    __slots__ = ("_built", "_columns", "_holding", "_items", "_make", "_parts", "_preview",
                 "_shapes")

    def __init__(self, items: Sequence[Any], make: Callable[[Any], Parts],
                 preview: Callable[[Any], tuple[Rule, bool]],
                 columns: ChainColumns | None = None) -> None:
        self._items = items  # a Rule, or a record `make` gives the parts of (a range: records)
        self._make = make
        self._preview = preview
        self._built = False
        self._holding: list[int] | None = None
        self._parts: list[Parts | None] | None = None  # made so far, by index
        self._shapes: list[Rule] | None = None
        self._columns = columns

    @property
    def built(self) -> bool:
        return self._built

    @property
    def columns(self) -> ChainColumns | None:
        """The scanner's columns of its scanned rules (None when built, or none scanned)."""
        return None if self._built else self._columns

    def previews(self, sources_matter: bool = False) -> Iterator[tuple[int, Rule, bool, bool]]:
        """(index, rule or shape, sources may matter, is a shape) for each rule, building
        nothing; only the rules whose sources may matter when `sources_matter`. A shape is a
        record's rule with another line's sources and origin, shared by the records of that
        shape: only its other conditions, action and target are this rule's."""
        preview, items = self._preview, self._items
        indexes: Iterable[int] = range(len(items))
        if sources_matter:
            if self._holding is None:
                self._holding = [i for i, item in enumerate(items)
                                 if isinstance(item, Rule) or preview(item)[1]]
            indexes = self._holding
        for index in indexes:
            item = items[index]
            if isinstance(item, Rule):
                yield index, item, True, False
            else:
                record_shape, sources = preview(item)
                yield index, record_shape, sources, True

    def shapes(self) -> list[Rule]:
        """Each rule's rule or shape as `previews` gives it, by index, building nothing (made
        once: an inbound probe's steps look at every one, `audit.steps.chain_steps`)."""
        if self._shapes is None:
            columns = self._columns
            if columns is not None:  # read in compiled code: --all-relevant
                self._shapes = columns.shapes(self.preview)
            else:
                self._shapes = [self.preview(i)[0] for i in range(len(self._items))]
        return self._shapes

    def where(self, test: Callable[[Rule], bool]) -> list[int]:
        """The indexes whose rule or shape (as `shapes` gives it) passes `test`, building
        nothing. From the scanner's columns a shape is tested once, not once per rule: the
        chain-loop check (`audit.loops`) of benchmarks/audit.py --all-relevant, 20 -> ~1 ms."""
        columns = self._columns
        if columns is not None and not self._built:
            return columns.where(test, self.preview)
        return [index for index, shape in enumerate(self.shapes()) if test(shape)]

    def preview(self, index: int) -> tuple[Rule, bool]:
        """(rule or shape, sources may hold an audited source) of rule `index`, as `previews`."""
        item = self._items[index]
        if isinstance(item, Rule):
            return item, True
        return self._preview(item)

    def parts(self, index: int) -> Parts:
        """The parts of rule `index`, building no Rule (the chain walk of a 100k-rule audit:
        benchmarks/audit.py --all-relevant)."""
        item = self._items[index]
        if isinstance(item, Rule):
            return Parts(item, item.match.sources, item.origin)
        # Made once for all probes (their steps share them): benchmarks/audit.py --all-relevant
        # CPU of the audit 2.27 -> 1.97 s, with the complement in `_iptables_rule.parts`.
        made = self._parts
        if made is None:
            made = self._parts = [None] * len(self._items)
        found = made[index]
        if found is None:
            found = made[index] = self._make(item)
        return found

    def _all(self) -> list[Rule]:
        if not self._built:
            self._items = built = [self.parts(i).rule() for i in range(len(self._items))]
            self._built = True
            self._parts = self._shapes = None
            self._columns = None
            return built
        return self._items  # type: ignore[return-value]  # built: a list of Rules

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Rule: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Rule]: ...

    def __getitem__(self, index: int | slice) -> Rule | Sequence[Rule]:
        return self._all()[index]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._all())
