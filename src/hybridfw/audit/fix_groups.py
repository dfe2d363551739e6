"""Insertions grouped into one new rule each, for the vendor fixes that add named policies."""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridfw.addresses import AddressSet
from hybridfw.audit.patch_types import Insertion

_FIX_NUMBER = re.compile(r"hybridfw-fix-(\d+)")


def first_fix_number(texts: Sequence[str]) -> int:
    """The N for the next ``hybridfw-fix-N`` rule: above every one already in `texts` (an
    earlier fix kept), 1 when there is none."""
    return max((int(n) for text in texts for n in _FIX_NUMBER.findall(text)), default=0) + 1


def group_insertions(items: Sequence[Insertion]) -> list[list[Insertion]]:
    """Items with the same entry, denying rule, flow and port become one rule: a flow requires
    the same remote addresses for each of its on-premises addresses, so the union admits only
    required pairs."""
    found: dict[tuple[object, ...], list[Insertion]] = {}
    for item in items:
        key = (item.chain_key, item.policy, item.origin.line, item.flow, item.direction,
               item.port, item.protocol)
        found.setdefault(key, []).append(item)
    return list(found.values())


def sides(group: Sequence[Insertion]) -> tuple[AddressSet, AddressSet]:
    """(sources, destinations) of the group's rule."""
    remote = AddressSet.union_all(i.remote for i in group)
    local = AddressSet.parse(sorted({i.local for i in group}))
    return (remote, local) if group[0].direction == "inbound" else (local, remote)
