"""Both forms of a Junos configuration read in one pass for the SRX reader, the root's policies
as records. ``display set`` (`scan`): ``set security policies from-zone A to-zone B policy P
...`` and ``... global policy P ...`` lines go into one record per policy (each line's number
and the rest after the policy's name), every other line becomes the `Statement` `_junos_tree`
makes of it. The hierarchical form (`_srx_lines`) goes into the same records. The reader
builds a policy from its record only when it is needed (`Reader.add_records`): a scoped parse
leaves out zone-pair policies none of whose applications an audited packet can have, without
building them.

Taken only where it reads exactly as the statements do (property tests compare them): None
(read the statements) for a configuration with ``apply-groups`` (inheritance can add
statements to a policy) or ``insert`` (it moves policies while they are read), or a policy
statement written otherwise (leading blanks, a tab after ``set``). The hierarchical form is
read by `_srx_lines` into the same records.

The compiled build finds the runs of one policy's lines with a plain head in C (``_srxruns.c``)
and keeps each unread in its record, with the applications its lines name, until the policy is
built; the line loop (`SetLines.feed`) reads the lines between and is the reference
(tests/rulesets/test_srx_runs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hybridfw.rulesets._junos_tree import Statement, line_words, set_statement
from hybridfw.rulesets._srx_blocks import Told

try:  # the optional compiled build (hatch_build.py); `SetLines.feed` is the reference
    from hybridfw.rulesets import _srxruns
except ImportError:  # not built, or HYBRIDFW_PURE=1
    _srxruns = None  # type: ignore[assignment]

_POLICIES = "set security policies "
PolicyKey = tuple[str, str, str]  # (from zone, to zone, name); ("global", "", name)


Item = tuple[int, str | list[str]]
# A policy's block of the hierarchical form not read yet: its first line's number, its text, what
# reads its items (`_srx_lines`), what its text tells of its applications (`_srx_blocks.judge`).
Block = tuple[int, str, Callable[["Record", int, str], None], Told]


class Record:
    """One policy's statements: the words up to its name (``set security policies from-zone A
    to-zone B policy P``, or ``... global policy P``) and, per line, its number and the rest:
    the text after those words, or its words when the line writes them otherwise. A record of
    the hierarchical form may hold its policy's block unread (`block`) until it is `settle`d."""

    __slots__ = ("block", "head", "items")

    def __init__(self, head: list[str], block: Block | None = None) -> None:
        self.head = head
        self.items: list[Item] = []
        self.block = block

    def settle(self) -> Record:
        """The items of an unread block read (into `items`)."""
        if self.block is not None:
            number, text, read, _ = self.block
            self.block = None
            read(self, number, text)
        return self

    def statements(self) -> Iterator[tuple[int, list[str]]]:
        """Each line's number and words, as `_junos_tree` reads the line."""
        self.settle()
        for number, rest in self.items:
            yield number, self.head + (rest if isinstance(rest, list) else line_words(rest))


Records = dict[PolicyKey, Record]


@dataclass
class Scan:
    records: Records  # the root's policies, in the order of their first statement
    statements: list[Statement]  # everything else


def policy_key(words: list[str]) -> tuple[PolicyKey, int] | None:
    """The policy a ``set security policies ...`` line is about, and how many words name it."""
    count = len(words)
    if count >= 9 and words[3] == "from-zone" and words[5] == "to-zone" and words[7] == "policy":
        return (words[4], words[6], words[8]), 9
    if count >= 6 and words[3] == "global" and words[4] == "policy":
        return ("global", "", words[5]), 6
    return None


class SetLines:
    """The ``display set`` lines read one by one into records and statements (`feed`, the
    reference) and the runs of one policy's lines the compiled build finds (`run`)."""

    __slots__ = ("found", "head", "items", "records")

    def __init__(self) -> None:
        self.records: Records = {}
        self.found: list[Statement] = []
        self.items: list[Item] = []
        self.head = "\0"  # the line prefix of the policy read last and its statements

    def feed(self, text: str, first: int) -> None:
        """The lines of `text`, the first one numbered `first`."""
        records, found, items, head = self.records, self.found, self.items, self.head
        # Lines of one policy follow each other: the rest after its name is kept as text, not split
        # (benchmarks/audit_vendor.py srx, CPU, load 9-10: scoped parse 0.27-0.37 -> 0.19-0.24 s)
        for number, raw in enumerate(text.splitlines(), start=first):
            if raw.startswith(head):
                items.append((number, raw[len(head):]))
                continue
            words = line_words(raw)
            key = policy_key(words) if raw.startswith(_POLICIES) else None
            if key is None:
                st = set_statement(words, number)
                if st is not None:
                    found.append(st)
                continue
            name, size = key
            record = records.get(name)
            if record is None:
                record = records[name] = Record(words[:size])
            items = record.settle().items
            head = " ".join(words[:size]) + " "
            if raw.startswith(head):
                items.append((number, raw[len(head):]))
            else:
                head = "\0"
                items.append((number, words[size:]))
        self.items, self.head = items, head

    def run(self, number: int, text: str, names: tuple[str | None, str | None, str], told: Told) -> None:
        """The lines `text` (the first one numbered `number`) of one policy, each starting with
        its plain head (`_srxruns.c`): kept unread in its record (or read into it at once)."""
        zone, to_zone, name = names
        if zone is None or to_zone is None:
            key, head = ("global", "", name), ["set", "security", "policies", "global", "policy", name]
        else:
            key = (zone, to_zone, name)
            head = ["set", "security", "policies", "from-zone", zone, "to-zone", to_zone, "policy", name]
        record = self.records.get(key)
        if record is None:
            self.records[key] = Record(head, (number, text, _read_run, told))
        else:
            _read_run(record.settle(), number, text)
        self.head = "\0"  # a line starting with this head is in a run of its own


def _read_run(record: Record, number: int, text: str) -> None:
    """The lines of a run (`SetLines.run`) into its record's items."""
    size = len(" ".join(record.head)) + 1
    record.items += [(number + i, line[size:]) for i, line in enumerate(text.split("\n"))]


def scan(text: str) -> Scan | None:
    if "apply-groups" in text:
        return None
    lines = SetLines()
    # runs of one policy's lines found in C: audit_vendor.py srx scoped parse (see docs/audit.md)
    found = _srxruns.runs(text) if _srxruns is not None else None
    if found is None:
        lines.feed(text, 1)
        return checked(Scan(lines.records, lines.found))
    at, number = 0, 1
    for start, end, first, count, run, zone, to_zone, name, told in found:
        if start > at:
            lines.feed(text[at:start], number)
        lines.run(first, run, (zone, to_zone, name), told)
        at, number = end + 1, first + count
    if at < len(text):
        lines.feed(text[at:], number)
    return checked(Scan(lines.records, lines.found))


def checked(done: Scan) -> Scan | None:
    for st in done.statements:
        w = st.words
        if st.verb == "insert" or (st.verb == "set" and w[:2] == ("security", "policies")
                                   and policy_key(["set", *w]) is not None):
            return None
    return done
