"""Scoped parse vs full parse: the audit of both, and random audited flows (the vendor scoped
parse tests use them)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_ruleset, audit_scope
from hybridfw.audit.coverage import Interfaces
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text

# ASA objects the scoped-parse tests draw operands from (a name, nested groups, service groups)
ASA_HEAD = """ASA Version 9.18(2)
name 10.5.5.5 partner-mx
object-group network EOP
 network-object 40.92.0.0 255.254.0.0
 group-object INNER
object-group network INNER
 network-object host 40.107.1.1
object network MX
 host 192.0.2.10
object network FQDN
 fqdn relay.example
object-group service WEB tcp
 port-object eq 443
 port-object eq www
object-group service SMTPS
 service-object tcp destination eq smtp
 service-object udp destination range 20 30
object-group protocol TU
 protocol-object tcp
 protocol-object udp
"""


@st.composite
def audited_flows(draw: st.DrawFn) -> list[Flow]:
    """An inbound TCP flow to 192.0.2.10 or .99 on one or two of 25, 443, 80, 1500 from EOP
    ranges and 10.5.5.5; sometimes an outbound one from 192.0.2.10 too."""
    ports = st.lists(st.sampled_from((25, 443, 80, 1500)), min_size=1, max_size=2, unique=True)
    flows = [Flow("in", "inbound", "tcp", tuple(draw(ports)),
                  AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16", "10.5.5.5"]),
                  AddressSet.parse([draw(st.sampled_from(("192.0.2.10", "192.0.2.99")))]), "test")]
    if draw(st.booleans()):
        flows.append(Flow("out", "outbound", "tcp", tuple(draw(ports)), AddressSet.parse(["192.0.2.10"]),
                          AddressSet.parse(["40.92.0.0/15"]), "test"))
    return flows


def audit_of(text: str, fmt: str, flows: list[Flow], scoped: bool,
             interfaces: Interfaces | None = None) -> tuple[Any, ...]:
    """The audit's document, each row's evidence and its shadowed rules, for the scoped parse
    (what `hybridfw audit` runs) or the full parse of `text`."""
    ruleset = parse_text(text, "t.cfg", fmt, audit_scope(flows) if scoped else None)
    result = audit_ruleset(ruleset, flows, interfaces=interfaces)
    return (result.to_dict(), [row.evidence for row in result.flows],
            [[s.to_dict() for s in row.shadowed] for row in result.flows])
