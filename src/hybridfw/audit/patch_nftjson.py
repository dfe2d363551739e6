"""Patcher for nftables JSON (`nft -j list ruleset`): new rule items in the ``nftables`` array.

`nft -j -f` adds the array's rule items in order, each at the end of its chain (checked with
nft 1.0.6: an item inserted before a rule item loads right before that rule, the dumped handles
do not pin positions). So an accept goes in as a new item right before the item of the rule
that denies, or, for a chain policy, before the chain's first goto / return rule, else after
its last rule (else right after the chain). The reader numbers items from 1 (`Origin.line`), so
an origin names its item. Every other item is written back unchanged, in the file's own layout
(nft's one line, or indented).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher

_COMMENT = "hybridfw fix: {flow}"


def _load(text: str) -> tuple[dict[str, Any], list[Any]]:
    doc = json.loads(text)
    return doc, doc["nftables"]


def _dump(doc: dict[str, Any], like: str) -> str:
    body = like.strip()
    indent = 2 if "\n" in body else None
    out = json.dumps(doc, indent=indent, ensure_ascii=False)
    return out + "\n" if like.endswith("\n") else out


def _match(protocol: str, field: str, right: Any) -> dict[str, Any]:
    return {"match": {"op": "==", "left": {"payload": {"protocol": protocol, "field": field}},
                      "right": right}}


def _element(cidr: str) -> Any:
    net = ipaddress.ip_network(cidr)
    if net.num_addresses == 1:
        return str(net.network_address)
    return {"prefix": {"addr": str(net.network_address), "len": net.prefixlen}}


def _rule(item: Insertion, chain: dict[str, Any]) -> dict[str, Any]:
    fam = "ip" if item.family == 4 else "ip6"
    local, remote = (("daddr", "saddr") if item.direction == "inbound" else ("saddr", "daddr"))
    expr = [_match(fam, remote, {"set": [_element(c) for c in item.cidrs()]}),
            _match(fam, local, item.address),
            _match(item.protocol, "dport", item.port),
            {"accept": None}]
    return {"rule": {"family": chain["family"], "table": chain["table"], "chain": chain["name"],
                     "expr": expr, "comment": _COMMENT.format(flow=item.flow)}}


def _same_chain(entry: Any, chain: dict[str, Any]) -> bool:
    rule = entry.get("rule") if isinstance(entry, dict) else None
    return isinstance(rule, dict) and (rule.get("family"), rule.get("table"), rule.get("chain")) \
        == (chain["family"], chain["table"], chain["name"])


def _leaves(entry: Any) -> bool:
    """A rule that leaves its chain for the policy: a goto or a return."""
    return any(isinstance(e, dict) and ("goto" in e or "return" in e)
               for e in entry["rule"].get("expr", []))


def _policy_spot(items: list[Any], index: int) -> int:
    """Where a fix for the policy of the chain item at `index` (0-based) goes."""
    chain = items[index]["chain"]
    spot = index + 1
    for at, entry in enumerate(items):
        if _same_chain(entry, chain):
            if _leaves(entry):
                return at
            spot = at + 1
    return spot


def _chain_of(items: list[Any], item: Insertion) -> tuple[int, dict[str, Any]] | None:
    """(0-based spot, the chain's JSON object) for one insertion; None if its item is gone."""
    index = item.origin.line - 1
    if not 0 <= index < len(items) or not isinstance(items[index], dict):
        return None
    entry = items[index]
    if item.policy and isinstance(entry.get("chain"), dict):
        return _policy_spot(items, index), entry["chain"]
    rule = entry.get("rule")
    if not item.policy and isinstance(rule, dict):
        return index, {"family": rule["family"], "table": rule["table"], "name": rule["chain"]}
    return None


class NftJsonPatcher(Patcher):
    formats = ("nft-json",)
    diffable = False  # one long line: "Rules to add" shows rendered rules instead of a diff

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        doc, entries = _load(text)
        spots: dict[int, list[dict[str, Any]]] = {}
        for item in items:
            found = _chain_of(entries, item)
            if found is None:
                continue  # the re-audit still reports it
            at, chain = found
            new = _rule(item, chain)
            if new not in spots.setdefault(at, []):
                spots[at].append(new)
        for at in sorted(spots, reverse=True):
            entries[at:at] = spots[at]
        return _dump(doc, text)

    def remove(self, text: str, lines: set[int]) -> str:
        doc, entries = _load(text)
        doc["nftables"] = [e for number, e in enumerate(entries, start=1) if number not in lines]
        return _dump(doc, text)
