"""FortiGate address groups (``config firewall addrgrp`` / ``addrgrp6``, per VDOM) and every
field that names them (see `groups`).

A member is exact when it is a ``subnet`` / ``iprange`` address (or its IPv6 kin); a member that
is itself a group is listed as one. A policy's ``srcaddr``/``srcaddr6`` and ``dstaddr``/
``dstaddr6`` are rule uses (the rule's line is its ``edit`` line); a group's ``member`` is a
group use; any other field naming the group (``exclude-member``, local-in, proxy, NAT ...) is
another use.
"""

from __future__ import annotations

from hybridfw.rulesets._fortigate_objects import Objects
from hybridfw.rulesets._fortios_tree import Block, Entry, find_blocks, parse_tree
from hybridfw.rulesets.groups import Group, GroupIndex, Member, Use

_GROUP_TABLES = {"firewall addrgrp": 4, "firewall addrgrp6": 6}
_POLICY_TABLES = ("firewall policy", "firewall policy6")
_SIDES = {"srcaddr": "source", "srcaddr6": "source", "dstaddr": "destination",
          "dstaddr6": "destination"}
_FREE_TEXT = ("comment", "comments", "name", "uuid", "description")


def _key(vdom: str, table: str, name: str) -> str:
    return f"{vdom}|{table}|{name}"


def fortigate_groups(text: str, path: str) -> GroupIndex:
    index = GroupIndex()
    blocks = find_blocks(parse_tree(text, path))
    by_vdom: dict[str, dict[str, list[Block]]] = {}
    for table, found in blocks.items():
        for vdom, block in found:
            by_vdom.setdefault(vdom, {}).setdefault(table, []).append(block)
    for vdom, tables in by_vdom.items():
        names: dict[str, list[str]] = {}
        for table in _GROUP_TABLES:
            for block in tables.get(table, ()):
                for entry in block.entries:
                    names.setdefault(entry.name, []).append(_key(vdom, table, entry.name))
        if not names:
            continue
        objects = Objects(path, tables)
        for table, family in _GROUP_TABLES.items():
            for block in tables.get(table, ()):
                for entry in block.entries:
                    index.groups[_key(vdom, table, entry.name)] = _group(
                        entry, vdom, table, family, names, objects)
        for table, vdom_blocks in tables.items():
            for one in vdom_blocks:
                for entry in one.entries:
                    _uses(index, entry, vdom, table, names)
    return index


def _group(entry: Entry, vdom: str, table: str, family: int, names: dict[str, list[str]],
           objects: Objects) -> Group:
    field = entry.fields.get("member")
    members: list[Member] = []
    for name in field.values if field is not None else ():
        nested = [k for k in names.get(name, ()) if k.split("|")[1] == table]
        if nested:
            members.append(Member(name, field.line if field else 0, None, nested[0]))
            continue
        found = objects.address(name, entry.line, 4 if family == 4 else 6)
        exact = found.sure if not found.maybe and not found.reasons else None
        members.append(Member(name, field.line if field else 0, exact))
    return Group(_key(vdom, table, entry.name), entry.name, entry.line, tuple(members),
                 scope=f"{table}" + (f" in VDOM {vdom}" if vdom else ""))


def _uses(index: GroupIndex, entry: Entry, vdom: str, table: str,
          names: dict[str, list[str]]) -> None:
    for key, field in entry.fields.items():
        if key in _FREE_TEXT:
            continue
        for value in field.values:
            for group in names.get(value, ()):
                if table in _POLICY_TABLES and key in _SIDES:
                    use = Use(field.line, f"policy {entry.name} {key}", rule=entry.line,
                              side=_SIDES[key])
                elif table in _GROUP_TABLES and key == "member":
                    use = Use(field.line, f"addrgrp {entry.name} member",
                              group=_key(vdom, table, entry.name))
                else:
                    use = Use(field.line, f"{table} {entry.name} {key}")
                index.add_use(group, use)
    for block in entry.blocks:
        for inner in [block.body, *block.entries]:
            _uses(index, inner, vdom, f"{table} > {block.path}", names)
