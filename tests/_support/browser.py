"""Drive the real headless Chromium: DOM after scripts ran, console messages, a screenshot.

Console messages come from Chromium's own log (`--enable-logging=stderr`), which carries every
console call, uncaught exception and Content-Security-Policy violation as an `INFO:CONSOLE` line.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0")
_CONSOLE = re.compile(r":INFO:CONSOLE(?:\(\d+\)|:\d+)\] (.*)$")


@dataclass(frozen=True)
class PageRun:
    dom: str
    console: list[str]


def chromium() -> str:
    path = shutil.which("chromium") or CHROMIUM
    assert Path(path).exists(), "chromium is not installed (make system-deps installs it)"
    return path


def _run(page: Path, profile: Path, extra: list[str]) -> subprocess.CompletedProcess[str]:
    profile.mkdir(parents=True, exist_ok=True)
    cmd = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def load(page: Path, profile: Path) -> PageRun:
    """The DOM after the page's scripts ran, and every console message it produced."""
    res = _run(page, profile, ["--dump-dom"])
    console = [m[1] for line in res.stderr.splitlines() if (m := _CONSOLE.search(line))]
    assert res.stdout.strip(), f"chromium printed no DOM: {res.stderr[-2000:]}"
    return PageRun(res.stdout, console)


def screenshot(page: Path, profile: Path, out: Path, size: str = "1280,2000") -> Path:
    res = _run(page, profile, [f"--screenshot={out}", f"--window-size={size}",
                               "--hide-scrollbars"])
    assert out.exists(), res.stderr[-2000:]
    return out


def print_pdf(page: Path, profile: Path, out: Path) -> int:
    """Print the page to PDF as Chromium's print preview would (print media); its page count."""
    res = _run(page, profile, [f"--print-to-pdf={out}", "--no-pdf-header-footer"])
    assert out.exists() and out.read_bytes().startswith(b"%PDF"), res.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page(?!s)", out.read_bytes()))
