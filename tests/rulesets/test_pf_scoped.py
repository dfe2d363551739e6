"""pfSense and OPNsense scoped parse (rules none of whose protocol/ports an audited packet has
are left out): on random configurations and random inbound and outbound flows it audits
exactly like the full parse (rows, evidence, shadows, findings), and an input error (an alias
loop) is raised at the same rule either way, also when that rule is left out."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.scoped import audit_of, audited_flows
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text

_ALIASES = """<aliases>
<alias><name>EOP</name><type>network</type><address>40.92.0.0/15 INNER</address></alias>
<alias><name>INNER</name><type>host</type><address>40.107.1.1</address></alias>
<alias><name>MX</name><type>host</type><address>192.0.2.10</address></alias>
<alias><name>FQDN</name><type>host</type><address>relay.example</address></alias>
<alias><name>DROP</name><type>urltable</type><url>https://example.invalid/drop.txt</url></alias>
<alias><name>MAIL</name><type>port</type><address>25 587</address></alias>
<alias><name>WEB</name><type>port</type><address>80 443:444</address></alias>
<alias><name>NAMED</name><type>port</type><address>smtp</address></alias>
<alias><name>LOOP</name><type>host</type><address>LOOP2</address></alias>
<alias><name>LOOP2</name><type>network</type><address>LOOP</address></alias>
<alias><name>PLOOP</name><type>port</type><address>PLOOP</address></alias>
</aliases>
"""
_INTERFACES = """<interfaces>
<wan><if>igb0</if><ipaddr>dhcp</ipaddr><enable/></wan>
<lan><if>igb1</if><ipaddr>192.0.2.1</ipaddr><subnet>24</subnet><enable/></lan>
<opt1><if>igb2</if><ipaddr>198.51.100.1</ipaddr><subnet>24</subnet></opt1>
</interfaces>
<ifgroups><ifgroupentry><ifname>EDGE</ifname><members>wan opt1</members></ifgroupentry></ifgroups>
"""
_ADDRESSES = ("EOP", "EOP", "MX", "MX", "FQDN", "DROP", "NOPE", "192.0.2.0/24", "40.92.1.1", "192.0.2.10")
_PORTS = ("25", "25", "443", "80", "25:443", "1000-2000", "1500", "MAIL", "WEB", "NAMED", "NOPE")
_PROTOCOLS = ("tcp", "udp", "tcp/udp", "icmp", "any", None)


@st.composite
def _side(draw: st.DrawFn, tag: str) -> str:
    kind = draw(st.sampled_from(("any", "address", "address", "network", "missing")))
    if kind == "missing":
        return ""
    address = "LOOP" if draw(st.integers(0, 60)) == 0 else draw(st.sampled_from(_ADDRESSES))  # rarely
    inner = {"any": "<any/>", "network": f"<network>{draw(st.sampled_from(('lan', 'wanip', 'opt1')))}"
             "</network>"}.get(kind, f"<address>{address}</address>")
    if draw(st.integers(0, 5)) == 0:
        inner += "<not/>"
    if tag == "destination" and draw(st.integers(0, 4)) > 0:
        port = "PLOOP" if draw(st.integers(0, 60)) == 0 else draw(st.sampled_from(_PORTS))  # rarely
        inner += f"<port>{port}</port>"
    if tag == "source" and draw(st.integers(0, 6)) == 0:
        inner += "<port>1024</port>"
    return f"<{tag}>{inner}</{tag}>"


@st.composite
def _rule(draw: st.DrawFn, fmt: str) -> str:
    parts = [f"<type>{draw(st.sampled_from(('pass', 'pass', 'block', 'reject', 'match')))}</type>"]
    floating = draw(st.integers(0, 4)) == 0
    interfaces = ("wan", "lan", "opt1", "opt2", "EDGE", "wan,lan")
    parts.append(f"<interface>{draw(st.sampled_from(interfaces))}</interface>")
    if floating:
        parts.append("<floating>yes</floating>")
        parts.append(f"<direction>{draw(st.sampled_from(('in', 'out', 'any')))}</direction>")
    quick = draw(st.sampled_from(("", "<quick>yes</quick>", "<quick>1</quick>", "<quick>0</quick>")))
    parts.append(quick)
    family = draw(st.sampled_from(("inet", "inet6", "inet46", None)))
    if family:
        parts.append(f"<ipprotocol>{family}</ipprotocol>")
    protocol = draw(st.sampled_from(_PROTOCOLS))
    if protocol:
        parts.append(f"<protocol>{protocol}</protocol>")
    parts += [draw(_side("source")), draw(_side("destination"))]
    extra = draw(st.sampled_from(("", "", "", "<disabled/>", "<sched>work</sched>", "<descr>r</descr>")))
    return f"<rule>{''.join(parts)}{extra}</rule>"


@st.composite
def _mvc_rule(draw: st.DrawFn) -> str:
    """An OPNsense automation (MVC) filter rule."""
    fields = {"enabled": draw(st.sampled_from(("1", "1", "0"))), "sequence": str(draw(st.integers(1, 9))),
              "action": draw(st.sampled_from(("pass", "block"))), "quick": draw(st.sampled_from(("1", "0"))),
              "interface": draw(st.sampled_from(("wan", "lan", ""))), "direction": "in",
              "ipprotocol": "inet", "protocol": draw(st.sampled_from(("TCP", "UDP", "any"))),
              "source_net": draw(st.sampled_from(("any", "EOP", "DROP"))), "source_not": "0",
              "destination_net": draw(st.sampled_from(("any", "MX", "lan", "LOOP"))),
              "destination_not": draw(st.sampled_from(("0", "1"))),
              "destination_port": draw(st.sampled_from(("", "25", "443", "1500", "WEB", "PLOOP")))}
    return "<rule>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</rule>"


@st.composite
def _config(draw: st.DrawFn, fmt: str) -> str:
    rules = draw(st.lists(_rule(fmt), min_size=1, max_size=10))
    mvc = ""
    if fmt == "opnsense" and draw(st.booleans()):
        mvc = ("<OPNsense><Firewall><Filter><rules>" + "".join(draw(st.lists(_mvc_rule(), max_size=4)))
               + "</rules></Filter></Firewall></OPNsense>")
    return (f"<?xml version=\"1.0\"?>\n<{fmt}>\n{_INTERFACES}{_ALIASES}{mvc}<filter>\n"
            + "\n".join(rules) + f"\n</filter>\n</{fmt}>\n")


def _outcome(text: str, fmt: str, flows: list[Flow], scoped: bool) -> tuple[Any, ...]:
    """The audit of the scoped or full parse, or the input error it raised (message, line)."""
    try:
        return audit_of(text, fmt, flows, scoped)
    except InputError as exc:
        return ("error", str(exc), exc.line)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(("pfsense", "opnsense")).flatmap(lambda fmt: st.tuples(st.just(fmt), _config(fmt))),
       audited_flows())
def test_pf_scoped_parse_audits_like_a_full_parse(case: tuple[str, str], flows: list[Flow]) -> None:
    fmt, text = case
    assert _outcome(text, fmt, flows, True) == _outcome(text, fmt, flows, False), text


_SMTP_ONLY = """<{fmt}>
<interfaces><wan><if>igb0</if></wan></interfaces>
{aliases}<filter>
<rule><type>pass</type><interface>wan</interface><protocol>udp</protocol><source><any/></source>
<destination><address>MX</address><port>53</port></destination></rule>
<rule><type>pass</type><interface>wan</interface><protocol>tcp</protocol><source><address>{src}</address></source>
<destination><address>MX</address><port>22</port></destination></rule>
<rule><type>pass</type><interface>wan</interface><protocol>tcp</protocol><source><address>EOP</address></source>
<destination><address>MX</address><port>MAIL</port></destination></rule>
<rule><type>block</type><interface>wan</interface><protocol>tcp</protocol><source><any/></source>
<destination><any/><port>{port}</port></destination></rule>
</filter>
</{fmt}>
"""


_SMTP = [Flow("in", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
              AddressSet.parse(["192.0.2.10"]), "test")]


@pytest.mark.parametrize("fmt", ["pfsense", "opnsense"])
def test_scoped_parse_leaves_out_other_protocols_and_ports(fmt: str) -> None:
    text = _SMTP_ONLY.format(fmt=fmt, aliases=_ALIASES, src="any", port="1000")
    ruleset = parse_text(text, "t.xml", fmt, audit_scope(_SMTP))
    assert ruleset.omitted == 3
    (chain,) = (c for c in ruleset.chains.values() if c.name == "wan")
    mail = next(n for n, line in enumerate(text.splitlines(), 1) if "<address>EOP</address></source>" in line)
    assert chain.rules and {r.origin.line for r in chain.rules} == {mail}
    assert audit_of(text, fmt, _SMTP, True) == audit_of(text, fmt, _SMTP, False)
    (row,) = (r for r in audit_of(text, fmt, _SMTP, True)[0]["flows"] if r["entry"] == "wan")
    assert row["allowed"] == ["40.92.0.0/15"]


@pytest.mark.parametrize("fmt", ["pfsense", "opnsense"])
@pytest.mark.parametrize(("src", "port"), [("LOOP", "1000"), ("any", "PLOOP")])
def test_scoped_parse_still_refuses_an_alias_loop_in_a_rule_it_leaves_out(fmt: str, src: str,
                                                                          port: str) -> None:
    text = _SMTP_ONLY.format(fmt=fmt, aliases=_ALIASES, src=src, port=port)
    errors = []
    for scope in (None, audit_scope(_SMTP)):
        with pytest.raises(InputError, match="nests too deep") as caught:
            parse_text(text, "t.xml", fmt, scope)
        errors.append((str(caught.value), caught.value.line))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("fmt", ["pfsense", "opnsense"])
def test_scoped_parse_raises_a_rules_address_loop_before_its_port_loop(fmt: str) -> None:
    """The scoped parse reads a rule's service before its sides (to leave it out early); when
    both fail, the address error still comes first, as in the full parse."""
    text = (f"<{fmt}><interfaces><wan><if>igb0</if></wan></interfaces>{_ALIASES}<filter>\n"
            "<rule><type>pass</type><interface>wan</interface><protocol>tcp</protocol><source>"
            "<address>LOOP</address></source><destination><any/><port>PLOOP</port></destination></rule>\n"
            f"</filter></{fmt}>\n")
    errors = []
    for scope in (None, audit_scope(_SMTP)):
        with pytest.raises(InputError, match="nests too deep") as caught:
            parse_text(text, "t.xml", fmt, scope)
        errors.append((str(caught.value), caught.value.line))
    assert errors[0] == errors[1] and "'LOOP" in errors[0][0], errors
