"""Windows Defender Firewall: the fix as allow rules, in netsh form (rendered by aerleon's
windows_advfirewall generator) and as ``New-NetFirewallRule`` lines; and the rules named that
no allow rule can overcome.

Order does not matter on Windows: a matching block rule wins over every allow rule, allow
rules win over the profile default, and a profile set to block all connections drops even what
allow rules admit. So an allow rule fixes only a range the profile default denies; a range a
block rule (or "block all connections") denies stays denied whatever is added, and the fix
names that rule instead: narrow it or disable it. The allow rules apply in every profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hybridfw.addresses import AddressSet
from hybridfw.audit.fix_groups import group_insertions, sides
from hybridfw.audit.patch_types import Insertion
from hybridfw.model import EndpointData, Flow


@dataclass(frozen=True)
class AllowRule:
    name: str
    flow: str
    inbound: bool
    protocol: str
    port: int
    local: AddressSet
    remote: AddressSet


def blocks_for_good(item: Insertion) -> bool:
    """Whether the denial is one an allow rule cannot overcome."""
    raw = item.origin.raw
    return raw.startswith("block rule ") or raw.endswith("blocks all connections")


def allow_rules(items: Sequence[Insertion], first: int = 1) -> list[AllowRule]:
    fixable = [i for i in items if not blocks_for_good(i)]
    out = []
    for number, group in enumerate(group_insertions(fixable), start=first):
        item = group[0]
        src, dst = sides(group)
        inbound = item.direction == "inbound"
        local, remote = (dst, src) if inbound else (src, dst)
        out.append(AllowRule(f"hybridfw-fix-{number}", item.flow, inbound, item.protocol,
                             item.port, local, remote))
    return out


def _netsh(rules: Sequence[AllowRule], data: EndpointData | None) -> list[str]:
    """aerleon's netsh lines for the allow rules (one per local address)."""
    from hybridfw.audit.commands_fortigate import unrecorded
    from hybridfw.render.aerleon_backend import AerleonTarget, generate

    out: list[str] = []
    for inbound in (True, False):
        flows = [Flow(r.name, "inbound" if inbound else "outbound",
                      "udp" if r.protocol == "udp" else "tcp", (r.port,),
                      r.remote if inbound else r.local, r.local if inbound else r.remote,
                      f"fix for {r.flow}") for r in rules if r.inbound == inbound]
        if not flows:
            continue
        spec = AerleonTarget("windows-advfirewall", "windows_advfirewall", "fix",
                             header="in inet" if inbound else "out inet")
        for text in generate(spec, flows, data or unrecorded()).values():
            out += [line for line in text.splitlines() if line.startswith("netsh ")]
    return list(dict.fromkeys(out))


def _powershell(rule: AllowRule) -> str:
    port = "-LocalPort" if rule.inbound else "-RemotePort"
    return (f"New-NetFirewallRule -Name {rule.name} -DisplayName '{rule.name} ({rule.flow})' "
            f"-Direction {'Inbound' if rule.inbound else 'Outbound'} -Action Allow "
            f"-Protocol {rule.protocol.upper()} {port} {rule.port} "
            f"-LocalAddress {','.join(rule.local.to_cidrs())} "
            f"-RemoteAddress {','.join(rule.remote.to_cidrs())} -Profile Any")


def _blockers(items: Sequence[Insertion]) -> list[str]:
    named: dict[str, AddressSet] = {}
    where: dict[str, str] = {}
    for item in items:
        if blocks_for_good(item):
            named[item.origin.raw] = named.get(item.origin.raw, AddressSet.empty()) | item.remote
            where[item.origin.raw] = f"{item.origin.path}:{item.origin.line}"
    return [f"# still denied, no allow rule can change it: {raw} ({where[raw]}) wins for "
            f"{', '.join(remote.to_cidrs()[:6])}{' ...' if len(remote.to_cidrs()) > 6 else ''}: "
            "narrow its RemoteIP (Set-NetFirewallRule -RemoteAddress) or disable it"
            for raw, remote in named.items()]


def windows_commands(items: Sequence[Insertion], data: EndpointData | None, first: int = 1) -> str:
    """The allow rules (``hybridfw-fix-<first>`` on) as netsh and PowerShell lines, then the
    block rules that still win ("" when nothing is missing)."""
    rules = allow_rules(items, first)
    out: list[str] = []
    if rules:
        out += ["# netsh (cmd, as administrator):", *_netsh(rules, data),
                "# or PowerShell (as administrator):", *(_powershell(r) for r in rules)]
    out += _blockers(items)
    return "\n".join(out) + ("\n" if out else "")
