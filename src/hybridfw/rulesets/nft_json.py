"""nftables JSON: the output of `nft -j list ruleset` (libnftables JSON schema).

The same model as the text parser: expressions are mapped onto the same selectors and folded
by the same MatchBuilder, so text and JSON of one ruleset give the same verdicts. JSON has no
line numbers; evidence names the item's position in the ``nftables`` array and its rule handle
(``path:N`` where N is the 1-based array index).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from hybridfw.addresses import Family
from hybridfw.errors import InputError, NftRuleError
from hybridfw.rulesets import _detect
from hybridfw.rulesets._nft_common import TABLE_FAMILIES, VERDICTS, MatchBuilder, NftChain, build_ruleset
from hybridfw.rulesets._nft_text_rule import Selector, TextRuleParser, tcp_flags
from hybridfw.rulesets.interface import RulesetParser
from hybridfw.rulesets.model import Action, Origin, Rule, Ruleset
from hybridfw.rulesets.scope import Scope

_OBSERVE = {"counter", "log", "mangle", "notrack", "meta", "ct", "set", "quota"}
_PRIORITY_KEYS = ("prio", "priority")
_MISSING = object()
# What a malformed item raises while we read it (the reader checks every key and type it uses;
# nesting deep enough to exhaust the stack is input too); each becomes an InputError naming the
# item. Anything else is a bug and goes up as it is.
_BAD_ITEM = (NftRuleError, RecursionError)


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise NftRuleError(f"{what} must be an object, not {json.dumps(value)[:60]}")
    return value


def _key(value: Any, key: str) -> Any:
    """`value[key]` of a JSON object, or NftRuleError naming what is missing."""
    found = _obj(value, f"the value holding {key!r}").get(key, _MISSING)
    if found is _MISSING:
        raise NftRuleError(f"key {key!r} missing")
    return found


def _names(value: Any, *keys: str) -> tuple[str, ...]:
    """The names (family, table, chain ...) an item is filed under: strings."""
    found = tuple(_key(value, k) for k in keys)
    for key, name in zip(keys, found, strict=True):
        if not isinstance(name, str):
            raise NftRuleError(f"{key} {json.dumps(name)[:40]} is not a string")
    return found


def _list(value: Any, what: str, length: int | None = None) -> list[Any]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        count = f" of {length}" if length is not None else ""
        raise NftRuleError(f"{what} must be a list{count}, not {json.dumps(value)[:60]}")
    return value


def _first(texts: list[str], what: str) -> str:
    if not texts:
        raise NftRuleError(f"{what} is empty")
    return texts[0]


def _text(value: Any) -> list[str]:
    """A JSON right-hand side as the element texts the text parser uses."""
    if isinstance(value, bool):
        raise NftRuleError("boolean where a value was expected")
    if isinstance(value, (int, str)):
        return [str(value)]
    if isinstance(value, list):
        return [t for v in value for t in _text(v)]
    if isinstance(value, dict):
        if "set" in value:
            return _text(value["set"])
        if "prefix" in value:
            prefix = value["prefix"]
            return [f"{_first(_text(_key(prefix, 'addr')), 'prefix')}/{_key(prefix, 'len')}"]
        if "range" in value:
            lo, hi = _list(value["range"], "a range", 2)
            return [f"{_first(_text(lo), 'range start')}-{_first(_text(hi), 'range end')}"]
        if "|" in value:  # a flag combination, e.g. ct state != established | related
            return _text(value["|"])
        if "elem" in value:
            return _text(_key(value["elem"], "val"))
        if "concat" in value:  # one element of a concatenated set: "203.0.113.10 . 25"
            return [" . ".join(_first(_text(part), "concatenation part")
                               for part in _list(value["concat"], "a concatenation"))]
    raise NftRuleError(f"value not understood: {json.dumps(value)[:80]}")


def _selector(left: Any) -> Selector | None:
    if not isinstance(left, dict):
        return None
    if "payload" in left:
        payload = _obj(left["payload"], "payload")
        proto, fld = payload.get("protocol"), payload.get("field")
        if proto in ("ip", "ip6") and fld in ("saddr", "daddr"):
            fam: Family = 4 if proto == "ip" else 6
            return Selector(fld, fam, keyword=f"{proto} {fld}")
        if (proto, fld) in (("ip", "protocol"), ("ip6", "nexthdr")):
            return Selector("l4proto", keyword=f"{proto} {fld}")
        if fld == "dport" and proto in ("tcp", "udp", "sctp", "dccp", "udplite", "th"):
            return Selector("dport", protocol="" if proto == "th" else proto, keyword=f"{proto} dport")
        if proto in ("icmp", "icmpv6"):
            return Selector("icmp", protocol="icmp" if proto == "icmp" else "ipv6-icmp",
                            keyword=f"{proto} {fld}")
    if "meta" in left:
        key = _obj(left["meta"], "meta").get("key")
        if key == "l4proto":
            return Selector("l4proto", keyword="meta l4proto")
        if key in ("nfproto", "protocol"):
            return Selector("nfproto", keyword=f"meta {key}")
        if key in ("iif", "iifname", "oif", "oifname"):
            return Selector("iface", keyword=key)
    if "ct" in left and _obj(left["ct"], "ct").get("key") == "state":
        return Selector("state", keyword="ct state")
    return None


def _selectors(left: Any) -> list[Selector] | None:
    """A selector, or each part of a concatenation (``{"concat": [...]}``); None when any part
    is not understood."""
    parts = _list(left["concat"], "a concatenation") if isinstance(left, dict) and "concat" in left \
        else [left]
    found = [_selector(part) for part in parts]
    return None if any(s is None for s in found) else [s for s in found if s is not None]


def _flag_names(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "|".join(_flag_names(v) for v in value)
    if isinstance(value, dict) and "|" in value:
        return "|".join(_flag_names(v) for v in value["|"])
    raise NftRuleError("tcp flags value not understood")


def _is_tcp_flags(expr: Any) -> bool:
    return isinstance(expr, dict) and expr.get("payload") == {"protocol": "tcp", "field": "flags"}


def _tcp_flag_words(left: Any, op: str, right: Any) -> list[str] | None:
    """A JSON tcp flags match as the words of the text syntax, or None if it is not one."""
    if _is_tcp_flags(left):
        return [op, f"({_flag_names(right)})"]
    if isinstance(left, dict) and "&" in left:
        mask, bits = _list(left["&"], "a bitwise and", 2)
        if _is_tcp_flags(mask):
            return ["&", f"({_flag_names(bits)})", op, f"({_flag_names(right)})"]
    return None


class _JsonRules:
    def __init__(self, table_family: Family | None, sets: dict[str, list[str]]) -> None:
        self.text = TextRuleParser(table_family, sets.get)
        self.table_family = table_family
        self.sets = sets

    def values(self, right: Any) -> list[str]:
        if isinstance(right, str) and right.startswith("@"):
            found = self.sets.get(right[1:])
            if found is None:
                raise NftRuleError(f"unknown set {right}")
            return found
        return _text(right)

    def rule(self, exprs: list[Any], origin: Origin) -> list[Rule]:
        b = MatchBuilder(self.table_family)
        concats: list[tuple[list[Selector], str, list[str]]] = []
        for expr in _list(exprs, "a rule's expr"):
            if not isinstance(expr, dict) or len(expr) != 1:
                raise NftRuleError("an expression must be an object with one key")
            (key, body), = expr.items()
            if key == "match":
                self.match(b, body, concats)
            elif key in VERDICTS:
                target = body.get("target", "") if isinstance(body, dict) else ""
                if not isinstance(target, str):  # a damaged document: null or a number
                    raise NftRuleError(f"the {key} target must be a chain name, not {target!r}")
                return [Rule(one.build(), VERDICTS[key], origin, target, key)
                        for one in self.text.alternatives(b, concats)]
            elif key in ("dnat", "redirect"):
                action, target = _nat(key, body)
                family = body.get("family") if isinstance(body, dict) else None
                if family in ("ip", "ip6"):  # `dnat ip to`: IPv4 packets only
                    b.restrict_family(4 if family == "ip" else 6)
                return [Rule(one.build(), action, origin, target, key)
                        for one in self.text.alternatives(b, concats)]
            elif key == "vmap":
                return [r for one in self.text.alternatives(b, concats)
                        for r in self.vmap(one, body, origin)]
            elif key not in _OBSERVE:
                b.undecidable.append(json.dumps(expr)[:120])
        return [Rule(one.build(), Action.CONTINUE, origin, label="(no verdict)")
                for one in self.text.alternatives(b, concats)]

    def match(self, b: MatchBuilder, body: Any,
              concats: list[tuple[list[Selector], str, list[str]]]) -> None:
        op = _key(body, "op")
        if not isinstance(op, str):
            raise NftRuleError(f"match operator {json.dumps(op)[:40]} is not a string")
        op = {"in": "=="}.get(op, op)
        left, right = _key(body, "left"), _key(body, "right")
        flags = _tcp_flag_words(left, op, right)
        if flags is not None:
            tcp_flags(b, flags, 0)
            return
        sels = _selectors(left)
        if sels is None:
            b.undecidable.append(json.dumps(body)[:120])
        elif len(sels) > 1:
            concats.append((sels, op, self.values(right)))
        else:
            self.text.apply(b, sels[0], op, self.values(right))

    def vmap(self, b: MatchBuilder, body: Any, origin: Origin) -> list[Rule]:
        sels = _selectors(_key(body, "key"))
        data = _key(body, "data")
        if sels is None or isinstance(data, str):
            b.undecidable.append("vmap " + json.dumps(body)[:100])
            return [Rule(b.build(), Action.UNKNOWN, origin, label="vmap")]
        rules = []
        for entry in _list(_key(data, "set"), "a verdict map"):
            key, verdict = _list(entry, "a verdict map entry", 2)
            word, arg = _verdict(verdict)
            one = replace(b, undecidable=list(b.undecidable), interfaces=list(b.interfaces))
            first = _first(_text(key), "verdict map key")
            parts = [p.strip() for p in first.split(" . ")] if len(sels) > 1 else [first]
            if len(parts) != len(sels):
                raise NftRuleError(f"verdict map key {json.dumps(key)[:60]} does not fit its concatenation")
            for sel, part in zip(sels, parts, strict=True):
                self.text.apply(one, sel, "==", [part])
            target = arg.get("target", "") if isinstance(arg, dict) else ""
            rules.append(Rule(one.build(), VERDICTS[word], origin, target, word))
        return rules


def _verdict(verdict: Any) -> tuple[str, Any]:
    """A verdict map's `{"accept": null}` / `{"jump": {"target": ...}}` as (word, argument)."""
    if not isinstance(verdict, dict) or len(verdict) != 1:
        raise NftRuleError(f"verdict {json.dumps(verdict)[:60]} not understood")
    (word, arg), = verdict.items()
    if word not in VERDICTS:
        raise NftRuleError(f"unknown verdict {word!r} in a verdict map")
    return word, arg


