"""Both forms of a Junos configuration read in one pass for the SRX reader, the root's policies
as records. ``display set`` (`scan`): ``set security policies from-zone A to-zone B policy P
...`` and ``... global policy P ...`` lines go into one record per policy (each line's number
and the rest after the policy's name), every other line becomes the `Statement` `_junos_tree`
makes of it. Hierarchical (`scan_tree`): line by line rather than token by token, statements
inside a policy's block into its record. The reader builds a policy from its record only when
it is needed (`Reader.add_records`): a scoped parse leaves out zone-pair policies none of whose
applications an audited packet can have, without building them.

Taken only where it reads exactly as the statements do (property tests compare them): None
(read the statements) for a configuration with ``apply-groups`` (inheritance can add
statements to a policy) or ``insert`` (it moves policies while they are read), or a policy
statement written otherwise (leading blanks, a tab after ``set``); for the hierarchical form
also quotes, ``/* */``, several statements on one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hybridfw.rulesets._junos_tree import Statement, line_words, set_statement

_POLICIES = "set security policies "
PolicyKey = tuple[str, str, str]  # (from zone, to zone, name); ("global", "", name)


class Record:
    """One policy's statements: the words up to its name (``set security policies from-zone A
    to-zone B policy P``, or ``... global policy P``) and, per line, its number and the rest:
    the text after those words, or its words when the line writes them otherwise."""

    __slots__ = ("head", "items")

    def __init__(self, head: list[str]) -> None:
        self.head = head
        self.items: list[tuple[int, str | list[str]]] = []

    def statements(self) -> Iterator[tuple[int, list[str]]]:
        """Each line's number and words, as `_junos_tree` reads the line."""
        for number, rest in self.items:
            yield number, self.head + (rest if isinstance(rest, list) else line_words(rest))


Records = dict[PolicyKey, Record]


@dataclass
class Scan:
    records: Records  # the root's policies, in the order of their first statement
    statements: list[Statement]  # everything else


def _key(words: list[str]) -> tuple[PolicyKey, int] | None:
    """The policy a ``set security policies ...`` line is about, and how many words name it."""
    count = len(words)
    if count >= 9 and words[3] == "from-zone" and words[5] == "to-zone" and words[7] == "policy":
        return (words[4], words[6], words[8]), 9
    if count >= 6 and words[3] == "global" and words[4] == "policy":
        return ("global", "", words[5]), 6
    return None


def scan(text: str) -> Scan | None:
    if "apply-groups" in text:
        return None
    records: Records = {}
    found: list[Statement] = []
    items: list[tuple[int, str | list[str]]] = []
    head = "\0"  # the line prefix of the policy read last and its statements
    # Lines of one policy follow each other: the rest after its name is kept as text, not split
    # (benchmarks/audit_vendor.py srx, CPU, load 9-10: scoped parse 0.27-0.37 -> 0.19-0.24 s)
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(head):
            items.append((number, raw[len(head):]))
            continue
        words = line_words(raw)
        key = _key(words) if raw.startswith(_POLICIES) else None
        if key is None:
            st = set_statement(words, number)
            if st is not None:
                found.append(st)
            continue
        name, size = key
        record = records.get(name)
        if record is None:
            record = records[name] = Record(words[:size])
        items = record.items
        head = " ".join(words[:size]) + " "
        if raw.startswith(head):
            items.append((number, raw[len(head):]))
        else:
            head = "\0"
            items.append((number, words[size:]))
    return _checked(Scan(records, found))


def _checked(done: Scan) -> Scan | None:
    for st in done.statements:
        w = st.words
        if st.verb == "insert" or (st.verb == "set" and w[:2] == ("security", "policies")
                                   and _key(["set", *w]) is not None):
            return None
    return done



# A block inside a root policy: the policy, its record's head, its words so far after the
# policy's name ("" in the policy's own block, "match " in its match block, ...).
_Inside = tuple[PolicyKey, list[str], str]


def _inside(words: tuple[str, ...]) -> _Inside | None:
    """The policy a block's full path is inside of (None: not a root policy's)."""
    found = _key(["set", *words]) if words[:2] == ("security", "policies") else None
    if found is None:
        return None
    key, size = found
    rest = words[size - 1:]
    return key, ["set", *words[:size - 1]], " ".join(rest) + " " if rest else ""


