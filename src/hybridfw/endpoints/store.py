"""The local history of endpoint data: one SQLite file in the data home.

Every version ever stored is kept (raw answer bytes and all), so diffs and audits can look
back. SQLite in WAL mode with one transaction per update means a process killed half-way
through an update leaves the previous data exactly as it was: the half-written transaction is
rolled back the next time the file is opened.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from hybridfw.endpoints.interface import Answer, StoredVersion
from hybridfw.endpoints.parse import parse_endpoints
from hybridfw.errors import InputError
from hybridfw.model import EndpointData

log = logging.getLogger(__name__)

STORE_FILE = "endpoints.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    row_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    instance   TEXT NOT NULL,
    version    TEXT,
    stored_at  TEXT NOT NULL,
    data_date  TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    source     TEXT NOT NULL,
    label      TEXT NOT NULL,
    set_count  INTEGER NOT NULL,
    raw        BLOB NOT NULL,
    UNIQUE (instance, sha256)
);
CREATE INDEX IF NOT EXISTS versions_by_instance ON versions (instance, row_id);
-- When the service last confirmed that a stored version is still its latest: the data is as
-- fresh as that check, not as old as its first download.
CREATE TABLE IF NOT EXISTS checks (
    instance   TEXT PRIMARY KEY,
    version    TEXT NOT NULL,
    checked_at TEXT NOT NULL
);
"""
_COLUMNS = "row_id, instance, version, stored_at, data_date, sha256, source, label, set_count"


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _ts(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class Store:
    """An open store. Use as a context manager; every public method is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"endpoint store is not usable: {exc}", path=str(path)) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- reading ------------------------------------------------------------------------------
    def history(self, instance: str) -> list[StoredVersion]:
        """Every stored version of `instance`, oldest first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM versions WHERE instance = ? ORDER BY row_id", (instance,)
        ).fetchall()
        return [_stored(row) for row in rows]

    def latest(self, instance: str) -> EndpointData | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS}, raw FROM versions WHERE instance = ? ORDER BY row_id DESC LIMIT 1",
            (instance,),
        ).fetchone()
        return None if row is None else self._data(row)

    def get(self, instance: str, version: str) -> EndpointData | None:
        """A stored version by service version, or by row number (`#3` or `3` when short)."""
        row = self._db.execute(
            f"SELECT {_COLUMNS}, raw FROM versions WHERE instance = ? AND version = ? "
            "ORDER BY row_id DESC LIMIT 1", (instance, version),
        ).fetchone()
        key = version.lstrip("#")
        if row is None and key.isdigit() and len(key) < 10:
            row = self._db.execute(
                f"SELECT {_COLUMNS}, raw FROM versions WHERE instance = ? AND row_id = ?",
                (instance, int(key)),
            ).fetchone()
        return None if row is None else self._data(row)

    def find_sha256(self, instance: str, sha256: str) -> StoredVersion | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM versions WHERE instance = ? AND sha256 = ?", (instance, sha256)
        ).fetchone()
        return None if row is None else _stored(row)

    # -- writing ------------------------------------------------------------------------------
    def add(self, instance: str, answer: Answer, *, set_count: int) -> StoredVersion:
        """Store one answer in one transaction. An identical answer (sha256) is not stored twice;
        the existing row is returned."""
        digest = sha256_hex(answer.raw)
        now = datetime.now(UTC)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            existing = self.find_sha256(instance, digest)
            if existing is None:
                self._db.execute(
                    "INSERT INTO versions (instance, version, stored_at, data_date, sha256, source,"
                    " label, set_count, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (instance, answer.version, now.isoformat(), answer.data_date.isoformat(), digest,
                     answer.source, answer.label, set_count, answer.raw),
                )
            elif existing.version is None and answer.version is not None:
                # A file imported without a version turns out to be this service version.
                self._db.execute("UPDATE versions SET version = ? WHERE row_id = ?",
                                 (answer.version, existing.row_id))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        stored = self.find_sha256(instance, digest)
        assert stored is not None
        return stored

    def mark_checked(self, instance: str, version: str) -> None:
        """Record that the service still calls `version` its latest (keeps the data fresh)."""
        self._db.execute(
            "INSERT INTO checks (instance, version, checked_at) VALUES (?, ?, ?) "
            "ON CONFLICT (instance) DO UPDATE SET version = excluded.version, "
            "checked_at = excluded.checked_at",
            (instance, version, datetime.now(UTC).isoformat()),
        )

    # -- helpers ------------------------------------------------------------------------------
    def _data(self, row: tuple[object, ...]) -> EndpointData:
        meta = _stored(row[:-1])
        raw = row[-1]
        assert isinstance(raw, bytes)
        data_date = meta.data_date
        if meta.version is not None:
            check = self._db.execute(
                "SELECT checked_at FROM checks WHERE instance = ? AND version = ?",
                (meta.instance, meta.version),
            ).fetchone()
            if check is not None:
                data_date = max(data_date, _ts(check[0]))
        return EndpointData(
            instance=meta.instance, version=meta.version, data_date=data_date, source="store",
            label=f"stored {meta.label}", sha256=meta.sha256,
            sets=parse_endpoints(raw, source=f"{self.path} row {meta.row_id}"),
        )


def _stored(row: tuple[object, ...]) -> StoredVersion:
    row_id, instance, version, stored_at, data_date, sha, source, label, count = row
    return StoredVersion(
        row_id=int(str(row_id)), instance=str(instance), version=None if version is None else str(version),
        stored_at=_ts(str(stored_at)), data_date=_ts(str(data_date)), sha256=str(sha),
        source=str(source), label=str(label), set_count=int(str(count)),
    )


def store_path(home: Path) -> Path:
    return home / STORE_FILE


def open_store(home: Path, create: bool = True) -> Store | None:
    """Open the store in `home`; None when `create` is False and there is none yet."""
    path = store_path(home)
    if not path.exists():
        if not create:
            return None
        home.mkdir(parents=True, exist_ok=True)
    return Store(path)
