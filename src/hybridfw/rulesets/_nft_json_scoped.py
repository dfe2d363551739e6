"""The scoped parse of `nft -j list ruleset` output (`NftJsonParser.parse_scoped`), as the text
reader's (`_nft_text_shapes`): rules no audited packet can match are left out, rules with a
leading ``ip|ip6 saddr`` are kept as compact records (`_nft_records`) built when walked.

`_nft_json_scan` reads the document keeping rule items in nft's own form as their text. Such a
rule is read by *shape*: the text of its expressions after a leading ``ip saddr [!=] VALUE``
(VALUE an address, a prefix or a named set) is parsed once per table, and the source is added
to its rules, as the text reader does; a rule without such a source is its own shape. A rule
item the scan decoded, or whose source or shape is not one of those, is parsed in full, as
`parse_nft_json` does. Every rule is read, so an input error is the full parse's (a property
test checks that rules, evidence and errors are the full parse's).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from hybridfw.addresses import AddressError, AddressSet, Family, Interval, parse_prefix, prefix_interval
from hybridfw.errors import InputError
from hybridfw.rulesets._nft_common import NftChain, build_ruleset
from hybridfw.rulesets._nft_json_scan import RawRule, scan
from hybridfw.rulesets._nft_records import FamilyRule, Record, family_rules, needed
from hybridfw.rulesets.lazy import gc_paused
from hybridfw.rulesets.model import Action, Origin, Rule, Ruleset
from hybridfw.rulesets.nft_json import (
    _BAD_ITEM,
    NftJsonParser,
    _declarations,
    _JsonRules,
    _load,
    _why,
    read_rule,
    reader_for,
    rule_chain,
)
from hybridfw.rulesets.scope import Scope, calls

_CACHE_SIZE = 4096  # shapes kept per table: rules without a leading source are mostly unique
_NOWHERE = Origin("", 0)


class _Shape(NamedTuple):
    exact: bool  # its text is what json.dumps writes for it (else: read the rule in full)
    rules: tuple[Rule, ...]
    admitted: bool  # some rule of it is a verdict an audited packet's protocol and port reach
    kept: tuple[Rule, ...]  # as a whole rule: the rules the scope needs
    families: dict[int, tuple[FamilyRule, ...]]  # with a source: its rules per source family


class _Source(NamedTuple):
    family: Family
    negated: bool
    values: AddressSet | Interval  # an interval when one network of the family
    named: str  # "@name" for a named set, else ""


class ScopedRules:
    """Reads the rules of one table for a scoped audit through a cache of shapes."""

    def __init__(self, reader: _JsonRules, scope: Scope, path: str) -> None:
        self.reader, self.scope, self.path = reader, scope, path
        self.omitted = 0
        self._shapes: dict[str, _Shape] = {}
        self._named: dict[str, AddressSet | None] = {}  # "@name" -> its addresses, if it is one

    def rules(self, index: int, body: Any) -> list[Rule | Record]:
        """The rules of the rule item `body` the scope needs (with a source: as records)."""
        if isinstance(body, RawRule):
            found = self._raw(index, body)
            if found is not None:
                return found
            body = _decoded(body)
        return self._kept(read_rule(self.reader, body, index, self.path))

    def _raw(self, index: int, raw: RawRule) -> list[Rule | Record] | None:
        """A rule in nft's form read by shape; None when it must be read in full."""
        source = self._source(raw) if raw.op is not None else None
        shape = self._shape(raw.rest() if source is not None or raw.op is None else raw.expr)
        if not shape.exact:
            return None
        if not shape.admitted:
            self.omitted += 1
            return []
        if source is None:
            if not shape.kept:
                self.omitted += 1
                return []
            origin = Origin(self.path, index, _text(raw))
            return [Rule(r.match, r.action, origin, r.target, r.label) for r in shape.kept]
        families = family_rules(self.scope, shape.rules, shape.families, source.family)
        found = needed(self.scope, families, source.family, source.negated, source.values,
                       source.named)
        if not found:
            self.omitted += 1
            return []
        text = _text(raw)
        return [Record(index, text, kept, source.family, source.negated, source.values, outbound)
                for kept, outbound in found]

    def _kept(self, rules: list[Rule]) -> list[Rule | Record]:
        kept: list[Rule | Record] = [rule for rule in rules if calls(rule) or (
            rule.action is not Action.CONTINUE and self.scope.needs(rule.match))]
        if not kept:
            self.omitted += 1
        return kept

    def _shape(self, text: str) -> _Shape:
        shape = self._shapes.get(text)
        if shape is None:
            listed = f"[{text}]"
            exprs = json.loads(listed)
            if json.dumps(exprs) != listed:  # an object repeats a key
                shape = _Shape(False, (), False, (), {})
            else:
                rules = tuple(self.reader.rule(exprs, _NOWHERE))
                scope = self.scope
                verdicts = [rule for rule in rules if rule.action is not Action.CONTINUE]
                shape = _Shape(True, rules, any(calls(r) or scope.admits(r.match) for r in verdicts),
                               tuple(r for r in verdicts if calls(r) or scope.needs(r.match)), {})
            if len(self._shapes) >= _CACHE_SIZE:
                self._shapes.clear()
            self._shapes[text] = shape
        return shape

    def _source(self, raw: RawRule) -> _Source | None:
        """The leading ``ip|ip6 saddr [!=] VALUE`` when it is an address set (as
        `TextRuleParser.apply` reads it), else None: the rule is then its own shape."""
        family: Family = 4 if raw.protocol == "ip" else 6
        negated = raw.op == "!="
        value = raw.value
        if value is None:  # a prefix
            value = f"{raw.addr}/{raw.length}"
        elif value[:1] == "@":
            if value not in self._named:
                elements = self.reader.sets.get(value[1:])
                self._named[value] = None if elements is None else _addresses(elements)
            named = self._named[value]
            return None if named is None else _Source(family, negated, named, value)
        if " " not in value:
            prefix = parse_prefix(value)
            if prefix is not None and prefix[0] == family:
                return _Source(family, negated, prefix_interval(*prefix), "")
        found = _addresses([value])
        return None if found is None else _Source(family, negated, found, "")


