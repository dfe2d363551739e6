"""PAN-OS set, scoped parse: vsys1's rule lines kept by rule name and decided from their words
(`_panos_set_scoped`) give the same ruleset as the line-by-line reading, which builds every
rule and leaves out in `build_ruleset`. Reference: the same text with ``set vsys vsys1
rulebase`` spelt out on every rule line (the kept lines are only those without a scope
prefix), rulesets or errors compared up to that prefix in the rule texts; and the scoped audit
equals the full one. Random configs mix every way a line can leave the single-line layout:
lists, unknown or repeated keys, key words as values, several lines per rule, disabled rules,
quotes, other prefixes for vsys1, moves, objects after rules, address groups nested too deep
or in a loop, and more zones than make all pairs."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.native import pure_world
from _support.scoped import audit_of, audited_flows
from _support.vendor import parsed_text
from hybridfw import native
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text

_OBJECTS = """set zone a network layer3 ethernet1/1
set zone b network layer3 ethernet1/2
set address MX ip-netmask 192.0.2.10
set address EOP ip-netmask 40.92.0.0/15
set address-group EOPS static [ EOP 40.107.0.0/16 ]
set service smtp protocol tcp port 25
set service web protocol tcp port 443,80
set service dns protocol udp port 53
set service-group mail members [ smtp web ]
set application-group mailapps members [ smtp ssl ]
"""
_LATE = ("set service late protocol tcp port 25", "set address-group EOPS static 10.5.5.5",
         "set zone c network layer3 ethernet1/3", "delete rulebase security rules r1",
         "set rulebase security default-security-rules interzone-default action allow")
_ZONES = "".join(f"set zone z{i} network layer3 ethernet1/{i + 9}\n" for i in range(21))
_DEEP = "".join(f"set address-group G{i} static [ G{i + 1} ]\n" for i in range(34)) + \
    "set address-group G34 static [ MX ]\n"
_LOOP = "set address-group L1 static [ L2 ]\nset address-group L2 static [ L1 ]\n"
_PAIRS = ("from a", "from b", "from any", "to a", "to b", "to any", "to z3",
          "source MX", "source EOPS", "source any", "source G0", "source L1", "destination MX",
          "destination 192.0.2.0/24", "application any", "application smtp", "application ssl",
          "application dns", "application mailapps", "application bittorrent", "service smtp",
          "service web", "service dns", "service mail", "service late", "service any",
          "service application-default", "service missing", "action allow", "action deny",
          "disabled yes", "disabled no", "negate-source yes", "rule-type interzone",
          "source-user bob", "schedule night", "source service", "service from", "to to",
          "from c", "to c", "from z3", "service dns", "service web")
_NARROW = ("service dns", "service web", "application ssl", "application dns", "service smtp")
_ODD = ("from [ a b ]", "service [ smtp dns ]", "application [ ]", "source", "profile-setting x",
        "log-setting default", "application", "service [ smtp", "option x", "target any")
_PREFIXES = ("set rulebase security rules", "set device-group vsys1 rulebase security rules",
             "set vsys vsys2 rulebase security rules", "set shared rulebase security rules")
_SMTP = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
             AddressSet.parse(["192.0.2.10"]), "test")


@st.composite
def _pairs(draw: st.DrawFn) -> list[str]:
    """A rule line's attributes: ``key value`` pairs, sometimes an odd one among them."""
    pairs = draw(st.lists(st.sampled_from(_PAIRS), max_size=4))
    if draw(st.booleans()):  # a service no or few audited packets have: rules left out
        pairs.insert(draw(st.integers(0, len(pairs))), draw(st.sampled_from(_NARROW)))
    if draw(st.integers(0, 2)) == 0:
        pairs.insert(draw(st.integers(0, len(pairs))), draw(st.sampled_from(_ODD)))
    return pairs


