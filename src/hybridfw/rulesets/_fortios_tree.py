"""The FortiOS configuration language as a tree (``show full-configuration``, backup ``.conf``).

A configuration is nested blocks::

    config firewall address          <- a block (its path: "firewall address")
        edit "EOP-1"                  <- a table entry
            set subnet 40.92.0.0 255.254.0.0
        next
    end

``set`` replaces a field's values, ``append`` (and ``select``) adds to them, ``unset`` clears
it. ``config`` blocks nest inside entries (``config vdom`` / ``edit root`` / ``config firewall
policy`` in a multi-VDOM backup). As in the CLI, a second ``config <path>`` at the same level
edits the same table, and ``move <entry> before|after <entry>`` reorders it: a CLI script
appended to a backup (hybridfw's fix commands among them) reads as the configuration after
running it. Lines starting with ``#`` are comments (the backup's
``#config-version=`` header among them). Values are words or double-quoted strings with
backslash escapes.

A block left open at the end of the file or an ``end``/``next`` that closes nothing is an
`InputError`: a truncated backup could hide policies, and a guess would be a false answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hybridfw.errors import InputError

_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"?|(\S+)')
_ESCAPE = re.compile(r"\\(.)")
MAX_DEPTH = 64  # nested config blocks


@dataclass
class Field:
    values: list[str]
    line: int


@dataclass
class Entry:
    """``edit <name>`` … ``next``: fields and nested blocks."""

    name: str
    line: int
    fields: dict[str, Field] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        found = self.fields.get(key)
        return found.values if found is not None else []

    def one(self, key: str, default: str = "") -> str:
        found = self.values(key)
        return found[0] if found else default

    def block(self, path: str) -> Block | None:
        return next((b for b in self.blocks if b.path == path), None)


@dataclass
class Block:
    """``config <path>`` … ``end``: table entries in order, or fields of a single object."""

    path: str
    line: int
    entries: list[Entry] = field(default_factory=list)
    body: Entry = field(default_factory=lambda: Entry("", 0))  # fields set directly in it
    index: dict[str, Entry] = field(default_factory=dict, repr=False)

    def entry(self, name: str) -> Entry | None:
        return self.index.get(name)


def words(line: str) -> list[str]:
    if "\\" not in line:  # the common case: split on quotes, then on spaces outside them
        out: list[str] = []
        for i, piece in enumerate(line.split('"')):
            if i % 2:
                out.append(piece)
            else:
                out += piece.split()
        return out
    out = []
    for quoted, bare in _WORD.findall(line):
        out.append(_ESCAPE.sub(r"\1", quoted) if bare == "" else bare)
    return out


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.root = Entry("", 0)
        self.stack: list[Block | Entry] = [self.root]

    def error(self, message: str, line: int, what: str) -> InputError:
        return InputError(message, path=self.path, line=line, field=what)

    def read(self, text: str) -> Entry:
        for number, raw in enumerate(text.splitlines(), start=1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            self.line(words(stripped), number)
        if len(self.stack) > 1:
            top = self.stack[-1]
            kind = f"config {top.path}" if isinstance(top, Block) else f"edit {top.name}"
            raise self.error(f"'{kind}' opened at line {top.line} is not closed (a truncated "
                             "file?)", top.line, "end")
        return self.root

    def _entry(self) -> Entry:
        top = self.stack[-1]
        if isinstance(top, Entry):
            return top
        return top.body

    def line(self, parts: list[str], number: int) -> None:
        verb = parts[0]
        if verb == "config" and len(parts) > 1:
            if len(self.stack) > MAX_DEPTH:
                raise self.error("config blocks nest too deep", number, "config")
            path = " ".join(parts[1:])
            holder = self._entry()
            block = next((b for b in holder.blocks if b.path == path), None)
            if block is None:
                block = Block(path, number)
                holder.blocks.append(block)
            self.stack.append(block)
        elif verb == "edit" and len(parts) > 1:
            top = self.stack[-1]
            if not isinstance(top, Block):
                raise self.error("'edit' outside a config table", number, "edit")
            found = top.entry(parts[1])
            if found is None:
                found = top.index[parts[1]] = Entry(parts[1], number)
                top.entries.append(found)
            self.stack.append(found)
        elif verb in ("next", "end"):
            self._close(verb, number)
        elif verb in ("set", "append", "select", "unset", "unselect") and len(parts) > 1:
            self._field(verb, parts[1], parts[2:], number)
        elif verb == "move":
            self._move(parts, number)
        # Anything else (e.g. "rename", "delete" in a CLI script, or "get"/"show" around pasted
        # output) does not change what a backup file holds: ignored.

    def _move(self, parts: list[str], number: int) -> None:
        """``move A before|after B`` in a table: a move that cannot be done would leave the
        order unknown, so it is an input error (FortiOS refuses it too)."""
        top = self.stack[-1]
        if len(parts) != 4 or parts[2] not in ("before", "after") or not isinstance(top, Block):
            raise self.error("expected 'move <entry> before|after <entry>' in a config table",
                             number, "move")
        moved, anchor = top.entry(parts[1]), top.entry(parts[3])
        if moved is anchor and moved is not None:
            return
        if moved is None or anchor is None:
            missing = parts[1] if moved is None else parts[3]
            raise self.error(f"cannot move: no entry {missing!r} in 'config {top.path}'", number,
                             "move")
        top.entries.remove(moved)
        at = top.entries.index(anchor) + (parts[2] == "after")
        top.entries.insert(at, moved)

    def _close(self, verb: str, number: int) -> None:
        top = self.stack[-1]
        if verb == "next":
            if not isinstance(top, Entry) or len(self.stack) == 1:
                raise self.error("'next' closes no 'edit'", number, "next")
            self.stack.pop()
            return
        if isinstance(top, Entry) and len(self.stack) > 1:
            self.stack.pop()  # FortiOS accepts "end" right after an entry's fields
            top = self.stack[-1]
        if not isinstance(top, Block):
            raise self.error("'end' closes no 'config'", number, "end")
        self.stack.pop()

    def _field(self, verb: str, key: str, values: list[str], number: int) -> None:
        entry = self._entry()
        current = entry.fields.get(key)
        if verb == "set":
            entry.fields[key] = Field(values, number)
        elif verb in ("append", "select"):
            entry.fields[key] = Field((current.values if current else []) + values, number)
        elif verb == "unselect" and current is not None:
            entry.fields[key] = Field([v for v in current.values if v not in values], number)
        elif verb == "unset":
            entry.fields.pop(key, None)


def parse_tree(text: str, path: str) -> Entry:
    """The whole file as a root `Entry` whose blocks are the top-level ``config`` blocks."""
    return _Reader(path).read(text)


def find_blocks(root: Entry) -> dict[str, list[tuple[str, Block]]]:
    """Every ``config`` block holding firewall tables, by path, with the VDOM it belongs to
    ("" outside ``config vdom``): top-level blocks, the blocks of each ``config vdom`` entry and
    of ``config global``."""
    found: dict[str, list[tuple[str, Block]]] = {}
    todo = [("", b) for b in root.blocks]
    while todo:
        vdom, block = todo.pop(0)
        found.setdefault(block.path, []).append((vdom, block))
        if block.path == "vdom":
            todo += [(e.name, b) for e in block.entries for b in e.blocks]
        elif block.path == "global":
            todo += [("", b) for b in block.body.blocks]
    return found
