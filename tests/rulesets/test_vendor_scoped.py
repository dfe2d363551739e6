"""Vendor parsers with a scoped parse (entries no audited packet can match are left out) audit
exactly like their full parse: same rows, evidence, shadows and findings, on random configs and
random inbound and outbound flows. Bad input is still refused in entries that are left out."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.scoped import ASA_HEAD as _ASA_HEAD
from _support.scoped import audit_of, audited_flows
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_ruleset, audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text

_OPERANDS = ("any", "any4", "host 40.92.1.1", "host 192.0.2.10", "host partner-mx",
             "40.107.0.0 255.255.0.0", "192.0.2.0 255.255.255.0", "192.0.2.0/24",
             "object-group EOP", "object MX", "object FQDN", "object-group MISSING",
             "interface outside")
_PROTOCOLS = ("tcp", "udp", "ip", "icmp", "object-group TU", "object-group SMTPS", "6")
_PORTS = ("", " eq 25", " eq smtp", " eq 443", " range 20 30", " gt 1000", " neq 25", " lt 100",
          " object-group WEB", " eq 22", " eq 1500", " eq 0080", " eq 65535")
_TRAILERS = ("", " log", " log 7 interval 30", " inactive", " time-range WORK")


@st.composite
def _asa(draw: st.DrawFn) -> str:
    names = draw(st.booleans())  # without `name` lines, entries are left out as they are read
    lines = [_ASA_HEAD if names else _ASA_HEAD.replace("name 10.5.5.5 partner-mx\n", "")]
    operands = _OPERANDS if names else tuple(o for o in _OPERANDS if "partner-mx" not in o)
    for _ in range(draw(st.integers(1, 10))):
        protocol = draw(st.sampled_from(_PROTOCOLS))
        ported = protocol in ("tcp", "udp", "6", "object-group TU")
        src_port = draw(st.sampled_from(_PORTS[:3])) if ported and draw(st.integers(0, 4)) == 0 else ""
        dst_port = draw(st.sampled_from(_PORTS)) if ported else ""
        lines.append(f"access-list {draw(st.sampled_from(('OUT', 'GLOBAL')))} extended "
                     f"{draw(st.sampled_from(('permit', 'deny')))} {protocol} "
                     f"{draw(st.sampled_from(operands))}{src_port} {draw(st.sampled_from(operands))}"
                     f"{dst_port}{draw(st.sampled_from(_TRAILERS))}\n")
    lines.append("access-group OUT in interface outside\n")
    if draw(st.booleans()):
        lines.append("access-group GLOBAL global\n")
    return "".join(lines)


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_asa(), audited_flows())
def test_asa_scoped_parse_audits_like_a_full_parse(text: str, flows: list[Flow]) -> None:
    assert audit_of(text, "asa", flows, True) == audit_of(text, "asa", flows, False), text


_ASA_COMMON = ("any", "host 40.92.1.1", "host 192.0.2.10", "40.107.0.0 255.255.0.0", "192.0.2.0/24",
               "object-group EOP", "object MX", "object FQDN", "object-group MISSING", "object-group WEB",
               "interface outside", "host 300.1.1.1")


@st.composite
def _asa_common(draw: st.DrawFn) -> str:
    """ACEs of the common form (`permit|deny PROTO SRC DST [eq P]`, which `FAST_ACE` reads) with
    numeric and named ports, literal and object operands, and no `name` lines: the entries a
    scoped parse leaves out as it reads them, or once their objects resolve."""
    lines = [_ASA_HEAD.replace("name 10.5.5.5 partner-mx\n", "")]
    for _ in range(draw(st.integers(1, 8))):
        port = draw(st.sampled_from(("", " eq 25", " eq 443", " eq 80", " eq 1500", " eq 22", " eq 0025",
                                     " eq smtp", " eq 99999")))
        lines.append(f"access-list OUT extended {draw(st.sampled_from(('permit', 'deny')))} "
                     f"{draw(st.sampled_from(('tcp', 'udp', 'ip', '6')))} "
                     f"{draw(st.sampled_from(_ASA_COMMON))} "
                     f"{draw(st.sampled_from(_ASA_COMMON))}{port}\n")
    return "".join([*lines, "access-group OUT in interface outside\n"])


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_asa_common(), audited_flows())
def test_asa_entries_left_out_as_read_audit_like_a_full_parse(text: str, flows: list[Flow]) -> None:
    try:
        full = audit_of(text, "asa", flows, False)
    except InputError as exc:  # a bad address or port: the scoped parse refuses it on the same line
        with pytest.raises(InputError) as caught:
            audit_of(text, "asa", flows, True)
        assert (caught.value.line, str(caught.value)) == (exc.line, str(exc))
        return
    assert audit_of(text, "asa", flows, True) == full, text


_ASA_FIXED = """ASA Version 9.18(2)
access-list OUT extended permit udp any host 192.0.2.10 eq 53
access-list OUT extended permit tcp any host 192.0.2.10 eq 22
access-list OUT extended permit tcp 40.92.0.0 255.254.0.0 host 192.0.2.10 eq smtp
access-list OUT extended permit ip host 10.9.9.9 any
access-group OUT in interface outside
"""
_SMTP = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
             AddressSet.parse(["192.0.2.10"]), "test")


def test_asa_scoped_parse_leaves_out_other_protocols_and_ports() -> None:
    ruleset = parse_text(_ASA_FIXED, "t.cfg", "asa", audit_scope([_SMTP]))
    assert ruleset.omitted == 2
    (chain,) = (c for c in ruleset.chains.values() if c.name == "OUT")
    assert [r.origin.line for r in chain.rules] == [4, 5]
    (row,) = audit_ruleset(ruleset, [_SMTP]).flows
    assert row.allowed == _SMTP.sources


@pytest.mark.parametrize("bad", ["any host 192.0.2.300 eq 22", "any 10.0.0.0 255.0.255.0 eq 22",
                                 "any 10.0.0.0/33 eq 22", "host 10.1.1.1 any eq nosuchport",
                                 "any any eq 22 bogus", "object-group EMPTY any eq 22"])
def test_asa_scoped_parse_still_refuses_bad_entries_it_leaves_out(bad: str) -> None:
    text = _ASA_FIXED.replace("any host 192.0.2.10 eq 22", bad).replace(
        "ASA Version 9.18(2)\n", "ASA Version 9.18(2)\nobject-group service EMPTY tcp\n")
    for scope in (None, audit_scope([_SMTP])):
        with pytest.raises(InputError) as caught:
            parse_text(text, "t.cfg", "asa", scope)
        assert caught.value.line == 4


_PAN_OBJECTS = """set zone a network layer3 ethernet1/1
set zone b network layer3 ethernet1/2
set address MX ip-netmask 192.0.2.10
set address EOP ip-netmask 40.92.0.0/15
set address FQDN fqdn relay.example
set address-group EOPS static [ EOP 40.107.0.0/16 ]
set address-group DYN dynamic filter "'tag'"
set service smtp protocol tcp port 25
set service web protocol tcp port 443,80
set service dns protocol udp port 53
set service high protocol tcp port 1000-2000
set service-group mail members [ smtp web ]
"""
_PAN_ADDRESSES = ("any", "MX", "EOP", "EOPS", "FQDN", "DYN", "192.0.2.0/24", "40.92.1.1", "NOPE")
_PAN_SERVICES = ("any", "application-default", "smtp", "web", "dns", "high", "mail", "service-https",
                 "missing", "[ smtp dns ]")
_PAN_APPS = ("any", "smtp", "ssl", "web-browsing", "dns", "[ smtp ssl ]", "bittorrent")


@st.composite
def _panos(draw: st.DrawFn) -> str:
    lines = [_PAN_OBJECTS]
    for i in range(draw(st.integers(1, 10))):
        extra = draw(st.sampled_from(("", " negate-source yes", " negate-destination yes",
                                      " disabled yes", " source-user bob", " rule-type interzone")))
        lines.append(f"set rulebase security rules r{i} from {draw(st.sampled_from(('a', 'b', 'any')))} "
                     f"to {draw(st.sampled_from(('a', 'b', 'any')))} "
                     f"source {draw(st.sampled_from(_PAN_ADDRESSES))} "
                     f"destination {draw(st.sampled_from(_PAN_ADDRESSES))} "
                     f"application {draw(st.sampled_from(_PAN_APPS))} "
                     f"service {draw(st.sampled_from(_PAN_SERVICES))} "
                     f"action {draw(st.sampled_from(('allow', 'deny', 'drop', 'reset-both')))}{extra}\n")
    return "".join(lines)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_panos(), audited_flows())
def test_panos_set_scoped_parse_audits_like_a_full_parse(text: str, flows: list[Flow]) -> None:
    assert audit_of(text, "panos-set", flows, True) == audit_of(text, "panos-set", flows, False), text


_PAN_XML_OBJECTS = """<config><devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">
<zone><entry name="a"/><entry name="b"/></zone>
<address><entry name="MX"><ip-netmask>192.0.2.10</ip-netmask></entry>
<entry name="EOP"><ip-netmask>40.92.0.0/15</ip-netmask></entry>
<entry name="FQDN"><fqdn>relay.example</fqdn></entry></address>
<address-group><entry name="EOPS"><static><member>EOP</member><member>40.107.0.0/16</member></static></entry>
<entry name="DYN"><dynamic><filter>'tag'</filter></dynamic></entry></address-group>
<service><entry name="smtp"><protocol><tcp><port>25</port></tcp></protocol></entry>
<entry name="web"><protocol><tcp><port>443,80</port></tcp></protocol></entry>
<entry name="dns"><protocol><udp><port>53</port></udp></protocol></entry>
<entry name="high"><protocol><tcp><port>1000-2000</port></tcp></protocol></entry></service>
<service-group><entry name="mail"><members><member>smtp</member><member>web</member></members></entry>
</service-group>
<rulebase><security><rules>
"""


def _xml_members(draw: st.DrawFn, tag: str, names: tuple[str, ...]) -> str:
    """`<tag>` with one to two members, a bare text, or nothing (the rule's default: any)."""
    form = draw(st.integers(0, 5))
    if form == 0:
        return ""
    if form == 1:
        return f"<{tag}>{draw(st.sampled_from(names))}</{tag}>"
    members = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2))
    return f"<{tag}>{''.join(f'<member>{m}</member>' for m in members)}</{tag}>"


