"""Plain allow-lists: one address, CIDR or ``a-b`` range per line (as kept in EDL files).

The worked example of a ruleset parser. A list says "these remote addresses are allowed" and
nothing else: for inbound traffic they are sources, for outbound traffic destinations. So it
becomes two entries of one stage each: ``input`` (one ACCEPT rule per line matching the source)
and ``output`` (the same lines matching the destination), any port, then a DROP policy; the list
is audited against whichever flow it is used for. ``#`` and ``;`` start comments.
"""

from __future__ import annotations

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.rulesets import _detect
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Chain, Entry, Match, Origin, Rule, Ruleset, chain_key


class PlainListParser(RulesetParser):
    name = "list"
    platform = "edl"
    description = "plain allow-list: one address, CIDR or range per line"

    def detect(self, text: str) -> float:
        return _detect.plain_list(text)

    def parse(self, text: str, path: str) -> Ruleset:
        inbound, outbound = [], []
        for number, item in _detect.list_entries(text):
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
