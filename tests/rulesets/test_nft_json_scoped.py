"""The scoped parse of `nft -j` JSON (`_nft_json_scoped`, `_nft_json_scan`) against the full
parse: on random documents (rules in nft's own spelling and in others, sources of every kind,
named sets, verdict maps, jumps, counters, repeated keys, escapes, damaged text) every chain
keeps exactly the full parse's rules the scope needs, in order and at the same place, the
audits agree (rows, evidence, shadows), and a document the full parse refuses gives the same
input error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.audit import audit_summary
from _support.hypo import examples
from _support.netns import nft_json_of
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets._nft_json_scan import RawRule, scan
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import Action, Rule

TESTS = Path(__file__).resolve().parents[1]
REAL = [TESTS / "data" / "audit" / "host.json",
        TESTS.parent.parent / "shared" / "data" / "firewall-samples"
        / "nft-json-list-ruleset__nftables-rs__nftables-init.json"]
V4 = ("10.1.0.0/16", "10.1.2.3", "40.92.0.0/15", "192.0.2.10", "0.0.0.0/0")
V6 = ("2001:db8::/32", "2001:db8::10", "2a01:111:f400::/48", "::/0")
ONPREM = ("192.0.2.10", "10.1.2.3", "2001:db8::10")



def _call(rule: Rule) -> bool:
    """A jump or goto (a missing target makes it unknown, labelled "jump NAME"): the scoped
    parse keeps every one, whatever the scope (the kernel's loop check needs them all)."""
    return rule.action in (Action.JUMP, Action.GOTO) or rule.label.startswith(("jump ", "goto "))

def _payload(protocol: str, field: str, op: str, right: Any) -> dict[str, Any]:
    return {"match": {"op": op, "left": {"payload": {"protocol": protocol, "field": field}},
                      "right": right}}


def _address(draw: st.DrawFn, pool: tuple[str, ...]) -> Any:
    text = draw(st.sampled_from((*pool, V4[1] if pool is V6 else V6[1], "not-an-address")))
    if "/" in text and draw(st.booleans()):
        addr, length = text.split("/")
        return {"prefix": {"addr": addr, "len": int(length)}}
    return text


@st.composite
def _source(draw: st.DrawFn) -> dict[str, Any]:
    """A source match of any kind: a string, a prefix, a named set (known, unknown, of
    concatenations), an anonymous set, a concatenation, an odd operator."""
    ip = draw(st.sampled_from(("ip", "ip6")))
    pool = V4 if ip == "ip" else V6
    kind = draw(st.integers(0, 5))
    right: Any
    if kind <= 1:
        right = _address(draw, pool)
    elif kind == 2:
        right = f"@{draw(st.sampled_from(('s4a', 's4b', 's6a', 'pairs', 'nosuch')))}"
    elif kind == 3:
        right = {"set": [_address(draw, pool) for _ in range(draw(st.integers(1, 2)))]}
    elif kind == 4:
        right = f"{pool[1]} . 25"
    else:
        right = {"range": [pool[1], pool[1]]}
    op = draw(st.sampled_from(("==", "==", "!=", "in", "<")))
    return _payload(ip, "saddr", op, right)


_PORTS = st.sampled_from((25, 587, 53, {"set": [25, 587]}, {"range": [20, 30]}, "@mail_ports"))


@st.composite
def _condition(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.integers(0, 8))
    if kind == 0:
        ip = draw(st.sampled_from(("ip", "ip6")))
        return _payload(ip, draw(st.sampled_from(("daddr", "saddr"))), "==",
                        _address(draw, V4 if ip == "ip" else V6))
    if kind <= 2:
        return _payload(draw(st.sampled_from(("tcp", "udp", "th"))), "dport",
                        draw(st.sampled_from(("==", "!="))), draw(_PORTS))
    if kind == 3:
        return {"match": {"op": "==", "left": {"meta": {"key": "l4proto"}},
                          "right": draw(st.sampled_from(("tcp", "udp", {"set": ["tcp", "udp"]})))}}
    if kind == 4:
        return {"match": {"op": draw(st.sampled_from(("in", "=="))), "left": {"ct": {"key": "state"}},
                          "right": draw(st.sampled_from(("new", ["established", "related"])))}}
    if kind == 5:
        return {"counter": {"packets": draw(st.integers(0, 3)), "bytes": draw(st.integers(0, 3))}}
    if kind == 6:
        return {"match": {"op": "==", "left": {"meta": {"key": "iifname"}},
                          "right": draw(st.sampled_from(("lo", "eth0", "ét\"h1")))}}
    if kind == 7:
        return {"xt": {"type": "match", "name": "foo"}}
    return {"log": {"prefix": "x"}}


@st.composite
def _verdict(draw: st.DrawFn, chains: int) -> list[dict[str, Any]]:
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return []
    if kind == 1 and chains > 1:
        return [{draw(st.sampled_from(("jump", "goto"))): {"target": f"c{draw(st.integers(1, chains))}"}}]
    if kind == 2:
        return [{"vmap": {"key": {"payload": {"protocol": "tcp", "field": "dport"}},
                          "data": {"set": [[25, {"accept": None}], [587, {"drop": None}]]}}}]
    if kind == 3:
        return [{"dnat": {"addr": "10.0.0.5", "port": 25}}]
    return [{draw(st.sampled_from(("accept", "drop", "reject", "return"))): None}]


@st.composite
def _rule(draw: st.DrawFn, table: tuple[str, str], chain: int, chains: int) -> dict[str, Any]:
    expr = [draw(_source())] if draw(st.integers(0, 4)) else []
    expr += [draw(_condition()) for _ in range(draw(st.integers(0, 2)))]
    expr += draw(_verdict(chains))
    body: dict[str, Any] = {"family": table[0], "table": table[1], "chain": f"c{chain}",
                            "handle": draw(st.integers(1, 30))}
    if draw(st.integers(0, 4)) == 0:
        body["comment"] = draw(st.sampled_from(("partner", "é", 'a "b"')))
    body["expr"] = expr
    return {"rule": body}


def _sets(table: tuple[str, str]) -> list[dict[str, Any]]:
    def one(name: str, kind: str, elem: list[Any]) -> dict[str, Any]:
        return {"set": {"family": table[0], "name": name, "table": table[1], "type": kind,
                        "handle": 1, "flags": ["interval"], "elem": elem}}

    prefix = [{"prefix": {"addr": a, "len": int(n)}} for a, n in (p.split("/") for p in V4[:3:2])]
    return [one("s4a", "ipv4_addr", prefix), one("s4b", "ipv4_addr", list(V4[1:4])),
            one("s6a", "ipv6_addr", list(V6[:2])), one("mail_ports", "inet_service", [25, 587]),
            one("pairs", "ipv4_addr . inet_service", [{"concat": [V4[1], 25]}])]


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A random `nft -j list ruleset` document, mostly in nft's own spelling."""
    table = (draw(st.sampled_from(("ip", "ip6", "inet"))), "t")
    chains = draw(st.integers(1, 3))
    items: list[Any] = [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
                        {"table": {"family": table[0], "name": table[1], "handle": 1}}, *_sets(table)]
    for i in range(chains + 1):
        chain: dict[str, Any] = {"family": table[0], "table": table[1], "name": f"c{i}", "handle": i}
        if i == 0:
            chain.update(type="filter", hook=draw(st.sampled_from(("input", "forward"))), prio=0,
                         policy=draw(st.sampled_from(("accept", "drop"))))
        items.append({"chain": chain})
    for _ in range(draw(st.integers(0, 8))):
        items.append(draw(_rule(table, draw(st.integers(0, chains)), chains)))
    if draw(st.integers(0, 9)) == 0:  # a rule in a chain the document does not define
        items.append(draw(_rule(table, chains + 1, chains)))
    text = json.dumps({"nftables": items}, ensure_ascii=draw(st.booleans()),
                      indent=1 if draw(st.integers(0, 9)) == 0 else None)
    if draw(st.integers(0, 4)) == 0:  # an object repeating a key: json.loads keeps the last
        text = text.replace('{"accept": null}', draw(st.sampled_from((
            '{"accept": null, "accept": null}', '{"accept": null, "drop": null, "accept": null}'))))
    return text


@st.composite
def _flows(draw: st.DrawFn) -> list[Flow]:
    def some(options: tuple[str, ...]) -> AddressSet:
        return AddressSet.parse(draw(st.lists(st.sampled_from(options), min_size=1, max_size=2)))

    ports = st.sampled_from(((25,), (587,), (25, 587)))
    flows = [Flow("in", "inbound", "tcp", draw(ports), some(V4[:-1] + V6[:-1]), some(ONPREM), "test")]
    if draw(st.booleans()):
        flows.append(Flow("out", "outbound", "tcp", draw(ports), some(ONPREM), some(V4[:-1] + V6[:-1]),
                          "test"))
    return flows


def _outcome(text: str, flows: list[Flow] | None) -> Any:
    try:
        return parse_text(text, "t.json", "nft-json", None if flows is None else audit_scope(flows))
    except InputError as exc:
        return str(exc)


def _assert_same(text: str, flows: list[Flow]) -> None:
    """The scoped parse keeps exactly the full parse's rules the scope needs (and every jump),
    or raises the same input error; the audits agree."""
    full, scoped = _outcome(text, None), _outcome(text, flows)
    if isinstance(full, str) or isinstance(scoped, str):
        assert scoped == full, text
        return
    scope = audit_scope(flows)
    assert scoped.chains.keys() == full.chains.keys()
    for key, chain in scoped.chains.items():
        needed = [rule for rule in full.chains[key].rules
                  if _call(rule) or (rule.action is not Action.CONTINUE
                                     and scope.needs(rule.match))]
        assert list(chain.rules) == needed, text
    assert scoped.entries == full.entries
    vb = Interfaces("vb")
    assert audit_summary(text, "nft-json", flows, True, vb) == \
        audit_summary(text, "nft-json", flows, False, vb)


@settings(max_examples=examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(documents(), _flows())
def test_the_scoped_parse_keeps_the_rules_of_the_full_parse(text: str, flows: list[Flow]) -> None:
    _assert_same(text, flows)


@settings(max_examples=examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(documents(), _flows(), st.data())
def test_damaged_text_gives_the_full_parses_answer(text: str, flows: list[Flow],
                                                   data: st.DataObject) -> None:
    """Text cut, or a character deleted, doubled or replaced (quotes, brackets, separators,
    digits): the scoped parse reads it exactly as the full parse, or names the same error."""
    for _ in range(data.draw(st.integers(1, 2))):
        at = data.draw(st.integers(0, max(0, len(text) - 1)))
        how = data.draw(st.integers(0, 3))
        char = data.draw(st.sampled_from(('"', "{", "}", "[", "]", ",", ":", " ", "1", "-", "\\", "x")))
        text = (text[:at] if how == 0 else text[:at] + text[at + 1:] if how == 1
                else text[:at] + text[at] * 2 + text[at + 1:] if how == 2 and text
                else text[:at] + char + text[at + 1:])
    _assert_same(text, flows)


@pytest.mark.parametrize(("path", "spelled_by_nft"), list(zip(REAL, (True, False), strict=True)),
                         ids=lambda p: getattr(p, "name", ""))
def test_real_documents_read_the_same(path: Path, spelled_by_nft: bool) -> None:
    """host.json is nft's own output (its rules are read by the scan); the other sample is
    pretty-printed (read by json.loads, as the full parse reads it)."""
    text = path.read_text()
    items = scan(text)
    assert (items is not None and any(isinstance(i.get("rule"), RawRule) for i in items)) \
        == spelled_by_nft
    flows = [Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15", "2a01:111:f400::/48"]),
                  AddressSet.parse(["192.0.2.10", "2001:db8::10"]), "test")]
    _assert_same(text, flows)


def test_rules_with_a_source_are_records_built_when_walked() -> None:
    items = [{"table": {"family": "ip", "name": "t", "handle": 1}},
             {"chain": {"family": "ip", "table": "t", "name": "input", "handle": 1, "type": "filter",
                        "hook": "input", "prio": 0, "policy": "drop"}},
             {"chain": {"family": "ip", "table": "t", "name": "smtp", "handle": 2}},
             {"rule": {"family": "ip", "table": "t", "chain": "input", "handle": 3, "expr": [
                 {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}},
                            "right": 25}}, {"jump": {"target": "smtp"}}]}},
             {"rule": {"family": "ip", "table": "t", "chain": "smtp", "handle": 4, "expr": [
                 {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                            "right": {"prefix": {"addr": "40.92.0.0", "len": 15}}}},
                 {"accept": None}]}},
             {"rule": {"family": "ip", "table": "t", "chain": "smtp", "handle": 5, "expr": [
                 {"match": {"op": "==", "left": {"payload": {"protocol": "udp", "field": "dport"}},
                            "right": 53}}, {"accept": None}]}}]
    text = json.dumps({"nftables": items})
    flow = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                AddressSet.parse(["192.0.2.10"]), "test")
    ruleset = parse_text(text, "fw.json", "nft-json", audit_scope([flow]))
    chains = {c.name: c for c in ruleset.chains.values()}
    smtp = chains["smtp"].rules
    assert isinstance(smtp, LazyRules) and not smtp.built and len(smtp) == 1  # udp 53: left out
    assert ruleset.omitted == 1
    assert chains["input"].rules[0].target == chains["smtp"].key
    (rule,) = list(smtp)
    assert rule.match.sources == AddressSet.parse(["40.92.0.0/15"])
    assert (rule.origin.line, rule.origin.text) == (
        5, "rule handle 4 in chain smtp: " + json.dumps(items[4]["rule"]["expr"])[:200])


