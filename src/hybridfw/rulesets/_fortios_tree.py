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

Speed: a table entry made of plain ``set <key> ...`` lines only (what FortiOS writes) is taken
in one regular-expression match, and its fields are read when first asked for (most of a
large policy table is never asked for in a scoped audit); every other line goes through the
line-by-line reader. Both give the same tree (``parse_tree(..., fast=False)`` reads every
line one by one; a property test compares them).
"""

from __future__ import annotations

import re

from hybridfw.errors import InputError

_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"?|(\S+)')
_ESCAPE = re.compile(r"\\(.)")
MAX_DEPTH = 64  # nested config blocks
# Line breaks str.splitlines() knows besides "\n": turned into "\n" first (same line numbers).
_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# One table entry of plain set lines (text positions start at the "\n" before a line).
# (Possessive quantifiers: no backtracking, the scan ~2x faster.)
_ENTRY = re.compile(r"\n[ \t]*+edit[ \t]++([^\n]*+)"
                    r"((?:\n[ \t]*+set[ \t]++[A-Za-z0-9_-]++(?:[ \t][^\n]*+)?+)*+)"
                    r"\n[ \t]*+next[ \t]*+(?=\n|\Z)")
_SET = re.compile(r"\n[ \t]*+set[ \t]++([A-Za-z0-9_-]++)([^\n]*+)")  # its lines: (key, rest)
# The fields a scoped audit reads of every policy: read with each entry of plain set lines,
# one scan over all of them (`_eager`), instead of one per entry.
EAGER = frozenset(("status", "service", "internet-service", "service-negate", "srcintf", "dstintf"))
_EAGER = re.compile(r"\n[ \t]*+(?:(e)dit[ \t]|set[ \t]++(" + "|".join(sorted(EAGER))
                    + r")(?![^ \t\n])([^\n]*+))")
_FIELD_VERBS = frozenset(("set", "append", "select", "unset", "unselect"))


class Field:
    __slots__ = ("line", "values")

    def __init__(self, values: list[str], line: int) -> None:
        self.values = values
        self.line = line

    def __repr__(self) -> str:
        return f"Field({self.values!r}, {self.line})"


class _Source:
    """The (normalised) text entries read their fields from, and the values of each distinct
    rest-of-line (the lists are shared: never change a `Field.values` list in place)."""

    __slots__ = ("split", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.split: dict[str, list[str]] = {}

    def values(self, rest: str) -> list[str]:
        found = self.split.get(rest)
        if found is None:
            found = self.split[rest] = words(rest.strip())
        return found


# A pending change of an entry's fields: the set lines of one ``edit`` (each line starting with
# its "\n", the first line's number) or one field line read on its own (verb, key, values, line).
_Span = tuple[str, int]
_Line = tuple[str, str, list[str], int]


class Entry:
    """``edit <name>`` … ``next``: fields and nested blocks. Fields are read when first used."""

    __slots__ = ("_fields", "_known", "_pending", "_plain", "_raw", "_source", "blocks", "line", "name")

    def __init__(self, name: str, line: int, fields: dict[str, Field] | None = None,
                 blocks: list[Block] | None = None) -> None:
        self.name = name
        self.line = line
        self.blocks: list[Block] = blocks if blocks is not None else []
        self._fields: dict[str, Field] = fields if fields is not None else {}
        self._pending: list[_Span | _Line] = []
        # Only spans are pending, every line of them `set <plain key> ...`, nothing applied:
        # a key's value is then the rest of its last line (`_known` for the EAGER keys, read
        # with the entry; `_raw` for all, read when first needed).
        self._plain = fields is None
        self._known: dict[str, str] | None = None
        self._raw: dict[str, str] | None = None
        self._source: _Source | None = None

    def __repr__(self) -> str:
        return f"Entry({self.name!r}, {self.line}, {self.fields!r}, {self.blocks!r})"

    @property
    def fields(self) -> dict[str, Field]:
        if self._pending:
            self._apply()
        return self._fields

    def _apply(self) -> None:
        source = self._source
        assert source is not None
        fields = self._fields
        for item in self._pending:
            if len(item) == 2:
                body, number = item
                for key, rest in _SET.findall(body):
                    fields[key] = Field(source.values(rest), number)
                    number += 1
            else:
                _change(fields, *item)
        self._pending, self._plain, self._known, self._raw = [], False, None, None

    def _rest(self, key: str) -> str | None:
        """The rest of the last line setting `key` (a plain entry with pending spans)."""
        if key in EAGER:
            known = self._known
            return known.get(key) if known is not None else None
        return self._all().get(key)

    def _all(self) -> dict[str, str]:
        raw = self._raw
        if raw is None:
            raw = self._raw = {}
            for body, _ in self._pending:  # type: ignore[misc]
                raw.update(_SET.findall(body))
        return raw

    def values(self, key: str) -> list[str]:
        if self._pending:
            if self._plain:
                if key in EAGER:
                    known = self._known
                    rest = known.get(key) if known is not None else None
                else:
                    raw = self._raw
                    rest = (raw if raw is not None else self._all()).get(key)
                return self._source.values(rest) if rest is not None else []  # type: ignore[union-attr]
            self._apply()
        found = self._fields.get(key)
        return found.values if found is not None else []

    def texts(self, keys: tuple[str, ...]) -> tuple[object, ...]:
        """A key for caching what `keys` decide: equal tuples mean equal values of each key."""
        # The raw texts, no split: audit_vendor.py fortigate scoped -20 % CPU
        if self._pending and self._plain:
            if not EAGER.issuperset(keys):
                return tuple(map(self._all().get, keys))
            known = self._known
            return tuple(map(known.get, keys)) if known is not None else (None,) * len(keys)
        return tuple(tuple(self.values(k)) for k in keys)

    def one(self, key: str, default: str = "") -> str:
        found = self.values(key)
        return found[0] if found else default

    def has(self, key: str) -> bool:
        return key in self.fields

    def block(self, path: str) -> Block | None:
        return next((b for b in self.blocks if b.path == path), None)


class Block:
    """``config <path>`` … ``end``: table entries in order, or fields of a single object."""

    __slots__ = ("body", "entries", "index", "line", "path")

    def __init__(self, path: str, line: int) -> None:
        self.path = path
        self.line = line
        self.entries: list[Entry] = []
        self.body = Entry("", 0)  # fields set directly in it
        self.index: dict[str, Entry] = {}

    def __repr__(self) -> str:
        return f"Block({self.path!r}, {self.line}, {self.entries!r}, {self.body!r})"

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


def _eager(run: list[Entry], text: str, start: int, end: int) -> None:
    """The EAGER fields of the entries `run` (read by `_fast_entries` from text[start:end])."""
    entries = iter(run)
    entry = run[0]
    for edit, key, rest in _EAGER.findall(text, start, end):
        if edit:
            entry = next(entries)
        elif entry._known is None:
            entry._known = {key: rest}
        else:
            entry._known[key] = rest


def _change(fields: dict[str, Field], verb: str, key: str, values: list[str], number: int) -> None:
    current = fields.get(key)
    if verb == "set":
        fields[key] = Field(values, number)
    elif verb in ("append", "select"):
        fields[key] = Field((current.values if current else []) + values, number)
    elif verb == "unselect" and current is not None:
        fields[key] = Field([v for v in current.values if v not in values], number)
    elif verb == "unset":
        fields.pop(key, None)


_BREAK_CHARS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


class _Reader:
    def __init__(self, path: str, text: str, fast: bool) -> None:
        self.path = path
        if any(c in text for c in _BREAK_CHARS):  # `in` per character: far cheaper than a regex scan
            text = _BREAKS.sub("\n", text)
        self.source = _Source("\n" + text)  # every line starts after a "\n"
        self.fast = fast
        self.root = Entry("", 0)
        self.stack: list[Block | Entry] = [self.root]

    def error(self, message: str, line: int, what: str) -> InputError:
        return InputError(message, path=self.path, line=line, field=what)

    def read(self) -> Entry:
        text = self.source.text
        pos, number, end = 0, 0, len(text)
        while pos < end:
            top = self.stack[-1]
            if self.fast and type(top) is Block:
                pos, number = self._fast_entries(top, pos, number)
                if pos >= end:
                    break
            stop = text.find("\n", pos + 1)
            if stop < 0:
                stop = end
            number += 1
            stripped = text[pos + 1:stop].strip()
            pos = stop
            if stripped and not stripped.startswith("#"):
                self.line(words(stripped), number)
        if len(self.stack) > 1:
            top = self.stack[-1]
            kind = f"config {top.path}" if isinstance(top, Block) else f"edit {top.name}"
            raise self.error(f"'{kind}' opened at line {top.line} is not closed (a truncated "
                             "file?)", top.line, "end")
        return self.root

    def _fast_entries(self, top: Block, pos: int, number: int) -> tuple[int, int]:
        """The entries of set lines from `pos` on, as the line reader would read them, each in
        one match (fields read when first used): benchmarks/audit_vendor.py fortigate, parse
        ~6x faster. Returns where they end and the line number there."""
        text, source = self.source.text, self.source
        first, run = pos, []
        for found in _ENTRY.finditer(text, pos):
            if found.start() != pos:
                break
            name = found.group(1)
            parts = words(name.strip()) if '"' in name or "\\" in name else name.split()
            if not parts:
                break  # a bare "edit" is ignored by the line reader
            entry = top.index.get(parts[0])
            if entry is None:
                entry = top.index[parts[0]] = Entry(parts[0], number + 1)
                top.entries.append(entry)
            body = found.group(2)
            if body:
                entry._source = source
                entry._pending.append((body, number + 2))
            run.append(entry)
            number += 2 + body.count("\n")
            pos = found.end()
        if run:
            _eager(run, text, first, pos)
        return pos, number

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
        elif verb in _FIELD_VERBS and len(parts) > 1:
            entry = self._entry()
            entry._plain = False
            if entry._pending:  # after set lines not read yet: in order
                entry._pending.append((verb, parts[1], parts[2:], number))
            else:
                _change(entry._fields, verb, parts[1], parts[2:], number)
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


def parse_tree(text: str, path: str, fast: bool = True) -> Entry:
    """The whole file as a root `Entry` whose blocks are the top-level ``config`` blocks
    (`fast`: entries of set lines in one match each; False reads every line on its own)."""
    return _Reader(path, text, fast).read()


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
