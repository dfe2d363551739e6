"""Types shared by the trace parsers, the diagnosis engine and the report.

A parser (one `LogFormat` per log layout) turns a file into two streams it hands to a `Sink`:
`FailureGroup`s (error text seen N times, already grouped where the parser can) and `Sighting`s
(an address that delivered mail and the evidence that it was Exchange Online). The engine
diagnoses each distinct error text once and aggregates; nothing holds a whole file.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Literal, Protocol

CATEGORIES: tuple[str, ...] = (
    "firewall", "tls", "dns", "connector", "directory", "throttling", "policy", "loop", "expiry",
    "transport",
)
# Which hop failed, seen from the on-premises firewall: Exchange Online delivering to
# on-premises ("inbound"), on-premises sending to Exchange Online ("outbound"), or "unknown"
# when the input does not say (never guessed: the fix then names both directions).
Hop = Literal["inbound", "outbound", "unknown"]


# A message trace Status whose outcome is not known yet (GettingStatus, Graph's gettingStatus,
# and None), folded as `folded_status` gives it: neither a failure nor a delivery.
NOT_FINAL_STATUSES = ("gettingstatus", "none")


def folded_status(status: str) -> str:
    """A status as compared: lower case, without spaces (' Getting Status ' -> 'gettingstatus')."""
    return status.lower().replace(" ", "")


# What Windows PowerShell's Export-Csv writes for a multi-valued property (the values are lost).
MULTIVALUE_LOST = "System.String[]"


@dataclass(frozen=True)
class Sample:
    """What detection looks at: the start of a file, decoded."""

    path: Path
    encoding: str  # Python codec to open the file with ("utf-8", "utf-8-sig", "utf-16", ...)
    duckdb_encoding: str  # what DuckDB's read_csv reads natively; "" = transcode first
    lines: tuple[str, ...]  # the first lines (decoded, without line ends)
    type_line: bool  # PowerShell `#TYPE ...` first line present
    header: tuple[str, ...]  # CSV column names of the first non-comment line, or W3C #Fields
    directives: dict[str, str] = field(default_factory=dict)  # W3C `#Name: value` lines
    header_line_count: int = 0  # lines before the first data line (directives, #TYPE, header)
    delimiter: str = ","  # Export-Csv -UseCulture and Excel write ";" in many locales


@dataclass(frozen=True)
class FailureGroup:
    """One error text seen `count` times with the same status, target and recipient domain."""

    text: str
    count: int = 1
    status: str = ""  # the row's status/event as logged ("Failed", "FAIL", "Defer", ...)
    target_ip: str = ""  # from a column, when the text itself names none
    recipient_domain: str = ""
    hop: Hop = "inbound"
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    message_ids: tuple[str, ...] = ()
    source: str = ""  # file the group came from
    story: str = ""  # protocol logs: the session's steps up to the failure
    target_host: str = ""  # from a column, when the text itself names none


SightingRule = Literal["hostname", "published-exchange"]


@dataclass(frozen=True)
class Sighting:
    """An address that delivered (or tried to deliver) mail, with the rule that made it count.

    `hostname`: the log carries Exchange Online evidence (EHLO/host name or TLS certificate)
    for this sender already. `published-exchange`: the log carries no such evidence, so the
    engine counts the address only if it lies in a published Exchange Online endpoint set.
    """

    ip: str
    rule: SightingRule
    evidence: str
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    source: str = ""


class Sink(Protocol):
    def failure(self, group: FailureGroup) -> None: ...
    def sighting(self, sighting: Sighting) -> None: ...
    def note(self, message: str) -> None: ...
    def undecided(self, status: str, count: int, message_ids: tuple[str, ...]) -> None: ...


@dataclass(frozen=True)
class ScanStats:
    rows: int
    skipped_rows: int = 0
    notes: tuple[str, ...] = ()


class LogFormat(ABC):
    """One log layout: how to recognise it and how to stream it into a `Sink`."""

    name: ClassVar[str]
    description: ClassVar[str]
    sender_rule: ClassVar[str] = ""  # how sightings from this layout are judged Exchange Online

    @abstractmethod
    def matches(self, sample: Sample) -> bool:
        """True when `sample` has this layout."""

    @abstractmethod
    def scan(self, sample: Sample, sink: Sink) -> ScanStats:
        """Stream the whole file behind `sample` into `sink`."""


@dataclass(frozen=True)
class CatalogEntry:
    """One diagnosis from the catalog (src/hybridfw/data/diagnoses.toml)."""

    id: str
    category: str
    cause: str
    fix: str
    check: str
    code: str = ""  # "4.4.316", "4.7.500-699" or "winsock:10061"
    pattern: str = ""
    severity: Literal["error", "warning"] = "error"
    source: str = ""  # the Microsoft page the entry follows
    fix_outbound: str = ""  # the fix when on-premises sends to Exchange Online (else `fix` holds)
    wrapper: bool = False  # an outer status that only says something failed further in
    event: str = ""  # a message tracking event id that names the failure when the row has no error text

    def fix_for(self, hop: Hop) -> str:
        """The fix text for the direction the failure happened in."""
        if not self.fix_outbound or hop == "inbound":
            return self.fix
        if hop == "outbound":
            return self.fix_outbound
        return (f"The log does not say which direction failed. If Exchange Online was sending to "
                f"on-premises: {self.fix} If on-premises was sending to Exchange Online: {self.fix_outbound}")

    @property
    def finding_code(self) -> str:
        return f"trace.{self.category}.{self.id}"


@dataclass(frozen=True)
class Layer:
    """One status layer of a (possibly nested) error text, outermost first."""

    code: str  # "4.4.101", "winsock:10061"
    smtp: str  # basic reply code when given ("450"), else ""
    position: int


@dataclass(frozen=True)
class Diagnosis:
    """What one error text means: the matched entry (None when nothing matched) and the chain."""

    entry: CatalogEntry | None
    chain: tuple[str, ...]  # codes, outermost first
    target_ip: str = ""
    target_host: str = ""
