"""Plain allow-lists: one address, CIDR or ``a-b`` range per line (as kept in EDL files).

The worked example of a ruleset parser. A list says "these remote addresses are allowed" and
nothing else: for inbound traffic they are sources, for outbound traffic destinations. So it
becomes two entries of one stage each: ``input`` (one ACCEPT rule per line matching the source)
and ``output`` (the same lines matching the destination), any port, then a DROP policy; the list
is audited against whichever flow it is used for. ``#`` and ``;`` start comments.
"""

from __future__ import annotations

import re

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Match, Origin, Rule, Ruleset, chain_key

_COMMENT = re.compile(r"\s*[#;].*$")
_LOOKS_LIKE_ADDRESS = re.compile(r"^[0-9A-Fa-f:.]+(/\d{1,3})?(\s*-\s*[0-9A-Fa-f:.]+)?$")
_DETECT_LINES = 200


def _entries(text: str) -> list[tuple[int, str]]:
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        item = _COMMENT.sub("", raw).strip()
        if item:
            out.append((number, item))
    return out


class PlainListParser(RulesetParser):
    name = "list"
    platform = "edl"
    description = "plain allow-list: one address, CIDR or range per line"

    def detect(self, text: str) -> float:
        items = _entries(text[:20000])[:_DETECT_LINES]
        if not items:
            return 0.0
        good = sum(1 for _, item in items if _LOOKS_LIKE_ADDRESS.match(item))
        return 0.9 * good / len(items)

    def parse(self, text: str, path: str) -> Ruleset:
        inbound, outbound = [], []
        for number, item in _entries(text):
            try:
                remote = AddressSet.parse([item])
            except AddressError as exc:
                raise InputError(str(exc), path=path, line=number, field="address") from None
            origin = Origin(path, number, item)
            inbound.append(Rule(Match(sources=remote), Action.ACCEPT, origin))
            outbound.append(Rule(Match(destinations=remote), Action.ACCEPT, origin))
        chains = {}
        for entry, rules in (("input", inbound), ("output", outbound)):
            key = chain_key(path, entry)
            chains[key] = Chain(key=key, name=f"allow-list ({entry})", rules=tuple(rules),
                                policy=Action.DROP,
                                policy_origin=Origin(path, 0, "implicit deny after the list"))
        return Ruleset(format=self.name, platform=self.platform, paths=(path,), chains=chains,
                       entries=tuple(Entry(e, (chain_key(path, e),)) for e in ("input", "output")))
