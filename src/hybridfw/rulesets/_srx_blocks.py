"""Policy blocks of the hierarchical Junos form found whole, for the SRX line reader
(`_srx_lines`): ``policy P {`` and its closing ``}`` with, between them, only statements (``a
b;``, double-quoted strings allowed) and blocks of statements (``match { ... }``), one per line,
as ``show configuration`` writes them. Such a block is found by one regular expression over the
whole text (`found`); the line reader keeps it unread in its policy's record (`Record.block`)
and reads its lines only when the policy is built. `judge` says, from the block's text, which
applications the policy matches, as `SrxPolicy.values` would give them once read.

Anything else in a policy's block (``inactive:`` and other marks, ``[ ]`` lists, ``#`` or
``/* */`` comments, a quoted string other than a ``description``'s, blank lines, deeper blocks,
a quote in a block's head ...) makes it be read line by line, as before.

The compiled build finds and judges the blocks in C (``_srxblocks.c``, the same answers:
tests/rulesets/test_srx_blocks_c.py); `found` is the reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hybridfw.rulesets._junos_tree import Deactivated

_QUOTED = r'"[^"\\\n]*+"'
_LINE = r"[ \t]*+[^\s{};\[\]][^{}\n;\[\]]*+"  # a statement's words: no "{};[]" (see `plain`)
_HEAD = r'[ \t]*+[^\s{};#"\[\]][^{}\n;#"\[\]]*+'  # a block's head: no quotes either
_END = r"\r?\n"  # a line break, CRLF too (the CLI does not translate them)
# a policy's block from its line to its "}", found after the line break before it
BLOCK = re.compile(rf"\n([ \t]*+policy ([^\s{{}};#\"\[\]]++) \{{{_END}(?:{_LINE};{_END}|{_HEAD}\{{{_END}"
                   rf"(?:{_LINE};{_END})*+[ \t]*+\}}{_END})*+[ \t]*+\}})(?={_END})")
# a description's string, the one quoted string an unread block may hold
_DESCRIPTION = re.compile(rf"^([ \t]*+description ){_QUOTED};", re.MULTILINE)
_NAME = r"([A-Za-z0-9_./:@+-]++)"  # an application name `SrxPolicy.values` takes as one word
# the line "application NAME;" in a "match {" block (no brace between: still in it)
_ONE = re.compile(rf"\n[ \t]*+match \{{{_END}(?:[ \t]*+[^{{}}\n]*+\n)*?[ \t]*+application {_NAME};{_END}")
MARKS = ("inactive:", "protect:", "replace:")
ANY = ("any",)

# What the applications of an unread block are: a tuple (told), None (bare, but only its lines
# tell), False (not bare: its lines are read now).
Told = tuple[str, ...] | bool | None
# A policy block found: its start (after the line break before it), the position after the line
# break after it, its text, the policy's name, its line breaks, what `judge` tells.
Found = tuple[int, int, str, str, int, Told]


def bare(block: str, marks: bool, comments: bool, quotes: bool, hashes: bool) -> str | None:
    """A block `BLOCK` found without its descriptions' strings, when it may stay unread: no mark
    (``inactive:`` ...), no ``/*``, no double quote but in ``description "...";``, no "#" outside
    one (checked only when the text has any: `marks`, `comments`, `quotes`, `hashes`); else None."""
    if (marks and any(m in block for m in MARKS)) or (comments and "/*" in block):
        return None
    if quotes and '"' in block:
        block = _DESCRIPTION.sub(r"\1;", block)  # a description's string is one word, never an application
        if '"' in block:
            return None
    return None if hashes and "#" in block else block


def judge(block: str, marks: bool = True, comments: bool = True, quotes: bool = True,
          hashes: bool = True) -> Told:
    """What a block's text tells of its policy's applications (see `Told`): ``("any",)`` when it
    names none, the one ``application NAME;`` of a ``match`` block; None when only reading its
    lines can tell (more than one "application", or one elsewhere)."""
    text = bare(block, marks, comments, quotes, hashes)
    if text is None:
        return False
    count = text.count("application")
    if not count:
        return ANY
    one = _ONE.search(text) if count == 1 else None
    return (one.group(1),) if one else None


def found(text: str, flags: tuple[bool, bool, bool, bool]) -> Iterator[Found]:
    """Every policy block `BLOCK` finds in `text` (`flags`: what the text has at all, see
    `bare`), judged."""
    for m in BLOCK.finditer(text):
        block, end = m.group(1), m.end()
        yield (m.start() + 1, end + (2 if text[end] == "\r" else 1), block, m.group(2), block.count("\n"),
               judge(block, *flags))


def applications(told: Told, path: tuple[str, ...], off: Deactivated) -> tuple[str, ...] | None:
    """The applications of a policy whose unread block `judge` told `told`, as the reader would
    give them; None when only reading its lines can tell (also with a deactivated path over or
    under the policy's `path`)."""
    if not isinstance(told, tuple) or (off.lengths and off.touches(path)):
        return None
    return told
