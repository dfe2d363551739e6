"""Types shared by the deny-log parsers, the classifier and the report.

A parser (one `LogParser` per log format) streams a file's lines and yields one `Drop` per
denied connection it reads; it counts what it could not read in `ParseStats`. Nothing holds a
whole file: the engine classifies and aggregates each drop as it comes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar, NamedTuple

from hybridfw.errors import InputError

CLASSES: tuple[str, ...] = (
    "published", "published-elsewhere", "exchange-unlisted", "retired", "not-microsoft",
)


class DropsError(InputError):
    """A deny log this package cannot read (exit code 2)."""


class Drop(NamedTuple):
    """One denied connection as logged (a NamedTuple: millions are made per run)."""

    src: str
    dst: str
    proto: str  # lower case: "tcp", "udp", "icmp", ...
    dport: int  # 0 when the protocol has no ports
    when: str  # the time text as logged; "" when the line carries none
    rule: str  # log prefix, ACL, policy or rule name; "" when none
    line: int  # 1-based line number in the file
    text: str  # the line itself (kept for one example per aggregate)
    hook: str = ""  # netfilter: the chain path the log shows (input / forward / output), else ""


class ParseStats:
    """What a parser saw besides drops: records that are not drops, and lines it could not read.

    `malformed` lines looked like records of the format but could not be read (truncated,
    bad address): they may hide drops, so the report says so. `other` lines are simply not
    records of the format (other syslog messages) and are only counted.
    """

    __slots__ = ("example", "malformed", "not_drops", "other", "other_example")

    def __init__(self) -> None:
        self.not_drops = 0  # records of allowed/accepted traffic
        self.malformed = 0
        self.other = 0
        self.example = ""  # first malformed line, "N: text"
        self.other_example = ""

    def bad(self, line: int, text: str, why: str) -> None:
        self.malformed += 1
        if not self.example:
            self.example = f"{line}: {why}: {text.strip()[:200]}"

    def skip(self, line: int, text: str) -> None:
        self.other += 1
        if not self.other_example and text.strip():
            self.other_example = f"{line}: {text.strip()[:200]}"


class LogParser(ABC):
    """One deny-log format: how to recognise it and how to stream drops out of it."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def matches(self, head: Sequence[str]) -> bool:
        """True when the first lines of a file (decoded, without line ends) have this format."""

    @abstractmethod
    def parse(self, lines: Iterable[str], stats: ParseStats) -> Iterator[Drop]:
        """Every drop in `lines` (the whole file, line ends included or not); count the rest."""


# One line of an ASCII block, as `BlockParser.scan` gives it: (line, time, log prefix, packet,
# protocol, destination port or b"", other). `packet` is the text that decides the drop's
# addresses and hook (netfilter: `IN=... DST=...`); `line` is b"" when the fast pattern did not
# fit, `other` is then the line, to parse the general way.
Row = tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes]


class BlockParser(LogParser):
    """A format with a fast path: whole ASCII blocks of lines read by one compiled bytes pattern.

    `scan` must give exactly what `parse_line` gives for every line it fits (the differential
    test in tests/drops compares both paths); the lines it does not fit go to `parse_line`.
    """

    @abstractmethod
    def scan(self, block: bytes) -> list[Row]:
        """One row per line of `block` (ASCII, whole lines, each ending in LF)."""

    @abstractmethod
    def parse_line(self, number: int, line: str, stats: ParseStats) -> Drop | None:
        """The drop on line `number` (text with or without its line end); None, counted, else."""
