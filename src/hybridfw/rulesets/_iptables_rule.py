"""One iptables rule specification (the part after ``-A CHAIN``) → a normalised `Rule`.

Options are dispatched through a table of handlers, one per option spelling
(`_iptables_options`). An option or match module hybridfw cannot evaluate becomes an
undecidable condition on the rule (the audit then reports the affected addresses as unknown),
never a silent guess.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from hybridfw.addresses import (
    AddressError,
    AddressSet,
    Family,
    Interval,
    parse_prefix,
    prefix_interval,
)
from hybridfw.errors import InputError
from hybridfw.rulesets._iptables_options import HANDLERS, IGNORED_OPTIONS, RuleSpec
from hybridfw.rulesets._netfilter import (
    NAT_TARGETS,
    NON_TERMINAL_TARGETS,
)
from hybridfw.rulesets.lazy import Parts
from hybridfw.rulesets.model import Action, LineSource, Match, Origin, Rule
from hybridfw.rulesets.scope import Scope, calls, holds_source

_VERDICTS = {"ACCEPT": Action.ACCEPT, "DROP": Action.DROP, "REJECT": Action.REJECT,
             "RETURN": Action.RETURN}


class RuleLineParser:
    """Parses rule specifications for one file (one address family).

    With a `Scope`, rules the scope does not admit come back as None (the caller keeps a
    placeholder, so ``-I CHAIN N`` positions stay right); their addresses are still checked.
    """

    def __init__(self, path: str, family: int, scope: Scope | None = None,
                 source: LineSource | None = None) -> None:
        self.path = path
        self.family: Family = 6 if family == 6 else 4
        self.scope = scope
        self.source = source
        self.omitted = 0
        self._addresses: dict[str, AddressSet] = {}
        self._line = 0
        self._any = AddressSet.any(self.family)
        self._last = (self._any.v4 or self._any.v6)[0][1]  # the family's highest address
        # Parsed shapes, by `shape_key`.
        self._shapes: dict[str, Shape] = {}
        self._scope_sources = scope.sources if scope else AddressSet.empty()
        self._scope_intervals = (self._scope_sources.v4 if self.family == 4
                                 else self._scope_sources.v6)

    def fail(self, message: str, option: str) -> InputError:
        return InputError(message, path=self.path, line=self._line, field=option)

    def origin(self, number: int, line: str) -> Origin:
        return Origin(self.path, number, source=self.source) if self.source else Origin(
            self.path, number, line)

    def parse(self, args: list[str], number: int, line: str) -> Rule | None:
        """The rule of line `number` (`line` its text) from its tokens after ``-A CHAIN``;
        with a scope, None for a rule the scope cannot need."""
        self._line = number
        return self._kept(self._parse(args, number, line))

    def shape_key(self, rest: str) -> str | None:
        """For a line ``-A CHAIN [! ]-s VALUE REST`` (split by the caller's regex): REST
        without its comment, the key of its shape; None when `parse` must read the line
        instead (another source option, or quotes left after the comment)."""
        key = _COMMENT.sub("", rest) if '"' in rest else rest
        if key in self._shapes:
            return key
        return None if '"' in key or _SOURCE_OPTION.search(key) else key

    def parse_shaped(self, negated: bool, value: str, key: str, number: int,
                     line: str) -> Rule | Record | None:
        """The rule of a line ``-A CHAIN [! ]-s VALUE REST`` whose `shape_key` is `key`: most
        rules of a big ruleset share a few shapes, parsed once each (the result is the same as
        `parse`). With a scope, a `Record` or None as `_with_source` says."""
        return self._with_source(self.shaped(key, number, line), negated, value, number, line)

    def shaped(self, key: str, number: int, line: str) -> Shape:
        """The parsed shape of `key` (a `shape_key`), first met on line `number`."""
        self._line = number
        # Shapes parsed once: benchmarks/audit.py 4.0-4.5 s, 101 MiB without -> 1.6-2.0 s, 74 MiB.
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = self._shape(self._parse(key.split(), number, line))
        return shape

    @property
    def held(self) -> tuple[Interval, ...]:
        """The audited on-premises sources of the file's family (outbound flows' fixed side)."""
        return self._scope_intervals

    def _with_source(self, shape: Shape, negated: bool, value: str, number: int,
                     line: str) -> Rule | Record | None:
        """The rule of `shape` with the source ``[!] value``. With a scope, a kept rule comes
        back as a `Record` (its address checked) for `build` to turn into a Rule if an audit
        walks into it; a rule the scope cannot need comes back as None."""
        if self.scope is None:
            return self.build(Record(number, negated, value, shape.rule, True), line)
        if not shape.admitted:
            self.check_address(value, "-s")
            self.omitted += 1
            return None
        outbound = shape.outbound
        # One network tested as one interval, no AddressSet: benchmarks/audit.py 2.8x -> 2.2x.
        prefix = _prefix(value)
        source: str | Interval = value
        if prefix is not None and prefix[0] == self.family:
            source = prefix_interval(*prefix)
            if outbound:
                outbound = holds_source(self._scope_intervals, *source, negated)
        else:
            found = self.addresses(value, "-s", number)
            if outbound:
                sources = (self._any - found) if negated else found
                outbound = not self._scope_sources.isdisjoint(sources)
        if shape.inbound or outbound:
            return Record(number, negated, source, shape.rule, outbound)
        self.omitted += 1
        return None

    def _shape(self, rule: Rule) -> Shape:
        scope = self.scope
        if scope is None:
            return Shape(rule, True, True, True)
        kept = calls(rule)  # every jump kept: the chain graph is the full parse's
        admitted = kept or (rule.action != Action.CONTINUE and scope.admits(rule.match))
        return Shape(rule, admitted, kept or (admitted and scope.inbound_needs(rule.match)),
                     admitted and scope.outbound_ports(rule.match) and bool(scope.sources))

    def build(self, record: Record, line: str = "") -> Rule:
        """The Rule of a `Record`: its shape with its own source and origin."""
        shape, sources, origin = self.parts(record, record.shape, line)
        m = shape.match
        return Rule(Match(sources, m.destinations, m.protocols, m.protocol_negated, m.dst_ports,
                          m.never, m.undecidable, m.interfaces),
                    shape.action, origin, shape.target, shape.label)

    def parts(self, record: Record, shape: Rule, line: str = "") -> Parts:
        """For `LazyRules`: what the audit needs of a `Record` without building its Rule.
        `shape` is its shape, with the jump target resolved by the caller."""
        source = record.source
        if isinstance(source, str):
            found = self.addresses(source, "-s", record.line)
            sources = (self._any - found) if record.negated else found
        else:
            lo, hi = source
            # "! -s" of one network, its complement without set algebra: benchmarks/audit.py
            # --all-relevant, with the parts cache of `LazyRules`: audit CPU 2.27 -> 1.97 s.
            pieces = ((source,) if not record.negated else
                      tuple(iv for iv in ((0, lo - 1), (hi + 1, self._last)) if iv[0] <= iv[1]))
            sources = _canonical(pieces, ()) if self.family == 4 else _canonical((), pieces)
        return Parts(shape, sources, self.origin(record.line, line))

    @staticmethod
    def preview(record: Record) -> tuple[Rule, bool]:
        """For `LazyRules`: the record's shape, and whether its sources may hold an audited
        on-premises source (False: no outbound probe can match it)."""
        return record.shape, record.may_hold_source

    def _keeps(self, rule: Rule) -> bool:
        scope = self.scope
        return scope is None or calls(rule) or (rule.action != Action.CONTINUE
                                                and scope.needs(rule.match))

    def _kept(self, rule: Rule) -> Rule | None:
        if self._keeps(rule):
            return rule
        self.omitted += 1
        return None

    def check_address(self, text: str, option: str) -> None:
        """Raise as `addresses` would, without building the set (for rules left out)."""
        prefix = _prefix(text)
        if prefix is None or prefix[0] != self.family:
            self.addresses(text, option)  # the full parse decides (and raises)

    def _parse(self, args: list[str], number: int, line: str) -> Rule:
        spec = RuleSpec(self.family, self._any, self._any)
        option = ""
        values: list[str] = []
        negated = pending = False
        # One pass: an option token starts a group; "!" negates the next option, or (old
        # syntax, "--dport ! 25") the option whose value follows it.
        for token in args:
            if token[0] == "-" and len(token) > 1:
                if option:
                    self._apply(spec, option, values, negated)
                elif values:
                    raise self.fail(f"unexpected {values[0]!r}", "rule")
                option, values, negated, pending = token, [], pending, False
            elif token == "!":
                pending = True
            else:
                if pending:
                    negated, pending = not negated, False
                values.append(token)
        if pending:
            raise self.fail("'!' at the end of the rule", "!")
        if option:
            self._apply(spec, option, values, negated)
        elif values:
            raise self.fail(f"unexpected {values[0]!r}", "rule")
        return self._finish(spec, self.origin(number, line))

    def _apply(self, spec: RuleSpec, option: str, values: list[str], negated: bool) -> None:
        handler = HANDLERS.get(option)
        if handler is not None:
            handler(self, spec, values, negated, option)
        # After -j, unknown options belong to the target (--to-destination ...).
        elif option not in IGNORED_OPTIONS and not spec.target:
            spec.undecidable.append(" ".join(["!" if negated else "", option, *values]).strip())

    def addresses(self, text: str, option: str, number: int | None = None) -> AddressSet:
        if number is not None:
            self._line = number
        cached = self._addresses.get(text)
        if cached is None:
            try:
                cached = _fast_single(text) or AddressSet.parse(text.split(","))
            except AddressError as exc:
                raise self.fail(str(exc), option) from None
            if (cached.v6 if self.family == 4 else cached.v4):
                raise self.fail(f"IPv{10 - self.family} address in an IPv{self.family} ruleset",
                                option)
            if len(self._addresses) >= _CACHE_SIZE:
                # Bounded: in a big ruleset most addresses are unique, and a cache of all of
                # them would cost more memory than the sets it shares.
                self._addresses.clear()
            self._addresses[text] = cached
        return cached

    def _finish(self, spec: RuleSpec, origin: Origin) -> Rule:
        match = Match(spec.sources, spec.destinations,
                      None if spec.protocol in (None, "all", "0") else frozenset({spec.protocol}),
                      spec.protocol_negated, spec.dst_ports, spec.never, tuple(spec.undecidable),
                      tuple(spec.interfaces))
        target = spec.target
        if not target:
            return Rule(match, Action.CONTINUE, origin, label="(no target)")
        if spec.goto:
            return Rule(match, Action.GOTO, origin, target, target)
        if target in _VERDICTS:
            return Rule(match, _VERDICTS[target], origin, label=target)
        if target in NON_TERMINAL_TARGETS:
            return Rule(match, Action.CONTINUE, origin, label=target)
        if target == "DNAT":
            return Rule(match, Action.DNAT, origin, spec.nat_to, target)
        if target in NAT_TARGETS:
            return Rule(match, Action.UNKNOWN, origin, label=target)
        # A user chain, or an extension target we do not know; the file decides which.
        return Rule(match, Action.JUMP, origin, target, target)


_CACHE_SIZE = 4096
# A "--comment TEXT" (one token, quoted or not) followed by another option or the end.
_COMMENT = re.compile(r'(?:^| )--comment (?:"(?:[^"\\]|\\.)*"|[^\s"!-]\S*)(?= -\S|$)')
_SOURCE_OPTION = re.compile(r"(?:^| )(?:-s|--source|--src|--src-range)(?: |$)")


class Record(NamedTuple):
    """A rule kept for later (a scoped parse): `build` makes its Rule."""

    line: int
    negated: bool  # "! -s"
    # The -s value: its interval when it is one network of the file's family (parsed once, not
    # again when built: benchmarks/audit.py --all-relevant), else the text as written (checked).
    source: str | Interval
    shape: Rule  # the rule of its shape, with another line's source and origin
    may_hold_source: bool  # whether its sources may hold an audited on-premises source


class Shape(NamedTuple):
    """A parsed shape (the rule after its source) and what the audit's scope says of it."""

    rule: Rule
    admitted: bool  # the scope admits its protocol and port
    inbound: bool  # an inbound flow needs it (its destinations hold an audited one)
    outbound: bool  # outbound flows' ports match it


_canonical = AddressSet.from_canonical


def _prefix(text: str) -> tuple[Family, int, int] | None:
    """One address or network as (family, first address, prefix length), leading zeros read as
    decimal as iptables does; None for anything else (the general way decides)."""
    return parse_prefix(text, decimal_zeros=True)


def _single(family: Family, first: int, plen: int) -> AddressSet:
    interval = (prefix_interval(family, first, plen),)
    return _canonical(interval, ()) if family == 4 else _canonical((), interval)


def _fast_single(text: str) -> AddressSet | None:
    """One address or CIDR straight to an AddressSet (most of a big ruleset), else None."""
    prefix = _prefix(text)
    return None if prefix is None else _single(*prefix)
