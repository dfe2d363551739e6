"""Junos configuration text as ``set`` statements: ``show configuration`` (hierarchical, with
braces) and ``show configuration | display set`` read into the same list.

Hierarchical text is flattened: ``a { b { c d; } }`` becomes the statement ``a b c d``; a list
``c [ d e ];`` becomes ``a b c d`` and ``a b c e``; ``inactive:`` before a statement or block
becomes a deactivation of that path (as ``display set`` writes ``deactivate a b``). Comments
(``#``, ``/* */``) and annotations are skipped; double-quoted strings are one word.

A ``Statement`` keeps its words and line. `deactivated` says whether a statement lies under a
deactivated path. Unbalanced braces (a truncated file) are an `InputError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hybridfw.errors import InputError

_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(/\*.*?\*/)|(#[^\n]*)|([{};\[\]])|([^\s{};\[\]"#]+)|(\n)',
                    re.DOTALL)
MAX_DEPTH = 64


@dataclass(frozen=True)
class Statement:
    words: tuple[str, ...]
    line: int
    # "set" or "deactivate"; "delete" is reported by the reader; "insert" (set form, as in a
    # configuration script) reorders policies
    verb: str = "set"


def _tokens(text: str) -> Iterator[tuple[str, int, bool]]:
    """(token, line, quoted) for the hierarchical form."""
    line = 1
    for m in _TOKEN.finditer(text):
        quoted, comment, hash_comment, punct, word, newline = m.groups()
        if newline:
            line += 1
        elif comment:
            line += comment.count("\n")
        elif hash_comment is not None:
            continue
        elif punct:
            yield punct, line, False
        elif quoted is not None:
            yield quoted, line, True
        elif word:
            yield word, line, False


def _hierarchical(text: str, path: str) -> list[Statement]:
    out: list[Statement] = []
    stack: list[tuple[tuple[str, ...], int]] = []  # (prefix, line of its "{")
    prefix: tuple[str, ...] = ()
    current: list[str] = []
    inactive = False
    start = 0
    in_list = False
    listed: list[str] = []
    for token, line, quoted in _tokens(text):
        if not current and not quoted and token in ("inactive:", "protect:", "replace:"):
            inactive = inactive or token == "inactive:"
            continue
        if not current:
            start = line
        if in_list:
            if token == "]" and not quoted:
                in_list = False
            else:
                listed.append(token)
            continue
        if quoted or token not in "{};[]":
            current.append(token)
        elif token == "[":
            in_list, listed = True, []
        elif token == "{":
            if len(stack) >= MAX_DEPTH:
                raise InputError("blocks nest too deep", path=path, line=line, field="{")
            stack.append((prefix, line))
            prefix = prefix + tuple(current)
            if inactive and prefix:
                out.append(Statement(prefix, start, "deactivate"))
            current, inactive = [], False
        elif token == "}":
            if not stack or current:
                raise InputError("'}' closes no block" if not stack else "statement without ';'",
                                 path=path, line=line, field="}")
            prefix = stack.pop()[0]
        else:  # ";"
            words = [prefix + tuple(current) + (v,) for v in listed] if listed else [prefix + tuple(current)]
            for w in words:
                if not w:
                    continue  # a lone ";"
                out.append(Statement(w, start))
                if inactive:
                    out.append(Statement(w, start, "deactivate"))
            current, inactive, listed = [], False, []
    if stack or in_list or current:
        line = stack[-1][1] if stack else start
        raise InputError("a block opened here is not closed (a truncated file?)", path=path,
                         line=line, field="{")
    return out


VERBS = ("set", "deactivate", "delete", "insert")


def line_words(raw: str) -> list[str]:
    """The words of one ``display set`` line (a double-quoted string is one word; comments
    are left out)."""
    if '"' in raw or "#" in raw or "/*" in raw:
        return [q if q or not w else w for q, _, _, _, w, _ in _TOKEN.findall(raw) if q or w]
    return raw.split()


def line_tokens(raw: str) -> list[tuple[str, bool]] | None:
    """(token, quoted) of one line of the hierarchical form as `_tokens` reads it within the
    text; None when a quoted string or a ``/* */`` comment is not closed on the line (the
    tokens of the text then run on into the next line)."""
    out: list[tuple[str, bool]] = []
    at = 0
    for m in _TOKEN.finditer(raw):
        if raw[at:m.start()].strip():
            return None  # a quote the line does not close
        at = m.end()
        quoted, _, _, punct, word, _ = m.groups()
        if punct:
            out.append((punct, False))
        elif quoted is not None:
            out.append((quoted, True))
        elif word:
            if word.startswith("/*"):
                return None  # a comment the line does not close
            out.append((word, False))
    return None if raw[at:].strip() else out


def set_statement(words: list[str], number: int) -> Statement | None:
    if len(words) > 1 and words[0] in VERBS:
        return Statement(tuple(words[1:]), number, words[0])
    return None


def _set_form(text: str) -> list[Statement]:
    out: list[Statement] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        st = set_statement(line_words(raw), number)
        if st is not None:
            out.append(st)
    return out


def is_set_form(text: str) -> bool:
    lines = [ln.strip() for ln in text[:50_000].splitlines() if ln.strip() and not ln.startswith("#")]
    setlike = sum(1 for ln in lines if ln.startswith(("set ", "deactivate ", "delete ", "insert ")))
    return bool(lines) and setlike * 2 > len(lines)


def statements(text: str, path: str) -> list[Statement]:
    return _set_form(text) if is_set_form(text) else _hierarchical(text, path)


class Deactivated:
    """Deactivated paths; a statement under one of them is not in effect."""

    def __init__(self, found: list[Statement]) -> None:
        self.paths = {s.words for s in found if s.verb == "deactivate"}
        self.lengths = sorted({len(p) for p in self.paths})
        self.stems: set[tuple[str, ...]] | None = None  # the paths' shorter prefixes (`touches`)

    def covers(self, words: tuple[str, ...]) -> bool:
        return any(words[:n] in self.paths for n in self.lengths if n <= len(words))

    def touches(self, words: tuple[str, ...]) -> bool:
        """Whether some statement starting with `words` may be deactivated: a path over it
        (`covers`) or under it."""
        if self.stems is None:
            self.stems = {p[:n] for p in self.paths for n in range(1, len(p))}
        return words in self.stems or self.covers(words)
