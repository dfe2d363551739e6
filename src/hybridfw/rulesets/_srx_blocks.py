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

from hybridfw.rulesets._junos_tree import Deactivated

_QUOTED = r'"[^"\\\n]*+"'
_LINE = r"[ \t]*+[^\s{};\[\]][^{}\n;\[\]]*+"  # a statement's words: no "{};[]" (see `plain`)
_HEAD = r'[ \t]*+[^\s{};#"\[\]][^{}\n;#"\[\]]*+'  # a block's head: no quotes either
_END = r"\r?\n"  # a line break, CRLF too (the CLI does not translate them)
# a policy's block from its line to its "}", found after the line break before it
BLOCK = re.compile(rf"\n([ \t]*+policy ([^\s{{}};#\"\[\]]++) \{{{_END}(?:{_LINE};{_END}|{_HEAD}\{{{_END}"
                   rf"(?:{_LINE};{_END})*+[ \t]*+\}}{_END})*+[ \t]*+\}})(?={_END})")
_MATCH = re.compile(r"^[ \t]*+match[ \t]*+\{[ \t]*+\r?\n([^{}]*+)\}", re.MULTILINE)
_STRINGS = re.compile(_QUOTED)
_NAME = r"([A-Za-z0-9_./:@+-]++)"  # an application name `SrxPolicy.values` takes as one word
_APPLICATION = re.compile(rf"^[ \t]*+application {_NAME};[ \t]*+\r?$", re.MULTILINE)
# the line "application NAME;" in a "match {" block (no brace between: still in it)
_ONE = re.compile(rf"\n[ \t]*+match \{{{_END}(?:[ \t]*+[^{{}}\n]*+\n)*?[ \t]*+application {_NAME};{_END}")
MARKS = ("inactive:", "protect:", "replace:")


def bare(block: str, marks: bool, comments: bool, quotes: bool, hashes: bool) -> str | None:
    """A block `BLOCK` found without its quoted strings (for `applications`), when it may stay
    unread: no mark (``inactive:`` ...), no ``/*``, every double quote closing a string on its
    line, no "#" outside one (checked only when the text has any: `marks`, `comments`, `quotes`,
    `hashes`); else None."""
    if (marks and any(m in block for m in MARKS)) or (comments and "/*" in block):
        return None
    if quotes and '"' in block:
        block = _STRINGS.sub("", block)  # a quoted string is one word: none of its text is a statement's
        if '"' in block:
            return None
    return None if hashes and "#" in block else block


def applications(block: str, path: tuple[str, ...], off: Deactivated) -> tuple[str, ...] | None:
    """The applications of a policy from its unread block's text (`bare`: without its quoted
    strings; ``("any",)`` when it names none), as the reader would give them; None when only
    reading its lines can tell (an ``application`` word anywhere but as ``application NAME;``
    in a ``match`` block, or a deactivated path over or under the policy's `path`)."""
    if off.lengths and off.touches(path):
        return None
    found = block.count("application")
    if not found:
        return ("any",)
    if found == 1:  # the common case, one search (audit_vendor.py srx-text, CPU: 39 -> 18 ms for 20k)
        one = _ONE.search(block)
        return (one.group(1),) if one else None
    apps = [a for m in _MATCH.finditer(block) for a in _APPLICATION.findall(m.group(1))]
    # every "application" in the block is one of these lines: else the lines are read
    return tuple(apps) if len(apps) == found else None

