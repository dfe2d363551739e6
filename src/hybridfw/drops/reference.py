"""What the classifier compares against besides the current endpoint data.

- The history of Exchange Online / EOP address sets: shipped in the package
  (`data/exchange-history.json`, built by `tools/build_exchange_history.py` from the 2015 and
  2018 XML lists and every JSON answer kept in the project) plus every version in the local
  store. A range in an older version but not the current one is "retired".
- Ranges Exchange Online sends from without listing them (`data/exchange-unlisted.toml`): the
  high-risk delivery / relay pool 40.95.0.0/16, with its source and date.
"""

from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

from hybridfw.addresses import AddressError, AddressSet
from hybridfw.errors import InputError
from hybridfw.model import EndpointData

HISTORY_FILE = "exchange-history.json"
UNLISTED_FILE = "exchange-unlisted.toml"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HistorySet:
    name: str  # "Exchange set 10", "XML product EOP"
    set_id: int | None
    ips: AddressSet
    ports: str = ""  # as listed: "25", "143, 587, 993, 995"


@dataclass(frozen=True)
class HistoryVersion:
    label: str
    date: datetime
    sets: tuple[HistorySet, ...]


@dataclass(frozen=True)
class UnlistedRange:
    cidr: str
    name: str
    source: str
    date: str
    ips: AddressSet


@lru_cache(maxsize=1)
def shipped_history() -> tuple[HistoryVersion, ...]:
    """The packaged Exchange/EOP history, oldest first."""
    raw = resources.files("hybridfw.data").joinpath(HISTORY_FILE).read_text(encoding="utf-8")
    versions = []
    for item in json.loads(raw)["versions"]:
        sets = tuple(HistorySet(s["name"], s["id"], AddressSet.parse(s["ips"]), s["tcpPorts"])
                     for s in item["sets"])
        when = datetime.fromisoformat(item["date"]).replace(tzinfo=UTC)
        versions.append(HistoryVersion(f"shipped history {item['label']}", when, sets))
    return tuple(versions)


def stored_history(instance: str, home: Path | None = None) -> tuple[HistoryVersion, ...]:
    """Every version of `instance` in the local store (its Exchange sets), oldest first."""
    from hybridfw.endpoints.store import existing_store
    from hybridfw.paths import data_home

    store = existing_store(home or data_home())
    if store is None:
        return ()
    versions = []
    with store:
        for row in store.history(instance):
            data = store.get(instance, f"#{row.row_id}")
            if data is not None:
                versions.append(exchange_version(data, f"stored {data.version_label()}"))
    return tuple(versions)


def exchange_version(data: EndpointData, label: str) -> HistoryVersion:
    sets = tuple(HistorySet(f"Exchange set {s.id}", s.id, s.ips, ",".join(map(str, s.tcp_ports)))
                 for s in data.sets if s.service_area == "Exchange" and s.ips)
    return HistoryVersion(label, data.data_date, sets)


@lru_cache(maxsize=1)
def unlisted_ranges() -> tuple[UnlistedRange, ...]:
    """The ranges Exchange Online sends from without listing them."""
    text = resources.files("hybridfw.data").joinpath(UNLISTED_FILE).read_text(encoding="utf-8")
    try:
        doc = tomllib.loads(text)
        return tuple(UnlistedRange(r["cidr"], r["name"], " ".join(r["source"].split()), r["date"],
                                   AddressSet.parse([r["cidr"]])) for r in doc["range"])
    except (tomllib.TOMLDecodeError, KeyError, AddressError) as exc:
        raise InputError(f"packaged data is damaged: {exc}", path=UNLISTED_FILE) from None
