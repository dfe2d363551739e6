"""Patcher for Juniper SRX configurations (both forms), keeping every original line.

``display set`` form: the fix's ``set`` and ``insert`` commands are appended (the reader applies
``insert`` as Junos does). Hierarchical form: a new policy that goes before a denying policy is
written into the text right before that policy's ``policy NAME {`` line; the others, and the
address book entries and applications, follow the configuration in top-level blocks (as ``load
merge`` would add them: a policy there goes to the end of its zone pair). A policy whose
``policy NAME {`` line cannot be found stays at the end; the re-audit then reports the range.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridfw.audit.commands_srx import (
    NewPolicy,
    facts_of,
    nested_blocks,
    new_policies,
    object_blocks,
    policy_block,
    set_commands,
)
from hybridfw.audit.fix_groups import first_fix_number
from hybridfw.audit.patch_netfilter import drop_lines
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher
from hybridfw.rulesets.groups import Group, GroupIndex, Member

_SET_LINE = re.compile(r"^\s*(?:set|deactivate|delete|insert) ", re.MULTILINE)


def _is_set_form(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and len(_SET_LINE.findall(text)) * 2 > len(lines)


def _opening(lines: list[str], policy: NewPolicy, near: int) -> int | None:
    """The index of ``policy <before> {`` at or above file line `near` (1-based; a policy's
    line is that of its first statement)."""
    opening = re.compile(rf"^\s*(?:inactive:\s*)?policy\s+{re.escape(policy.before or '')}\s*\{{")
    for at in range(min(near, len(lines)) - 1, -1, -1):
        if opening.match(lines[at]):
            return at
    return None


def _hierarchical(text: str, policies: list[NewPolicy], zone_books: bool) -> str:
    lines = text.rstrip("\n").split("\n")
    placed: dict[int, list[str]] = {}
    rest: list[NewPolicy] = []
    for p in policies:
        at = None if p.before is None else _opening(lines, p, p.line)
        if at is None:
            rest.append(p)
            continue
        indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        placed.setdefault(at, []).extend(policy_block(p, indent))
    out: list[str] = []
    for number, line in enumerate(lines):
        out += placed.get(number, [])
        out.append(line)
    out.append("/* hybridfw fix: the objects and policies to add */")
    out += object_blocks(policies, zone_books)
    for p in rest:
        out += nested_blocks(f"{p.at}security policies", [f"from-zone {p.from_zone} to-zone {p.to_zone} {{",
                                                    *policy_block(p, " " * 4), "}"])
    return "\n".join(out) + "\n"


class SrxPatcher(Patcher):
    formats = ("srx",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        facts = facts_of({"": text})
        policies = new_policies(items, chains, first_fix_number([text]), facts)
        if not policies:
            return text
        if _is_set_form(text):
            return (text.rstrip("\n") + "\n# hybridfw fix: the commands to add\n"
                    + set_commands(policies, facts.zone_books))
        return _hierarchical(text, policies, facts.zone_books)

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        return set(), ("hybridfw does not delete Junos policies (a policy's statements are spread "
                       "over the configuration, and `insert` lines may name it): check what else it "
                       "admits, then `delete security policies from-zone A to-zone B policy NAME`")

    def remove(self, text: str, lines: set[int]) -> str:
        return text  # nothing is removable (see `removable`)


    def groups(self, text: str, path: str) -> GroupIndex | None:
        from hybridfw.rulesets.groups_srx import srx_groups

        return srx_groups(text, path)

    def drop_members(self, text: str, drops: Sequence[tuple[Group, Member]]
                     ) -> tuple[str, list[tuple[Group, Member]]]:
        """The member's statement line deleted: ``set ... address-set S address M`` (set form)
        or ``address M;`` alone on its line inside ``address-set S { }`` (hierarchical)."""
        rows = text.split("\n")
        set_form = _is_set_form(text)
        done = [(g, m) for g, m in drops if 1 <= m.line <= len(rows)
                and _member_line(rows[m.line - 1], g.name, m.name, set_form)]
        return drop_lines(text, {m.line for _g, m in done}), done

    def member_command(self, group: Group, member: Member, rest: Sequence[Member]) -> str:
        book = (f"security zones security-zone {group.scope.split()[1]} address-book"
                if group.scope.startswith("zone ") else f"security {group.scope}")
        return f"delete {book} address-set {group.name} address {member.name}"


def _member_line(line: str, group: str, member: str, set_form: bool) -> bool:
    words = [w.strip('"') for w in line.replace(";", " ; ").split()]
    if set_form:
        return words[:1] == ["set"] and words[-4:] == ["address-set", group, "address", member]
    return words == ["address", member, ";"]
