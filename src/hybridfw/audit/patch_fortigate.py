"""Patcher for FortiGate configurations: the fix script (`commands_fortigate`) appended.

FortiOS reads a repeated ``config firewall policy`` as the same table and applies ``move`` in
order, so the configuration followed by the script is the configuration after running it; the
re-audit reads it that way too. Original lines are all kept.
"""

from __future__ import annotations

from hybridfw.audit.commands_fortigate import next_free_id, script
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher


class FortigatePatcher(Patcher):
    formats = ("fortigate",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        added = script(items, chains, next_free_id([text]), texts={i.origin.path: text for i in items})
        if not added:
            return text
        return text.rstrip("\n") + "\n# hybridfw fix: the commands to add, as FortiOS runs them\n" + added

    def remove(self, text: str, lines: set[int]) -> str:
        return text  # a policy spans several lines: --remove-stale does not edit FortiOS configs
