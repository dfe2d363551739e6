"""Compact records of nft rules kept for a scoped audit (`_nft_text_shapes`), built into Rules
only when the audit's chain walk reaches them (`LazyRules`), as the iptables reader does.

A record is a rule ``ip|ip6 saddr [!=] VALUE REST``: the rule of REST's shape for the source's
family (`FamilyRule`), VALUE's addresses as read, and the origin's line and text. Its Rule is
what `_with_source` in `_nft_text_shapes` gives for the same rule (a property test compares the
audits of both).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from hybridfw.addresses import AddressSet, Family, Interval
from hybridfw.rulesets.lazy import Parts
from hybridfw.rulesets.model import Action, Match, Origin, Rule
from hybridfw.rulesets.scope import Scope, calls, holds_source

_ANY = {4: AddressSet.any(4), 6: AddressSet.any(6)}
_canonical = AddressSet.from_canonical


class FamilyRule(NamedTuple):
    """One rule of a shape for sources of one family, and what the audit's scope says of it."""

    rule: Rule  # destinations restricted to the family; sources are the shape's own
    inbound: bool  # an inbound flow needs it, whatever its sources
    outbound: bool  # outbound flows' protocol and port match it (then its sources decide)
    covers: bool  # the shape has no source condition of its own in the family
    holds: dict[tuple[str, bool], bool]  # (named set, negated) -> its sources hold an audited one


class Record(NamedTuple):
    """A rule kept for later: `parts` gives what the audit needs of it."""

    line: int
    text: str  # the origin's text: the rule's words
    shape: FamilyRule
    family: Family
    negated: bool  # ``saddr != VALUE``
    values: AddressSet | Interval  # VALUE: its interval when one network of the family
    may_hold_source: bool  # whether its sources may hold an audited on-premises source


def sources(shape: FamilyRule, family: Family, negated: bool,
            values: AddressSet | Interval) -> AddressSet:
    """The sources of the rule: the shape's, with ``saddr [!=] values`` (as
    `MatchBuilder.address` adds it)."""
    if isinstance(values, tuple):
        lo, hi = values
        last = (1 << (32 if family == 4 else 128)) - 1
        # One network and its complement without set algebra (most rules of a big ruleset).
        pieces = ((values,) if not negated else
                  tuple(iv for iv in ((0, lo - 1), (hi + 1, last)) if iv[0] <= iv[1]))
        chosen = _canonical(pieces, ()) if family == 4 else _canonical((), pieces)
    else:
        chosen = values.family(family)
        if negated:
            chosen = _ANY[family] - chosen
    return chosen if shape.covers else shape.rule.match.sources.family(family) & chosen


def family_rules(scope: Scope, rules: tuple[Rule, ...], cache: dict[int, tuple[FamilyRule, ...]],
                  family: Family) -> tuple[FamilyRule, ...]:
    """The verdict rules of a shape (`rules`) for sources of `family`, judged by the scope once
    (`cache`: the shape's, by family)."""
    found = cache.get(family)
    if found is None:
        out = []
        for rule in rules:
            if rule.action is Action.CONTINUE:
                continue
            m = rule.match
            narrowed = Rule(Match(m.sources, m.destinations.family(family), m.protocols,
                                  m.protocol_negated, m.dst_ports, m.never, m.undecidable,
                                  m.interfaces), rule.action, rule.origin, rule.target, rule.label)
            out.append(FamilyRule(narrowed, calls(rule) or scope.inbound_needs(narrowed.match),
                                  scope.outbound_ports(narrowed.match), m.sources.covers(family), {}))
        found = cache[family] = tuple(out)
    return found


def needed(scope: Scope, families: tuple[FamilyRule, ...], family: Family, negated: bool,
           values: AddressSet | Interval, named: str) -> list[tuple[FamilyRule, bool]]:
    """The rules of a shape with the source ``saddr [!=] values`` (`named`: the named set
    they are, else "") that some audited packet can match, each with whether its sources may
    hold an audited on-premises source (what `Record.may_hold_source` keeps)."""
    held = scope.sources.v4 if family == 4 else scope.sources.v6
    out = []
    for kept in families:
        outbound = kept.outbound and bool(held)
        if outbound:
            if kept.covers and isinstance(values, tuple):
                outbound = holds_source(held, *values, negated)
            else:
                outbound = _holds(scope, kept, family, negated, values, named)
        if kept.inbound or outbound:
            out.append((kept, outbound))
    return out


def _holds(scope: Scope, kept: FamilyRule, family: Family, negated: bool,
           values: AddressSet | Interval, named: str) -> bool:
    """Whether the rule's sources hold an audited on-premises source; judged once per
    shape and named set (--format nft --named-sets-only: parse CPU -10 %)."""
    key = (named, negated)
    found = kept.holds.get(key) if named else None
    if found is None:
        found = not scope.sources.isdisjoint(sources(kept, family, negated, values))
        if named:
            kept.holds[key] = found
    return found


def preview(record: Record) -> tuple[Rule, bool]:
    """For `LazyRules`: the record's shape, and whether its sources may hold an audited
    on-premises source (False: no outbound probe can match it)."""
    return record.shape.rule, record.may_hold_source


def maker(path: str, resolve: Callable[[Rule], Rule]) -> Callable[[Record], Parts]:
    """For `LazyRules`: the parts of a record, its shape's jump target resolved by `resolve`
    (once per shape)."""
    resolved: dict[int, tuple[Rule, Rule]] = {}  # id of a shape's rule -> (it, it resolved)

    def make(record: Record) -> Parts:
        rule = record.shape.rule
        done = resolved.get(id(rule))
        if done is None:
            done = resolved[id(rule)] = (rule, resolve(rule))
        found = sources(record.shape, record.family, record.negated, record.values)
        return Parts(done[1], found, Origin(path, record.line, record.text))

    return make

