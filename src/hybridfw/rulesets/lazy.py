"""A chain's rules built only when the evaluator walks into them, and a pause of the cyclic
garbage collector for building big acyclic models (the other vendors' readers use it; the
iptables reader does without: `benchmarks/audit.py` showed no gain from it, issue 18)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from hybridfw.rulesets.model import Rule


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


class LazyRules(Sequence[Rule]):
    """A chain's rules, built from the parser's compact records when first needed.

    A scoped parse of a big ruleset (see `Scope`) keeps each rule as a small record. The
    evaluator looks at a record's `preview` (the rule's conditions except its sources, and
    whether its sources may hold an audited on-premises source) and builds only the rules a
    probe can match (`rule`); anything else that iterates builds them all. `len()` builds
    nothing.
    """

    __slots__ = ("_built", "_holding", "_items", "_make", "_preview", "_shapes")

    def __init__(self, items: list[Any], make: Callable[[Any], Rule],
                 preview: Callable[[Any], tuple[Rule, bool]]) -> None:
        self._items = items  # a Rule, or a record `make` turns into one
        self._make = make
        self._preview = preview
        self._built = False
        self._holding: list[int] | None = None
        self._shapes: list[Rule | None] | None = None  # of records built so far, by index

    @property
    def built(self) -> bool:
        return self._built

    def previews(self, sources_matter: bool = False) -> Iterator[tuple[int, Rule, bool, bool]]:
        """(index, rule or shape, sources may matter, is a shape) for each rule, building
        nothing; only the rules whose sources may matter when `sources_matter`. A shape is a
        record's rule with another line's sources and origin, shared by the records of that
        shape: only its other conditions, action and target are this rule's."""
        preview, items, shapes = self._preview, self._items, self._shapes
        indexes: Iterable[int] = range(len(items))
        if sources_matter:
            if self._holding is None:
                self._holding = [i for i, item in enumerate(items)
                                 if isinstance(item, Rule) or preview(item)[1]]
            indexes = self._holding
        for index in indexes:
            item = items[index]
            if not isinstance(item, Rule):
                record_shape, sources = preview(item)
                yield index, record_shape, sources, True
            elif shapes is not None and (built_shape := shapes[index]) is not None:
                yield index, built_shape, True, True  # built: the sources test is already done
            else:
                yield index, item, True, False

    def rule(self, index: int) -> Rule:
        item = self._items[index]
        if not isinstance(item, Rule):
            if self._shapes is None:
                self._shapes = [None] * len(self._items)
            self._shapes[index] = self._preview(item)[0]
            item = self._items[index] = self._make(item)
        return item

    def _all(self) -> list[Rule]:
        if not self._built:
            self._items = [self.rule(i) for i in range(len(self._items))]
            self._built = True
        return self._items

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
