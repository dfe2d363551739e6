"""nft text rules read by *shape*: a big ruleset has 100k rules but few shapes.

A rule ``ip saddr [!=] VALUE REST`` (VALUE one address, an anonymous ``{ set }`` or a named
``@set``) is the rule(s) of REST with VALUE as their sources. REST (its comment text and counter
values blanked, which change nothing) is parsed once per table and reused; any other rule is its
own shape. Every condition of an nft rule is an intersection, so adding the source to the parsed
shape gives what a parse of the whole rule gives (a property test checks this).

With a `Scope`, a rule whose shape no audited packet can match is left out without reading
its source (a named set it names must still exist), and a built rule the scope cannot need
(`Scope.needs`) too; `omitted` counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from hybridfw.addresses import AddressError, AddressSet, Family, Interval, parse_prefix, prefix_interval
from hybridfw.rulesets._nft_records import FamilyRule, Record, family_rules, needed
from hybridfw.rulesets._nft_text_rule import TextRuleParser, Token
from hybridfw.rulesets.model import Action, Match, Origin, Rule
from hybridfw.rulesets.scope import Scope, calls

_SOURCE = {"ip": 4, "ip6": 6}
_CACHE_SIZE = 4096  # shapes kept per table: rules without a leading source are mostly unique


class Shape(NamedTuple):
    rules: tuple[Rule, ...]
    admitted: bool  # some rule of it is a verdict an audited packet's protocol and port reach
    families: dict[int, tuple[FamilyRule, ...]]  # scoped: its rules per source family


class Source(NamedTuple):
    family: Family
    negated: bool
    elements: list[str]  # as `TextRuleParser` reads a value: element texts
    named: str  # "@name" for a named set (its parsed set is kept), else ""
    end: int  # index of the first word after the value


class ShapeReader:
    """Reads the rules of one table's chains through a cache of shapes."""

    def __init__(self, parser: TextRuleParser, scope: Scope | None,
                 named_sets: dict[str, AddressSet]) -> None:
        self.parser = parser
        self.scope = scope
        self.omitted = 0
        self._shapes: dict[tuple[str, ...], Shape] = {}
        self._named = named_sets  # "@name" -> its addresses, shared by the file's tables

    def rules(self, tokens: list[Token], path: str) -> list[Rule | Record]:
        """The rules of one statement (a verdict map or a concatenated set gives several); with
        a scope, a rule with a leading source comes back as a `Record`."""
        plain = plain_words(tokens[0][0]) if len(tokens) == 1 else None
        words = plain or [t for t, _ in tokens]
        source = self._source(words)
        rest = words[source.end:] if source else words
        # A plain line's key without the word walk: benchmarks/audit.py --format nft (-5 %).
        shape = self._shape(rest, tokens[0][1], _plain_key(rest) if plain else None)
        if not shape.admitted:
            self.omitted += 1
            return []
        if source is not None and self.scope is not None:
            return self._records(shape, source, words, Origin(path, tokens[0][1]))
        rules: Sequence[Rule] = shape.rules
        if source is not None:
            addresses = self._addresses(source)
            if addresses is None:  # not an address set: the whole rule is the shape
                rules = self._shape(words, tokens[0][1]).rules
            else:
                rules = [_with_source(rule, source, addresses) for rule in rules]
        return self._kept(rules, words, Origin(path, tokens[0][1]))

    def _records(self, shape: Shape, source: Source, words: list[str],
                 at: Origin) -> list[Rule | Record]:
        """A scoped rule with a source as compact records, no Rule built (what `rules` would
        keep, as `Record`s): benchmarks/audit.py --format nft, see docs/development.md."""
        family = source.family
        values: AddressSet | Interval | None = None
        element = source.elements[0] if len(source.elements) == 1 and not source.named else " "
        if " " not in element:
            prefix = parse_prefix(element)
            if prefix is not None and prefix[0] == family:
                values = prefix_interval(*prefix)
        if values is None:
            values = self._addresses(source)
            if values is None:  # not an address set: the whole rule is the shape
                return self._kept(self._shape(words, at.line).rules, words, at)
        assert self.scope is not None
        out: list[Rule | Record] = []
        families = family_rules(self.scope, shape.rules, shape.families, family)
        found = needed(self.scope, families, family, source.negated, values, source.named)
        if found:
            text = " ".join(words)[:300]
            out = [Record(at.line, text, kept, family, source.negated, values, outbound)
                   for kept, outbound in found]
        else:
            self.omitted += 1
        return out

    def _kept(self, rules: Sequence[Rule], words: list[str], at: Origin) -> list[Rule | Record]:
        """`rules` (of the statement `words` at `at`) that the scope needs, at their origin."""
        if self.scope is not None:
            rules = [rule for rule in rules if calls(rule) or (
                rule.action is not Action.CONTINUE and self.scope.needs(rule.match))]
            if not rules:
                self.omitted += 1
                return []
        origin = Origin(at.path, at.line, " ".join(words)[:300])
        return [_at(rule, origin) for rule in rules]

    def _source(self, words: list[str]) -> Source | None:
        """The leading ``ip saddr [==|!=] VALUE`` of a rule, if it has one that can be split."""
        if len(words) < 4 or words[1] != "saddr" or words[0] not in _SOURCE:
            return None
        i, negated = 2, False
        if words[i] in ("==", "!="):
            negated, i = words[i] == "!=", i + 1
        value = words[i] if i < len(words) else ""
        if value in ("", "vmap", ".", "<", ">", "<=", ">=", "==", "!="):
            return None
        family: Family = 4 if _SOURCE[words[0]] == 4 else 6
        if value in self._named:  # a named set read before: its elements are not needed again
            if i + 1 < len(words) and words[i + 1] == ".":
                return None
            return Source(family, negated, [], value, i + 1)
        elements, end = self.parser.elements(words, i)
        if end < len(words) and words[end] == ".":  # a concatenation
            return None
        if any(" . " in element for element in elements):
            return None
        return Source(family, negated, elements, value if value[0] == "@" else "", end)

    def _addresses(self, source: Source) -> AddressSet | None:
        if source.named and source.named in self._named:
            return self._named[source.named]
        try:
            found = AddressSet.parse([e.split()[0] if e.split() else e for e in source.elements])
        except AddressError:
            return None
        if source.named:
            self._named[source.named] = found
        return found

    def _shape(self, words: list[str], line: int, key: tuple[str, ...] | None = None) -> Shape:
        key = key or _shape_key(words)
        shape = self._shapes.get(key)
        if shape is None:
            rules = tuple(self.parser.parse([(w, line) for w in key], Origin("", line)))
            scope = self.scope
            admitted = scope is None or any(calls(rule) or (
                rule.action is not Action.CONTINUE and scope.admits(rule.match)) for rule in rules)
            if len(self._shapes) >= _CACHE_SIZE:
                self._shapes.clear()
            shape = self._shapes[key] = Shape(rules, admitted, {})
        return shape


def plain_words(token: str) -> list[str] | None:
    """The words of a plain rule line made one token by `nft_text.tokenize` (as its `_TOKEN`
    splits them), or None for any other token."""
    if " " not in token or token[0] == '"':
        return None
    quote = token.find('"')
    if quote < 0:
        return token.split(" ")
    return [*token[:quote - 1].split(" "), token[quote:]]


def _plain_key(words: list[str]) -> tuple[str, ...]:
    """`_shape_key` of words from a plain line (no braces; a quoted word only last)."""
    if "counter" in words:
        return _shape_key(words)
    if len(words) >= 2 and words[-2] == "comment" and words[-1][:1] == '"':
        return (*words[:-1], '""')
    return tuple(words)


def _shape_key(words: list[str]) -> tuple[str, ...]:
    """The words with a quoted comment's text and a counter's values blanked (outside braces):
    they only observe, so rules that differ in them share a shape."""
    out: list[str] = []
    depth, i, n = 0, 0, len(words)
    while i < n:
        word = words[i]
        if depth == 0 and word == "comment" and i + 1 < n and words[i + 1][:1] == '"':
            out += ["comment", '""']
            i += 2
            continue
        if depth == 0 and word == "counter":
            out.append(word)
            i += 1
            while i + 1 < n and words[i] in ("packets", "bytes") and words[i + 1].isdigit():
                i += 2
            continue
        depth += (word == "{") - (word == "}")
        out.append(word)
        i += 1
    return tuple(out)


def _with_source(rule: Rule, source: Source, addresses: AddressSet) -> Rule:
    """`rule` with ``ip saddr [!=] addresses`` added, as `MatchBuilder.address` adds it."""
    family = source.family
    values = addresses.family(family)
    chosen = (AddressSet.any(family) - values) if source.negated else values
    m = rule.match
    sources = m.sources.family(family)
    # Most shapes have no other source condition: skip the intersection with "any".
    sources = chosen if sources.covers(family) else sources & chosen
    match = Match(sources, m.destinations.family(family), m.protocols,
                  m.protocol_negated, m.dst_ports, m.never, m.undecidable, m.interfaces)
    return Rule(match, rule.action, rule.origin, rule.target, rule.label)


def _at(rule: Rule, origin: Origin) -> Rule:
    return Rule(rule.match, rule.action, origin, rule.target, rule.label)

