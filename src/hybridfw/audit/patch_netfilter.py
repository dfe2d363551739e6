"""Patchers for iptables-save / iptables-restore / `iptables -S` files and nft text files."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher
from hybridfw.audit.splice import Spliced, TextLines, by_list, splice_lazily, spots

_COMMENT = "hybridfw fix: {flow}"

# A packet that meets a chain's policy has passed every rule of the chain up to where it left:
# the chain's end, or a `goto` / `return` in the chain itself (then the policy applies without
# the rest of the chain being seen). So a fix for a policy denial goes before the chain's first
# goto / return, else at its end: after a goto it would never be reached.
_NFT_EXIT = re.compile(r"(?:^|[\s:])(?:goto\s|return\b)")


def _iptables_exit(line: str, chain: str) -> bool:
    """An `-A CHAIN` rule of `chain` that leaves it for the policy: `-g X` / `--goto X` / `-j RETURN`."""
    words = line.split()
    if len(words) < 2 or words[0] not in ("-A", "--append") or words[1] != chain:
        return False
    return any(w in ("-g", "--goto") for w in words) or any(
        a in ("-j", "--jump") and b == "RETURN" for a, b in itertools.pairwise(words))


def splice(text: str, items: list[Insertion], place: Callable[[list[str], Insertion], int | None],
           render: Callable[[Insertion, list[str], int], list[str]]) -> str:
    """Insert the rendered lines of each group before the 0-based line `place` gives (None: the
    group cannot be placed and is left out; the re-audit then still reports it), in the list of
    the text's lines (the reference of `splice_lazily`; the XML patchers' splice)."""
    lines = text.split("\n")
    return by_list(lines, sorted(spots(lines, items, place, render), key=lambda s: s[0], reverse=True))


def drop_lines(text: str, doomed: set[int]) -> str:
    return "\n".join(line for number, line in enumerate(text.split("\n"), start=1)
                     if number not in doomed)


class IptablesPatcher(Patcher):
    formats = ("iptables",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        return str(self.insert_lazily(text, items, chains))

    def insert_lazily(self, text: str, items: list[Insertion], chains: ChainNames) -> Spliced | str:
        def place(lines: TextLines, item: Insertion) -> int | None:
            if not item.policy:
                return item.origin.line - 1
            chain = chains.get(item.chain_key, ("", ""))[1]

            def leaves(line: str) -> bool:  # the table's COMMIT, or the chain's exit
                return line.strip() == "COMMIT" or _iptables_exit(line, chain)

            # Lines found by searching the text (a rule of `chain` names it): benchmarks/audit.py
            # --all-relevant, fix CPU -0.1 s. A list of lines (the reference) is walked.
            needles = ("COMMIT", chain) if chain else ("COMMIT",)  # "": no rule line names it
            found = (lines.first(item.origin.line, needles, leaves) if isinstance(lines, TextLines)
                     else next((at for at in range(item.origin.line, len(lines))
                                if leaves(lines[at])), None))
            if found is not None:
                return found
            return len(lines) - 1 if lines and not lines[-1].strip() else len(lines)

        def render(item: Insertion, lines: TextLines, at: int) -> list[str]:
            chain = chains.get(item.chain_key, ("", ""))[1]
            out = []
            for cidr in item.cidrs():
                src, dst = (cidr, item.local) if item.direction == "inbound" else (item.local, cidr)
                out.append(f"-A {chain} -s {src} -d {dst} -p {item.protocol} -m {item.protocol} "
                           f"--dport {item.port} -m comment --comment "
                           f"\"{_COMMENT.format(flow=item.flow)}\" -j ACCEPT")
            return out

        return splice_lazily(text, items, place, render)

    def remove(self, text: str, lines: set[int]) -> str:
        return drop_lines(text, lines)


class NftTextPatcher(Patcher):
    formats = ("nft",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        return str(self.insert_lazily(text, items, chains))

    def insert_lazily(self, text: str, items: list[Insertion], chains: ChainNames) -> Spliced | str:
        def place(lines: TextLines, item: Insertion) -> int | None:
            if not item.policy:
                return item.origin.line - 1
            end = _chain_end(lines, item.origin.line - 1)
            if end is None:
                return None
            for index in range(item.origin.line, end):
                if _NFT_EXIT.search(lines[index]):
                    return index
            return end

        def render(item: Insertion, lines: TextLines, at: int) -> list[str]:
            near = lines[at] if not item.policy else lines[max(0, at - 1)]
            indent = near[:len(near) - len(near.lstrip())] or "\t\t"
            fam = "ip" if item.family == 4 else "ip6"
            remote = ", ".join(item.cidrs())
            local_side, remote_side = (("daddr", "saddr") if item.direction == "inbound"
                                       else ("saddr", "daddr"))
            return [f"{indent}{fam} {remote_side} {{ {remote} }} {fam} {local_side} {item.address} "
                    f"{item.protocol} dport {item.port} accept comment "
                    f"\"{_COMMENT.format(flow=item.flow)}\""]

        return splice_lazily(text, items, place, render)

    def remove(self, text: str, lines: set[int]) -> str:
        return drop_lines(text, lines)


def _chain_end(lines: Sequence[str], policy_index: int) -> int | None:
    """The 0-based line of the "}" closing the chain whose policy statement is on
    `policy_index`; None when it shares a line with other text (a one-line chain)."""
    depth = 1
    for index in range(policy_index, len(lines)):
        line = lines[index]
        scan = line[line.find("policy"):] if index == policy_index else line
        for char in scan:
            depth += (char == "{") - (char == "}")
            if depth == 0:
                return index if line.strip() == "}" else None
    return None
