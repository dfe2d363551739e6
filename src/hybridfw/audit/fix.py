"""The fix for what an audit found missing: the part of a flow an audited firewall blocks (as a
flow the rules renderer can draw), and "Rules to add" as `audit`, `check` and the automation
show it: a diff against the input where hybridfw can patch the format, commands with their
positions for ASA and PAN-OS, else rendered rules without generator boilerplate."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hybridfw.addresses import AddressSet
from hybridfw.audit.interface import AuditResult, FlowCoverage
from hybridfw.model import EndpointData, Flow

if TYPE_CHECKING:
    from hybridfw.render import RenderResult


def missing_flow(flow: Flow, rows: Sequence[FlowCoverage]) -> Flow | None:
    """The part of `flow` the firewall blocks: only the missing remote addresses, only the
    on-premises addresses and ports that lack them. None when nothing is missing."""
    lacking = [r for r in rows if r.missing]
    if not lacking:
        return None
    remote = AddressSet.union_all(r.missing for r in lacking)
    local = AddressSet.parse(sorted({r.address for r in lacking}))
    ports = tuple(sorted({r.port for r in lacking}))
    if flow.direction == "inbound":
        return dataclasses.replace(flow, sources=remote, destinations=local, ports=ports,
                                   source_fqdns=(), override_sources=AddressSet.empty())
    return dataclasses.replace(flow, sources=local, destinations=remote, ports=ports,
                               destination_fqdns=())


_BOILERPLATE = ("$Id:", "$Date:", "$Revision:", "Speedway ")


def without_boilerplate(text: str) -> str:
    """A rendered rules file without the generator's header lines (``$Id:$``, ``# Speedway``):
    what remains is what to paste."""
    return "\n".join(line for line in text.split("\n")
                     if not ((line.lstrip().startswith(("#", "!", "//")) or " remark " in line)
                             and any(mark in line for mark in _BOILERPLATE)))


def rules_to_add(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> dict[str, Any]:
    """The missing part of each flow, rendered for the audited ruleset's platform: new rule
    files (what the automation pushes; the CLI shows `fix_to_show`)."""
    return _render_missing(result, flows, data, to_paste=False)


def fix_to_show(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> dict[str, Any]:
    """The fix: for formats hybridfw can patch (iptables, nft text), a diff against each input
    file inserting the accepts where they take effect; otherwise the missing part of each flow
    rendered for the audited ruleset's platform, without generator boilerplate."""
    from hybridfw.audit.patch import fix_diffs

    commands = _commands(result, flows, data)
    if commands is not None:
        return commands
    diffs = fix_diffs(result, flows)
    if diffs is not None:
        note = ("a diff against your file(s); --fixed-out DIR writes the patched copies and "
                "re-audits them") if diffs else ""
        return {"platform": result.platform, "files": diffs, "note": note, "form": "diff"}
    return _render_missing(result, flows, data, to_paste=True)


def render_missing(result: AuditResult, flows: Sequence[Flow],
                   data: EndpointData) -> RenderResult | None:
    """The one renderer of a fix: the missing part of each flow as rules for the audited
    ruleset's platform; None when nothing is missing. InputError when no renderer writes that
    platform."""
    from hybridfw.render import render_flows

    partial = [m for f in flows
               if (m := missing_flow(f, [r for r in result.flows if r.flow == f.id])) is not None]
    return render_flows(partial, result.platform, data=data) if partial else None


def _render_missing(result: AuditResult, flows: Sequence[Flow], data: EndpointData, *,
                    to_paste: bool) -> dict[str, Any]:
    """Render the missing part of each flow; `to_paste`: without generator boilerplate, marked
    as the "rules" form of the fix."""
    from hybridfw.errors import InputError

    try:
        rendered = render_missing(result, flows, data)
    except InputError as exc:
        return {"platform": result.platform, "files": {},
                "note": f"cannot render rules for {result.platform}: {exc}"}
    if rendered is None:
        return {"platform": result.platform, "files": {}, "note": ""}
    notes = "; ".join(f.message for f in rendered.findings)
    if not to_paste:
        return {"platform": rendered.platform, "files": dict(rendered.files), "note": notes}
    files = {name: without_boilerplate(text) for name, text in rendered.files.items()}
    return {"platform": rendered.platform, "files": files, "note": notes, "form": "rules"}


def _commands(result: AuditResult, flows: Sequence[Flow],
              data: EndpointData) -> dict[str, Any] | None:
    """Formats fixed by commands with their positions (see `commands.COMMAND_FIXES`); None for
    the others."""
    from hybridfw.audit.commands import command_fix

    found = command_fix(result.format)
    if found is None:
        return None
    text = found.make(result, flows, data)
    return {"platform": result.platform, "files": {"commands": text} if text else {},
            "note": found.note if text else "", "form": "commands"}
