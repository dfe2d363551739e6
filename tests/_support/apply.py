"""Endpoint data, topologies and CLI runs for the apply tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TESTS = Path(__file__).parents[1]
REAL_ANSWER = TESTS / "data" / "endpoints" / "worldwide-endpoints-fetched-2026-05-29.json"
HYBRIDFW = [sys.executable, "-m", "hybridfw"]
EOP_V4 = ["40.92.0.0/15", "40.107.0.0/16", "52.100.0.0/14", "104.47.0.0/17"]
# Exchange Online also sends from 40.95.0.0/16 (DESIGN.md); the "newer version" the tests make
# publishes it in the SMTP set, the way a real next version would add a range.
NEW_RANGE = "40.95.0.0/16"

EXAMPLE_TOPOLOGY = TESTS.parent / "examples" / "hybrid.toml"


def version(days_ago: int = 0, serial: int = 1) -> str:
    return f"{datetime.now(UTC) - timedelta(days=days_ago):%Y%m%d}{serial:02d}"


def answer(tmp: Path, name: str, *, add: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> Path:
    """The real 2026-05-29 answer, its SMTP set (id 10) changed as asked."""
    sets: list[dict[str, Any]] = json.loads(REAL_ANSWER.read_text())
    for s in sets:
        if s["id"] == 10:
            s["ips"] = [ip for ip in s["ips"] if ip not in drop] + list(add)
    path = tmp / name
    path.write_text(json.dumps(sets))
    return path


def topology(tmp: Path, overrides: tuple[str, ...] = (), name: str = "topo.toml") -> Path:
    path = tmp / name
    text = EXAMPLE_TOPOLOGY.read_text()
    assert "smtp_inbound = []" in text
    path.write_text(text.replace("smtp_inbound = []", f"smtp_inbound = {json.dumps(list(overrides))}"))
    return path


def hybridfw(*args: str, ns: str | None = None, home: Path | None = None
             ) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["HYBRIDFW_HOME"] = str(home)
    prefix = ["ip", "netns", "exec", ns] if ns else []
    return subprocess.run([*prefix, *HYBRIDFW, *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def store(home: Path, path: Path, ver: str, *extra: str) -> None:
    from _support.cli_runner import run_here

    done = run_here("endpoints", "update", "--file", str(path), "--version", ver, *extra,
                    env={"HYBRIDFW_HOME": str(home)})
    assert done.returncode == 0, done.stderr


def applied(*args: str, ns: str, home: Path, code: int = 0) -> dict[str, Any]:
    done = hybridfw("apply", *args, "--json", ns=ns, home=home)
    assert done.returncode == code, f"exit {done.returncode}: {done.stderr}\n{done.stdout}"
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc
