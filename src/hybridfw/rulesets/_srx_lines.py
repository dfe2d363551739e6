"""The hierarchical Junos form (``show configuration``) read line by line rather than token by
token for the SRX reader (`scan_tree`), into the same `Scan` as the ``display set`` form
(`_srx_scan`): the root's policies as records, every other statement as `_junos_tree` makes it.

A line is ``word ... {``, ``word ...;`` (a ``[ a b ]`` list at its end) or ``}``, with
``inactive:`` / ``protect:`` / ``replace:`` marks before it, or a ``#`` comment line. A line
with a double quote or ``/*`` is read by its tokens (`line_tokens`: a quoted string is one word,
``/* */`` comments are left out), when they close on that line. A root policy's block found
whole (`_srx_blocks`) stays unread in its record until the policy is built. Anything else
(a quote or comment running over lines, several statements on one line, unbalanced braces ...)
gives None: the caller reads the tokens (`_junos_tree`), which also names the error. Property
tests compare both readers.
"""

from __future__ import annotations

from collections.abc import Iterable

from hybridfw.rulesets._junos_tree import Statement, line_tokens
from hybridfw.rulesets._srx_blocks import MARKS, Found, Told, found
from hybridfw.rulesets._srx_scan import Record, Records, Scan, checked, policy_key

try:  # the optional compiled build (hatch_build.py); `_srx_blocks.found` is the reference
    from hybridfw.rulesets import _srxblocks
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _srxblocks = None  # type: ignore[assignment]

# A block inside a root policy: the policy, its record's head, its words so far after the
# policy's name ("" in the policy's own block, "match " in its match block, ...).
_Inside = tuple[tuple[str, str, str], list[str], str]
_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _inside(words: tuple[str, ...]) -> _Inside | None:
    """The policy a block's full path is inside of (None: not a root policy's)."""
    found = policy_key(["set", *words]) if words[:2] == ("security", "policies") else None
    if found is None:
        return None
    key, size = found
    rest = words[size - 1:]
    return key, ["set", *words[:size - 1]], " ".join(rest) + " " if rest else ""


def _marks(line: str) -> tuple[str, bool]:
    """A line without its ``inactive:`` / ``protect:`` / ``replace:`` marks; inactive?"""
    inactive = False
    while True:
        mark, _, rest = line.partition(" ")
        if mark not in MARKS:
            return line, inactive
        inactive = inactive or mark == "inactive:"
        line = rest.lstrip()


class _Tree:
    def __init__(self) -> None:
        self.records: Records = {}
        self.found: list[Statement] = []

    def record(self, inside: _Inside) -> Record:
        found = self.records.get(inside[0])
        if found is None:
            found = self.records[inside[0]] = Record(inside[1])
        return found.settle()

    def statement(self, number: int, body: str, inside: _Inside | None, prefix: tuple[str, ...],
                  inactive: bool) -> bool:
        """``a b;`` or ``a b [ c d ];`` (``a b c`` and ``a b d``; ``a b`` for an empty list);
        False when it cannot be read here."""
        words = body.split()
        if not words:
            return False  # a lone ";" (the tokens make the enclosing path a statement)
        if "[" not in body and "]" not in body:
            return self.leaf(number, words, inside, prefix, inactive)
        if body.count("[") != 1 or body.count("]") != 1 or words[-1] != "]" or "[" not in words[1:]:
            return False
        return self.listed(number, words, words.index("["), inside, prefix, inactive)

    def listed(self, number: int, words: list[str], at: int, inside: _Inside | None,
               prefix: tuple[str, ...], inactive: bool, quoted: bool = False) -> bool:
        """``a b [ c d ]`` (``[`` at `at`): ``a b c`` and ``a b d`` (``a b`` for an empty list)."""
        values = words[at + 1:-1]
        if not values:
            return self.leaf(number, words[:at], inside, prefix, inactive, quoted)
        return all([self.leaf(number, [*words[:at], v], inside, prefix, inactive, quoted) for v in values])

    def leaf(self, number: int, words: list[str], inside: _Inside | None, prefix: tuple[str, ...],
             inactive: bool, quoted: bool = False) -> bool:
        """One statement; False when it names a policy outside a policy's block."""
        full = prefix + tuple(words)
        if inside is not None:  # the words of a quoted line as they are (a quoted one may hold blanks)
            rest = inside[2].split() + words if quoted else inside[2] + " ".join(words)
            self.record(inside).items.append((number, rest))
        elif (prefix[:2] == ("security", "policies") or len(prefix) < 2) and _inside(full) is not None:
            return False
        else:
            self.found.append(Statement(full, number))
        if inactive:
            self.found.append(Statement(full, number, "deactivate"))
        return True


