"""Findings from coverage rows: missing, shadowed and unknown are errors, stale a warning.

Unknown counts as an error because the verdict is conservative: a required address whose fate
depends on something hybridfw cannot evaluate is not shown to be allowed, so the audit cannot
say the flow is ready (exit 1)."""

from __future__ import annotations

from collections.abc import Sequence

from hybridfw.addresses import AddressSet
from hybridfw.audit.interface import FlowCoverage
from hybridfw.model import Finding, Flow, Severity

_SHOWN = 6  # ranges quoted in a message; the JSON has all of them
_EVIDENCE = 8
_WIDE = {4: 1 << 31, 6: 1 << 127}  # "accepts from (almost) anyone": half the address space


def _ranges(addresses: AddressSet) -> str:
    cidrs = addresses.to_cidrs()
    more = f" and {len(cidrs) - _SHOWN} more" if len(cidrs) > _SHOWN else ""
    return ", ".join(cidrs[:_SHOWN]) + more


def _where(row: FlowCoverage) -> str:
    side = "to" if row.direction == "inbound" else "from"
    assumed = f"; {row.assumption}" if row.assumption else ""
    return f"{row.flow} {side} {row.address} port {row.port} ({row.entry}{assumed})"


def _name_it(row: FlowCoverage) -> str:
    """How to remove the assumption that put this row's path on the flow's path."""
    if not row.assumption:
        return ""
    if row.assumption.startswith("placement"):
        return ("; if this firewall is not a " + row.assumption.split(" a ", 1)[-1].split(" (")[0]
                + ", say where it sits: [firewall] placement = \"host\" | \"gateway\" in the "
                "topology or --placement")
    return ("; name the firewall's interfaces to evaluate only the real path "
            "(--outside-interface / --inside-interface or [firewall] in the topology)")


def _peer(row: FlowCoverage) -> str:
    return "sources" if row.direction == "inbound" else "destinations"


def _is_wide(addresses: AddressSet) -> bool:
    return (addresses.num_addresses(4) >= _WIDE[4]) or (addresses.num_addresses(6) >= _WIDE[6])


def row_findings(row: FlowCoverage) -> list[Finding]:
    out: list[Finding] = []
    ev = row.evidence
    if row.missing:
        out.append(Finding(
            Severity.ERROR, "audit.missing",
            f"{_where(row)}: required {_peer(row)} not accepted: {_ranges(row.missing)}",
            ev.get("missing", ())[:_EVIDENCE],
            "add the rules listed under 'Rules to add'" + _name_it(row), row.flow))
    for shadow in row.shadowed:
        out.append(Finding(
            Severity.ERROR, "audit.shadowed",
            f"{_where(row)}: {_ranges(shadow.addresses)} would be accepted, but an earlier rule "
            "denies them first",
            (f"accepted by {shadow.accepted_by.describe()}", f"denied by {shadow.denied_by.describe()}"),
            "move the accept rule above the deny rule (or narrow the deny)" + _name_it(row),
            row.flow))
    if row.unknown:
        fix = "check these rules by hand (or audit with --entry / a narrower ruleset)"
        if row.needs_interface_names:
            fix = ("name the firewall's interfaces to decide the interface matches "
                   "(--outside-interface NAME --inside-interface NAME, or [firewall] in the "
                   "topology); " + fix)
        out.append(Finding(
            Severity.ERROR, "audit.unknown",
            f"{_where(row)}: cannot decide for {_ranges(row.unknown)}",
            ev.get("unknown", ())[:_EVIDENCE], fix, row.flow))
    if row.stale:
        wide = _is_wide(row.stale)
        message = (f"{_where(row)}: open to (almost) any {_peer(row)[:-1]}, not only Microsoft's"
                   if wide else
                   f"{_where(row)}: accepts {_peer(row)} in no current Microsoft set for the flow "
                   f"(stale or foreign): {_ranges(row.stale)}")
        # An open egress port is ordinary; an inbound port open to anyone deserves a look.
        severity = Severity.INFO if wide and row.direction == "outbound" else Severity.WARNING
        out.append(Finding(
            severity, "audit.open" if wide else "audit.stale", message,
            ev.get("stale", ())[:_EVIDENCE],
            "" if wide else "remove them (or list them under the topology's overrides if meant)",
            row.flow))
    if row.complete:
        out.append(Finding(Severity.INFO, "audit.allowed",
                           f"{_where(row)}: every required {_peer(row)[:-1]} is accepted",
                           ev.get("allowed", ())[:_EVIDENCE], subject=row.flow))
    return out


def coverage_findings(flow: Flow, rows: Sequence[FlowCoverage]) -> list[Finding]:
    out: list[Finding] = []
    for row in rows:
        out += row_findings(row)
    return out


def not_auditable(flow: Flow) -> Finding:
    names = flow.destination_fqdns or flow.source_fqdns
    why = (f"addresses are published only as names ({', '.join(names[:3])})" if names
           else "the topology gives no on-premises address for it")
    return Finding(Severity.INFO, "audit.not-auditable",
                   f"{flow.id}: not audited by address: {why}", subject=flow.id)


def path_undecided(rows: Sequence[FlowCoverage], off_path: Sequence[FlowCoverage]) -> list[Finding]:
    """Where every deciding path admits the flow but a path judged off the flow's path would not,
    "allowed" would rest on a guess about the interface the packets arrive on, which the file
    does not tell: an error (never an all-clear) naming the other paths and how to decide."""
    allowed: dict[tuple[str, str, int], list[FlowCoverage]] = {}
    for row in rows:
        allowed.setdefault((row.flow, row.address, row.port), []).append(row)
    out: list[Finding] = []
    blocked: dict[tuple[str, str, int], list[str]] = {}
    for row in off_path:
        key = (row.flow, row.address, row.port)
        if (row.missing or row.unknown) and all(r.complete for r in allowed.get(key, [row])):
            blocked.setdefault(key, []).append(row.entry)
    for (flow, address, port), entries in blocked.items():
        decided = ", ".join(r.entry for r in allowed[(flow, address, port)])
        out.append(Finding(
            Severity.ERROR, "audit.path-undecided",
            f"{flow} {address} port {port}: allowed on {decided}, where rules are meant for it, "
            f"but not on {', '.join(entries[:_SHOWN])}: which path the traffic takes decides",
            fix="name the firewall's interfaces (--outside-interface / --inside-interface or "
                "[firewall] in the topology) so that only the real path decides",
            subject=flow))
    return out
