"""PAN-OS set: a vsys1 rule line read straight to its fields (no scope prefix, no quotes) fills
the same rules as the general line reading. Reference: the same lines with ``vsys vsys1`` spelt
out, which the shortcut does not take. Rulesets (full and scoped) and errors must be equal, up
to that prefix in the quoted rule text."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.vendor import parsed_text
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets.scope import Scope

_OBJECTS = """set zone a network layer3 ethernet1/1
set zone b network layer3 ethernet1/2
set address MX ip-netmask 192.0.2.10
set service smtp protocol tcp port 25
set service web protocol tcp port 443
"""
_ATTRIBUTES = ("from a", "from [ a b ]", "to b", "to any", "source MX", "source [ MX 10.0.0.0/8 ]",
               "destination any", "destination [ ]", "service smtp", "service [ smtp web ]",
               "application any", "action allow", "action deny", "disabled yes", "negate-source yes",
               "source", "profile-setting group x", "source-user bob", "rule-type intrazone",
               "description 'a b'", 'tag "x y"')
_SMTP = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
             AddressSet.parse(["192.0.2.10"]), "test")


@st.composite
def _config(draw: st.DrawFn) -> str:
    lines = [_OBJECTS]
    for _ in range(draw(st.integers(1, 8))):
        name = draw(st.sampled_from(("r1", "r2", "r3", "[", "")))
        attributes = draw(st.lists(st.sampled_from(_ATTRIBUTES), max_size=4))
        spacing = draw(st.sampled_from((" ", " ", "  ")))
        lines.append(spacing.join(["set rulebase security rules", name, *attributes]).rstrip() + "\n")
    if draw(st.booleans()):
        lines.append("move rulebase security rules r1 bottom\n")
    return "".join(lines)


def _parsed(text: str, scope: Scope | None) -> str:
    return parsed_text(text, "t.set", "panos-set", scope)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), st.sampled_from((None, audit_scope([_SMTP]))))
def test_rule_lines_read_straight_fill_the_same_rules(text: str, scope: Scope | None) -> None:
    general = _parsed(text.replace("set rulebase ", "set vsys vsys1 rulebase "), scope)
    assert _parsed(text, scope) == general.replace("set vsys vsys1 rulebase ", "set rulebase "), text


def test_members_add_up_over_lines() -> None:
    text = _OBJECTS + "".join(f"set rulebase security rules r1 {attribute}\n" for attribute in (
        "from a to b", "source MX", "source 10.0.0.0/8", "destination [ 192.0.2.1 ]",
        "destination 192.0.2.2", "service smtp", "action allow"))
    chains = parse_text(text, "t.set", "panos-set").chains.values()
    (rule,) = next(c for c in chains if c.name == "a -> b").rules
    assert rule.match.sources == AddressSet.parse(["192.0.2.10", "10.0.0.0/8"])
    assert rule.match.destinations == AddressSet.parse(["192.0.2.1", "192.0.2.2"])