def _nat(key: str, body: Any) -> tuple[Action, str]:
    """A ``dnat`` statement's action and new destination as the text syntax writes it
    (``10.0.0.5:25``, ``[2001:db8::5]:25``; a map or range as its JSON, which the audit does
    not follow); ``redirect`` sends the packet to the firewall itself: not followed."""
    if key != "dnat" or not isinstance(body, dict):
        return Action.UNKNOWN, ""
    addr, port = body.get("addr"), body.get("port")
    if not isinstance(addr, str) or not (port is None or isinstance(port, int)):
        return Action.DNAT, json.dumps(body)[:100]
    host = f"[{addr}]" if ":" in addr and port is not None else addr
    return Action.DNAT, host if port is None else f"{host}:{port}"


def _why(exc: BaseException) -> str:
    return "nested too deeply" if isinstance(exc, RecursionError) else str(exc)


def _load(text: str, path: str) -> list[Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=path, line=exc.lineno, field="json") from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path, field="json") from None
    items = doc.get("nftables") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InputError('expected {"nftables": [...]} (nft -j list ruleset)', path=path,
                         field="nftables")
    return items


def _chain(body: Any, index: int, path: str) -> NftChain:
    family, table, name = _names(body, "family", "table", "name")
    nc = NftChain(family, table, name, Origin(path, index, f"chain {name} (table {table})"))
    if "hook" in body:
        nc.hook, nc.chain_type = _names({"type": "filter", **body}, "hook", "type")
        prio = next((body[k] for k in _PRIORITY_KEYS if k in body), 0)
        nc.priority = int(prio) if isinstance(prio, (int, str)) and str(prio).lstrip("-").isdigit() else 0
        policy = body.get("policy", "accept")
        if policy not in ("accept", "drop"):
            raise NftRuleError(f"policy {policy!r}")
        nc.policy = VERDICTS[policy]
        nc.origin = Origin(path, index, f"policy {policy} of chain {body['name']}")
    return nc


