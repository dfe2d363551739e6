"""`nft -j list ruleset` items the reader cannot read: an input error naming the item and why
(exit 2), whatever part of the JSON is wrong; a bug in the reader is never read as one."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridfw.errors import InputError
from hybridfw.rulesets import nft_json
from hybridfw.rulesets.model import Ruleset

TESTS = Path(__file__).resolve().parents[1]
SAMPLES = TESTS.parent.parent / "shared" / "data" / "firewall-samples"
REAL = [TESTS / "data" / "audit" / "host.json",
        SAMPLES / "nft-json-list-ruleset__nftables-rs__nftables-init.json"]
CHAIN = {"chain": {"family": "ip", "table": "t", "name": "input", "handle": 1, "type": "filter",
                   "hook": "input", "prio": 0, "policy": "drop"}}


def rule(*expr: Any, chain: str = "input") -> dict[str, Any]:
    return {"rule": {"family": "ip", "table": "t", "chain": chain, "handle": 2, "expr": list(expr)}}


def saddr(right: Any) -> dict[str, Any]:
    return {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}},
                      "right": right}}


def parse(*items: Any) -> Ruleset:
    return nft_json.parse_nft_json(json.dumps({"nftables": [{"metainfo": {}}, *items]}), "fw.json")


@pytest.mark.parametrize(("items", "where", "why"), [
    ([{"rule": {"family": "ip"}}], "nftables[1].rule", "key 'table' missing"),
    ([{"chain": {"family": ["ip"], "table": "t", "name": "c"}}], "nftables[1]",
     'family ["ip"] is not a string'),
    ([{"chain": "input"}], "nftables[1]", "must be an object"),
    ([CHAIN, rule({"accept": None}, chain="output")], "nftables[2].rule",
     "rule in chain output of table ip t, which the ruleset does not define"),
    ([CHAIN, {"rule": {**rule()["rule"], "expr": "accept"}}], "nftables[2].rule",
     "a rule's expr must be a list"),
    ([CHAIN, rule({"match": {"op": "==", "left": {"meta": {"key": "l4proto"}}}})], "nftables[2].rule",
     "key 'right' missing"),
    ([CHAIN, rule({"match": {"op": ["=="], "left": {}, "right": 1}})], "nftables[2].rule",
     "is not a string"),
    ([CHAIN, rule(saddr({"range": ["10.0.0.1"]}), {"accept": None})], "nftables[2].rule",
     "a range must be a list of 2"),
    ([CHAIN, rule(saddr({"prefix": {"addr": "10.0.0.0"}}), {"accept": None})], "nftables[2].rule",
     "key 'len' missing"),
    ([CHAIN, rule({"match": {"op": "==", "left": {"payload": "ip saddr"}, "right": "10.0.0.1"}})],
     "nftables[2].rule", "payload must be an object"),
    ([CHAIN, rule({"vmap": {"key": {"meta": {"key": "l4proto"}},
                            "data": {"set": [["tcp", {"accept": None, "drop": None}]]}}})],
     "nftables[2].rule", "not understood"),
    ([CHAIN, rule({"vmap": {"key": {"meta": {"key": "l4proto"}}, "data": {"set": [["tcp"]]}}})],
     "nftables[2].rule", "a verdict map entry must be a list of 2"),
    ([CHAIN, rule(saddr({"set": []}), {"accept": None}), rule({"accept": None})], "", ""),  # reads
])
def test_a_malformed_item_is_an_input_error_naming_it(items: list[Any], where: str, why: str) -> None:
    if not where:
        assert parse(*items).chains
        return
    with pytest.raises(InputError) as info:
        parse(*items)
    assert f"fw.json [{where}]" in str(info.value) and why in str(info.value), str(info.value)


@pytest.mark.parametrize("bug", [TypeError("bug"), KeyError("bug"), AttributeError("bug"),
                                 IndexError("bug"), ValueError("bug")])
def test_a_bug_in_the_reader_is_not_an_input_error(bug: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise bug

    monkeypatch.setattr(nft_json._JsonRules, "match", broken)
    with pytest.raises(type(bug), match="bug"):
        parse(CHAIN, rule(saddr("10.0.0.1"), {"accept": None}))
    monkeypatch.setattr(nft_json, "_chain", broken)
    with pytest.raises(type(bug), match="bug"):
        parse(CHAIN)


_ODD = st.sampled_from([None, True, 0, -1, "", "x", "@nope", [], [1, 2, 3], {}, {"x": 1},
                        {"prefix": {}}, {"range": [1]}, {"set": [{}]}, {"concat": "x"}])


@st.composite
def damaged(draw: st.DrawFn) -> dict[str, Any]:
    """A real `nft -j` document with 1-4 values somewhere inside it deleted or replaced by a
    value of another shape."""
    doc = copy.deepcopy(json.loads(draw(st.sampled_from(REAL)).read_text()))
    for _ in range(draw(st.integers(1, 4))):
        parent: Any = doc
        path = []
        while isinstance(parent, (dict, list)) and parent and (not path or draw(st.booleans())):
            key = draw(st.sampled_from(sorted(parent) if isinstance(parent, dict) else range(len(parent))))
            path.append((parent, key))
            parent = parent[key]
        if not path:
            continue
        container, key = path[-1]
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = copy.deepcopy(draw(_ODD))  # never the shared sample itself
    return doc


@given(doc=damaged())
def test_damaged_real_documents_read_or_are_input_errors(doc: dict[str, Any]) -> None:
    """Whatever part of a real document is wrong, the reader returns a ruleset or raises
    InputError: every other exception would be a bug it no longer hides."""
    with contextlib.suppress(InputError):
        nft_json.parse_nft_json(json.dumps(doc), "fw.json")


@pytest.mark.parametrize("target", [None, 7, ["input"]])
def test_a_jump_whose_target_is_not_a_name_is_an_input_error(target: Any) -> None:
    """Found by the damaged-document test on the compiled build: a null target reached the
    compiled Rule (a TypeError there, a None chain key in pure Python)."""
    with pytest.raises(InputError, match="jump target must be a chain name"):
        parse({"table": {"family": "ip", "name": "t", "handle": 1}}, CHAIN,
              rule(saddr("10.0.0.0"), {"jump": {"target": target}}))


@pytest.mark.parametrize(("field", "value"), [("hook", ["input"]), ("hook", 7), ("hook", None),
                                              ("type", ["filter"]), ("type", None)])
def test_a_base_chain_whose_hook_or_type_is_not_a_name_is_an_input_error(field: str,
                                                                         value: Any) -> None:
    """Found by the damaged-document test: a list hook reached a set of hooks (TypeError,
    unhashable list) instead of an input error naming the item."""
    chain = {"chain": {**CHAIN["chain"], "hook": "input", "type": "filter", "prio": 0,
                       "policy": "accept", field: value}}
    with pytest.raises(InputError, match=f"{field} .* is not a string"):
        parse({"table": {"family": "ip", "name": "t", "handle": 1}}, chain)
