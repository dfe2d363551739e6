"""Patcher for pfSense config.xml: a `<rule>` per missing range, placed where it takes effect.

pfSense evaluates an interface's rules in the order of `<filter>` (interface rules are quick:
the first match wins). A pass rule goes right before the `<rule>` that blocks the range; a
range the default deny takes gets its rule at the end of `<filter>`. Needs the usual layout of
a saved config (each `<rule>` starting its own line); a rule it cannot place is left out and the
re-audit reports the range as still missing. `--remove-stale` deletes a whole `<rule>` element
(its lines) when the element has its lines to itself; otherwise it names the rule and keeps it.
"""

from __future__ import annotations

import re

from hybridfw.audit.patch_netfilter import drop_lines, splice
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher


class PfsensePatcher(Patcher):
    formats = ("pfsense",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        def place(lines: list[str], item: Insertion) -> int | None:
            if not item.policy:
                at = item.origin.line - 1
                ok = 0 <= at < len(lines) and lines[at].lstrip().startswith("<rule")
                return at if ok else None
            return next((i for i, line in enumerate(lines) if line.strip() == "</filter>"), None)

        def render(item: Insertion, lines: list[str], at: int) -> list[str]:
            near = lines[at]
            indent = near[:len(near) - len(near.lstrip())] or "\t\t"
            inner = indent + "\t"
            interface = chains.get(item.chain_key, ("", ""))[1]
            family = "inet" if item.family == 4 else "inet6"
            out = []
            for cidr in item.cidrs():
                src, dst = (cidr, item.address) if item.direction == "inbound" else (item.address, cidr)
                out.append("\n".join([f"{indent}<rule>",
                        f"{inner}<type>pass</type>",
                        f"{inner}<interface>{interface}</interface>",
                        f"{inner}<ipprotocol>{family}</ipprotocol>",
                        f"{inner}<protocol>{item.protocol}</protocol>",
                        f"{inner}<source><address>{src}</address></source>",
                        f"{inner}<destination><address>{dst}</address><port>{item.port}</port></destination>",
                        f"{inner}<descr><![CDATA[hybridfw fix: {item.flow}]]></descr>",
                        f"{indent}</rule>"]))
            return out

        return splice(text, items, place, render)

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        return xml_rules_removable(text, lines)

    def remove(self, text: str, lines: set[int]) -> str:
        return drop_lines(text, xml_rule_lines(text, lines))


_RULE_OPEN = re.compile(r"<rule[\s>/]")


def _rule_span(lines: list[str], start: int) -> range | None:
    """The 1-based lines of the `<rule>` element starting on line `start`, when no other
    element shares them; None otherwise."""
    if not 1 <= start <= len(lines) or not _RULE_OPEN.match(lines[start - 1].lstrip()):
        return None
    first = lines[start - 1].strip()
    if first.endswith("/>") and first.count("<") == 1:
        return range(start, start + 1)
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if "</rule>" in line:
            tail = line.split("</rule>", 1)[1].strip()
            opened = len(_RULE_OPEN.findall(line))
            return range(start, number + 1) if not tail and opened <= (number == start) else None
        if number > start and _RULE_OPEN.search(line):
            return None
    return None


def xml_rules_removable(text: str, lines: set[int]) -> tuple[set[int], str]:
    """The `<rule>` elements (pfSense, OPNsense config.xml) on `lines` that can be deleted."""
    rows = text.split("\n")
    ok = {n for n in lines if _rule_span(rows, n) is not None}
    return ok, ("" if ok == lines else "the <rule> element does not start and end on lines of its "
                "own: delete it in the web interface")


def xml_rule_lines(text: str, lines: set[int]) -> set[int]:
    """Every line of the `<rule>` elements starting on `lines`."""
    rows = text.split("\n")
    return {n for start in lines for n in (_rule_span(rows, start) or ())}
