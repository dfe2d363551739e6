"""Observed vs published: Exchange Online sending addresses seen in logs, checked against EOP.

A sighting counts as Exchange Online only by evidence: the log's own (EHLO host name ending in
.outbound.protection.outlook.com, client host name, or a TLS certificate naming
mail.protection.outlook.com), or — for exports that carry a bare IP only (FromIP) — the address
lying in a published Exchange endpoint set. Private, loopback and other non-global addresses
are internal hops and never count. Counted addresses outside the published SMTP (EOP) set are
the "unlisted" ones a firewall built from the published list would drop.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from hybridfw.addresses import AddressSet
from hybridfw.addresses.special import NOT_INTERNET
from hybridfw.endpoints.select import eop_smtp_addresses
from hybridfw.model import EndpointData
from hybridfw.trace.aggregate import SenderTally, Tally


@dataclass(frozen=True)
class UnlistedSender:
    ip: str
    tally: Tally
    rule: str
    evidence: str
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"ip": self.ip, **self.tally.to_dict(), "rule": self.rule, "evidence": self.evidence,
                "files": list(self.sources)}


@dataclass(frozen=True)
class ObservedSenders:
    endpoint_data: str  # which published list was used
    counted: int  # distinct addresses judged to be Exchange Online
    listed: int
    not_counted: int  # addresses without Exchange Online evidence, or internal
    unlisted: tuple[UnlistedSender, ...]

    def overrides_toml(self) -> str:
        """The topology `[overrides]` entry that would admit the unlisted senders."""
        if not self.unlisted:
            return ""
        cidrs = AddressSet.parse(s.ip for s in self.unlisted).to_cidrs()
        return "[overrides]\nsmtp_inbound = [" + ", ".join(f'"{c}"' for c in cidrs) + "]\n"

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint_data": self.endpoint_data, "counted": self.counted, "listed": self.listed,
                "not_counted": self.not_counted, "unlisted": [u.to_dict() for u in self.unlisted],
                "overrides_toml": self.overrides_toml()}


def judge_senders(senders: dict[str, SenderTally], data: EndpointData) -> ObservedSenders:
    eop = eop_smtp_addresses(data.sets)
    exchange = AddressSet.union_all(s.ips for s in data.sets if s.service_area == "Exchange")
    counted = listed = not_counted = 0
    unlisted: list[UnlistedSender] = []
    for ip, tally in senders.items():
        parsed = ipaddress.ip_address(ip)  # already normalised by the aggregator
        value, family = int(parsed), parsed.version
        evidence_ok = tally.rule == "hostname" or exchange.contains_address(value, family)
        if NOT_INTERNET.contains_address(value, family) or not evidence_ok:
            not_counted += 1
            continue
        counted += 1
        if eop.contains_address(value, family):
            listed += 1
            continue
        unlisted.append(UnlistedSender(ip=ip, tally=tally, rule=tally.rule, evidence=tally.evidence,
                                       sources=tuple(sorted(tally.sources))))
    unlisted.sort(key=lambda u: (-u.tally.count, u.ip))
    return ObservedSenders(endpoint_data=data.label, counted=counted, listed=listed,
                           not_counted=not_counted, unlisted=tuple(unlisted))