@st.composite
def _panos_xml(draw: st.DrawFn) -> str:
    apps = tuple(a for a in _PAN_APPS if not a.startswith("["))
    services = tuple(a for a in _PAN_SERVICES if not a.startswith("["))
    rules = []
    for i in range(draw(st.integers(1, 8))):
        fields = [_xml_members(draw, "from", ("a", "b", "any")), _xml_members(draw, "to", ("a", "b", "any")),
                  _xml_members(draw, "source", _PAN_ADDRESSES),
                  _xml_members(draw, "destination", _PAN_ADDRESSES),
                  _xml_members(draw, "application", apps), _xml_members(draw, "service", services),
                  f"<action>{draw(st.sampled_from(('allow', 'deny', 'drop', 'reset-both')))}</action>"]
        fields += draw(st.lists(st.sampled_from((
            "<negate-source>yes</negate-source>", "<negate-destination>yes</negate-destination>",
            "<disabled>yes</disabled>", "<disabled>no</disabled>",
            "<source-user><member>bob</member></source-user>",
            "<rule-type>interzone</rule-type>", "<service><member>smtp</member></service>",
            "<tag><member>x</member></tag>")), max_size=2))
        rules.append(f'<entry name="r{i}">{"".join(draw(st.permutations(fields)))}</entry>\n')
    return (_PAN_XML_OBJECTS + "".join(rules) + "</rules></security></rulebase></entry></vsys></entry>"
            "</devices></config>\n")


@settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_panos_xml(), audited_flows())
def test_panos_xml_scoped_parse_audits_like_a_full_parse(text: str, flows: list[Flow]) -> None:
    assert audit_of(text, "panos", flows, True) == audit_of(text, "panos", flows, False), text


_PAN_XML = """<config><devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">
<zone><entry name="a"/><entry name="b"/></zone>
<address><entry name="MX"><ip-netmask>192.0.2.10</ip-netmask></entry></address>
<service><entry name="dns"><protocol><udp><port>53</port></udp></protocol></entry></service>
<rulebase><security><rules>
<entry name="dns"><from><member>a</member></from><to><member>b</member></to>
<source><member>any</member></source><destination><member>MX</member></destination>
<application><member>any</member></application><service><member>dns</member></service>
<action>allow</action></entry>
<entry name="smtp"><from><member>a</member></from><to><member>b</member></to>
<source><member>40.92.0.0/15</member></source><destination><member>MX</member></destination>
<application><member>smtp</member></application><service><member>application-default</member></service>
<action>allow</action></entry>
</rules></security></rulebase></entry></vsys></entry></devices></config>
"""


def test_panos_scoped_parse_leaves_out_other_services() -> None:
    for text, fmt in ((_PAN_XML, "panos"), (_PAN_OBJECTS + "set rulebase security rules dns from a to b "
                      "source any destination MX application any service dns action allow\n"
                      "set rulebase security rules smtp from a to b source 40.92.0.0/15 destination MX "
                      "application smtp service application-default action allow\n", "panos-set")):
        ruleset = parse_text(text, "t.cfg", fmt, audit_scope([_SMTP]))
        assert ruleset.omitted == 1
        chain = next(c for c in ruleset.chains.values() if c.name == "a -> b")
        (rule,) = chain.rules
        assert "smtp" in rule.origin.raw
        assert audit_of(text, fmt, [_SMTP], True) == audit_of(text, fmt, [_SMTP], False)
        (row,) = audit_ruleset(ruleset, [_SMTP], entry="a -> b").flows
        assert row.allowed == _SMTP.sources
