"""Patcher for OPNsense config.xml: a pass rule per missing range, where it takes effect.

OPNsense evaluates an interface's rules in this order: automation (MVC) rules by `sequence`,
floating rules, interface-group rules, the interface's own rules, the default deny; first match
among quick rules. The pass rule copies where the denying rule sits:
- an automation rule: a new automation rule with a `sequence` between the previous rule's and
  the denying one's, written before it (no free sequence number: left out, and the re-audit
  reports the range as still missing);
- a floating rule: a quick floating rule for the entry's interface, before it in `<filter>`;
- a group or interface rule: a rule on the same `<interface>`, before it;
- the default deny: an interface rule at the end of `<filter>`.
Needs the usual layout of a saved config (each `<rule>` starting its own line). Every original
line is kept, except that `--remove-stale` deletes whole `<rule>` elements (see `patch_pfsense`).
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, uuid5

from hybridfw.audit.patch_netfilter import drop_lines, splice
from hybridfw.audit.patch_pfsense import (
    PfsensePatcher,
    rule_start,
    xml_rule_lines,
    xml_rules_removable,
)
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher

_TAG = {name: re.compile(rf"<{name}>([^<]*)</{name}>") for name in ("interface", "floating", "sequence")}


def _rule_text(lines: list[str], at: int) -> str:
    """The `<rule>` element starting on 0-based line `at`, as one string."""
    out: list[str] = []
    for line in lines[at:]:
        out.append(line)
        if "</rule>" in line or line.rstrip().endswith("/>"):
            break
    return "\n".join(out)


def _in_automation(lines: list[str], at: int) -> bool:
    """Whether line `at` lies in the automation rules (`<rules>`) rather than `<filter>`."""
    for line in reversed(lines[:at]):
        stripped = line.strip()
        if stripped.startswith("<rules"):
            return True
        if stripped.startswith("<filter"):
            return False
    return False


def _tag(rule: str, name: str) -> str:
    found = _TAG[name].search(rule)
    return found.group(1).strip() if found else ""


def _free_sequence(lines: list[str], at: int) -> int | None:
    """A sequence number above every automation rule's below the denying one's."""
    denier = _tag(_rule_text(lines, at), "sequence")
    if not denier.isdigit():
        return None
    below = [int(m) for line in lines if (m := _tag(line, "sequence")).isdigit()
             and int(m) < int(denier)]
    candidate = max(below, default=0) + 1
    return candidate if candidate < int(denier) else None


class _Placer:
    def __init__(self, chains: ChainNames) -> None:
        self.chains = chains

    def place(self, lines: list[str], item: Insertion) -> int | None:
        if item.policy:
            return next((i for i, line in enumerate(lines) if line.strip() == "</filter>"), None)
        at = rule_start(lines, item.origin.line - 1)
        if at is None:
            return None
        if _in_automation(lines, at) and _free_sequence(lines, at) is None:
            return None
        return at

    def render(self, item: Insertion, lines: list[str], at: int) -> list[str]:
        near = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        unit = "\t" if "\t" in near or not near else "  "
        indent = near if lines[at].lstrip().startswith("<rule") else near + unit
        entry = self.chains.get(item.chain_key, ("", ""))[1]
        if not item.policy and _in_automation(lines, at):
            return [_automation_rule(item, entry, indent, unit, _free_sequence(lines, at) or 0,
                                     c) for c in item.cidrs()]
        denier = "" if item.policy else _rule_text(lines, at)
        floating = _tag(denier, "floating") == "yes"
        interface = entry if item.policy or floating else _tag(denier, "interface").split(",")[0]
        return [_filter_rule(item, interface, floating, indent, unit, c) for c in item.cidrs()]


def _uuid(item: Insertion, cidr: str) -> str:
    """The same rule gets the same uuid in every run (the diff stays stable)."""
    return str(uuid5(NAMESPACE_URL, f"hybridfw-fix:{item.flow}:{item.address}:{item.port}:{cidr}"))


def _ends(item: Insertion, cidr: str) -> tuple[str, str]:
    return (cidr, item.address) if item.direction == "inbound" else (item.address, cidr)


def _filter_rule(item: Insertion, interface: str, floating: bool, indent: str, unit: str,
                 cidr: str) -> str:
    inner = indent + unit
    src, dst = _ends(item, cidr)
    extra = ([f"{inner}<floating>yes</floating>", f"{inner}<quick>1</quick>",
              f"{inner}<direction>in</direction>"] if floating else [])
    return "\n".join([
        f"{indent}<rule uuid=\"{_uuid(item, cidr)}\">", f"{inner}<type>pass</type>",
        f"{inner}<interface>{interface}</interface>", *extra,
        f"{inner}<ipprotocol>{'inet' if item.family == 4 else 'inet6'}</ipprotocol>",
        f"{inner}<protocol>{item.protocol}</protocol>",
        f"{inner}<source><address>{src}</address></source>",
        f"{inner}<destination><address>{dst}</address><port>{item.port}</port></destination>",
        f"{inner}<descr><![CDATA[hybridfw fix: {item.flow}]]></descr>", f"{indent}</rule>"])


def _automation_rule(item: Insertion, interface: str, indent: str, unit: str, sequence: int,
                     cidr: str) -> str:
    inner = indent + unit
    src, dst = _ends(item, cidr)
    fields = {"enabled": "1", "sequence": str(sequence), "action": "pass", "quick": "1",
              "interface": interface, "direction": "in",
              "ipprotocol": "inet" if item.family == 4 else "inet6", "protocol": item.protocol,
              "source_net": src, "source_not": "0", "destination_net": dst, "destination_not": "0",
              "destination_port": str(item.port), "description": f"hybridfw fix: {item.flow}"}
    return "\n".join([f"{indent}<rule uuid=\"{_uuid(item, cidr)}\">",
                      *(f"{inner}<{k}>{v}</{k}>" for k, v in fields.items()), f"{indent}</rule>"])


class OpnsensePatcher(Patcher):
    formats = ("opnsense",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        placer = _Placer(chains)
        return splice(text, items, placer.place, placer.render)

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        return xml_rules_removable(text, lines)

    def remove(self, text: str, lines: set[int]) -> str:
        return drop_lines(text, xml_rule_lines(text, lines))

    # Aliases: the same elements as pfSense's, plus the MVC ``<content>`` (see `patch_pfsense`).
    groups = PfsensePatcher.groups
    drop_members = PfsensePatcher.drop_members
    member_command = PfsensePatcher.member_command
