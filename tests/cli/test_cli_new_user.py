"""The new-user path end to end: build the wheel, install it in a fresh venv with the pinned
constraints, run `check` on the shipped example without and with a firewall."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _support.check import M365, exact_firewall
from hybridfw.addresses import AddressSet
from hybridfw.model import Flow

REPO = Path(__file__).resolve().parents[2]


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)  # type: ignore[call-overload]


def test_wheel_in_a_fresh_venv_gives_honest_verdicts(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "dist"
    built = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                 "-w", str(wheel_dir), str(REPO)])
    assert built.returncode == 0, built.stderr
    (wheel,) = wheel_dir.glob("hybridfw-*.whl")
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    pip = run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c",
               str(REPO / "constraints.txt"), str(wheel)])
    assert pip.returncode == 0, pip.stderr[-3000:]
    hybridfw = str(venv / "bin" / "hybridfw")
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HYBRIDFW_HOME": str(tmp_path / "home"),
           "COLUMNS": "100"}
    cwd = tmp_path  # not the repository: everything comes from the installed wheel
    topology = str(REPO / "examples" / "hybrid.toml")

    # 1. Out of the box, no firewall: nothing checked, never "ready".
    bare = run([hybridfw, "check", "-t", topology, "--html", str(tmp_path / "r.html")], env=env,
               cwd=cwd)
    assert bare.returncode == 1, bare.stderr
    assert "Overall: not checked" in bare.stdout and "Traceback" not in bare.stderr
    assert 'id="verdict" class="badge v-not-checked"' in (tmp_path / "r.html").read_text()

    # 2. The shipped stale firewall: broken, with the missing ranges.
    stale = run([hybridfw, "check", "-t", topology, "-f", str(REPO / "examples" / "stale-firewall.rules"),
                 "-f", str(REPO / "examples" / "stale-firewall6.rules"), "--json"], env=env, cwd=cwd)
    doc = json.loads(stale.stdout)
    assert stale.returncode == 1 and doc["verdict"] == "broken" and doc["schema_version"] == 1

    # 3. Fresh data and a firewall that admits exactly the flows: ready only once the one flow
    # no address audit can check (crl-outbound: names only) is waived on purpose.
    fresh = run([hybridfw, "endpoints", "update", "--file",
                 str(M365 / "worldwide-endpoints-fetched-2026-05-29.json"), "--version", "2026112800",
                 "--force"], env=env, cwd=cwd)
    assert fresh.returncode == 0, fresh.stderr
    flows = json.loads(run([hybridfw, "flows", "-t", topology, "--json"], env=env, cwd=cwd).stdout)
    objs = [Flow(id=f["id"], direction=f["direction"], protocol=f["protocol"], ports=tuple(f["ports"]),
                 sources=AddressSet.parse(f["sources"]), destinations=AddressSet.parse(f["destinations"]),
                 reason=f["reason"]) for f in flows["flows"]]
    v4, v6 = exact_firewall(objs, tmp_path)
    unchecked = run([hybridfw, "check", "-t", topology, "-f", str(v4), "-f", str(v6)], env=env, cwd=cwd)
    assert unchecked.returncode == 1 and "Overall: not checked" in unchecked.stdout
    assert "crl-outbound" in unchecked.stdout
    ready = run([hybridfw, "check", "-t", topology, "-f", str(v4), "-f", str(v6),
                 "--allow-unchecked", "crl-outbound", "-q"], env=env, cwd=cwd)
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert ready.stdout.startswith("Overall: ready")
