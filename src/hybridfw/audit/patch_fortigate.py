"""Patcher for FortiGate configurations: the fix script (`commands_fortigate`) appended.

FortiOS reads a repeated ``config firewall policy`` as the same table and applies ``move`` in
order, so the configuration followed by the script is the configuration after running it; the
re-audit reads it that way too. Original lines are all kept, except that `--remove-stale`
deletes a whole policy (``edit <id>`` to its ``next``) that admits only stale or foreign
addresses, unless a ``move`` names it (then it is named and kept).
"""

from __future__ import annotations

import re

from hybridfw.audit.commands_fortigate import next_free_id, script
from hybridfw.audit.patch_netfilter import drop_lines
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher


class FortigatePatcher(Patcher):
    formats = ("fortigate",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        added = script(items, chains, next_free_id([text]), texts={i.origin.path: text for i in items})
        if not added:
            return text
        return text.rstrip("\n") + "\n# hybridfw fix: the commands to add, as FortiOS runs them\n" + added

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        rows = text.split("\n")
        moved = {word for pair in _MOVE.findall(text) for word in pair}
        ok = {n for n in lines if _policy_span(rows, n) is not None
              and rows[n - 1].split()[1].strip('"') not in moved}
        return ok, ("" if ok == lines else "a `move` names the policy, or its `edit`/`next` lines "
                    "could not be found: `delete <id>` in its `config firewall policy` by hand")

    def remove(self, text: str, lines: set[int]) -> str:
        rows = text.split("\n")
        return drop_lines(text, {n for start in lines for n in (_policy_span(rows, start) or ())})


_MOVE = re.compile(r"^\s*move\s+(\S+)\s+(?:before|after)\s+(\S+)\s*$", re.MULTILINE)


def _policy_span(rows: list[str], start: int) -> range | None:
    """The 1-based lines from the ``edit <id>`` on line `start` to its ``next``."""
    if not 1 <= start <= len(rows) or len(rows[start - 1].split()) != 2 \
            or rows[start - 1].split()[0] != "edit":
        return None
    depth = 0
    for number in range(start + 1, len(rows) + 1):
        words = rows[number - 1].split()
        if words[:1] == ["config"]:
            depth += 1
        elif words == ["end"]:
            if depth == 0:
                return None
            depth -= 1
        elif words == ["next"] and depth == 0:
            return range(start, number + 1)
    return None