def _declarations(items: list[Any], path: str) -> tuple[
        dict[tuple[str, str, str], NftChain], dict[tuple[str, str], dict[str, list[str]]],
        list[tuple[int, Any]]]:
    """The chains and sets of the document, and its rules (read once all chains are known)."""
    chains: dict[tuple[str, str, str], NftChain] = {}
    sets: dict[tuple[str, str], dict[str, list[str]]] = {}
    rules: list[tuple[int, Any]] = []
    for index, item in enumerate(items, start=1):
        try:
            if not isinstance(item, dict):
                raise NftRuleError("an item must be an object")
            for kind, body in item.items():
                if kind == "chain":
                    nc = _chain(body, index, path)
                    chains[(nc.table_family, nc.table, nc.name)] = nc
                elif kind in ("set", "map"):
                    family, table, name = _names(body, "family", "table", "name")
                    sets.setdefault((family, table), {})[name] = _text(body.get("elem", []))
                elif kind == "rule":  # a tuple: a rule `_nft_json_scan` keeps as its text
                    rules.append((index, body if isinstance(body, tuple) else _obj(body, "a rule")))
        except _BAD_ITEM as exc:
            raise InputError(_why(exc), path=path, field=f"nftables[{index - 1}]") from None
    return chains, sets, rules


