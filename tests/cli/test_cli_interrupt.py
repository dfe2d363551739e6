"""Ctrl-C anywhere exits 130 without a traceback and leaves no partial file; OS errors name the
path or address concerned."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _support.cli_runner import run_here

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "examples" / "hybrid.toml"
STALE = REPO / "examples" / "stale-firewall.rules"


def _frames_in_hybridfw(err: str) -> list[str]:
    frames = [line for line in err.splitlines() if line.lstrip().startswith("File ")]
    return [f for f in frames if "hybridfw" in f] or ([] if frames else ["(no frames)"])


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 2.5])
def test_ctrl_c_exits_130_without_traceback_or_partial_file(tmp_path: Path, delay: float) -> None:
    out = tmp_path / "reports" / "r.html"
    proc = subprocess.Popen([sys.executable, "-m", "hybridfw", "check", "-t", str(TOPOLOGY), "-f",
                             str(STALE), "--html", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    # Under load the signal can land in the interpreter's own start-up (site, runpy), before any
    # hybridfw code runs: CPython prints that traceback itself. None may pass through our code.
    assert "Traceback" not in err or not _frames_in_hybridfw(err), err
    # 130, or killed by SIGINT (-2: in start-up or shutdown, which a shell also shows as 130);
    # 1 when it had already finished (nothing audited the other flows: not checked).
    assert proc.returncode in (130, -signal.SIGINT, 1), (proc.returncode, err)
    if out.parent.exists():  # the report is there whole, or not at all; never a temp file
        names = [p.name for p in out.parent.iterdir()]
        assert names in ([], ["r.html"]), names
        if names:
            assert out.read_text().rstrip().endswith("</html>")


def test_ctrl_c_during_start_up_never_shows_a_traceback_from_our_code() -> None:
    """Signals spread over the first ~0.2 s land in the interpreter's start-up, the package import
    (native.install) and the CLI's imports: only the interpreter's own frames may show."""
    for step in range(16):
        proc = subprocess.Popen([sys.executable, "-m", "hybridfw", "--version"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.02 + step * 0.012)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert not _frames_in_hybridfw(err) or "Traceback" not in err, (step, err)


def test_os_errors_name_the_path_and_the_address(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x").write_text("")  # a directory where a file is expected
    res = run_here("check", "-t", str(TOPOLOGY), "--html", str(locked / "x" / "r.html"))
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"{locked / 'x' / 'r.html'}" in res.stderr or f"{locked / 'x'}" in res.stderr
    assert "[Errno" not in res.stderr and ".r.html." not in res.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        # A real process: serve installs signal handlers, and would not return if it bound.
        served = subprocess.run([sys.executable, "-m", "hybridfw", "serve", "-t", str(TOPOLOGY),
                                 "--port", str(port), "--refresh", "off"], capture_output=True,
                                text=True, timeout=120)
    assert served.returncode == 2 and f"127.0.0.1:{port}" in served.stderr
    assert "[Errno" not in served.stderr and "Traceback" not in served.stderr
