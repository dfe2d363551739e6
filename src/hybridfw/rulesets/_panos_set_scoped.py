"""The PAN-OS set reader's scoped parse: which vsys1 rules to leave out as read.

The reader keeps each ``set rulebase security rules NAME ...`` line of vsys1 (no quotes) by
rule name until the end of the file (`panos_set`). A rule written on one line of single
``key value`` pairs (no ``[ ]`` list, every key one the reader knows, none twice) is decided
here from its words alone: when it is not disabled and no packet of the audit's scope has one
of its (application, service) pairs, it is left out without building its `PanRule` or resolving
its addresses, as `compile_rule` would leave it out after resolving them. That is exact only
when resolving addresses cannot fail: `nesting_bounded` proves no address group nests too deep
(the one error address resolution raises), else nothing is left out here. Every other rule (a
list, an unknown key, several lines, disabled) is kept and built in full, and `build_ruleset`
decides it as before.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter

from hybridfw.rulesets._panos_common import ObjectResolver, PanConfig, PanRule
from hybridfw.rulesets._vendor_util import MAX_NESTING
from hybridfw.rulesets.scope import Scope

RULE_KEYS = frozenset({"from", "to", "source", "destination", "source-user", "category",
                       "application", "service", "source-hip", "destination-hip", "action",
                       "disabled", "negate-source", "negate-destination", "schedule", "rule-type",
                       "description", "tag", "log-setting", "log-start", "log-end", "group-tag"})
_DECIDING = ("application", "service", "disabled", "from", "to")  # what decides a rule left out
Getter = Callable[[list[str]], tuple[str, ...]]


def _getter(positions: list[int]) -> Getter:
    """The words at `positions`, always as a tuple."""
    if len(positions) > 1:
        return itemgetter(*positions)
    return lambda words: tuple(words[p] for p in positions)


class Shape:
    """The layout of a rule line of single ``key value`` pairs (no list, every key one the
    reader knows, none twice): its word count, its keys, and where the values of the keys in
    `_DECIDING` are. A line with the same count and keys and no ``[`` has this layout."""

    __slots__ = ("key_of", "keys", "names", "size", "value_of")

    def __init__(self, words: list[str]) -> None:
        keys = words[5::2]
        self.size = len(words) if len(words) & 1 and "[" not in words and len(set(keys)) == len(keys) \
            and RULE_KEYS.issuperset(keys) else -1  # -1: no line has this layout
        self.key_of = _getter(list(range(5, len(words), 2)))
        self.keys = self.key_of(words)
        wanted = [(key, 6 + 2 * at) for at, key in enumerate(keys) if key in _DECIDING]
        self.names = tuple(key for key, _ in wanted)
        self.value_of = _getter([at for _, at in wanted])

    def fields(self, values: tuple[str, ...]) -> dict[str, list[str]]:
        return {name: [value] for name, value in zip(self.names, values, strict=True)}


NO_SHAPE = Shape([])
# a rule's first line: its number and text, its layout (None: not one of single pairs) and the
# values its layout reads
FirstLine = tuple[int, str, Shape | None, tuple[str, ...]]
Decided = tuple[list[str], int, set[str]]  # names kept, how many left out, zones these name


def nesting_bounded(resolver: ObjectResolver) -> bool:
    """Whether no chain of static address groups (in the scope and ``shared``, as `address`
    looks members up) is longer than MAX_NESTING: then `ObjectResolver.address` cannot raise."""
    heights: dict[str, int] = {}

    def height(name: str, path: set[str]) -> int:
        known = heights.get(name)
        if known is not None:
            return known
        group = None
        if name != "any" and resolver.lookup("addresses", name) is None:
            group = resolver.lookup("address_groups", name)
        if group is None or group.kind == "dynamic":
            return 0
        if name in path or len(path) > MAX_NESTING:  # a loop, or too deep already
            return MAX_NESTING + 1
        path.add(name)
        found = 1 + max((height(m, path) for m in group.values), default=0)
        path.discard(name)
        heights[name] = found = min(found, MAX_NESTING + 1)
        return found

    names = {name for scope in resolver.chain for name in scope.address_groups}
    return all(height(name, set()) <= MAX_NESTING for name in sorted(names))


def _admits(resolver: ObjectResolver, fields: dict[str, list[str]]) -> bool:
    """Whether a rule with these fields may match an audited packet (disabled: kept)."""
    return fields.get("disabled") == ["yes"] or resolver.services(PanRule("", 0, "", fields))[1]


def decide(config: PanConfig, audit: Scope, pending: dict[str, FirstLine],
           more: dict[str, list[list[str]]]) -> Decided | None:
    """The vsys1 rules (`pending`, by name in order; `more`: those with further lines) to build,
    how many are left out and the zones those name (not ``any``); None: leave none out."""
    resolver = ObjectResolver(config, config.scopes["vsys1"], audit)
    if not nesting_bounded(resolver):
        return None
    decided: dict[tuple[Shape, tuple[str, ...]], bool] = {}
    kept: list[str] = []
    zones: set[str] = set()
    omitted = 0
    # one look-up per rule, decided once per layout and values (audit_vendor.py panos-set, scoped)
    for name, (_, _, shape, values) in pending.items():
        if shape is not None and name not in more:
            admits = decided.get((shape, values))
            if admits is None:
                fields = shape.fields(values)
                admits = decided[(shape, values)] = _admits(resolver, fields)
                if not admits:
                    zones.update(fields.get("from", ()), fields.get("to", ()))
            if not admits:
                omitted += 1
                continue
        kept.append(name)
    zones.discard("any")
    return kept, omitted, zones
