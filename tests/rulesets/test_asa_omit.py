"""ASA scoped parse: the whole-text pre-pass (`_asa_omit`) that leaves out common ACEs before
the line reader sees them gives exactly the scoped parse without it (the reference: the same
parse with the pre-pass switched off): rulesets, findings, omitted count, or the same error on
the same line. Random configs mix left-out lines with what they must not disturb: kept ACEs,
remarks, `line N` inserts, `name` aliases, object blocks around ACEs, unbound ACLs, CRLF and
other line breaks, objects that do not resolve, and group chains near the nesting limit."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.scoped import ASA_HEAD, audited_flows
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import asa
from hybridfw.rulesets._asa_omit import leave_out
from hybridfw.rulesets.scope import Scope

_HEAD = ASA_HEAD.replace("name 10.5.5.5 partner-mx\n", "") + """object service SVC
 service tcp destination eq 25
"""
# Each part: mostly spellings that resolve, sometimes ones that do not (an error ends the parse)
_OPERANDS = (("any", "any4", "any6", "host 40.92.1.1", "host 192.0.2.10", "40.107.0.0 255.255.0.0",
              "192.0.2.0/24", "object-group EOP", "object-group INNER", "object MX", "object FQDN",
              "interface outside", "object-group D0", "object-group D3"),
             ("object-group MISSING", "object SVC", "object-group WEB", "host 300.1.1.1",
              "10.0.0.0 255.0.255.0", "host mx"))
_PORTS = ((" eq 25", " eq 443", " eq 80", " eq 1500", " eq 22", " eq 0025", " eq 65535", " eq 0",
           " eq 01500"), ("", " eq 65536", " eq 99999", " eq smtp", " range 1 2"))
_OTHER = ("access-list {acl} remark left out or not",
          "access-list {acl} line 1 extended permit tcp any any eq 22",
          " network-object host 10.9.9.9", "", "! a comment",
          "object-group network LATE", "access-list {acl} standard permit any")


def _chain(depth: int) -> str:
    """Groups D0 .. D{depth}, each nesting the next (D{depth} holds an address)."""
    lines = [f"object-group network D{i}\n group-object D{i + 1}\n" for i in range(depth)]
    return "".join([*lines, f"object-group network D{depth}\n network-object host 10.7.7.7\n"])


def _part(draw: st.DrawFn, spellings: tuple[tuple[str, ...], tuple[str, ...]]) -> str:
    return draw(st.sampled_from(spellings[draw(st.integers(0, 7)) == 0]))


@st.composite
def _config(draw: st.DrawFn) -> str:
    lines = [_HEAD + _chain(draw(st.sampled_from((3, 30, 31, 32))))]
    if draw(st.integers(0, 5)) == 0:  # an alias; the second makes literal 192.0.2.10 a bad address
        lines.append(draw(st.sampled_from(("name 192.0.2.10 mx\n", "name 300.1.1.1 192.0.2.10\n"))))
    for _ in range(draw(st.integers(1, 14))):
        acl = draw(st.sampled_from(("OUT", "IN", "G")))
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(_OTHER)).format(acl=acl) + "\n")
            continue
        lines.append(f"access-list {acl} extended {draw(st.sampled_from(('permit', 'deny')))} "
                     f"{draw(st.sampled_from(('tcp', 'udp', 'tcp', 'ip', 'TCP', '6')))} "
                     f"{_part(draw, _OPERANDS)} {_part(draw, _OPERANDS)}{_part(draw, _PORTS)}"
                     f"{draw(st.sampled_from(('', '', ' ', chr(9), ' log')))}\n")
    for binding in draw(st.lists(st.sampled_from(("access-group OUT in interface outside\n",
                                                  "access-group G global\n")), max_size=2, unique=True)):
        lines.append(binding)
    text = "".join(lines)
    breaks = draw(st.sampled_from(("\n", "\n", "\r\n", "lone")))
    if breaks == "\r\n":
        return text.replace("\n", "\r\n")
    if breaks == "lone":  # a line break splitlines() knows and the pattern does not
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(("\r", "\x0c", "\x1e"))) + text[at:]
    return text


def _parsed(text: str, scope: Scope) -> Any:
    try:
        r = asa.parse_asa(text, "t.cfg", scope)
    except InputError as exc:
        return ("error", str(exc), exc.line)
    return (r.chains, r.entries, r.findings, r.omitted)


def _reference(text: str, scope: Scope) -> Any:
    with mock.patch.object(asa, "leave_out", lambda text, scope: None):
        return _parsed(text, scope)


@settings(max_examples=examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(_config(), audited_flows())
def test_pre_pass_parses_as_the_line_reader_alone(text: str, flows: list[Flow]) -> None:
    scope = audit_scope(flows)
    assert _parsed(text, scope) == _reference(text, scope), text


_SMTP = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
             AddressSet.parse(["192.0.2.10"]), "test")
_UNBOUND = """object-group network EOP
 network-object 40.92.0.0 255.254.0.0