_PUNCT = ("{", "}", ";", "[", "]")
_Path = tuple[tuple[str, ...], _Inside | None]


class _Lines:
    """The line reader's state, kept over the pieces of text between policy blocks."""

    def __init__(self, text: str) -> None:
        self.tree = _Tree()
        self.comments: list[str] = []  # lines (and blocks) whose "{", "}", ";", "#" are read otherwise
        self.seen = [0, 0, 0]  # lines ending "{", "}", ";"
        self.stack: list[_Path] = []
        self.prefix: tuple[str, ...] = ()
        self.inside: _Inside | None = None
        # what the text has at all: the checks for it are made per line only then
        # one-character searches first (a search for a longer string took 3-6 ms on 5 MB)
        self.lists, self.hashes = "[" in text or "]" in text, "#" in text
        self.marks = ":" in text and any(m in text for m in MARKS)
        self.slashes, self.quoted = "*" in text and "/*" in text, '"' in text
        self.quotes = self.slashes or self.quoted
        self.at: tuple[str, ...] | None = None  # the path `base` is for
        self.base: _Inside | None = None

    def feed(self, text: str, first: int) -> bool:
        """The lines of `text`, the first one numbered `first`; False when one cannot be read
        here."""
        tree, comments, stack, lists, marks, hashes = (self.tree, self.comments, self.stack, self.lists,
                                                       self.marks, self.hashes)
        prefix, inside, quotes, record = self.prefix, self.inside, self.quotes, None
        opened = closed = ended = 0
        # line by line, not token by token (audit_vendor.py srx-text, CPU, load 16-21: scoped 1.34 -> 0.27 s)
        for number, raw in enumerate(text.splitlines(), start=first):
            line = raw.strip()
            if line == "}":
                if not stack:
                    return False
                prefix, inside = stack.pop()
                closed += 1
                continue
            if not line or (hashes and line[0] == "#"):
                comments.append(line)
                continue
            if quotes and ('"' in line or "/*" in line):
                path = self.tokened(raw, number, (prefix, inside))
                if path is None:
                    return False
                prefix, inside = path
                continue
            inactive = False
            if marks and line.startswith(MARKS):
                line, inactive = _marks(line)
                if line.startswith(MARKS):  # a mark not followed by a space ("inactive:;"): the tokens decide
                    return False
            end, body = line[-1:], line[:-1]
            if end == ";":
                ended += 1
                if inside is None or inactive or not body or (lists and ("[" in body or "]" in body)):
                    if not tree.statement(number, body, inside, prefix, inactive):
                        return False
                    continue
                if record is None or record.head is not inside[1]:
                    record = tree.record(inside)
                record.items.append((number, inside[2] + body))  # its words: split when needed
            elif end == "{" and body.strip() and not (lists and ("[" in body or "]" in body)):
                opened += 1
                stack.append((prefix, inside))
                prefix, inside = _opened(prefix, inside, body.split())
                if inactive:
                    tree.found.append(Statement(prefix, number, "deactivate"))
            else:
                return False
        self.prefix, self.inside = prefix, inside
        self.seen = [self.seen[0] + opened, self.seen[1] + closed, self.seen[2] + ended]
        return True

    def tokened(self, raw: str, number: int, path: _Path) -> _Path | None:
        """A line with a quote or ``/*`` read by its tokens: the path after it (None: the line
        cannot be read here)."""
        tokens = line_tokens(raw)
        if tokens is None:
            return None
        self.comments.append(raw)  # its "{", "}", ";", "#" are read from its tokens
        marked = inactive = False
        while tokens and not tokens[0][1] and tokens[0][0] in MARKS:
            marked, inactive, tokens = True, inactive or tokens[0][0] == "inactive:", tokens[1:]
        if not tokens:
            return None if marked else path  # a comment; a mark alone: the tokens decide
        punct = [i for i, (t, q) in enumerate(tokens) if not q and t in _PUNCT]
        words, last = [t for t, _ in tokens], len(tokens) - 1
        prefix, inside = path
        if words == ["}"] and punct == [0] and not marked:
            return self.stack.pop() if self.stack else None
        if punct == [last] and last and words[-1] == ";":
            done = self.tree.leaf(number, words[:-1], inside, prefix, inactive, quoted=True)
            return path if done else None
        if (len(punct) == 3 and punct[1:] == [last - 1, last] and punct[0] > 0 and words[-1] == ";"
                and words[punct[0]] == "[" and words[-2] == "]"):
            done = self.tree.listed(number, words[:-1], punct[0], inside, prefix, inactive, quoted=True)
            return path if done else None
        if punct != [last] or not last or words[-1] != "{":
            return None
        words = words[:-1]
        if any(q for _, q in tokens) and (inside is not None or _inside(prefix + tuple(words)) is not None):
            return None  # a quoted word in a policy's path (the record keeps it as text)
        self.stack.append(path)
        prefix, inside = _opened(prefix, inside, words)
        if inactive:
            self.tree.found.append(Statement(prefix, number, "deactivate"))
        return prefix, inside

    def policy(self, block: str, number: int, name: str, told: Told) -> bool:
        """A policy's block `BLOCK` found whole (`told`: `judge`'s word on it): kept unread in its
        record when it is a root policy's; False: its lines are to be read."""
        if told is False or self.inside is not None:
            return False
        if self.prefix is not self.at:  # the policies' key and head at this path
            self.at, self.base = self.prefix, _inside((*self.prefix, "policy", "\0"))
        base = self.base
        if base is None or base[2]:
            return False
        key = (base[0][0], base[0][1], name)
        record = self.tree.records.get(key)
        if record is None:
            self.tree.records[key] = Record([*base[1][:-1], name], (number, block, _read_block, told))
        else:
            _read_block(record.settle(), number, block)
        return True