def _generated(rules: int) -> str:
    """nft text in the benchmark's style: sources as addresses, prefixes and named sets, ports
    as values and named sets, comments, counters, jumps from the base chain."""
    lines = ["table ip g {", "\tset mail_ports { type inet_service; elements = { 25, 465, 587 } }",
             "\tset partners { type ipv4_addr; flags interval; elements = { 40.92.0.0/15, 10.9.0.0/16 } }",
             "\tchain input {", "\t\ttype filter hook input priority filter; policy drop;",
             '\t\tiifname "lo" accept', "\t\tct state established,related accept",
             "\t\tjump c0", "\t\tip daddr 192.0.2.10 tcp dport 25 jump c1", "\t}"]
    tails = ("tcp dport 25 accept", "tcp dport @mail_ports accept comment \"partner 7\"",
             "udp dport 53 drop", "ct state new reject", "counter return", "tcp dport 443 accept")
    for chain in range(2):
        lines.append(f"\tchain c{chain} {{")
        for n in range(rules // 2):
            source = ("@partners", f"10.{n % 250}.{chain}.0/24", f"10.{n % 250}.{chain}.7")[n % 3]
            lines.append(f"\t\tip saddr {'!= ' if n % 7 == 0 else ''}{source} {tails[n % len(tails)]}")
        lines.append("\t}")
    return "\n".join([*lines, "}", ""])


@pytest.mark.root
@pytest.mark.parametrize("name", ["host.nft", "golden", "generated"])
def test_nft_own_json_reads_the_same(name: str) -> None:
    """What nft itself prints (`nft -j list ruleset` in a scratch namespace) is read by the scan,
    rule by rule, and the scoped parse keeps exactly the full parse's rules."""
    text = (_generated(400) if name == "generated" else
            (TESTS / "data" / ("audit/host.nft" if name == "host.nft"
                               else "rules/golden/nftables/hybridfw.nft")).read_text())
    listed = nft_json_of(text, "scopedjson")
    items = scan(listed)
    assert items is not None
    rules = [item["rule"] for item in items if "rule" in item]
    assert rules and all(isinstance(rule, RawRule) for rule in rules)
    flows = [Flow("smtp", "inbound", "tcp", (25, 587), AddressSet.parse(["40.92.0.0/15", "10.1.0.0/16"]),
                  AddressSet.parse(["192.0.2.10", "203.0.113.10", "2001:db8::10"]), "test"),
             Flow("out", "outbound", "tcp", (25,), AddressSet.parse(["10.1.0.7", "203.0.113.10"]),
                  AddressSet.parse(["40.92.0.0/15"]), "test")]
    _assert_same(listed, flows)