def _addresses(elements: list[str]) -> AddressSet | None:
    """Element texts as `TextRuleParser.apply` reads a source: None when it would not read them
    as an address set (a concatenation, not addresses)."""
    if any(" . " in element for element in elements):
        return None
    try:
        return AddressSet.parse([e.split()[0] if e.split() else e for e in elements])
    except AddressError:
        return None


def _text(raw: RawRule) -> str:
    """The evidence text `read_rule` makes for the rule (its expressions as json.dumps writes them)."""
    return f"rule handle {raw.handle} in chain {raw.chain}: " + f"[{raw.expr}]"[:200]


def _decoded(raw: RawRule) -> dict[str, Any]:
    """The rule item as `json.loads` gives it (its comment left out: the reader does not use it)."""
    return {"family": raw.family, "table": raw.table, "chain": raw.chain,
            "handle": int(raw.handle), "expr": json.loads(f"[{raw.expr}]")}


def parse_scoped(text: str, path: str, scope: Scope) -> Ruleset:
    """`nft -j list ruleset` output for an audit of `scope` (see `Scope`)."""
    # The collector paused, as the text reader runs.
    with gc_paused():
        items = scan(text)
        chains, sets, rules = _declarations(_load(text, path) if items is None else items, path)
        readers: dict[tuple[str, str], ScopedRules] = {}
        for index, body in rules:
            try:
                raw = isinstance(body, RawRule)
                chain = (chains.get((body.family, body.table, body.chain)) if raw else None) \
                    or rule_chain(chains, _decoded(body) if raw else body)
                reader = readers.get((chain.table_family, chain.table))
                if reader is None:
                    reader = readers[(chain.table_family, chain.table)] = ScopedRules(
                        reader_for(chain, sets), scope, path)
                chain.rules += reader.rules(index, body)
            except _BAD_ITEM as exc:
                raise InputError(_why(exc), path=path, field=f"nftables[{index - 1}].rule") from None
        found: list[NftChain] = list(chains.values())
        return build_ruleset(path, found, [], NftJsonParser.name, NftJsonParser.platform,
                             sum(reader.omitted for reader in readers.values()))
