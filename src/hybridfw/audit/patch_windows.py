"""Patched copies of a Windows Defender Firewall export: the export as it will read after the
fix's allow rules are added (`commands_windows`), for `--fixed-out` and the re-audit.

The netsh text gets one ``Rule Name:`` block per allow rule in the layout of ``show rule
name=all verbose``; the JSON export gets one rule object per allow rule (the document is
written again, indented, so its layout changes; every rule in it is kept). Rules are never
ordered on Windows, so where they go does not matter. Ranges a block rule denies stay denied:
the re-audit reports them, and the commands name the block rule.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from hybridfw.audit.commands_windows import AllowRule, allow_rules
from hybridfw.audit.fix_groups import first_fix_number
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher

_WIDTH = 38
_NOT_REMOVED = ("an export is a copy, not the firewall: check what else the rule admits, then "
                "disable it on the server (Disable-NetFirewallRule -DisplayName NAME)")


def _netsh_address(cidr: str) -> str:
    net = ipaddress.ip_network(cidr)
    return net.with_netmask if net.version == 4 else str(net)


def _block(rule: AllowRule) -> str:
    def row(key: str, value: str) -> str:
        return f"{key + ':':<{_WIDTH}}{value}".rstrip() if value else f"{key + ':':<{_WIDTH}}"

    port = str(rule.port)
    return "\n".join([
        "", row("Rule Name", rule.name), "-" * 70, row("Enabled", "Yes"),
        row("Direction", "In" if rule.inbound else "Out"), row("Profiles", "Domain,Private,Public"),
        row("Grouping", ""), row("LocalIP", ",".join(map(_netsh_address, rule.local.to_cidrs()))),
        row("RemoteIP", ",".join(map(_netsh_address, rule.remote.to_cidrs()))),
        row("Protocol", rule.protocol.upper()), row("LocalPort", port if rule.inbound else "Any"),
        row("RemotePort", "Any" if rule.inbound else port), row("Edge traversal", "No"),
        row("InterfaceTypes", "Any"), row("Security", "NotRequired"),
        row("Rule source", "Local Setting"), row("Action", "Allow"), ""])


def _json_rule(rule: AllowRule) -> dict[str, Any]:
    port = str(rule.port)
    return {"Name": rule.name, "DisplayName": f"{rule.name} ({rule.flow})", "Enabled": "True",
            "Direction": "Inbound" if rule.inbound else "Outbound", "Profile": "Any",
            "Action": "Allow", "LocalAddress": rule.local.to_cidrs(),
            "RemoteAddress": rule.remote.to_cidrs(), "Protocol": rule.protocol.upper(),
            "LocalPort": port if rule.inbound else "Any",
            "RemotePort": "Any" if rule.inbound else port, "Program": "Any", "Service": "Any",
            "InterfaceType": "Any", "Authentication": "NotRequired",
            "Encryption": "NotRequired", "OverrideBlockRules": False}


class NetshPatcher(Patcher):
    formats = ("windows-netsh",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        rules = allow_rules(items, first_fix_number([text]))
        return text.rstrip("\n") + "\n" + "".join(_block(r) for r in rules) if rules else text

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        return set(), _NOT_REMOVED

    def remove(self, text: str, lines: set[int]) -> str:
        return text  # nothing is removable (see `removable`)


class WindowsJsonPatcher(Patcher):
    formats = ("windows-json",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        rules = allow_rules(items, first_fix_number([text]))
        if not rules:
            return text
        doc = json.loads(text.lstrip("\ufeff"))
        added = [_json_rule(r) for r in rules]
        if isinstance(doc, dict):
            found = doc.get("Rules")
            doc["Rules"] = ([*found] if isinstance(found, list) else [found] if found else []) + added
        else:
            doc = [*doc, *added] if isinstance(doc, list) else [doc, *added]
        return json.dumps(doc, indent=4) + "\n"

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        return set(), _NOT_REMOVED

    def remove(self, text: str, lines: set[int]) -> str:
        return text  # nothing is removable (see `removable`)