access-list A extended permit tcp object-group EOP host 192.0.2.10 eq 1500
access-list B extended permit tcp any host 192.0.2.10 eq 25
object-group network LATE
 network-object host 10.1.1.1
access-list A extended deny udp any any eq 00053
 network-object host 10.2.2.2
access-list A extended permit tcp any host 192.0.2.10 eq smtp
"""


def test_pre_pass_leaves_out_lines_and_keeps_acl_order_and_first_lines() -> None:
    scope = audit_scope([_SMTP])
    found = leave_out(_UNBOUND, scope)
    assert found is not None
    assert (found.counts, found.first_lines, found.operands) == (
        {"A": 2}, {"A": 3}, {("object-group", "EOP")})
    assert found.kept.splitlines()[2] == found.kept.splitlines()[6] == "\x00"
    parsed = _parsed(_UNBOUND, scope)
    assert parsed == _reference(_UNBOUND, scope)
    chains, _, _, omitted = parsed
    assert omitted == 2
    assert [c.name for c in chains.values()] == ["A", "B"]  # A appears first, on a left-out line
    assert [c.policy_origin.line for c in chains.values()] == [3, 4]  # unbound: from the first line
    late = asa._AsaReader("t.cfg")  # the member after a left-out ACE belongs to no object
    late.read(found.kept)
    assert late.objects.defs["LATE"].members == [(["network-object", "host", "10.1.1.1"], 6)]


_CHAIN_32 = "ASA Version 9.18(2)\n" + _chain(32) + """\
access-list A extended permit tcp object-group D0 any eq 25
access-list A extended permit tcp object-group D3 any eq 1500
access-group A in interface outside
"""


def test_pre_pass_does_not_resolve_groups_that_nest_near_the_limit() -> None:
    """D0 nests 32 deep: alone it is a loop error, with D3 already resolved it would not be."""
    scope = audit_scope([_SMTP])
    assert _parsed(_CHAIN_32, scope) == _reference(_CHAIN_32, scope)
    assert _parsed(_CHAIN_32, scope)[0] == "error"


def test_pre_pass_counts_lines_as_the_reader_does() -> None:
    """A form feed, a lone CR or a record separator splits a line for the reader: the
    pre-pass is not used then (it would number the lines after it differently)."""
    scope = audit_scope([_SMTP])
    for mark in ("\x0c", "\r", "\x1e", "\u2028"):
        text = _UNBOUND.replace("EOP\n", f"EOP{mark}x\n", 1)
        assert leave_out(text, scope) is None
        assert _parsed(text, scope) == _reference(text, scope)
    crlf = _UNBOUND.replace("\n", "\r\n")
    assert leave_out(crlf, scope) is not None
    assert _parsed(crlf, scope) == _parsed(_UNBOUND, scope)


@pytest.mark.parametrize("ace", [
    "tcp host 192.0.2.10 any eq 1500", "tcp any any eq 65536", "tcp any any eq 99999", "udp any any eq 0",
    "tcp any object-group WEB eq 1500", "tcp object-group MISSING any eq 1500", "tcp any object SVC eq 1500",
    "tcp any 10.0.0.0 255.0.255.0 eq 1500", "tcp object-group WEB any eq 1500", "tcp any any eq 00025 "])
@pytest.mark.parametrize("alias", ["", "name 300.1.1.1 192.0.2.10\n"])
def test_pre_pass_edge_entries_parse_as_the_line_reader_alone(ace: str, alias: str) -> None:
    text = _HEAD + alias + (f"access-list A extended permit {ace}\n"
                            "access-list A extended deny tcp any any eq 25\n")
    scope = audit_scope([_SMTP])
    assert _parsed(text, scope) == _reference(text, scope)
