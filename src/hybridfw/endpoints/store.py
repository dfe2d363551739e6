"""The local history of endpoint data: one SQLite file in the data home.

Every version ever stored is kept (raw answer bytes and all), so diffs and audits can look
back. SQLite in WAL mode with one transaction per update means a process killed half-way
through an update leaves the previous data exactly as it was: the half-written transaction is
rolled back the next time the file is opened.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from hybridfw.endpoints.digest import sha256_hex
from hybridfw.endpoints.interface import Answer, StoredVersion
from hybridfw.endpoints.parse import parse_endpoints
from hybridfw.errors import InputError, IntegrityError
from hybridfw.model import EndpointData
from hybridfw.paths import STORE_FILE

log = logging.getLogger(__name__)

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


def _ts(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


class Store:
    """An open store. Use as a context manager; every public method is one transaction.

    A store in a read-only place (a read-only data home, a mounted copy) opens read-only:
    every read works, a write fails with one line naming the file.
    """

    def __init__(self, path: Path) -> None:
        import sqlite3  # here, not at import: `audit` without a store never needs it

        self.path = path
        self.read_only = not _writable(path)
        try:
            if self.read_only:
                # immutable: nobody can write here, so SQLite needs no -shm/-wal beside it.
                self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1",
                                           uri=True, isolation_level=None)
                return
            self._db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"endpoint store is not usable: {exc}", path=str(path)) from None

    def _need_write(self) -> None:
        if self.read_only:
            raise InputError("the endpoint store is read-only here; cannot store data",
                             path=str(self.path))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
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
        """The newest stored version whose bytes still match their sha256. A damaged one is
        skipped with a warning naming it: altered data is never used silently."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS}, raw FROM versions WHERE instance = ? ORDER BY row_id DESC",
            (instance,),
        )
        skipped: list[str] = []
        for row in rows:
            try:
                data = self._data(row)
            except IntegrityError as exc:
                log.warning("%s", exc)
                skipped.append(_name(_stored(row[:-1])))
                continue
            if skipped:
                log.warning("using the newest intact version %s instead of %s; run `hybridfw "
                            "endpoints verify`, then `hybridfw endpoints update`",
                            _name(_stored(row[:-1])), ", ".join(skipped))
            return data
        if skipped:
            raise IntegrityError(f"no intact stored version of {instance} (damaged: "
                                 f"{', '.join(skipped)}); run `hybridfw endpoints update`")
        return None

    def verify(self, instance: str | None = None) -> list[tuple[StoredVersion, bool]]:
        """Every stored version (of `instance`, or all) and whether its bytes match its sha256."""
        where, args = ("WHERE instance = ?", (instance,)) if instance else ("", ())
        rows = self._db.execute(f"SELECT {_COLUMNS}, raw FROM versions {where} ORDER BY row_id",
                                args)
        return [(_stored(row[:-1]), sha256_hex(bytes(row[-1])) == row[5]) for row in rows]

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
        self._need_write()
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
        self._need_write()
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
        if sha256_hex(raw) != meta.sha256:
            raise IntegrityError(f"stored version {_name(meta)} of {meta.instance} fails its sha256 "
                                 f"check (altered or damaged in {self.path})")
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


def _name(meta: StoredVersion) -> str:
    return f"{meta.version or 'unversioned'} (row {meta.row_id})"


def _stored(row: tuple[object, ...]) -> StoredVersion:
    row_id, instance, version, stored_at, data_date, sha, source, label, count = row
    return StoredVersion(
        row_id=int(str(row_id)), instance=str(instance), version=None if version is None else str(version),
        stored_at=_ts(str(stored_at)), data_date=_ts(str(data_date)), sha256=str(sha),
        source=str(source), label=str(label), set_count=int(str(count)),
    )


def store_path(home: Path) -> Path:
    return home / STORE_FILE


def open_store(home: Path) -> Store:
    """Open the store in `home`, creating it (and `home`) when there is none yet."""
    home.mkdir(parents=True, exist_ok=True)
    return Store(store_path(home))


def existing_store(home: Path) -> Store | None:
    """Open the store in `home`; None when there is none yet (nothing is created)."""
    path = store_path(home)
    return Store(path) if path.exists() else None
