"""Cisco ASA: the fix as commands to paste, each with its position in its access-list.

For every missing range the audit knows the ACE (or the implicit deny) that denies it on the
packet's path. The permit goes right before that ACE: ``access-list NAME line N extended
permit ...`` where N is the ACE's line in the ACL as the ASA counts it (remarks included); an
implicit deny gets the permit appended at the end of the ACL. Groups are listed from the
bottom of each ACL up, so pasting them in the order shown keeps every line number right.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from pathlib import Path

from hybridfw.audit.interface import AuditResult
from hybridfw.audit.patch import insertions
from hybridfw.audit.patch_types import Insertion
from hybridfw.model import Flow
from hybridfw.rulesets import read_ruleset_text

_ACE = re.compile(r"^access-list\s+(\S+)\s+(?!remark)")
_ANY_LINE = re.compile(r"^access-list\s+(\S+)\s")


def _operand(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    if net.version == 6:
        return f"host {net.network_address}" if net.prefixlen == 128 else cidr
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.netmask}"


def _permits(item: Insertion) -> list[str]:
    local = _operand(item.local)
    out = []
    for cidr in item.cidrs():
        remote = _operand(cidr)
        src, dst = (remote, local) if item.direction == "inbound" else (local, remote)
        out.append(f"extended permit {item.protocol} {src} {dst} eq {item.port}")
    return out


def _position(lines: list[str], number: int) -> tuple[str, int] | None:
    """(ACL name, ASA line number) of the ACE on file line `number` (1-based)."""
    found = _ACE.match(lines[number - 1].strip()) if 0 < number <= len(lines) else None
    if found is None:
        return None
    name = found.group(1)
    before = sum(1 for line in lines[:number - 1]
                 if (m := _ANY_LINE.match(line.strip())) is not None and m.group(1) == name)
    return name, before + 1


def asa_commands(result: AuditResult, flows: Sequence[Flow]) -> str:
    """The commands, or "" when nothing is missing."""
    todo = insertions([r for r in result.flows if r.missing], {f.id: f.protocol for f in flows})
    texts = {p: read_ruleset_text(Path(p)).split("\n") for p in result.paths
             if Path(p).is_file()}  # audited from a text: commands are appended, not placed
    placed: dict[tuple[str, int], list[str]] = {}
    appended: dict[str, list[str]] = {}
    for item in todo:
        lines = texts.get(item.origin.path, [])
        spot = None if item.policy else _position(lines, item.origin.line)
        if spot is None:
            acl = result.chain_names.get(item.chain_key, ("", ""))[1]
            appended.setdefault(acl, []).extend(_permits(item))
        else:
            placed.setdefault(spot, []).extend(_permits(item))
    out: list[str] = []
    for (acl, line), permits in sorted(placed.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        out += [f"access-list {acl} line {line + i} {p}" for i, p in enumerate(dict.fromkeys(permits))]
    for acl, permits in appended.items():
        out += [f"access-list {acl} {p}" for p in dict.fromkeys(permits)]
    return "\n".join(out) + ("\n" if out else "")
