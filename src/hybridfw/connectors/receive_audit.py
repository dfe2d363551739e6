"""RemoteIPRanges audited like a firewall rule: which receive connector Exchange chooses for
each Exchange Online source, and what is missing or stale.

Exchange picks, among the receive connectors bound to the local address and port, the one whose
RemoteIPRanges entry matches the connecting address most specifically (the smallest range).
That is the "first match" here: ranges are laid down from the largest to the smallest, each
taking its addresses from the ones before. Two connectors with equally specific ranges over
the same addresses make those addresses unknown (Exchange's choice is not documented).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hybridfw.addresses import AddressSet, Family
from hybridfw.connectors.interface import ReceiveConnector
from hybridfw.connectors.result import ReceiveCoverage

SMTP_PORT = 25
_CLOUD_MARKS = ("mail.protection.outlook.com",)
_CLOUD_NAMES = ("office 365", "office365", "exchange online", "o365", "eop", "hybrid", "m365",
                "microsoft 365")


def chosen_connectors(listeners: Sequence[ReceiveConnector], family: Family
                      ) -> tuple[dict[str, AddressSet], AddressSet]:
    """Connector identity -> the addresses (of `family`) Exchange chooses it for, and the
    addresses equally specific ranges of different connectors both claim."""
    entries = [(r.addresses.family(family), c.identity) for c in listeners
               for r in c.remote_ranges if r.addresses.family(family)]
    owned: dict[str, AddressSet] = defaultdict(AddressSet.empty)
    unknown = AddressSet.empty()
    sizes = sorted({a.num_addresses() for a, _ in entries}, reverse=True)
    for size in sizes:
        tier = [(a, who) for a, who in entries if a.num_addresses() == size]
        tier_sets: dict[str, AddressSet] = defaultdict(AddressSet.empty)
        for addresses, who in tier:
            tier_sets[who] = tier_sets[who] | addresses
        claimed = AddressSet.union_all(tier_sets.values())
        for who in owned:
            owned[who] = owned[who] - claimed
        unknown = unknown - claimed
        for who, addresses in tier_sets.items():
            others = AddressSet.union_all(s for w, s in tier_sets.items() if w != who)
            owned[who] = owned[who] | (addresses - others)
            unknown = unknown | (addresses & others)
    return dict(owned), unknown


def takes_cloud_mail(connector: ReceiveConnector) -> bool:
    """Whether Exchange Online's anonymous TLS delivery is accepted by this connector."""
    return "AnonymousUsers" in connector.permission_groups or (
        "ExternalAuthoritative" in connector.auth_mechanism
        and "ExchangeServers" in connector.permission_groups)


def cloud_facing(connector: ReceiveConnector, required: AddressSet, family: Family) -> bool:
    """A connector scoped for Exchange Online: its ranges meet the required sources (or it is
    marked for cloud mail by TlsDomainCapabilities or its name), without being open to all."""
    remote = connector.remote_set.family(family)
    if not remote or remote.covers(family):
        return False
    marked = any(m in cap.lower() for cap in connector.tls_domain_capabilities for m in _CLOUD_MARKS)
    named = any(n in connector.name.lower() for n in _CLOUD_NAMES)
    return bool(remote & required) or marked or named


def listeners_on(connectors: Sequence[ReceiveConnector], address: str,
                 port: int = SMTP_PORT) -> list[ReceiveConnector]:
    return [c for c in connectors if c.enabled
            and any(b.port == port and b.addresses.contains_address(address) for b in c.bindings)]


def audit_address(server: str, address: str, family: Family, listeners: Sequence[ReceiveConnector],
                  required: AddressSet) -> ReceiveCoverage:
    """The coverage of one listening address by the connectors bound to it."""
    required = required.family(family)
    owned, unknown = chosen_connectors(listeners, family)
    by_id = {c.identity: c for c in listeners}
    taking = [by_id[i] for i in owned if takes_cloud_mail(by_id[i])]
    allowed = AddressSet.union_all(owned[c.identity] for c in taking) & required
    captured = tuple((i, owned[i] & required) for i in owned
                     if not takes_cloud_mail(by_id[i]) and owned[i] & required)
    facing = [c for c in taking if cloud_facing(c, required, family)]
    stale = AddressSet.union_all(owned[c.identity] for c in facing) - required
    names = tuple(c.identity for c in taking if owned[c.identity] & required)
    return ReceiveCoverage(server, address, SMTP_PORT, names, allowed,
                           required - allowed - unknown, stale, unknown & required, captured)


def audit_receive(connectors: Sequence[ReceiveConnector], addresses: Sequence[str],
                  required: AddressSet) -> list[ReceiveCoverage]:
    """One row per server and topology SMTP address that server listens on (port 25)."""
    by_server: dict[str, list[ReceiveConnector]] = defaultdict(list)
    for c in connectors:
        by_server[c.server.lower()].append(c)
    rows = []
    for address in addresses:
        family: Family = 6 if ":" in address else 4
        for server, group in sorted(by_server.items()):
            listeners = listeners_on(group, address)
            if listeners:
                rows.append(audit_address(group[0].server or server, address, family, listeners,
                                          required))
    return rows


def primary_connector(row: ReceiveCoverage, connectors: Sequence[ReceiveConnector],
                      required: AddressSet) -> ReceiveConnector | None:
    """The scoped connector to fix: the cloud-facing one chosen for most required sources
    (a dedicated connector is the only kind whose RemoteIPRanges hybridfw changes)."""
    family: Family = 6 if ":" in row.address else 4
    candidates = [c for c in connectors if c.identity in row.connectors
                  and cloud_facing(c, required.family(family), family)]
    return max(candidates, key=lambda c: (c.remote_set & required).num_addresses(), default=None)


def range_update(connector: ReceiveConnector, add: AddressSet, drop: AddressSet
                 ) -> tuple[list[str], list[str]]:
    """(entries to add, entries to remove, as written) so the connector's ranges become
    (ranges - drop) | add. An entry only partly dropped is removed and its rest re-added."""
    remove = [r for r in connector.remote_ranges if r.addresses & drop]
    keep = AddressSet.union_all(r.addresses for r in connector.remote_ranges if r not in remove)
    target = (connector.remote_set - drop) | add
    return (target - keep).to_cidrs(), [r.text for r in remove]
