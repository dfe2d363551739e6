"""Collect what the parsers report: failures by cause, target, domain and status; sightings.

This is the `Sink` the parsers write to. Each distinct error text is diagnosed once; memory
grows with the number of distinct (cause, target IP, recipient domain, status) keys and sender
addresses, never with the number of rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hybridfw.trace.catalog import Catalog
from hybridfw.trace.diagnose import clean_ip, diagnose_text, is_success_only
from hybridfw.trace.interface import MULTIVALUE_LOST, CatalogEntry, Diagnosis, FailureGroup, Hop, Sighting

EXAMPLE_IDS = 5

NO_DETAIL = CatalogEntry(
    id="no-detail", category="unknown",
    cause="The export records failed or pending messages but not why (summary exports carry no error text).",
    fix="Export Get-MessageTraceDetailV2 for these message trace ids (or an extended report) and run "
        "hybridfw trace on that file.",
    check="hybridfw trace")
DETAIL_NOT_EXPORTED = CatalogEntry(
    id="detail-not-exported", category="unknown",
    cause="Failed or deferred messages whose RecipientStatus was exported as System.String[]: "
          "Export-Csv wrote the type name, the error text is lost.",
    fix="Re-export with the text joined: Get-MessageTrackingLog ... | Select-Object *, "
        "@{n='RecipientStatus';e={$_.RecipientStatus -join ';'}}, "
        "@{n='Recipients';e={$_.Recipients -join ';'}} -ExcludeProperty RecipientStatus, Recipients "
        "| Export-Csv ..., and run hybridfw trace on that file.",
    check="hybridfw trace")
UNRECOGNISED = CatalogEntry(
    id="unrecognised", category="unknown",
    cause="A status code hybridfw's catalog does not know.",
    fix="Read the error text in the evidence; if it is a hybrid mail flow error, propose a catalog entry.",
    check="hybridfw trace --text")
# One cause per catalog entry and direction: the fix depends on which way the mail went.
CauseKey = tuple[str, Hop]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


@dataclass
class Tally:
    """Count, first/last seen and a few example ids."""

    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    message_ids: list[str] = field(default_factory=list)

    def add(self, count: int, first: datetime | None, last: datetime | None, ids: tuple[str, ...]) -> None:
        self.count += count
        if first and (self.first_seen is None or first < self.first_seen):
            self.first_seen = first
        if last and (self.last_seen is None or last > self.last_seen):
            self.last_seen = last
        for message_id in ids:
            if len(self.message_ids) >= EXAMPLE_IDS:
                break
            if message_id not in self.message_ids:
                self.message_ids.append(message_id)

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "first_seen": _iso(self.first_seen),
                "last_seen": _iso(self.last_seen), "example_message_ids": list(self.message_ids)}


@dataclass
class CauseTally(Tally):
    entry: CatalogEntry = NO_DETAIL
    hop: Hop = "inbound"
    chain: tuple[str, ...] = ()
    example: str = ""
    story: str = ""  # a protocol-log session that shows it, step by step
    target_ips: Counter[str] = field(default_factory=Counter)
    target_hosts: Counter[str] = field(default_factory=Counter)
    domains: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)


@dataclass
class SenderTally(Tally):
    rule: str = ""
    evidence: str = ""
    sources: set[str] = field(default_factory=set)


class Aggregator:
    """The Sink every parser writes to."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._diagnoses: dict[str, Diagnosis] = {}
        self.causes: dict[CauseKey, CauseTally] = {}
        self.groups: dict[tuple[str, Hop, str, str, str], Tally] = {}
        self.successes = 0  # texts handed over as failures that carry only 2.x.x statuses
        self.senders: dict[str, SenderTally] = {}
        self.notes: list[str] = []
        # Messages whose trace status is not final yet (GettingStatus, None): neither failed nor
        # delivered, so they are counted apart and never read as "no failures".
        self.undecided_statuses: Counter[str] = Counter()
        self.undecided_ids: list[str] = []

    def diagnosis(self, text: str) -> Diagnosis:
        found = self._diagnoses.get(text)
        if found is None:
            found = self._diagnoses[text] = diagnose_text(text, self.catalog)
        return found

    def failure(self, group: FailureGroup) -> None:
        diagnosis = self.diagnosis(group.text)
        if diagnosis.entry is None and is_success_only(diagnosis.chain):
            self.successes += group.count  # "250 2.6.0 Queued mail for delivery" is no failure
            return
        # A row without error text may still be named by its event (a message tracking
        # POISONMESSAGE or BADMAIL), which has its own cause and fix; else it is no-detail.
        entry = diagnosis.entry or (UNRECOGNISED if diagnosis.chain else
                                    self.catalog.by_event(group.status) or NO_DETAIL)
        if not group.text and group.status.endswith(MULTIVALUE_LOST):
            entry = DETAIL_NOT_EXPORTED
        target = diagnosis.target_ip or group.target_ip
        cause = self.causes.get((entry.id, group.hop))
        if cause is None:
            example = group.text[:400].replace("\n", " | ")
            cause = self.causes[(entry.id, group.hop)] = CauseTally(
                entry=entry, hop=group.hop, chain=diagnosis.chain, example=example)
        if group.story and not cause.story:
            cause.story = group.story
        cause.add(group.count, group.first_seen, group.last_seen, group.message_ids)
        host = diagnosis.target_host or group.target_host
        for counter, key in ((cause.target_ips, target), (cause.target_hosts, host),
                             (cause.domains, group.recipient_domain), (cause.statuses, group.status)):
            if key:
                counter[key] += group.count
        group_key = (entry.id, group.hop, target, group.recipient_domain, group.status)
        self.groups.setdefault(group_key, Tally()).add(group.count, group.first_seen, group.last_seen,
                                                 group.message_ids)

    def sighting(self, sighting: Sighting) -> None:
        ip = clean_ip(sighting.ip)
        if not ip:
            return
        tally = self.senders.get(ip)
        if tally is None:
            tally = self.senders[ip] = SenderTally(rule=sighting.rule, evidence=sighting.evidence)
        elif sighting.rule == "hostname":
            tally.rule, tally.evidence = "hostname", sighting.evidence  # the stronger evidence wins
        tally.add(sighting.count, sighting.first_seen, sighting.last_seen, ())
        tally.sources.add(sighting.source)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def undecided(self, status: str, count: int, message_ids: tuple[str, ...]) -> None:
        self.undecided_statuses[status.strip()] += count
        for message_id in message_ids:
            if len(self.undecided_ids) < EXAMPLE_IDS and message_id not in self.undecided_ids:
                self.undecided_ids.append(message_id)

    def ranked_causes(self) -> list[CauseTally]:
        """Top causes first; ties by catalog id for a stable order."""
        return sorted(self.causes.values(), key=lambda c: (-c.count, c.entry.id, c.hop))