def _bracketed(pairs: list[str], at: int) -> list[str]:
    """The same keys in the same places, the values at `at` and after it ``[`` and ``]``: a
    one-member list whose member is the next key (the layout check must refuse it)."""
    keys = [p.split()[0] for p in pairs]
    values = [p.split()[1] for p in pairs]
    values[at:at + 2] = ["[", "]"]
    return [f"{k} {v}" for k, v in zip(keys, values, strict=True)]


@st.composite
def _rules(draw: st.DrawFn) -> list[str]:
    """Rule lines: mostly one per rule with the plain prefix (the lines decided as read), some
    repeated names, other prefixes, quotes, and lines of the same layout as the one before."""
    lines: list[str] = []
    for i in range(draw(st.integers(1, 12))):
        rare = draw(st.integers(0, 29))
        name = f"r{i}" if rare > 4 else draw(st.sampled_from(("r0", "r1", "[", "from", "'q r'")))
        if 12 <= rare <= 17:  # a further line of a rule before
            name = f"r{draw(st.integers(0, i))}"
        prefix = draw(st.sampled_from(_PREFIXES[1:])) if rare == 0 else _PREFIXES[0]
        pairs = draw(_pairs())
        spacing = " " if rare != 11 else "  "
        lines.append(spacing.join([prefix, name, *pairs]).rstrip())
        if 5 <= rare <= 10 and all(p in _PAIRS for p in pairs) and len(pairs) > 1:
            at = draw(st.integers(0, len(pairs) - 2))
            lines.append(" ".join([prefix, f"t{i}", *_bracketed(pairs, at)]))
    return lines


@st.composite
def _config(draw: st.DrawFn) -> str:
    lines = [_OBJECTS]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from((_ZONES, _DEEP, _LOOP))))
    rules = draw(_rules())
    for _ in range(draw(st.integers(0, 2))):
        rules.insert(draw(st.integers(0, len(rules))), draw(st.sampled_from(_LATE)))
    if draw(st.integers(0, 5)) == 0:
        move = f"move rulebase security rules r{draw(st.integers(0, 2))} " + \
            draw(st.sampled_from(("top", "bottom", "after r1", "before r0")))
        rules.insert(len(rules) - draw(st.integers(0, 1)), move)
    return "".join(lines) + "\n".join(rules) + "\n"


def _parsed(text: str, flows: list[Flow] | None) -> str:
    return parsed_text(text, "t.set", "panos-set", None if flows is None else audit_scope(flows))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), st.none() | audited_flows())
def test_rules_decided_from_their_lines_parse_as_built_rules(text: str, flows: list[Flow] | None) -> None:
    reference = _parsed(text.replace("\nset rulebase ", "\nset vsys vsys1 rulebase "), flows)
    assert _parsed(text, flows) == reference.replace("set vsys vsys1 rulebase ", "set rulebase "), text


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), audited_flows())
def test_scoped_parse_audits_like_a_full_parse(text: str, flows: list[Flow]) -> None:
    try:
        full = audit_of(text, "panos-set", flows, False)
    except Exception as exc:  # the same error from both parses
        try:
            audit_of(text, "panos-set", flows, True)
        except Exception as again:
            assert repr(again) == repr(exc)
            return
        raise AssertionError(f"scoped parse read {text!r}, the full parse failed: {exc}") from None
    assert audit_of(text, "panos-set", flows, True) == full, text


_R = "set rulebase security rules "
_CASES = {  # one per condition of the layout check and of leaving rules out as read
    "key unknown before a deciding one": [_R + "r0 from a to b option x service dns"],
    "a one-member list of a key word": [_R + "r0 application ssl from c service dns",
                                        _R + "r1 application [ from ] service dns"],
    "a key twice": [_R + "r0 from a to b service smtp service dns"],
    "a key without its value": [_R + "r0 from a service dns to"],
    "more lines": [_R + "r0 from a to b service dns", _R + "r0 service smtp"],
    "a zone only a rule left out names": [_R + "r0 from c to b service dns", _R + "r1 from a to b"],
    "disabled": [_R + "r0 from a to b service dns disabled yes"],
    "more zones than make all pairs": [_ZONES + _R + "r0 from z3 to z4 service dns",
                                       _R + "r1 from z1 to z2 service smtp"],
    "another spelling of vsys1": [_R + "r0 from a to b service smtp",
                                  "set device-group vsys1 rulebase security rules r9 from a to b",
                                  _R + "r1 from a to b service dns"],
    "a move": [_R + "r0 from a to b service smtp", _R + "r1 from a to b service web",
               "move rulebase security rules r1 top"],
    "groups nested too deep": [_DEEP + _R + "r0 from a to b service smtp"],
}


