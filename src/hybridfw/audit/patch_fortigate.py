"""Patcher for FortiGate configurations: the fix script (`commands_fortigate`) appended.

FortiOS reads a repeated ``config firewall policy`` as the same table and applies ``move`` in
order, so the configuration followed by the script is the configuration after running it; the
re-audit reads it that way too. Original lines are all kept, except that `--remove-stale`
deletes a whole policy (``edit <id>`` to its ``next``) that admits only stale or foreign
addresses, unless a ``move`` names it (then it is named and kept), and takes a retired member
out of an ``addrgrp`` by writing its ``set member`` line again (`stale_members`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridfw.audit.commands_fortigate import next_free_id, script
from hybridfw.audit.patch_netfilter import drop_lines
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher
from hybridfw.rulesets.groups import Group, GroupIndex, Member


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


    def groups(self, text: str, path: str) -> GroupIndex | None:
        from hybridfw.rulesets.groups_fortigate import fortigate_groups

        return fortigate_groups(text, path)

    def drop_members(self, text: str, drops: Sequence[tuple[Group, Member]]
                     ) -> tuple[str, list[tuple[Group, Member]]]:
        """The group's ``set member`` line written again without the dropped members."""
        rows = text.split("\n")
        done = []
        for group in dict.fromkeys(g for g, _m in drops):
            gone = [m for g, m in drops if g == group]
            line = gone[0].line
            if not 1 <= line <= len(rows) or rows[line - 1].split()[:2] != ["set", "member"]:
                continue
            row = rows[line - 1]
            indent = row[:len(row) - len(row.lstrip())]
            kept = [m.name for m in group.members if m not in gone]
            end = "\r" if row.endswith("\r") else ""
            rows[line - 1] = f"{indent}set member " + " ".join(_quoted(n) for n in kept) + end
            done += [(group, m) for m in gone]
        return "\n".join(rows), done

    def member_command(self, group: Group, member: Member, rest: Sequence[Member]) -> str:
        table, _, vdom = group.scope.partition(" in VDOM ")
        inner = (f"config {table} / edit {_quoted(group.name)} / "
                 f"unselect member {_quoted(member.name)} / next / end")
        return f"config vdom / edit {vdom} / {inner} / end" if vdom else inner


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
