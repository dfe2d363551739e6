"""FortiGate scoped parse (policies none of whose services an audited packet has are left out):
on random configurations (addresses, address6, nested and excluding groups, custom services and
service groups, VIPs, negation, disabled policies, schedules, Internet Service, local-in
policies, a policy6 table) and random flows it audits exactly like the full parse, and an input
error (a group loop) is raised the same way, also when the policy naming it is left out."""

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

_OBJECTS = """config firewall address
    edit "EOP"
        set subnet 40.92.0.0 255.254.0.0
    next
    edit "MX"
        set subnet 192.0.2.10 255.255.255.255
    next
    edit "RANGE"
        set type iprange
        set start-ip 40.107.0.1
        set end-ip 40.107.0.200
    next
    edit "FQDN"
        set type fqdn
        set fqdn "relay.example"
    next
end
config firewall address6
    edit "V6"
        set ip6 2001:db8::/32
    next
end
config firewall addrgrp
    edit "G1"
        set member "EOP" "RANGE"
    next
    edit "G2"
        set member "G1" "MX"
    next
    edit "EXCL"
        set member "G2"
        set exclude enable
        set exclude-member "RANGE"
    next
{loop}end
config firewall service custom
    edit "SMTP-C"
        set tcp-portrange 25
    next
    edit "WEB"
        set tcp-portrange 80 443
    next
    edit "HIGH"
        set tcp-portrange 1000-2000
    next
    edit "UDP53"
        set udp-portrange 53
    next
    edit "SRCP"
        set tcp-portrange 25:1024
    next
    edit "PING"
        set protocol ICMP
    next
    edit "IPANY"
        set protocol IP
    next
end
config firewall service group
    edit "MAILWEB"
        set member "SMTP-C" "WEB"
    next
    edit "NESTED"
        set member "MAILWEB" "HIGH"
    next
{service_loop}end
"""
_LOOP = ('    edit "LOOP"\n        set member "LOOP2"\n    next\n'
         '    edit "LOOP2"\n        set member "LOOP"\n    next\n')
_SERVICE_LOOP = '    edit "SLOOP"\n        set member "SLOOP"\n    next\n'
_VIP = """config firewall vip
    edit "VIP1"
        set extip 203.0.113.10
        set mappedip "192.0.2.10"
{forward}    next
end
"""
_INTERFACE = """config system interface
    edit "port1"
        set ip 198.51.100.1 255.255.255.0
    next
end
"""
_ADDRESSES = ("all", "all", "EOP", "MX", "RANGE", "FQDN", "G1", "G2", "EXCL", "VIP1", "NOPE", "none")
_SERVICES = ("ALL", "SMTP", "HTTPS", "DNS", "SMTP-C", "WEB", "HIGH", "UDP53", "SRCP", "PING", "IPANY",
             "MAILWEB", "NESTED", "NOPE")


def _names(draw: st.DrawFn, pool: tuple[str, ...]) -> str:
    return " ".join(f'"{n}"' for n in draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3)))


@st.composite
def _policy(draw: st.DrawFn, number: int, loops: bool) -> str:
    lines = [f"    edit {number}"]
    add = lines.append
    add(f'        set srcintf {_names(draw, ("port1", "port2", "any", "zoneA"))}')
    add(f'        set dstintf {_names(draw, ("port1", "port2", "any"))}')
    addresses = _ADDRESSES + (("LOOP",) if loops and draw(st.integers(0, 8)) == 0 else ())
    add(f"        set srcaddr {_names(draw, addresses)}")
    add(f"        set dstaddr {_names(draw, addresses)}")
    if draw(st.integers(0, 3)) == 0:
        add(f'        set srcaddr6 {_names(draw, ("all", "V6"))}')
        add(f'        set dstaddr6 {_names(draw, ("all", "V6", "MX"))}')
    for key in ("srcaddr-negate", "dstaddr-negate", "service-negate", "match-vip"):
        if draw(st.integers(0, 7)) == 0:
            add(f"        set {key} enable")
    add(f"        set action {draw(st.sampled_from(('accept', 'accept', 'deny', 'ipsec')))}")
    extra = draw(st.sampled_from(("", "", "", "status", "schedule", "isdb", "users")))
    if extra == "status":
        add("        set status disable")
    elif extra == "schedule":
        add('        set schedule "workhours"')
    elif extra == "isdb":
        add("        set internet-service enable")
        add('        set internet-service-name "Microsoft-Outlook"')
    elif extra == "users":
        add('        set groups "staff"')
    services = _SERVICES + (("SLOOP",) if loops and draw(st.integers(0, 8)) == 0 else ())
    if extra != "isdb":
        add(f"        set service {_names(draw, services)}")
    if draw(st.integers(0, 5)) == 0:  # read by the line reader, not the fast one
        add(f'        append service "{draw(st.sampled_from(services))}"')
    add("    next")
    return "\n".join(lines)