def _opened(prefix: tuple[str, ...], inside: _Inside | None, words: list[str]) -> _Path:
    """The path inside a block ``words {`` opened at `prefix`."""
    prefix = prefix + tuple(words)
    return prefix, _inside(prefix) if inside is None else (*inside[:2], f"{inside[2]}{' '.join(words)} ")


def _read_block(record: Record, number: int, block: str) -> None:
    """The items of a policy's block `BLOCK` found (its policy line numbered `number`) into its
    record."""
    lines = _Lines(block)
    inside = _inside(tuple(record.head[1:]))
    assert inside is not None
    lines.tree.records[inside[0]] = record
    lines.inside = inside
    if not lines.feed(block[block.index("\n") + 1:block.rfind("\n") + 1], number + 1):
        raise AssertionError(f"line {number}: a policy block BLOCK found is not read")


def scan_tree(text: str) -> Scan | None:
    """The hierarchical form read line by line (see the module's docstring); None where the
    tokens are to be read."""
    if not _plain(text):
        return None
    lines, fed, at, number = _Lines(text), [], 0, 1
    # the blocks found and judged in C: audit_vendor.py srx-text(-quoted) scoped parse (see docs)
    scanned = _srxblocks.scan(text) if _srxblocks is not None else None
    flags = (lines.marks, lines.slashes, lines.quoted, lines.hashes)
    blocks: Iterable[Found] = scanned if scanned is not None else found(text, flags)
    # a root policy's block found whole stays unread until needed (audit_vendor.py srx-text: see docs)
    for start, after, block, name, breaks, told in blocks:
        if start > at:
            piece = text[at:start]
            if not lines.feed(piece, number):
                return None
            fed.append(piece)
            number += piece.count("\n")
        if not lines.policy(block, number, name, told):
            if not lines.feed(block, number):
                return None
            fed.append(block)
        number += breaks + 1
        at = after
    piece = text[at:]
    if not lines.feed(piece, number) or lines.stack:
        return None
    if not _all_taken("\n".join([*fed, piece]), "\n".join(lines.comments), lines.seen):
        return None
    return checked(Scan(lines.tree.records, lines.tree.found))


def _plain(text: str) -> bool:
    """No apply-groups (see `_srx_scan`), or line breaks other than ``\\n`` and ``\\r\\n``
    (the tokens count lines at ``\\n`` only)."""
    return not ("apply-groups" in text or any(b in text for b in _BREAKS)
                or ("\r" in text and text.count("\r") != text.count("\r\n")))


def _all_taken(text: str, comments: str, seen: list[int]) -> bool:
    """Every "{", "}" and ";" of the lines read (`text`: a policy's block found whole has
    them only where `BLOCK` says) outside comment lines ends a line read as such, and every "#"
    is in a comment line: none sits inside a line, where the tokens would read it."""
    return all(text.count(c) - comments.count(c) == n for c, n in zip("{};", seen, strict=True)) \
        and text.count("#") == comments.count("#")
