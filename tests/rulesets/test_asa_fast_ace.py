"""ASA: an ACE that matches the one-pattern fast path parses exactly as the word walk reads it.

The reference is the same config with two spaces after ``access-list``: the words are the same,
but the fast pattern (single spaces) never matches, so every ACE takes the word walk. Rulesets
(full and scoped), findings and errors must be equal, up to that spacing in the quoted lines.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.vendor import parsed_text
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.model import Flow
from hybridfw.rulesets._asa_ace import FAST_ACE
from hybridfw.rulesets.scope import Scope

_HEAD = """ASA Version 9.18(2)
name 10.5.5.5 partner-mx
object-group network EOP
 network-object 40.92.0.0 255.254.0.0
object network MX
 host 192.0.2.10
object-group service WEB tcp
 port-object eq 443
object-group service SMTPS
 service-object tcp destination eq smtp
object-group protocol TU
 protocol-object tcp
 protocol-object udp
"""
# Each part: mostly well-formed spellings, sometimes odd ones (an error ends the parse early)
_PROTOCOLS = (("tcp", "udp", "ip", "icmp", "tcp-udp", "6", "17", "object-group TU"),
              ("TCP", "sctp", "object-group SMTPS", "bogus"))
_OPERANDS = (("any", "any4", "any6", "host 40.92.1.1", "host partner-mx", "40.107.0.0 255.255.0.0",
              "10.0.0.0/8", "2001:db8::/32", "object-group EOP", "object MX", "interface outside",
              "partner-mx 255.255.255.255", "object-group WEB", "fqdn x"),
             ("host 192.0.2.300", "host 2001:db8::1", "10.0.0.0 255.0.255.0", "10.0.0.0/33",
              "object-group MISSING", "user bob", "eq 25", "range 1 2", "any4/x",
              "1.2.3.4 255.255.255.0x"))
_PORTS = (("", " eq 25", " eq smtp", " eq 443", " range 20 30", " gt 1000", " object-group WEB"),
          (" eq nosuch", " eq", " lt 5"))
_TRAILERS = (("", "", " ", "\t", " log", " inactive"), (" time-range W", " echo", " bogus"))
_SMTP = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
             AddressSet.parse(["192.0.2.10"]), "test")
_WEB = Flow("web", "outbound", "tcp", (443,), AddressSet.parse(["192.0.2.10"]),
            AddressSet.parse(["40.92.0.0/15"]), "test")


def _part(draw: st.DrawFn, spellings: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    return draw(st.sampled_from(spellings[draw(st.integers(0, 3)) == 0]))


@st.composite
def _config(draw: st.DrawFn) -> str:
    # without `name` lines, a scoped parse leaves out literal-only ACEs as it reads them
    lines = [_HEAD if draw(st.booleans()) else _HEAD.replace("name 10.5.5.5 partner-mx\n", "")]
    for _ in range(draw(st.integers(1, 3))):
        src_port = _part(draw, _PORTS) if draw(st.integers(0, 5)) == 0 else ""
        verb = draw(st.sampled_from(("permit", "deny", "permit", "Permit")))
        lines.append(f"access-list {draw(st.sampled_from(('OUT', 'OUT', 'line', 'extended')))} extended "
                     f"{verb} {_part(draw, _PROTOCOLS)} "
                     f"{_part(draw, _OPERANDS)}{src_port} {_part(draw, _OPERANDS)}{_part(draw, _PORTS)}"
                     f"{_part(draw, _TRAILERS)}\n")
    lines.append("access-group OUT in interface outside\n")
    return "".join(lines)


def _parsed(text: str, scope: Scope | None) -> str:
    return parsed_text(text, "t.cfg", "asa", scope)


@settings(max_examples=examples(250), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), st.sampled_from((None, audit_scope([_SMTP]), audit_scope([_SMTP, _WEB]))))
def test_fast_ace_parses_like_the_word_walk(text: str, scope: Scope | None) -> None:
    walked = _parsed(text.replace("access-list ", "access-list  "), scope)
    assert _parsed(text, scope) == walked.replace("access-list  ", "access-list "), text


@pytest.mark.parametrize("ace", [
    "permit tcp any eq 25", "permit tcp any eq 25 any", "permit tcp any object-group WEB",
    "permit tcp any object-group WEB eq 25", "permit ip any any eq 25", "permit icmp any any eq 25",
    "permit tcp user bob any any", "permit tcp any user-group g any", "permit tcp any range 1 2",
    "permit tcp host partner-mx any eq 25", "permit tcp object-group TU any any",
    "permit object-group TU any any", "permit tcp any4/x any", "deny ip any any6 ",
    "permit ip any4 any4 any4", "permit ip any any6 any", "permit tcp 10.0.0.0/8 host 10.0.0.1/8 eq 25",
    "permit tcp host 10.1.1.1 10.0.0.0 255.255.255.0 eq 22", "permit udp any4 10.0.0.0/8 eq 53",
    "permit tcp host 10.1.1.1 any eq nosuch", "permit tcp host 10.1.1.1 any eq 22 log",
    "permit ip host 10.1.1.1 any eq 22", "permit tcp host 192.0.2.1 any eq 22"])
@pytest.mark.parametrize("scope", [None, audit_scope([_SMTP])])
@pytest.mark.parametrize("head", [_HEAD, _HEAD.replace("name 10.5.5.5 partner-mx\n", ""),
                                  _HEAD.replace("10.5.5.5 partner-mx", "999.9.9.9 192.0.2.1")])
def test_odd_aces_parse_like_the_word_walk(ace: str, scope: Scope | None, head: str) -> None:
    text = f"{head}access-list OUT extended {ace}\naccess-group OUT in interface outside\n"
    walked = _parsed(text.replace("access-list ", "access-list  "), scope)
    assert _parsed(text, scope) == walked.replace("access-list  ", "access-list ")


@pytest.mark.parametrize("ace", ["permit tcp host 40.92.1.1 host 192.0.2.10 eq 25",
                                 "deny ip object-group EOP 10.0.0.0 255.0.0.0",
                                 "permit udp any4 10.0.0.0/8 eq 53"])
def test_common_aces_take_the_fast_path(ace: str) -> None:
    """The reference above only proves something if the fast path is taken at all."""
    assert FAST_ACE.match(f"access-list OUT extended {ace}") is not None
    assert FAST_ACE.match(f"access-list  OUT extended {ace}") is None
