"""Patcher for pfSense config.xml: a `<rule>` per missing range, placed where it takes effect.

pfSense evaluates an interface's rules in the order of `<filter>` (interface rules are quick:
the first match wins). A pass rule goes right before the `<rule>` that blocks the range; a
range the default deny takes gets its rule at the end of `<filter>`. Needs the usual layout of
a saved config (each `<rule>` starting its own line); a rule it cannot place is left out and the
re-audit reports the range as still missing.
"""

from __future__ import annotations

from hybridfw.audit.patch_netfilter import splice
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

    def remove(self, text: str, lines: set[int]) -> str:
        return text  # a rule spans several lines: --remove-stale does not edit config.xml
