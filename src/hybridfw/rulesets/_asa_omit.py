"""Cisco ASA scoped parse: the common access-list lines no audited packet can match, found by
one compiled pattern over the whole text, so no Python work is done per line left out.

A line is left out here only when `FAST_ACE` reads it with the same groups and the read pass
would leave it out too (`_AsaReader.read`): `tcp`/`udp`, `eq` a port number no audited TCP or
UDP packet has, literal operands or an object / object-group / interface operand (checked to
resolve before the pre-pass result is used, see `asa._read_scoped`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

from hybridfw.rulesets._asa_ace import _MASK, _V4
from hybridfw.rulesets.scope import Scope

MARK = "\x00"  # a line left out, in the kept text: it ends an object's member block as the ACE did
# The literal operands of `_FAST_OPERAND` in its order (host V4 | V4 MASK | any[46] or V4/LEN)
_LITERAL = rf"host {_V4}|{_V4} (?:{_MASK})|any[46]?|{_V4}/(?:3[0-2]|[12]?[0-9])"
_PORT = r"0*(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
# Line breaks splitlines() knows besides "\n": with one of them the pattern's lines are not its lines
_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_WIDE_BREAKS = ("\x85", "\u2028", "\u2029")


@lru_cache(maxsize=16)
def _pattern(audited: frozenset[int]) -> re.Pattern[str]:
    """Groups: the ACL's name, a non-literal source, a non-literal destination (or None).
    A destination object-group may be a service group (a port operand): not here."""
    kept = "|".join(str(port) for port in sorted(audited))
    not_audited = rf"(?!0*(?:{kept})[ \t]*$)" if kept else ""
    return re.compile(
        rf"^access-list (\S+) extended (?:permit|deny) (?:tcp|udp) "
        rf"(?:{_LITERAL}|((?:object-group|object|interface) \S+)) "
        rf"(?:{_LITERAL}|((?:object|interface) \S+)) eq {not_audited}{_PORT}[ \t]*$", re.MULTILINE)


@dataclass
class LeftOut:
    """What the pre-pass left out: `kept` is the text with each such line replaced by `MARK`;
    per ACL the number of lines and the first one's number; the non-literal operands named."""

    kept: str
    counts: dict[str, int]
    first_lines: dict[str, int]
    operands: set[tuple[str, ...]]


def leave_out(text: str, scope: Scope) -> LeftOut | None:
    """The pre-pass, or None when it leaves nothing out or cannot number lines as the reader
    (`str.splitlines`) does."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # the same lines for splitlines
    if any(mark in text for mark in _BREAKS) or (
            not text.isascii() and any(mark in text for mark in _WIDE_BREAKS)):
        return None
    audited = frozenset(port for packets in (scope.inbound, scope.outbound) for name, port in packets
                        if name in ("tcp", "udp"))
    parts = _pattern(audited).split(text)
    if len(parts) == 1:
        return None
    chunks, names = parts[0::4], parts[1::4]
    counts = Counter(names)
    first_index = dict(zip(reversed(names), range(len(names) - 1, -1, -1), strict=True))
    first_lines: dict[str, int] = {}
    line, done = 1, 0
    for index, name in sorted((index, name) for name, index in first_index.items()):
        # the line of left-out line k: 1 + the line breaks in chunks[0..k]
        line += sum(map(str.count, chunks[done:index + 1], repeat("\n")))
        done = index + 1
        first_lines[name] = line
    operands = {tuple(spelling.split(" ")) for spelling in {*parts[2::4], *parts[3::4]} if spelling}
    return LeftOut(MARK.join(chunks), dict(counts), first_lines, operands)
