"""Policy blocks of the hierarchical Junos form found whole, for the SRX line reader
(`_srx_lines`): ``policy P {`` and its closing ``}`` with, between them, only statements (``a
b;``, double-quoted strings allowed) and blocks of statements (``match { ... }``), one per line,
as ``show configuration`` writes them. Such a block is found by one regular expression over the
whole text; the line reader keeps it unread in its policy's record (`Record.block`) and reads
its lines only when the policy is built. `applications` says, from the block's text, which
applications the policy matches, as `SrxPolicy.values` would give them once read.

Anything else in a policy's block (``inactive:`` and other marks, ``[ ]`` lists, ``#`` or
``/* */`` comments, blank lines, deeper blocks, a quote in a block's head ...) makes the
expression miss it: its lines are read one by one, as before.
"""

from __future__ import annotations

import re
import string

from hybridfw.rulesets._junos_tree import Deactivated

_QUOTED = r'"[^"\\\n]*+"'
_LINE = r"[ \t]*+[^\s{};\[\]][^{}\n;\[\]]*+"  # a statement's words: no "{};[]" (see `plain`)
_HEAD = r'[ \t]*+[^\s{};#"\[\]][^{}\n;#"\[\]]*+'  # a block's head: no quotes either
# a policy's block from its line to its "}", found after the line break before it
BLOCK = re.compile(rf"\n([ \t]*+policy ([^\s{{}};#\"\[\]]++) \{{\n(?:{_LINE};\n|{_HEAD}\{{\n(?:{_LINE};\n)*+"
                   rf"[ \t]*+\}}\n)*+[ \t]*+\}})(?=\n)")
_MATCH = re.compile(r"^[ \t]*+match[ \t]*+\{[ \t]*+\r?\n([^{}]*+)\}", re.MULTILINE)
_APPLICATION = re.compile(r"^[ \t]*+application ([A-Za-z0-9_./:@+-]++);[ \t]*+\r?$", re.MULTILINE)
_STRINGS = re.compile(_QUOTED)
MARKS = ("inactive:", "protect:", "replace:")


def plain(block: str, marks: bool, comments: bool, quotes: bool, hashes: bool) -> bool:
    """Whether a block `BLOCK` found may stay unread: no mark (``inactive:`` ...), no ``/*``,
    every double quote closing a string on its line, no "#" outside one (checked only when the
    text has any: `marks`, `comments`, `quotes`, `hashes`)."""
    if (marks and any(m in block for m in MARKS)) or (comments and "/*" in block):
        return False
    if quotes and '"' in block:
        block = _STRINGS.sub("", block)
        if '"' in block:
            return False
    return not (hashes and "#" in block)


def applications(block: str, path: tuple[str, ...], off: Deactivated) -> tuple[str, ...] | None:
    """The applications of a policy from its unread block's text (``("any",)`` when it names
    none), as the reader would give them; None when only reading its lines can tell (an
    ``application`` word anywhere but as ``application NAME;`` in a ``match`` block, or a
    deactivated path over or under the policy's `path`)."""
    if off.lengths and off.touches(path):
        return None
    if '"' in block:  # a quoted string is one word: none of its text is a statement's
        block = _STRINGS.sub("", block)
    found = block.count("application")
    if not found:
        return ("any",)
    if found == 1:  # the common case by string search (audit_vendor.py srx-text: see docs)
        return _one(block, block.find("application"))
    apps = [a for m in _MATCH.finditer(block) for a in _APPLICATION.findall(m.group(1))]
    # every "application" in the block is one of these lines: else the lines are read
    return tuple(apps) if len(apps) == found else None


_NAME = string.ascii_letters + string.digits + "-_./:@+"


def _one(block: str, at: int) -> tuple[str, ...] | None:
    """``application NAME;``, the only "application" in the block (at `at`), as a line of a
    ``match`` block: (NAME,); None for anything else."""
    start, end = block.rfind("\n", 0, at) + 1, block.find("\n", at)
    line = block[at:end if end >= 0 else len(block)].rstrip(" \t\r")
    name = line[12:-1]
    if (block[start:at].strip(" \t") or not line.startswith("application ") or line[-1] != ";"
            or not name or name.strip(_NAME)):
        return None
    opened = block.rfind("{", 0, at)  # the block it is in: no "}" between
    if block.find("}", opened, at) >= 0:
        return None
    head = block[block.rfind("\n", 0, opened) + 1:opened].split()
    return (name,) if head == ["match"] else None
