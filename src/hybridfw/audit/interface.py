"""What an audit returns: per-flow coverage rows and findings (frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hybridfw.addresses import AddressSet
from hybridfw.model import Finding
from hybridfw.rulesets.model import Origin


@dataclass(frozen=True)
class Shadow:
    """Required addresses an accept rule would admit, but an earlier deny (or jump) wins."""

    addresses: AddressSet
    accepted_by: Origin
    denied_by: Origin

    def to_dict(self) -> dict[str, Any]:
        return {"addresses": self.addresses.to_cidrs(), "accepted_by": self.accepted_by.describe(),
                "denied_by": self.denied_by.describe()}


@dataclass(frozen=True)
class Denial:
    """Required addresses a rule (or a chain policy) denies: where a fix must go."""

    addresses: AddressSet
    origin: Origin
    chain_key: str  # the chain holding the rule / whose policy it is
    policy: bool  # True: the chain's policy (a fix goes at the chain's end)
    # Decided after a DNAT: the destination address and port the chain saw (not the audited)
    translated: tuple[str, int] | None = None


@dataclass(frozen=True)
class FlowCoverage:
    """One flow, one fixed on-premises address, one port, one entry (chain path).

    For an inbound flow the on-premises address is the destination and the sets hold sources;
    for an outbound flow it is the source and the sets hold destinations.
    """

    flow: str
    direction: str
    entry: str
    address: str  # the fixed on-premises address
    port: int
    allowed: AddressSet  # required and accepted
    missing: AddressSet  # required, not accepted (and not unknown)
    stale: AddressSet  # accepted but in no current set for the flow
    unknown: AddressSet  # required, verdict depends on conditions hybridfw cannot evaluate
    shadowed: tuple[Shadow, ...] = ()
    evidence: dict[str, tuple[str, ...]] = field(default_factory=dict)
    needs_interface_names: bool = False  # some unknown is decided by unnamed interfaces
    assumption: str = ""  # why this path was evaluated when the user did not name it
    denials: tuple[Denial, ...] = ()  # what denies the missing addresses (not in the JSON)
    accepting: tuple[tuple[Origin, bool], ...] = ()  # accept rules, and whether for required
    stale_by: tuple[tuple[Origin, AddressSet], ...] = ()  # accept rules, the stale part they admit

    @property
    def complete(self) -> bool:
        return not self.missing and not self.unknown and not self.shadowed

    def to_dict(self) -> dict[str, Any]:
        inbound = self.direction == "inbound"
        return {
            "flow": self.flow,
            "entry": self.entry,
            "destination": self.address if inbound else None,
            "source": None if inbound else self.address,
            "port": self.port,
            "allowed": self.allowed.to_cidrs(),
            "missing": self.missing.to_cidrs(),
            "stale": self.stale.to_cidrs(),
            "shadowed": [s.to_dict() for s in self.shadowed],
            "unknown": self.unknown.to_cidrs(),
            "assumption": self.assumption,
        }


@dataclass(frozen=True)
class AuditResult:
    flows: tuple[FlowCoverage, ...]
    findings: tuple[Finding, ...]
    platform: str  # render platform of the audited ruleset, for the rules to add
    format: str  # parser that read it
    paths: tuple[str, ...] = ()
    # Paths that were evaluated but judged not to carry the flow (ACL bindings no rule of
    # which is meant for it): shown, never deciding a verdict.
    off_path: tuple[FlowCoverage, ...] = ()
    placement: str = ""  # as the user gave it ("" = not given: both netfilter paths evaluated)
    # chain key -> (table, chain name as written): where a fix goes (not in the JSON)
    chain_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"flows": [f.to_dict() for f in self.flows],
                "findings": [f.to_dict() for f in self.findings],
                "placement": self.placement or None,
                "off_path": [f.to_dict() for f in self.off_path]}
