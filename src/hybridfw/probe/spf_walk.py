"""Walk an SPF record as an RFC 7208 receiver evaluates it for a sender that matches nothing.

That path (every term in order, every include followed, redirect when there is no `all`) is the
longest a receiver takes, so it decides the evaluation limits of §4.6.4:

- at most 10 terms that cause DNS look-ups (include, a, mx, ptr, exists, redirect), counted over
  the *whole* evaluation: an include evaluated twice (a diamond: two includes that both include
  the same record) is counted twice, and it is legal;
- at most 2 void look-ups (a query answered NXDOMAIN or with no records);
- an include chain that comes back to a record already being evaluated is a loop: evaluation
  would never end, receivers hit the limit and return permerror.

Evaluation really stops at the first matching term, so a sender matched early (Exchange Online's
include placed first) still passes when later terms cross the limit; `exo_done_at` says where
Exchange Online's include is complete. Whether the record includes Exchange Online at all is
decided from the record texts, independent of where the limit stops a receiver. `all` matches
every sender, so terms after it are never evaluated (RFC 7208 5.1), and an include gives its
own qualifier as the result: Exchange Online's mail passes only through an include reached
before `all`, along a chain of includes that all qualify `+` (`-include:` gives fail).
Macros (`%{i}`, `%{s}` ...) depend on the sender: such terms are counted but not followed, and
what they hide is reported as not checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

from hybridfw.errors import SpfSyntaxError
from hybridfw.probe.spf import (
    EXCHANGE_ONLINE_INCLUDE,
    LOOKUP_LIMIT,
    SpfRecord,
    SpfTerm,
    is_spf,
    parse_spf,
)

VOID_LIMIT = 2
MX_ADDRESS_LIMIT = 10  # §4.6.4: an mx term may not need more than 10 address look-ups
WALK_CAP = 200  # look-up terms walked at most (a pathological fan-out of diamonds)

IPNetwork = IPv4Network | IPv6Network
Query = Callable[[str, str], Awaitable[list[Any]]]  # (name, rdtype) -> records; [] = void


@dataclass(frozen=True)
class LookupTerm:
    """One look-up term as the evaluation reaches it: its position in the count and where it is."""

    position: int
    term: str
    record: str  # the domain whose SPF record holds the term

    def render(self) -> str:
        return f"#{self.position} {self.term} (in {self.record})"


@dataclass
class SpfWalk:
    lookups: int = 0
    void_lookups: int = 0
    terms: list[LookupTerm] = field(default_factory=list)
    voids: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # permerror causes: no record, syntax, two records
    not_followed: list[str] = field(default_factory=list)  # macro terms: depend on the sender
    warnings: list[str] = field(default_factory=list)
    exo_path: tuple[str, ...] | None = None  # records leading to the include, from the record texts
    exo_done_at: int | None = None  # look-up count once Exchange Online's include is evaluated
    exo_not_pass: list[str] = field(default_factory=list)  # its include where its mail cannot pass
    # terms before its include that give some of its addresses another result than pass
    exo_shadowed: list[str] = field(default_factory=list)
    capped: bool = False
    records: dict[str, str] = field(default_factory=dict)

    def past_limit(self) -> LookupTerm | None:
        """The first term a receiver refuses to evaluate (the 11th look-up), if any."""
        return self.terms[LOOKUP_LIMIT] if len(self.terms) > LOOKUP_LIMIT else None

    def to_dict(self) -> dict[str, Any]:
        return {"lookups": self.lookups, "void_lookups": self.void_lookups,
                "terms": [t.render() for t in self.terms], "voids": self.voids, "loops": self.loops,
                "broken": self.broken, "not_followed": self.not_followed,
                "exchange_online": list(self.exo_path) if self.exo_path is not None else None,
                "exchange_online_not_pass": self.exo_not_pass,
                "exchange_online_shadowed": self.exo_shadowed,
                "exchange_online_done_at": self.exo_done_at, "capped": self.capped}


def _spf_texts(records: list[Any]) -> list[str]:
    texts = [b"".join(r.strings).decode("utf-8", "replace") for r in records]
    return [t for t in texts if is_spf(t)]


class _Walker:
    def __init__(self, query: Query) -> None:
        # ip4/ip6 terms of the evaluated record, met before Exchange Online's include, whose
        # match is not a pass; and the ranges Exchange Online's include passes.
        self.before_exo: list[tuple[SpfTerm, str]] = []
        self.exo_ranges: list[IPNetwork] = []
        self.query = query
        self.walk = SpfWalk()
        self._cache: dict[tuple[str, str], list[Any]] = {}

    async def ask(self, name: str, rdtype: str) -> list[Any]:
        key = (name.lower().rstrip("."), rdtype)
        if key not in self._cache:
            self._cache[key] = await self.query(key[0], rdtype)
        return self._cache[key]

    async def void_if_empty(self, name: str, rdtype: str, why: str) -> list[Any]:
        found = await self.ask(name, rdtype)
        if not found:
            self.walk.void_lookups += 1
            self.walk.voids.append(f"{why}: {rdtype} {name} has no records")
        return found

    async def record(self, domain: str, chain: tuple[str, ...]) -> SpfRecord | None:
        # The evaluated domain's own TXT query is not a mechanism's look-up; an included one is.
        answer = (await self.void_if_empty(domain, "TXT", f"SPF record of {domain}") if chain
                  else await self.ask(domain, "TXT"))
        texts = _spf_texts(answer)
        where = f"{chain[-1]} -> {domain}" if chain else domain
        if len(texts) != 1:
            count = f"{len(texts)} SPF records" if texts else "no SPF record"
            self.walk.broken.append(f"{where}: {count}")
            return None
        self.walk.records[domain] = texts[0]
        try:
            return parse_spf(texts[0])
        except SpfSyntaxError as exc:
            self.walk.broken.append(f"{where}: {exc}")
            return None

    def count(self, term: SpfTerm, domain: str) -> None:
        self.walk.lookups += 1
        self.walk.terms.append(LookupTerm(self.walk.lookups, term.render(), domain))
        if self.walk.lookups >= WALK_CAP:
            self.walk.capped = True

    async def evaluate(self, domain: str, chain: tuple[str, ...], passing: bool = True) -> None:
        """`passing`: a match in this record is a pass for the top record (every include on the way
        qualifies `+`)."""
        record = await self.record(domain, chain)
        if record is None:
            return
        here = (*chain, domain)
        for index, term in enumerate(record.terms):
            if self.walk.capped:
                return
            if term.name == "all" and not term.modifier:
                self._never_evaluated(record.terms[index + 1:], term, domain)
                break
            if term.name in ("ip4", "ip6") and not term.modifier:
                self._address_term(term, domain, chain, passing)
            if term.modifier or not term.counts_lookup:
                continue
            self.count(term, domain)
            await self.mechanism(term, domain, here, passing and term.qualifier in ("", "+"))
        redirect = record.redirect()
        if redirect and record.all_term() is None and not self.walk.capped:
            self.count(SpfTerm("", "redirect", redirect, modifier=True), domain)
            await self.follow(redirect.lower().rstrip("."), here, passing)  # its result is this record's

    def _address_term(self, term: SpfTerm, domain: str, chain: tuple[str, ...], passing: bool) -> None:
        inside_exo = self.walk.exo_path is not None and self.walk.exo_done_at is None
        if inside_exo and passing and term.qualifier in ("", "+"):
            self.exo_ranges.append(ip_network(term.value, strict=False))
        elif not chain and self.walk.exo_path is None and term.qualifier in ("-", "~", "?"):
            # Only the evaluated record's own terms decide its result; a non-pass match inside an
            # include only makes that include not match (RFC 7208 5.2).
            self.before_exo.append((term, domain))

    def shadowed(self) -> None:
        """Terms met before Exchange Online's include that match some of its addresses first."""
        results = {"-": "fail", "~": "softfail", "?": "neutral"}
        for term, domain in self.before_exo:
            network = ip_network(term.value, strict=False)
            hit = [str(r) for r in self.exo_ranges if r.version == network.version and r.overlaps(network)]
            if hit:
                self.walk.exo_shadowed.append(
                    f"'{term.render()}' in {domain} comes before include:{EXCHANGE_ONLINE_INCLUDE}: "
                    f"Exchange Online's mail from {', '.join(hit)} matches it first and gets "
                    f"{results[term.qualifier]}")

    def _never_evaluated(self, rest: tuple[SpfTerm, ...], stop: SpfTerm, domain: str) -> None:
        for term in rest:
            if term.name == "include" and _target(term, domain) == EXCHANGE_ONLINE_INCLUDE:
                self.walk.exo_not_pass.append(f"{term.render()} comes after '{stop.render()}' in {domain}: "
                                              "terms after 'all' are never evaluated")

    async def mechanism(self, term: SpfTerm, domain: str, here: tuple[str, ...], passing: bool) -> None:
        target = _target(term, domain)
        if "%" in target:
            self.walk.not_followed.append(f"{term.render()} in {domain} (macro: depends on the sender)")
            return
        if term.name == "include":
            if target == EXCHANGE_ONLINE_INCLUDE and not passing:
                self.walk.exo_not_pass.append(
                    f"{term.render()} in {' -> '.join(here)}: Exchange Online's mail matches it with a "
                    "result other than pass (the qualifier of this include or of an include leading to it)")
            await self.follow(target, here, passing)
        elif term.name in ("a", "exists"):
            await self.void_if_empty(target, "A", f"{term.render()} in {domain}")
        elif term.name == "mx":
            hosts = await self.void_if_empty(target, "MX", f"{term.render()} in {domain}")
            if len(hosts) > MX_ADDRESS_LIMIT:
                self.walk.broken.append(f"{term.render()} in {domain}: {len(hosts)} MX hosts "
                                        f"(receivers look up at most {MX_ADDRESS_LIMIT})")
        elif term.name == "ptr":
            self.walk.warnings.append(f"{term.render()} in {domain}: 'ptr' is slow and RFC 7208 says "
                                      "it SHOULD NOT be used; many receivers skip it")

    async def follow(self, target: str, here: tuple[str, ...], passing: bool) -> None:
        if target == EXCHANGE_ONLINE_INCLUDE and passing and self.walk.exo_path is None:
            self.walk.exo_path = here
            await self.evaluate(target, here, passing)
            self.walk.exo_done_at = self.walk.lookups
            return
        if target in here:
            loop = " -> ".join((*here[here.index(target):], target))
            self.walk.loops.append(f"{here[-1]} includes {target}, which is already being evaluated "
                                   f"({loop})")
            return
        await self.evaluate(target, here, passing)


def _target(term: SpfTerm, domain: str) -> str:
    """The domain a mechanism names (its own record's domain when it names none)."""
    target = term.value if term.value and not term.value.startswith("/") else domain
    return target.split("/", 1)[0].lower().rstrip(".")


async def walk_spf(domain: str, query: Query) -> SpfWalk:
    """Evaluate `domain`'s SPF on the no-match path. DNS silence propagates from `query`."""
    walker = _Walker(query)
    await walker.evaluate(domain.lower().rstrip("."), ())
    walker.shadowed()
    return walker.walk
