"""PAN-OS: the fix as `set` commands (valid whether the config was exported as XML or as set
commands), each new rule placed with `move ... before` the rule that denies the range on the
flow's zone pair; a range denied by the default rule needs no move (new rules go to the bottom
of the rulebase, which is before the defaults). Panorama device groups are not addressed: the
commands use ``vsys NAME`` for any scope other than ``vsys1``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridfw.audit.interface import AuditResult
from hybridfw.audit.patch import insertions
from hybridfw.audit.patch_types import Insertion
from hybridfw.model import Flow

_RULE_NAME = re.compile(r'security rules?\s+(?:"([^"]+)"|(\S+))')


def _denying_rule(item: Insertion) -> str | None:
    if item.policy:
        return None
    found = _RULE_NAME.search(item.origin.raw)
    return None if found is None else (found.group(1) or found.group(2))


def _quoted(name: str) -> str:
    return f'"{name}"' if " " in name else name


def panos_commands(result: AuditResult, flows: Sequence[Flow]) -> str:
    """The commands, or "" when nothing is missing."""
    todo = insertions([r for r in result.flows if r.missing], {f.id: f.protocol for f in flows})
    out: list[str] = []
    services: dict[str, None] = {}
    for number, item in enumerate(todo, start=1):
        scope, entry = result.chain_names.get(item.chain_key, ("vsys1", "any -> any"))
        prefix = "" if scope in ("vsys1", "") else f"vsys {scope} "
        zones = entry.split(" ")[-3:] if " -> " in entry else ["any", "->", "any"]
        service = f"hybridfw-{item.protocol}-{item.port}"
        services[f"set {prefix}service {service} protocol {item.protocol} port {item.port}"] = None
        name = f"hybridfw-{item.flow}-{number}"
        remote = " ".join(item.cidrs())
        src, dst = ((f"[ {remote} ]", item.address) if item.direction == "inbound"
                    else (item.address, f"[ {remote} ]"))
        out.append(f"set {prefix}rulebase security rules {name} from {zones[0]} to {zones[2]} "
                   f"source {src} destination {dst} application any service {service} "
                   f"action allow")
        before = _denying_rule(item)
        if before is not None:
            out.append(f"move {prefix}rulebase security rules {name} before {_quoted(before)}")
    lines = [*services, *out]
    return "\n".join(lines) + ("\n" if lines else "")
