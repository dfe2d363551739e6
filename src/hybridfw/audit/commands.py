"""Fixes shown as vendor commands to paste, with the position where each takes effect: one
`CommandFix` row per format family in `COMMAND_FIXES` (each maker imports its module lazily)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hybridfw.audit.interface import AuditResult
from hybridfw.model import EndpointData, Flow

Maker = Callable[[AuditResult, Sequence[Flow], EndpointData], str]


@dataclass(frozen=True)
class CommandFix:
    formats: tuple[str, ...]
    note: str
    make: Maker


def input_texts(result: AuditResult) -> dict[str, str]:
    """The audited files' texts (none when the audit read a text, not files)."""
    from hybridfw.rulesets import read_ruleset_text

    return {p: read_ruleset_text(Path(p)) for p in result.paths if Path(p).is_file()}


def _asa(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> str:
    from hybridfw.audit.commands_asa import asa_commands

    return asa_commands(result, flows)


def _panos(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> str:
    from hybridfw.audit.commands_panos import panos_commands

    return panos_commands(result, flows)


def _fortigate(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> str:
    from hybridfw.audit.commands_fortigate import fortigate_commands
    from hybridfw.audit.patch import insertions

    todo = insertions([r for r in result.flows if r.missing], {f.id: f.protocol for f in flows})
    return fortigate_commands(todo, result.chain_names, input_texts(result), data)


def _srx(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> str:
    from hybridfw.audit.commands_srx import srx_commands
    from hybridfw.audit.patch import insertions

    todo = insertions([r for r in result.flows if r.missing], {f.id: f.protocol for f in flows})
    return srx_commands(todo, result.chain_names, input_texts(result))


def _windows(result: AuditResult, flows: Sequence[Flow], data: EndpointData) -> str:
    from hybridfw.audit.commands_windows import windows_commands
    from hybridfw.audit.fix_groups import first_fix_number
    from hybridfw.audit.patch import insertions

    todo = insertions([r for r in result.flows if r.missing], {f.id: f.protocol for f in flows})
    first = first_fix_number(list(input_texts(result).values()))
    return windows_commands(todo, data, first)


COMMAND_FIXES: tuple[CommandFix, ...] = (
    CommandFix(("asa",), "paste in this order: each permit goes right before the entry that "
               "denies it (line N), or at the end of the access-list", _asa),
    CommandFix(("panos", "panos-set"), "set commands: each new rule is moved right before the "
               "rule that denies the range; ranges only the default rule denies stay at the "
               "bottom", _panos),
    CommandFix(("fortigate",), "a FortiOS CLI script: each new policy (rendered by aerleon) gets "
               "a fresh ID and is moved right before the policy that denies the range; ranges "
               "only the implicit deny takes stay at the end of the table", _fortigate),
    CommandFix(("srx",), "configuration-mode set commands (for either form of the "
               "configuration): each new policy is inserted right before the policy that denies "
               "the range; ranges only a global or the default policy denies stay at the end of "
               "the zone pair", _srx),
    CommandFix(("windows-netsh", "windows-json"), "Windows Defender Firewall has no rule order: "
               "any matching block rule wins over every allow rule, then allow rules, then the "
               "profile default. Run the netsh lines (cmd) or the PowerShell lines, not both; "
               "a range a block rule denies is named, not fixed", _windows),
)


def command_fix(fmt: str) -> CommandFix | None:
    return next((c for c in COMMAND_FIXES if fmt in c.formats), None)