@st.composite
def _config(draw: st.DrawFn) -> str:
    loops = draw(st.integers(0, 5)) == 0
    parts = ["#config-version=FG600F-7.4.3-FW",
             _OBJECTS.format(loop=_LOOP if loops else "", service_loop=_SERVICE_LOOP if loops else "")]
    if draw(st.booleans()):
        forward = "        set portforward enable\n        set extport 25\n" if draw(st.booleans()) else ""
        parts.append(_VIP.format(forward=forward))
    if draw(st.booleans()):
        parts.append(_INTERFACE)
    if draw(st.booleans()):
        local = [draw(_policy(n, loops)).replace("srcintf", "intf")
                 for n in range(1, draw(st.integers(1, 2)) + 1)]
        parts.append("config firewall local-in-policy\n" + "\n".join(local) + "\nend")
    count = draw(st.integers(1, 8))
    policies = [draw(_policy(n, loops)) for n in range(1, count + 1)]
    parts.append("config firewall policy\n" + "\n".join(policies) + "\nend")
    if count > 1 and draw(st.integers(0, 3)) == 0:
        parts.append(f"config firewall policy\n    move {count} before 1\nend")
    if draw(st.integers(0, 4)) == 0:
        parts.append("config firewall policy6\n" + draw(_policy(50, loops)).replace("addr6", "addr")
                     + "\nend")
    return "\n".join(parts) + "\n"


def _outcome(text: str, flows: list[Flow], scoped: bool) -> tuple[Any, ...]:
    """The audit of the scoped or full parse, or the input error it raised (message, line)."""
    try:
        return audit_of(text, "fortigate", flows, scoped)
    except InputError as exc:
        return ("error", str(exc), exc.line)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), audited_flows())
def test_fortigate_scoped_parse_audits_like_a_full_parse(text: str, flows: list[Flow]) -> None:
    assert _outcome(text, flows, True) == _outcome(text, flows, False), text


_SMTP = [Flow("in", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
              AddressSet.parse(["192.0.2.10"]), "test")]


def _fixed(src: str = '"all"', service: str = '"HIGH"') -> str:
    policies = [("port1", src, "UDP53", "accept"), ("port1", '"all"', '"WEB"', "accept"),
                ("port1", '"EOP"', '"MAILWEB"', "accept"), ("port1", '"all"', service, "deny")]
    body = "".join(f'    edit {n}\n        set srcintf "{i}"\n        set dstintf "port2"\n'
                   f'        set srcaddr {s}\n        set dstaddr "MX"\n        set action {a}\n'
                   f"        set service {svc}\n    next\n"
                   for n, (i, s, svc, a) in enumerate(policies, 1))
    return (_OBJECTS.format(loop=_LOOP, service_loop=_SERVICE_LOOP)
            + f"config firewall policy\n{body}end\n")


def test_scoped_parse_leaves_out_policies_of_other_services() -> None:
    text = _fixed()
    ruleset = parse_text(text, "t.conf", "fortigate", audit_scope(_SMTP))
    assert ruleset.omitted == 3  # UDP 53, HIGH (1000-2000) and WEB (80, 443): not TCP 25
    kept = {r.origin.line for c in ruleset.chains.values() for r in c.rules}
    assert kept == {text.splitlines().index("    edit 3") + 1}
    assert audit_of(text, "fortigate", _SMTP, True) == audit_of(text, "fortigate", _SMTP, False)
    rows = audit_of(text, "fortigate", _SMTP, True)[0]["flows"]
    (row,) = (r for r in rows if r["entry"] == "port1 -> port2")
    assert row["allowed"] == ["40.92.0.0/15"]


@pytest.mark.parametrize(("src", "service"), [('"LOOP"', '"HIGH"'), ('"all"', '"SLOOP"')])
def test_scoped_parse_still_refuses_a_group_loop_in_a_policy_it_leaves_out(src: str, service: str) -> None:
    text = _fixed(src=src, service=service)
    errors = []
    for scope in (None, audit_scope(_SMTP)):
        with pytest.raises(InputError, match="nests too deep") as caught:
            parse_text(text, "t.conf", "fortigate", scope)
        errors.append((str(caught.value), caught.value.line))
    assert errors[0] == errors[1]