@pytest.mark.parametrize("lines", _CASES.values(), ids=_CASES.keys())
def test_each_condition_parses_as_built_rules(lines: list[str]) -> None:
    text = _OBJECTS + "\n".join(lines) + "\n"
    reference = _parsed(text.replace("\nset rulebase ", "\nset vsys vsys1 rulebase "), [_SMTP])
    assert _parsed(text, [_SMTP]) == reference.replace("set vsys vsys1 rulebase ", "set rulebase ")


def test_no_vsys1_made_without_its_lines() -> None:
    text = ("set vsys vsys2 zone a network layer3 ethernet1/1\n"
            "set vsys vsys2 rulebase security rules r0 from a\n")
    assert "vsys1" not in _parsed(text, [_SMTP]) and _parsed(text, [_SMTP]) == _parsed(text, None)


def test_single_line_rules_are_left_out_unbuilt_and_others_kept() -> None:
    text = _OBJECTS + (
        "set rulebase security rules web from a to b source any destination MX service web\n"
        "set rulebase security rules list from [ a b ] to b service dns\n"
        "set rulebase security rules two from a to b service dns\n"
        "set rulebase security rules two action deny\n"
        "set rulebase security rules off from a to b service dns disabled yes\n"
        "set rulebase security rules mail from a to b destination MX service smtp\n")
    ruleset = parse_text(text, "t.set", "panos-set", audit_scope([_SMTP]))
    assert ruleset.omitted == 3  # web, list and two: left out, whether built or not
    chain = next(c for c in ruleset.chains.values() if c.name == "a -> b")
    assert [r.origin.line for r in chain.rules] == [16]
    assert any("disabled rule off" in f.message for f in ruleset.findings)


def test_too_deep_groups_still_fail_in_rules_left_out() -> None:
    text = _OBJECTS + _DEEP + "set rulebase security rules deep from a to b source G0 service dns\n"
    assert "nests too deep" in _parsed(text, [_SMTP]) and _parsed(text, [_SMTP]) == _parsed(text, None)


def _in_world(text: str, specs: list[tuple[Any, ...]] | None) -> str:
    """`_parsed` in whichever world is active (`_support.native`): every object made here."""
    addresses = importlib.import_module("hybridfw.addresses")
    audit = importlib.import_module("hybridfw.audit")
    model = importlib.import_module("hybridfw.model")
    scope = None if specs is None else audit.audit_scope(
        [model.Flow(name, direction, proto, ports, addresses.AddressSet.parse(sources),
                    addresses.AddressSet.parse(destinations), "test")
         for name, direction, proto, ports, sources, destinations in specs])
    return parsed_text(text, "t.set", "panos-set", scope)


@settings(max_examples=examples(60, 15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), st.none() | audited_flows())
def test_compiled_reader_parses_like_the_pure_python_one(text: str, flows: list[Flow] | None) -> None:
    """panos_set and _panos_set_scoped are compiled (hatch_build.MYPYC_MODULES): the same
    parse, scoped and full, as their `.py` files (the reference)."""
    specs = None if flows is None else [(f.id, f.direction, f.protocol, f.ports, f.sources.to_cidrs(),
                                         f.destinations.to_cidrs()) for f in flows]
    world = pure_world()
    with world.active():
        assert not native.is_compiled(importlib.import_module("hybridfw.rulesets.panos_set"))
        pure = _in_world(text, specs)
    assert _in_world(text, specs) == pure, text
