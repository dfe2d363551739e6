"""The diagnosis catalog: loaded from package data, validated entry by entry at load."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from hybridfw.errors import CatalogError
from hybridfw.trace.interface import CATEGORIES, CatalogEntry

CATALOG_RESOURCE = "diagnoses.toml"
_CODE = re.compile(r"^(?:[245]\.\d{1,3}\.\d{1,3}(?:-\d{1,3})?|winsock:\d{4,5})$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_KEYS = {"id", "code", "pattern", "category", "cause", "fix", "check", "severity", "source",
         "fix_outbound", "wrapper", "event"}
_EVENT = re.compile(r"^[A-Z]+$")
# The hybridfw commands a diagnosis may point at (a test checks each one exists in the CLI; the
# domain package does not import the command layer).
CHECK_COMMANDS = ("hybridfw audit", "hybridfw probe smtp", "hybridfw probe dns", "hybridfw check",
                  "hybridfw trace")
# Where the facts come from: Microsoft's own pages.
_SOURCE = re.compile(r"^https://(?:learn|support|techcommunity)\.microsoft\.com/\S+$")
# Which command checks which category; the catalog must agree (firewall findings point at audit).
EXPECTED_CHECK = {"firewall": "hybridfw audit", "tls": "hybridfw probe smtp", "dns": "hybridfw probe dns"}


@dataclass(frozen=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    patterns: Mapping[str, re.Pattern[str]]  # entry id -> compiled pattern
    index: Mapping[str, int]  # entry id -> position in the file (the last tie-break)

    def by_id(self, entry_id: str) -> CatalogEntry:
        return next(e for e in self.entries if e.id == entry_id)

    def by_event(self, status: str) -> CatalogEntry | None:
        """The entry for a message tracking event id (a failure row without error text), if any."""
        key = status.strip().upper()
        return next((e for e in self.entries if e.event and e.event == key), None)


def _field(raw: Mapping[str, Any], key: str, where: str, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise CatalogError(f"{where} [{key}]: must be a string")
    if required and not value.strip():
        raise CatalogError(f"{where} [{key}]: missing or empty")
    return value


def validate_entry(raw: Mapping[str, Any], index: int) -> CatalogEntry:
    """One TOML table to a CatalogEntry, or CatalogError naming what is wrong."""
    where = f"diagnosis #{index} ({raw.get('id', '?')})"
    unknown = set(raw) - _KEYS
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(unknown)}")
    entry_id = _field(raw, "id", where)
    if not _ID.match(entry_id):
        raise CatalogError(f"{where} [id]: use lower-case words joined by '-'")
    code, pattern = _field(raw, "code", where, False), _field(raw, "pattern", where, False)
    event = _field(raw, "event", where, False)
    if not code and not pattern and not event:
        raise CatalogError(f"{where}: needs a code, a pattern or both, or an event")
    if event and not _EVENT.match(event):
        raise CatalogError(f"{where} [event]: {event!r} is not a message tracking event id (upper-case)")
    if code and not _CODE.match(code):
        raise CatalogError(f"{where} [code]: {code!r} is not x.y.z, x.y.lo-hi or winsock:N")
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CatalogError(f"{where} [pattern]: {exc}") from exc
    category = _field(raw, "category", where)
    if category not in CATEGORIES:
        raise CatalogError(f"{where} [category]: {category!r} is not one of {', '.join(CATEGORIES)}")
    check = _field(raw, "check", where)
    if not any(check == c or check.startswith(c + " ") for c in CHECK_COMMANDS):
        raise CatalogError(f"{where} [check]: {check!r} is not a hybridfw command")
    expected = EXPECTED_CHECK.get(category)
    if expected and not check.startswith(expected):
        raise CatalogError(f"{where} [check]: {category} diagnoses are checked with {expected!r}")
    severity = raw.get("severity", "error")
    if severity not in ("error", "warning"):
        raise CatalogError(f"{where} [severity]: error or warning")
    source = _field(raw, "source", where)
    if not _SOURCE.match(source):
        raise CatalogError(f"{where} [source]: {source!r} is not a Microsoft page "
                           "(learn, support or techcommunity.microsoft.com)")
    wrapper = raw.get("wrapper", False)
    if not isinstance(wrapper, bool):
        raise CatalogError(f"{where} [wrapper]: true or false")
    return CatalogEntry(id=entry_id, category=category, cause=_field(raw, "cause", where),
                        fix=_field(raw, "fix", where), check=check, code=code, pattern=pattern,
                        severity=severity, source=source,
                        fix_outbound=_field(raw, "fix_outbound", where, False), wrapper=wrapper,
                        event=event)


def build_catalog(tables: Iterable[Mapping[str, Any]]) -> Catalog:
    entries = tuple(validate_entry(raw, i) for i, raw in enumerate(tables, 1))
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise CatalogError(f"diagnosis {entry.id}: duplicate id")
        seen.add(entry.id)
    events = [e.event for e in entries if e.event]
    if len(events) != len(set(events)):
        raise CatalogError(f"catalog: an event is named by two diagnoses ({sorted(events)})")
    patterns = {e.id: re.compile(e.pattern, re.IGNORECASE) for e in entries if e.pattern}
    return Catalog(entries, patterns, {e.id: i for i, e in enumerate(entries)})


def parse_catalog(text: str) -> Catalog:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog: {exc}") from exc
    tables = doc.get("diagnosis")
    if not isinstance(tables, list) or not tables:
        raise CatalogError("catalog: no [[diagnosis]] entries")
    return build_catalog(tables)


@cache
def load_catalog() -> Catalog:
    """The shipped catalog (cached). A broken catalog is a bug: CatalogError propagates."""
    text = resources.files("hybridfw.data").joinpath(CATALOG_RESOURCE).read_text(encoding="utf-8")
    return parse_catalog(text)


def code_matches(entry_code: str, layer_code: str) -> bool:
    """Exact code, or a range in the last part ("4.7.500-699" covers 4.7.512)."""
    if "-" not in entry_code:
        return entry_code == layer_code
    head, _, span = entry_code.rpartition(".")
    lo, _, hi = span.partition("-")
    layer_head, _, last = layer_code.rpartition(".")
    return layer_head == head and last.isdigit() and int(lo) <= int(last) <= int(hi)
