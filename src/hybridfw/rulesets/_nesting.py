"""How deep object groups nest: the check a scoped parse makes before it leaves out rules
whose addresses it does not resolve (FortiGate, ASA, PAN-OS XML). A chain longer than the
readers' `MAX_NESTING`, or a loop, makes a name fail to resolve in one order and not in another,
so such a parse must then resolve every rule."""

from __future__ import annotations


def longest_chain(edges: dict[str, list[str]]) -> int | None:
    """Edges of the longest chain of names under any name of `edges` (a name's members; a
    member that is not a key has none); None when the names loop."""
    height: dict[str, int] = {}
    for start in edges:
        if start not in height and not _heights(start, edges, height):
            return None
    return max(height.values(), default=0)


def _heights(start: str, edges: dict[str, list[str]], height: dict[str, int]) -> bool:
    """Fill `height` (edges of the longest chain below a name) for all names under `start`;
    False on a loop. Iterative: a chain may be far deeper than Python's recursion limit."""
    on_path: set[str] = set()
    stack: list[tuple[str, int]] = [(start, 0)]
    while stack:
        name, at = stack.pop()
        members = edges.get(name, [])
        if at == 0:
            if name in on_path:
                return False
            on_path.add(name)
        while at < len(members) and members[at] in height:
            at += 1
        if at < len(members):
            if members[at] in on_path:
                return False
            stack += [(name, at + 1), (members[at], 0)]
            continue
        height[name] = max((height[m] + 1 for m in members), default=0)
        on_path.discard(name)
    return True
