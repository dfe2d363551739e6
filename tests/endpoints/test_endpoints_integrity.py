"""The store checks each version's sha256 when reading it, falls back to the newest intact one
(saying so), `endpoints verify` checks them all; a read-only data home serves read commands."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from _support.cli_runner import Ran, run_here
from hybridfw.endpoints import load_current
from hybridfw.endpoints.store import open_store, store_path
from hybridfw.endpoints.update import import_file
from hybridfw.errors import InputError, IntegrityError

DATA = Path(__file__).resolve().parent.parent / "data" / "endpoints"
REPO = Path(__file__).resolve().parents[2]
OLD = DATA / "worldwide-endpoints-fetched-2025-04-09.json"
NEW = DATA / "worldwide-endpoints-fetched-2026-05-29.json"


def two_versions(home: Path) -> None:
    import_file(home, "Worldwide", OLD, "2025040900", force=True)
    import_file(home, "Worldwide", NEW, "2026052900", force=True)


def damage(home: Path, version: str) -> None:
    """Flip bytes in one stored answer behind the store's back, as a disk or an editor would."""
    with sqlite3.connect(store_path(home)) as db:
        raw = db.execute("SELECT raw FROM versions WHERE version = ?", (version,)).fetchone()[0]
        db.execute("UPDATE versions SET raw = ? WHERE version = ?",
                   (raw.replace(b"40.92.0.0/15", b"40.92.0.0/16"), version))


def cli(*args: str) -> Ran:
    return run_here(*args)


def test_altered_newest_version_is_skipped_with_a_warning(_isolated_home: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    two_versions(_isolated_home)
    assert load_current("Worldwide", _isolated_home).version == "2026052900"
    damage(_isolated_home, "2026052900")
    data = load_current("Worldwide", _isolated_home)
    assert data.version == "2025040900"  # the newest intact one, never the altered bytes
    assert "2026052900 (row 2)" in caplog.text and "sha256" in caplog.text
    with open_store(_isolated_home) as store, pytest.raises(IntegrityError, match="2026052900"):
        store.get("Worldwide", "2026052900")  # asked for by name: an error naming it


def test_every_version_altered_is_an_error(_isolated_home: Path) -> None:
    two_versions(_isolated_home)
    damage(_isolated_home, "2026052900")
    damage(_isolated_home, "2025040900")
    with pytest.raises(IntegrityError, match="no intact stored version"):
        load_current("Worldwide", _isolated_home)


def test_verify_command(_isolated_home: Path) -> None:
    two_versions(_isolated_home)
    ok = cli("endpoints", "verify", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["intact"] is True
    damage(_isolated_home, "2026052900")
    bad = cli("endpoints", "verify")
    assert bad.returncode == 1 and "2026052900 (row 2)" in bad.stdout and "DAMAGED" in bad.stdout
    flows = cli("flows", "-t", str(REPO / "examples" / "hybrid.toml"), "--json")
    assert flows.returncode == 0 and json.loads(flows.stdout)["data"]["version"] == "2025040900"
    assert "sha256" in flows.stderr and "Traceback" not in flows.stderr


def test_read_only_open_reads_and_refuses_writes(_isolated_home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    two_versions(_isolated_home)
    monkeypatch.setattr("hybridfw.endpoints.store.os.access", lambda *a: False)
    assert load_current("Worldwide", _isolated_home).version == "2026052900"
    with pytest.raises(InputError, match="read-only"):
        import_file(_isolated_home, "Worldwide", DATA / "worldwide-endpoints-fetched-2026-04-30.json",
                    "2026043000", force=True)


def _unprivileged_python() -> list[str]:
    """A Python of this minor version that an unprivileged user may run, and setpriv."""
    setpriv = shutil.which("setpriv")
    wanted = f"python{sys.version_info.major}.{sys.version_info.minor}"
    python = shutil.which(wanted, path="/usr/bin:/usr/local/bin")
    assert setpriv and python, "setpriv and a system python of the same version are needed"
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python]


def test_read_only_data_home_for_real(_isolated_home: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A read-only data home as an unprivileged user sees it (root ignores permissions)."""
    two_versions(_isolated_home)
    base = Path(f"/tmp/hybridfw-ro-{os.getpid()}")
    shutil.rmtree(base, ignore_errors=True)
    home = base / "home"
    home.mkdir(parents=True)
    shutil.copy(store_path(_isolated_home), home / "endpoints.sqlite3")
    try:
        os.chmod(home / "endpoints.sqlite3", 0o444)
        os.chmod(home, 0o555)
        os.chmod(base, 0o755)
        site = next(p for p in sys.path if p.endswith("site-packages"))
        env = {"HYBRIDFW_HOME": str(home), "PYTHONPATH": f"{REPO / 'src'}:{site}", "PATH": "/usr/bin:/bin"}
        cmd = [*_unprivileged_python(), "-m", "hybridfw"]
        shown = subprocess.run([*cmd, "flows", "-t", str(REPO / "examples" / "hybrid.toml"), "--json"],
                               capture_output=True, text=True, timeout=120, env=env, cwd="/")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["data"]["version"] == "2026052900"
        write = subprocess.run([*cmd, "endpoints", "update", "--file", str(OLD), "--force"],
                               capture_output=True, text=True, timeout=120, env=env, cwd="/")
        assert write.returncode == 2 and "Traceback" not in write.stderr
        assert write.stderr.strip().splitlines() == [
            f"hybridfw: error: {home / 'endpoints.sqlite3'}: the endpoint store is read-only here; "
            "cannot store data"]
        assert sorted(p.name for p in home.iterdir()) == ["endpoints.sqlite3"]  # nothing written
    finally:
        os.chmod(home, 0o755)
        shutil.rmtree(base, ignore_errors=True)
