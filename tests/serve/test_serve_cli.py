"""`hybridfw serve` as users start it, memory under hostile load, and `hybridfw feeds export`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from _support.serve_peers import TOPOLOGY
from hybridfw.serve.feeds import export_name


def cli(*args: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hybridfw", *map(str, args)], capture_output=True,
                          text=True, **{"timeout": 120, **kw})  # type: ignore[call-overload]


@contextmanager
def serve_process(*extra: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen([sys.executable, "-m", "hybridfw", "serve", "-t", str(TOPOLOGY),
                             "--port", "0", "--refresh", "off", *extra],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + proc.stderr.read()
        yield proc, f"http://127.0.0.1:{match[1]}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status)[1])  # type: ignore[index]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_cli_serves_and_stops_cleanly(sig: signal.Signals) -> None:
    with serve_process() as (proc, url):
        resp = httpx.get(f"{url}/feeds/smtp-inbound.txt", timeout=10)
        assert resp.status_code == 200 and "40.92.0.0/15" in resp.text
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0


def test_refresh_floor_is_one_hour() -> None:
    res = cli("serve", "-t", TOPOLOGY, "--port", "0", "--refresh", "30m", timeout=30)
    assert res.returncode == 2 and "at most one version call an hour" in res.stderr


def test_strict_health_answers_503_when_degraded() -> None:
    with serve_process("--strict-health") as (_, url):
        resp = httpx.get(f"{url}/healthz", timeout=10)  # the shipped snapshot is stale: degraded
        assert resp.status_code == 503 and resp.json()["status"] == "degraded"


@pytest.mark.parametrize("args", [["--refresh", "5x"], ["--notify-url", "x"], ["--port", "70000"],
                                  ["--notify-url", "file:///etc/passwd"], ["--service-url", "ftp://x"]])
def test_serve_cli_bad_options_exit_2(args: list[str]) -> None:
    res = cli("serve", "-t", TOPOLOGY, "--port", "0", *args, timeout=30)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr


def test_serve_cli_bad_topology_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "t.toml"
    bad.write_text("instance = 'Mars'\n")
    res = cli("serve", "-t", bad, "--port", "0")
    assert res.returncode == 2 and res.stderr.startswith("hybridfw: error:"), res.stderr


async def _worker(port: int, paths: list[str], codes: list[int]) -> None:
    """One keep-alive connection sending `paths` in turn (a raw client: cheap enough to load
    the server rather than itself)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    junk = "j" * 4000
    for path in paths:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: t\r\nX-Junk: {junk}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        codes.append(int(head.split(b" ", 2)[1]))
        length = int(re.search(rb"content-length: (\d+)", head.lower())[1])  # type: ignore[index]
        await reader.readexactly(length)
    writer.close()


def hammer(url: str, paths: list[str], connections: int) -> list[int]:
    port = int(url.rsplit(":", 1)[1])
    codes: list[int] = []

    async def run() -> None:
        await asyncio.gather(*(_worker(port, paths[i::connections], codes)
                               for i in range(connections)))

    asyncio.run(run())
    return codes


def test_memory_stays_bounded_under_hostile_load() -> None:
    """Thousands of distinct bad paths and queries, many connections, big headers: the server
    must not grow, because nothing is cached or kept per request."""
    with serve_process() as (proc, url):
        hammer(url, [f"/feeds/smtp-inbound.txt?family={4 + 2 * (i % 2)}" for i in range(400)], 40)
        before = rss_kib(proc.pid)
        junk = []
        for i in range(2000):
            junk += [f"/feeds/x{i:05d}-{'a' * 50}.txt", f"/feeds/smtp-inbound.txt?family=x{i}",
                     "/feeds/smtp-inbound.txt"]
        codes = hammer(url, junk, 100)
        after = rss_kib(proc.pid)
        assert codes.count(200) == 2000 and codes.count(404) == 2000 and codes.count(400) == 2000
        assert after - before < 20 * 1024, (before, after)


def test_feeds_export_matches_the_server_and_is_stable(tmp_path: Path) -> None:
    out = tmp_path / "feeds"
    first = cli("feeds", "export", out, "-t", TOPOLOGY, "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(doc["files"]) == sorted(doc["changed"])
    assert "smtp-inbound.txt" in names and "smtp-inbound.v6.txt" in names
    assert "smtp-inbound.json" in names
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    second = cli("feeds", "export", out, "-t", TOPOLOGY, "--json")
    assert json.loads(second.stdout)["changed"] == []
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes  # untouched
    with serve_process() as (_, url):
        for flow in ("smtp-inbound", "https-outbound"):
            for fmt in ("txt", "json"):
                for family in ("", "4", "6"):
                    query = f"?family={family}" if family else ""
                    served = httpx.get(f"{url}/feeds/{flow}.{fmt}{query}", timeout=10).content
                    assert (out / export_name(flow, fmt, family)).read_bytes() == served


def test_feeds_export_rewrites_a_changed_file_atomically(tmp_path: Path) -> None:
    out = tmp_path / "feeds"
    assert cli("feeds", "export", out, "-t", TOPOLOGY).returncode == 0
    target = out / "smtp-inbound.txt"
    good = target.read_bytes()
    target.write_text("tampered\n")
    res = cli("feeds", "export", out, "-t", TOPOLOGY, "--json")
    assert json.loads(res.stdout)["changed"] == ["smtp-inbound.txt"]
    assert target.read_bytes() == good
    assert not [p for p in os.listdir(out) if p.startswith(".")]  # no temp files left behind
    # Readable by a web server running as another user.
    assert all(p.stat().st_mode & 0o044 == 0o044 for p in out.iterdir())


def test_feeds_export_into_a_file_is_input_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    res = cli("feeds", "export", target, "-t", TOPOLOGY)
    assert res.returncode == 2 and "Traceback" not in res.stderr
