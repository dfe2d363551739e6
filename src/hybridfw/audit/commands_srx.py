"""Juniper SRX: the fix as configuration-mode ``set`` commands, each new policy placed with
``insert ... before policy``; and the hierarchical text of the same policies for a patched copy
of a ``show configuration`` file.

For every missing range the audit knows the zone-pair policy (or the global policy, or the
default policy) that denies it. The ranges one policy denies to one flow and port get one
permit policy in the zone pair, with its addresses in the global address book and its own
application; a destination that destination NAT translates is named by its pool address, as
the policy sees it. Placed before a zone-pair policy that denies, it takes effect there; denied only
by a global or the default policy, it stays at the end of the zone pair, which is evaluated
before both. aerleon's srx generator is not used here: its output ``replace:``-s the whole
address book, the applications and every policy, so loading it would delete the existing
policies. Addresses go into the global address book, or, where the zones keep address books of
their own (which Junos does not accept together with the global one), into the source and
destination zones' books.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hybridfw.addresses import AddressSet
from hybridfw.audit.fix_groups import first_fix_number, group_insertions, sides
from hybridfw.audit.patch_types import ChainNames, Insertion
from hybridfw.rulesets.srx import FixFacts, Translation, fix_facts

_POLICY = re.compile(r"^(?:global|from-zone \S+ to-zone \S+) policy (\S+)$")


@dataclass(frozen=True)
class NewPolicy:
    """One permit policy of the fix, its objects, and the policy it goes before (if any)."""

    name: str
    from_zone: str
    to_zone: str
    sources: dict[str, str]  # address name -> prefix
    destinations: dict[str, str]
    protocol: str
    port: int
    before: str | None
    line: int  # the file line of the policy it goes before (0: none)
    system: str = ""  # "logical-systems L" / "tenants T" the policy goes into ("": the root)

    @property
    def at(self) -> str:
        """The prefix of its statements: "" or "logical-systems L "."""
        return f"{self.system} " if self.system else ""


def translated(destinations: AddressSet, zone: str, nat: Sequence[Translation]) -> AddressSet:
    """What the policy sees of `destinations` arriving from `zone`: destination NAT comes
    first, so a translated public address is replaced by its pool (and kept as well when the
    NAT rule has conditions that may leave it untranslated)."""
    out = destinations
    for nat_zone, matched, pool, why in nat:
        if nat_zone not in ("", zone) and " " not in nat_zone:
            continue
        if destinations & matched:
            out = out | pool
            if not why and " " not in nat_zone:
                out = out - matched
    return out


def new_policies(items: Sequence[Insertion], chains: ChainNames, first: int,
                 facts: FixFacts) -> list[NewPolicy]:
    out = []
    for number, group in enumerate(group_insertions(items), start=first):
        item = group[0]
        system, pair = chains.get(item.chain_key, ("", "any -> any"))
        if system:  # a logical system's or tenant's chain: "L: a -> b"
            pair = pair.removeprefix(f"{system.split()[-1]}: ")
        src, _, dst = pair.partition(" -> ")
        found = None if item.policy else _POLICY.match(item.origin.raw)
        before = found.group(1) if found and not item.origin.raw.startswith("global") else None
        name = f"hybridfw-fix-{number}"
        sources, destinations = sides(group)
        destinations = translated(destinations, src, facts.translations)
        out.append(NewPolicy(
            name, src, dst,
            {f"{name}-s{i}": c for i, c in enumerate(sources.to_cidrs())},
            {f"{name}-d{i}": c for i, c in enumerate(destinations.to_cidrs())},
            item.protocol, item.port, before, item.origin.line if before else 0, system))
    return out


def _book(p: NewPolicy, side: str, zone_books: bool) -> str:
    if not zone_books:
        return "security address-book global"
    zone = p.from_zone if side == "src" else p.to_zone
    return f"security zones security-zone {zone} address-book"


def set_commands(policies: Sequence[NewPolicy], zone_books: bool) -> str:
    out: list[str] = []
    for p in policies:
        for side, members in (("src", p.sources), ("dst", p.destinations)):
            book = f"set {p.at}{_book(p, side, zone_books)}"
            for address, prefix in members.items():
                out.append(f"{book} address {address} {prefix}")
                out.append(f"{book} address-set {p.name}-{side} address {address}")
        out.append(f"set {p.at}applications application {p.name} protocol {p.protocol} "
                   f"destination-port {p.port}")
        where = f"{p.at}security policies from-zone {p.from_zone} to-zone {p.to_zone} policy {p.name}"
        out += [f"set {where} match source-address {p.name}-src",
                f"set {where} match destination-address {p.name}-dst",
                f"set {where} match application {p.name}", f"set {where} then permit"]
        if p.before is not None:
            out.append(f"insert {where} before policy {p.before}")
    return "\n".join(out) + ("\n" if out else "")


def policy_block(p: NewPolicy, indent: str) -> list[str]:
    """``policy NAME { ... }`` in the hierarchical form, each line starting with `indent`."""
    return [f"{indent}policy {p.name} {{", f"{indent}    match {{",
            f"{indent}        source-address {p.name}-src;",
            f"{indent}        destination-address {p.name}-dst;",
            f"{indent}        application {p.name};", f"{indent}    }}",
            f"{indent}    then {{", f"{indent}        permit;", f"{indent}    }}", f"{indent}}}"]


def nested_blocks(path: str, body: list[str]) -> list[str]:
    """`body` inside the blocks of the words of `path` (``a b c`` -> ``a { b { c { ... } } }``),
    as `policy_block` indents: four spaces a level."""
    words = path.split(" ")
    pairs = [words[i:i + 2] if words[i] == "security-zone" else [words[i]]
             for i in range(len(words)) if i == 0 or words[i - 1] != "security-zone"]
    head = [f"{'    ' * d}{' '.join(w)} {{" for d, w in enumerate(pairs)]
    tail = [f"{'    ' * d}}}" for d in range(len(pairs) - 1, -1, -1)]
    return [*head, *(("    " * len(pairs)) + line for line in body), *tail]


def object_blocks(policies: Sequence[NewPolicy], zone_books: bool) -> list[str]:
    """The address book entries and applications, as top-level hierarchical blocks."""
    out: list[str] = []
    for p in policies:
        for side, members in (("src", p.sources), ("dst", p.destinations)):
            body = [f"address {a} {prefix};" for a, prefix in members.items()]
            body += [f"address-set {p.name}-{side} {{", *(f"    address {a};" for a in members), "}"]
            out += nested_blocks(f"{p.at}{_book(p, side, zone_books)}", body)
    for system in dict.fromkeys(p.system for p in policies):
        book = []
        for p in (p for p in policies if p.system == system):
            book += [f"application {p.name} {{", f"    protocol {p.protocol};",
                     f"    destination-port {p.port};", "}"]
        out += nested_blocks(f"{system} applications".strip(), book)
    return out


def facts_of(texts: Mapping[str, str]) -> FixFacts:
    found = [fix_facts(text, path) for path, text in texts.items()]
    return FixFacts(tuple(t for f in found for t in f.translations),
                    any(f.zone_books for f in found))


def srx_commands(items: Sequence[Insertion], chains: ChainNames,
                 texts: Mapping[str, str]) -> str:
    """The set commands for the audit's missing ranges ("" when there are none)."""
    facts = facts_of(texts)
    return set_commands(new_policies(items, chains, first_fix_number(list(texts.values())), facts),
                        facts.zone_books)
