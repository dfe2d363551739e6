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
from hybridfw.rulesets.model import Origin, Rule

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