class _Tree:
    def __init__(self) -> None:
        self.records: Records = {}
        self.found: list[Statement] = []

    def record(self, inside: _Inside) -> Record:
        found = self.records.get(inside[0])
        if found is None:
            found = self.records[inside[0]] = Record(inside[1])
        return found

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
        at = words.index("[")
        values = words[at + 1:-1]
        if not values:
            return self.leaf(number, words[:at], inside, prefix, inactive)
        return all([self.leaf(number, [*words[:at], v], inside, prefix, inactive) for v in values])

    def leaf(self, number: int, words: list[str], inside: _Inside | None, prefix: tuple[str, ...],
             inactive: bool) -> bool:
        """One statement; False when it names a policy outside a policy's block."""
        full = prefix + tuple(words)
        if inside is not None:
            self.record(inside).items.append((number, inside[2] + " ".join(words)))
        elif (prefix[:2] == ("security", "policies") or len(prefix) < 2) and _inside(full) is not None:
            return False
        else:
            self.found.append(Statement(full, number))
        if inactive:
            self.found.append(Statement(full, number, "deactivate"))
        return True


_MARKS = ("inactive:", "protect:", "replace:")
_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _marks(line: str) -> tuple[str, bool]:
    """A line without its ``inactive:`` / ``protect:`` / ``replace:`` marks; inactive?"""
    inactive = False
    while True:
        mark, _, rest = line.partition(" ")
        if mark not in _MARKS:
            return line, inactive
        inactive = inactive or mark == "inactive:"
        line = rest.lstrip()


def scan_tree(text: str) -> Scan | None:
    """The hierarchical form read line by line, for text as ``show configuration`` writes
    it: one ``word ... {``, ``word ...;`` (a ``[ a b ]`` list at its end) or ``}`` per line,
    ``inactive:`` before it, ``#`` comment lines; the root's policies as records. None for
    anything else (quotes, ``/* */``, several statements on a line, unbalanced braces ...):
    read by tokens (`_junos_tree`), which also names the error."""
    if not _plain(text):
        return None
    # what the text has at all: the checks for it are made per line only then
    lists, marks, hashes = "[" in text or "]" in text, any(m in text for m in _MARKS), "#" in text
    tree, comments, opened, closed, ended = _Tree(), [], 0, 0, 0  # lines ending "{", "}", ";"
    stack: list[tuple[tuple[str, ...], _Inside | None]] = []
    prefix: tuple[str, ...] = ()
    inside: _Inside | None = None
    record: Record | None = None
    # line by line, not token by token (audit_vendor.py srx-text, CPU, load 16-21: scoped 1.34 -> 0.27 s)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line == "}":
            if not stack:
                return None
            prefix, inside = stack.pop()
            closed += 1
            continue
        if not line or (hashes and line[0] == "#"):
            comments.append(line)
            continue
        inactive = False
        if marks and line.startswith(_MARKS):
            line, inactive = _marks(line)
            if line.startswith(_MARKS):  # a mark not followed by a space ("inactive:;"): the tokens decide
                return None
        end, body = line[-1:], line[:-1]
        if end == ";":
            ended += 1
            if inside is None or inactive or not body or (lists and ("[" in body or "]" in body)):
                if not tree.statement(number, body, inside, prefix, inactive):
                    return None
                continue
            if record is None or record.head is not inside[1]:
                record = tree.record(inside)
            record.items.append((number, inside[2] + body))  # its words: split when needed
        elif end == "{" and body.strip() and not (lists and ("[" in body or "]" in body)):
            opened += 1
            stack.append((prefix, inside))
            words = body.split()
            prefix = prefix + tuple(words)
            inside = _inside(prefix) if inside is None else (*inside[:2], f"{inside[2]}{' '.join(words)} ")
            if inactive:
                tree.found.append(Statement(prefix, number, "deactivate"))
        else:
            return None
    if stack or not _all_taken(text, "\n".join(comments), (opened, closed, ended)):
        return None
    return _checked(Scan(tree.records, tree.found))


def _plain(text: str) -> bool:
    """No apply-groups (see `scan`), quotes, ``/* */``, or line breaks other than ``\n`` and
    ``\r\n`` (the tokens count lines at ``\n`` only)."""
    return not ("apply-groups" in text or '"' in text or "/*" in text or any(b in text for b in _BREAKS)
                or text.count("\r") != text.count("\r\n"))


def _all_taken(text: str, comments: str, seen: tuple[int, int, int]) -> bool:
    """Every "{", "}" and ";" outside comment lines ends a line read as such, and every "#"
    is in a comment line: none sits inside a line, where the tokens would read it."""
    return all(text.count(c) - comments.count(c) == n for c, n in zip("{};", seen, strict=True)) \
        and text.count("#") == comments.count("#")
