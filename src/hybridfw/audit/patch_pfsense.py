"""Patcher for pfSense config.xml: a `<rule>` per missing range, placed where it takes effect.

pfSense evaluates an interface's rules in the order of `<filter>` (interface rules are quick:
the first match wins). A pass rule goes right before the `<rule>` that blocks the range (before the
line its start tag opens on, `rule_start`); a range the default deny takes gets its rule at the
end of `<filter>`. Needs the usual layout of a saved config (each `<rule>` starting its own
line, its start tag on one line or several); a rule it cannot place is left out and the
re-audit reports the range as still missing. `--remove-stale` deletes a whole `<rule>` element
(its lines) when the element has its lines to itself; otherwise it names the rule and keeps it.
A retired member of an alias goes from its ``<address>`` (and ``<detail>``) (`stale_members`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hybridfw.audit.patch_netfilter import drop_lines, splice
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher
from hybridfw.rulesets.groups import Group, GroupIndex, Member


class PfsensePatcher(Patcher):
    formats = ("pfsense",)

    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        def place(lines: list[str], item: Insertion) -> int | None:
            if not item.policy:
                return rule_start(lines, item.origin.line - 1)
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

    def groups(self, text: str, path: str) -> GroupIndex | None:
        from hybridfw.rulesets.groups_xml import xml_groups

        return xml_groups(text, path)

    def drop_members(self, text: str, drops: Sequence[tuple[Group, Member]]
                     ) -> tuple[str, list[tuple[Group, Member]]]:
        return xml_drop_members(text, drops)

    def member_command(self, group: Group, member: Member, rest: Sequence[Member]) -> str:
        return f"Firewall > Aliases > {group.name}: delete the entry {member.name}"


_RULE_OPEN = re.compile(r"<rule[\s>/]")
_RULE_HEAD = re.compile(r"<rule(?:[\s>/]|$)")  # a line opening a <rule> start tag


def rule_start(lines: Sequence[str], at: int) -> int | None:
    """The 0-based line where the `<rule` start tag whose closing '>' is on line `at` opens
    (a rule's evidence line is that of its '>', as libxml2 counts: `_xml_lines`): `at`
    itself, or an earlier line when the tag's attributes span lines. A new rule goes before
    that line: `<filter>` is evaluated in document order, and a line inside the tag would
    split it. None when line `at` does not close a start tag opened at the start of a line."""
    if not 0 <= at < len(lines):
        return None
    head = lines[at].lstrip()
    if _RULE_HEAD.match(head):
        return at
    if head.startswith("<"):  # another element's line, not the rest of a start tag
        return None
    for number in range(at - 1, -1, -1):  # no '<' inside a tag: XML forbids it in attributes
        if "<" in lines[number]:
            head = lines[number].lstrip()
            return number if _RULE_HEAD.match(head) and head.count("<") == 1 else None
    return None


def _rule_span(lines: list[str], start: int) -> range | None:
    """The 1-based lines of the `<rule>` element whose start tag ends on line `start` (its
    evidence line), when no other element shares them; None otherwise."""
    opens = rule_start(lines, start - 1)
    if opens is None:
        return None
    first = opens + 1
    closing = lines[start - 1].strip()
    if closing.endswith("/>") and sum(line.count("<") for line in lines[opens:start]) == 1:
        return range(first, start + 1)
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if "</rule>" in line:
            tail = line.split("</rule>", 1)[1].strip()
            opened = len(_RULE_OPEN.findall(line))
            return range(first, number + 1) if not tail and opened <= (number == first) else None
        if number > first and _RULE_OPEN.search(line):
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


_DETAIL = re.compile(r"<detail>(<!\[CDATA\[)?(.*?)(\]\]>)?</detail>", re.DOTALL)


def xml_drop_members(text: str, drops: Sequence[tuple[Group, Member]]
                     ) -> tuple[str, list[tuple[Group, Member]]]:
    """Aliases (pfSense, OPNsense) without the dropped members: the ``<address>`` (spaces) or
    ``<content>`` (new lines) text written again without them, and in ``<address>`` aliases the
    matching ``<detail>`` entry (``||``-separated, by position) when there is one per member."""
    rows = text.split("\n")
    done: list[tuple[Group, Member]] = []
    for group in sorted(dict.fromkeys(g for g, _m in drops), key=lambda g: -g.line):
        gone = {m.name for g, m in drops if g == group}
        tag = "content" if "<content>" in group.scope else "address"
        end = next((n for n in range(group.line, len(rows) + 1) if "</alias>" in rows[n - 1]), None)
        if end is None or not 1 <= group.line <= end:
            continue
        span = "\n".join(rows[group.line - 1:end])
        edited = _edit_alias(span, tag, gone)
        if edited is None:
            continue
        rows[group.line - 1:end] = edited.split("\n")
        done += [(g, m) for g, m in drops if g == group]
    return "\n".join(rows), done


def _edit_alias(span: str, tag: str, gone: set[str]) -> str | None:
    found = re.search(rf"<{tag}>([^<]*)</{tag}>", span)
    if found is None or span.count(f"<{tag}>") != 1:
        return None
    inner = found.group(1)
    tokens = inner.split()
    if tag == "content":
        kept = "\n".join(line for line in inner.split("\n") if line.strip() not in gone)
    else:
        kept = " ".join(t for t in tokens if t not in gone)
    out = span[:found.start(1)] + kept + span[found.end(1):]
    detail = _DETAIL.search(out)
    if tag == "address" and detail is not None:
        items = detail.group(2).split("||")
        if len(items) == len(tokens):
            left = "||".join(d for d, t in zip(items, tokens, strict=True) if t not in gone)
            out = out[:detail.start(2)] + left + out[detail.end(2):]
    return out
