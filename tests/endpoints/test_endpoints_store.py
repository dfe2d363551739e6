"""The SQLite store: history, lookups, identical re-imports, and surviving kill -9 mid-update."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hybridfw.endpoints import load_current
from hybridfw.endpoints.digest import sha256_hex
from hybridfw.endpoints.files import FileSource
from hybridfw.endpoints.store import existing_store, open_store, store_path
from hybridfw.endpoints.update import import_file
from hybridfw.errors import InputError

DATA = Path(__file__).resolve().parent.parent / "data" / "endpoints"
OLD = DATA / "worldwide-endpoints-fetched-2025-04-09.json"
MID = DATA / "worldwide-endpoints-fetched-2026-04-30.json"
NEW = DATA / "worldwide-endpoints-fetched-2026-05-29.json"


def test_no_store_without_create(_isolated_home: Path) -> None:
    assert existing_store(_isolated_home) is None
    assert not _isolated_home.exists()
    assert load_current("Worldwide", _isolated_home).source == "snapshot"
    with pytest.raises(InputError, match="no endpoint data stored for instance China"):
        load_current("china", _isolated_home)


def test_every_version_is_kept_and_found(_isolated_home: Path) -> None:
    home = _isolated_home
    import_file(home, "Worldwide", OLD, "2025040900")
    import_file(home, "Worldwide", MID)
    import_file(home, "Worldwide", NEW, "2026052900")
    with open_store(home) as store:
        history = store.history("Worldwide")
        assert [h.version for h in history] == ["2025040900", None, "2026052900"]
        assert [h.sha256 for h in history] == [sha256_hex(p.read_bytes()) for p in (OLD, MID, NEW)]
        assert [h.set_count for h in history] == [66, 63, 63]
        old = store.get("Worldwide", "2025040900")
        assert old is not None and old.by_id(18) is not None
        by_row = store.get("Worldwide", f"#{history[1].row_id}")
        assert by_row is not None and by_row.sha256 == history[1].sha256
        assert store.get("Worldwide", "1999010100") is None
        latest = store.latest("Worldwide")
        assert latest is not None and latest.version == "2026052900" and latest.source == "store"
        assert store.history("China") == []


def test_identical_reimport_is_recognised(_isolated_home: Path) -> None:
    first = import_file(_isolated_home, "Worldwide", NEW)
    again = import_file(_isolated_home, "Worldwide", NEW, "2026052900")
    assert first.updated and not again.updated
    assert "identical to stored row 1" in again.message
    with open_store(_isolated_home) as store:
        history = store.history("Worldwide")
    # Stored once; the version learnt on the second import is attached to the same row.
    assert [(h.row_id, h.version) for h in history] == [(1, "2026052900")]


def test_garbage_store_file_is_a_one_line_error(_isolated_home: Path) -> None:
    _isolated_home.mkdir(parents=True)
    store_path(_isolated_home).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="endpoint store is not usable"):
        open_store(_isolated_home)


# The child stores NEW but stops inside the transaction, just before COMMIT runs, and says so
# through a flag file; the test then kills it with SIGKILL.
CHILD = """
import sys, time, pathlib
from hybridfw.endpoints.files import FileSource
from hybridfw.endpoints.store import open_store
home, answer, flag = (pathlib.Path(a) for a in sys.argv[1:4])
store = open_store(home)
def hold_before_commit(sql):
    if sql.strip().upper() == "COMMIT":
        flag.write_text("inside the transaction")
        time.sleep(120)
store._db.set_trace_callback(hold_before_commit)
store.add("Worldwide", FileSource(answer, "2026052900").fetch("Worldwide"), set_count=63)
print("committed")
"""


def test_kill_9_mid_update_keeps_previous_data(_isolated_home: Path, tmp_path: Path) -> None:
    home = _isolated_home
    import_file(home, "Worldwide", MID, "2026043000")
    flag = tmp_path / "flag"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(NEW), str(flag)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not flag.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "child never reached the transaction"
            time.sleep(0.02)
        # The child holds the write lock with the new row inserted but not committed.
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    data = load_current("Worldwide", home)
    assert data.version == "2026043000"
    assert data.sha256 == sha256_hex(MID.read_bytes())
    with open_store(home) as store:
        assert [h.version for h in store.history("Worldwide")] == ["2026043000"]
        # And the store takes the next update normally.
        store.add("Worldwide", FileSource(NEW, "2026052900").fetch("Worldwide"), set_count=63)
        latest = store.latest("Worldwide")
        assert latest is not None and latest.version == "2026052900"
