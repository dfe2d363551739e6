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

from typing import NamedTuple

from hybridfw.addresses import AddressError, AddressSet, Family
from hybridfw.rulesets._nft_text_rule import TextRuleParser, Token
from hybridfw.rulesets.model import Action, Match, Origin, Rule
from hybridfw.rulesets.scope import Scope

_SOURCE = {"ip": 4, "ip6": 6}
_CACHE_SIZE = 4096  # shapes kept per table: rules without a leading source are mostly unique


class Shape(NamedTuple):
    rules: tuple[Rule, ...]
    admitted: bool  # some rule of it is a verdict an audited packet's protocol and port reach


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

    def rules(self, tokens: list[Token], path: str) -> list[Rule]:
        """The rules of one statement (a verdict map or a concatenated set gives several)."""
        words = [t for t, _ in tokens]
        source = self._source(words)
        shape = self._shape(words[source.end:] if source else words, tokens[0][1])
        if not shape.admitted:
            self.omitted += 1
            return []
        rules = list(shape.rules)
        if source is not None:
            addresses = self._addresses(source)
            if addresses is None:  # not an address set: the whole rule is the shape
                rules = list(self._shape(words, tokens[0][1]).rules)
            else:
                rules = [_with_source(rule, source, addresses) for rule in rules]
        if self.scope is not None:
            rules = [rule for rule in rules if rule.action is not Action.CONTINUE
                     and self.scope.needs(rule.match)]
            if not rules:
                self.omitted += 1
                return []
        origin = Origin(path, tokens[0][1], " ".join(words)[:300])
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
        elements, end = self.parser.elements(words, i)
        if end < len(words) and words[end] == ".":  # a concatenation
            return None
        if any(" . " in element for element in elements):
            return None
        family: Family = 4 if _SOURCE[words[0]] == 4 else 6
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

    def _shape(self, words: list[str], line: int) -> Shape:
        key = _shape_key(words)
        shape = self._shapes.get(key)
        if shape is None:
            rules = tuple(self.parser.parse([(w, line) for w in key], Origin("", line)))
            scope = self.scope
            admitted = scope is None or any(
                rule.action is not Action.CONTINUE and scope.admits(rule.match) for rule in rules)
            if len(self._shapes) >= _CACHE_SIZE:
                self._shapes.clear()
            shape = self._shapes[key] = Shape(rules, admitted)
        return shape


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