def rule_chain(chains: dict[tuple[str, str, str], NftChain], body: Any) -> NftChain:
    """The chain a rule item is filed under (its body: a JSON object)."""
    family, table, name = _names(body, "family", "table", "chain")
    chain = chains.get((family, table, name))
    if chain is None:
        raise NftRuleError(f"rule in chain {name} of table {family} {table}, which the "
                           "ruleset does not define")
    return chain


def read_rule(reader: _JsonRules, body: dict[str, Any], index: int, path: str) -> list[Rule]:
    """The rules of the rule item `body` (the `index`-th item of the document)."""
    origin = Origin(path, index, f"rule handle {body.get('handle', '?')} in chain "
                    f"{body['chain']}: " + json.dumps(body.get("expr", []))[:200])
    return reader.rule(_key(body, "expr"), origin)


def reader_for(chain: NftChain, sets: dict[tuple[str, str], dict[str, list[str]]]) -> _JsonRules:
    return _JsonRules(TABLE_FAMILIES.get(chain.table_family),
                      sets.get((chain.table_family, chain.table), {}))


def parse_nft_json(text: str, path: str) -> Ruleset:
    chains, sets, rules = _declarations(_load(text, path), path)
    for index, body in rules:
        try:
            chain = rule_chain(chains, body)
            chain.rules += read_rule(reader_for(chain, sets), body, index, path)
        except _BAD_ITEM as exc:
            raise InputError(_why(exc), path=path, field=f"nftables[{index - 1}].rule") from None
    return build_ruleset(path, list(chains.values()), [], NftJsonParser.name, NftJsonParser.platform)


class NftJsonParser(RulesetParser):
    name = "nft-json"
    platform = "nftables"
    description = "nftables JSON: `nft -j list ruleset`"

    def detect(self, text: str) -> float:
        return _detect.nft_json(text)

    def parse(self, text: str, path: str) -> Ruleset:
        return parse_nft_json(text, path)

    def parse_scoped(self, text: str, path: str, scope: Scope) -> Ruleset:
        # Imported here: it imports this module (and only a scoped audit needs it).
        from hybridfw.rulesets._nft_json_scoped import parse_scoped

        return parse_scoped(text, path, scope)
