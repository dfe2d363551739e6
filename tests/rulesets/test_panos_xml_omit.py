"""PAN-OS XML scoped parse: rules left out unread (`_panos_xml_omit.RuleFilter`: only their
service and disabled children looked at) give exactly the scoped parse that reads every rule
(the reference: the same parse with the filter switched off): rulesets, findings, omitted
count, or the same error. Random vsys and Panorama configs mix left-out rules with what they
must not hide: disabled rules, undeclared or oddly written zones, more zones than pairs allow,
address groups nesting near the limit, application-default, any, undefined services."""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.scoped import audited_flows
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import panos_xml
from hybridfw.rulesets._panos_xml_omit import RuleFilter
from hybridfw.rulesets.scope import Scope

_OBJECTS = """<address><entry name="MX"><ip-netmask>192.0.2.10</ip-netmask></entry>
<entry name="EOP"><ip-netmask>40.92.0.0/15</ip-netmask></entry></address>
<address-group>{groups}</address-group>
<service><entry name="smtp"><protocol><tcp><port>25</port></tcp></protocol></entry>
<entry name="web"><protocol><tcp><port>443,80</port></tcp></protocol></entry>
<entry name="dns"><protocol><udp><port>53</port></udp></protocol></entry>
<entry name="p1500"><protocol><tcp><port>1500</port></tcp></protocol></entry>
<entry name="p7000"><protocol><tcp><port>7000</port></tcp></protocol></entry>
<entry name="p8000"><protocol><tcp><port>8000-8010</port></tcp></protocol></entry>
<entry name="u9000"><protocol><udp><port>9000</port></udp></protocol></entry>
<entry name="application-default"><protocol><tcp><port>7000</port></tcp></protocol></entry></service>
<service-group><entry name="cold"><members><member>p7000</member><member>p8000</member></members></entry>
<entry name="mail"><members><member>smtp</member><member>web</member></members></entry></service-group>
"""
_SERVICES = ("p7000", "p8000", "u9000", "cold", "p7000", "cold", "any", "application-default", "smtp",
             "web", "dns", "p1500", "mail", "missing", "service-https", "service-http")
_ZONES = ("a", "b", "any", "a", "b", "c", "x")
_ADDRESSES = ("any", "MX", "EOP", "G0", "G2", "40.92.1.1")


def _groups(depth: int) -> str:
    """G0 .. G{depth}, each holding the next (the last an address)."""
    return "".join(f'<entry name="G{i}"><static><member>{f"G{i + 1}" if i < depth else "EOP"}</member>'
                   "</static></entry>" for i in range(depth + 1))


def _members(draw: st.DrawFn, tag: str, names: tuple[str, ...]) -> str:
    form = draw(st.integers(0, 9))
    name = draw(st.sampled_from(names))
    odd = {0: "", 1: f"<{tag}>{name}</{tag}>", 2: f"<{tag}>\n  <member> {name} </member>\n</{tag}>",
           3: f"<{tag}><member>{name}<i/></member></{tag}>",
           4: f"<{tag}><member>{name}</member><x>b</x></{tag}>", 5: f"<{tag}/>"}
    if form in odd:
        return odd[form]
    members = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2))
    return f"<{tag}>{''.join(f'<member>{m}</member>' for m in members)}</{tag}>"


@st.composite
def _rules(draw: st.DrawFn, prefix: str) -> str:
    out = []
    for i in range(draw(st.integers(0, 5))):
        fields = [_members(draw, "from", _ZONES), _members(draw, "to", _ZONES),
                  _members(draw, "source", _ADDRESSES), _members(draw, "destination", _ADDRESSES),
                  _members(draw, "application", ("any", "smtp", "ssl", "bittorrent")),
                  _members(draw, "service", _SERVICES), "<action>allow</action>"]
        fields += draw(st.lists(st.sampled_from((
            "<disabled>yes</disabled>", "<disabled>no</disabled>", "<disabled> yes </disabled>",
            "<service><member>smtp</member></service>", "<negate-source>yes</negate-source>",
            "<rule-type>interzone</rule-type>", "<source-user><member>bob</member></source-user>")),
            max_size=2))
        out.append(f'<entry name="{prefix}{i}">{"".join(draw(st.permutations(fields)))}</entry>\n')
    return f"<security><rules>{''.join(out)}</rules></security>"


@st.composite
def _config(draw: st.DrawFn) -> str:
    objects = _OBJECTS.format(groups=_groups(draw(st.sampled_from((2, 29, 30, 31, 32)))))
    zones = draw(st.sampled_from(("a b", "a b c", "", " ".join(f"z{i}" for i in range(21)) + " a b")))
    zone = "<zone>" + "".join(f'<entry name="{z}"/>' for z in zones.split()) + "</zone>"
    if draw(st.booleans()):  # a firewall's vsys
        return ('<config><devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">'
                f"{zone}{objects}<rulebase>{draw(_rules('r'))}</rulebase>"
                "</entry></vsys></entry></devices></config>\n")
    shared = draw(st.sampled_from((objects, "")))  # Panorama: shared and device-group rulebases
    return (f"<config><shared>{shared}<pre-rulebase>{draw(_rules('sp'))}</pre-rulebase>"
            f"<post-rulebase>{draw(_rules('sq'))}</post-rulebase></shared>"
            '<devices><entry name="localhost.localdomain"><device-group><entry name="DG">'
            f"{zone}{objects if not shared else ''}<pre-rulebase>{draw(_rules('p'))}</pre-rulebase>"
            f"<post-rulebase>{draw(_rules('q'))}</post-rulebase></entry></device-group></entry></devices>"
            "</config>\n")


def _parsed(text: str, scope: Scope) -> Any:
    try:
        r = panos_xml.PanosXmlParser().parse_scoped(text, "t.xml", scope)
    except InputError as exc:
        return ("error", str(exc), exc.line)
    return (r.chains, r.entries, r.findings, r.omitted)


def _reference(text: str, scope: Scope) -> Any:
    with mock.patch.object(RuleFilter, "usable", staticmethod(lambda config, scope: False)):
        return _parsed(text, scope)


@settings(max_examples=examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_config(), audited_flows())
def test_rules_left_out_unread_parse_as_rules_read(text: str, flows: list[Flow]) -> None:
    scope = audit_scope(flows)
    assert _parsed(text, scope) == _reference(text, scope), text


def test_rules_left_out_unread_are_counted() -> None:
    rules = "".join(f'<entry name="r{i}"><from><member>a</member></from><to><member>b</member></to>'
                    f"<service><member>{svc}</member></service><action>allow</action></entry>"
                    for i, svc in enumerate(("p7000", "cold", "smtp", "application-default", "u9000")))
    text = ('<config><devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">'
            '<zone><entry name="a"/><entry name="b"/></zone>' + _OBJECTS.format(groups=_groups(2)) +
            f"<rulebase><security><rules>{rules}</rules></security></rulebase>"
            "</entry></vsys></entry></devices></config>\n")
    scope = audit_scope([Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                              AddressSet.parse(["192.0.2.10"]), "test")])
    config, left_out = panos_xml.read_panos_xml(text, "t.xml", scope)
    # p7000, cold, u9000: no audited packet has their ports; application-default names the
    # applications' own ports, never a service object of that name
    assert left_out == 3
    assert [r.name for r in config.scopes["vsys1"].rules] == ["r2", "r3"]
    assert _parsed(text, scope) == _reference(text, scope)
    assert _parsed(text, scope)[-1] == 3
