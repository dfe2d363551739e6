"""The shipped systemd units: systemd accepts them, they are hardened as documented, and the
commands they run are real hybridfw commands (run here with --dry-run in a namespace)."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from _support.apply import answer, hybridfw, store, topology, version
from _support.netns import netns

pytestmark = pytest.mark.root

UNITS = Path(__file__).parents[2] / "examples" / "systemd"


def settings(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_units_verify_and_are_hardened(tmp_path: Path) -> None:
    service = settings(UNITS / "hybridfw-update.service")
    timer = settings(UNITS / "hybridfw-update.timer")
    assert service["ProtectSystem"] == ["strict"] and service["CapabilityBoundingSet"] == ["CAP_NET_ADMIN"]
    assert service["NoNewPrivileges"] == ["yes"] and "AF_NETLINK" in service["RestrictAddressFamilies"][0]
    assert timer["Persistent"] == ["true"] and timer["OnCalendar"] == ["daily"]
    assert timer["RandomizedDelaySec"] == ["2h"]
    # systemd-analyze checks every directive; the only path it cannot find is the installed binary.
    fake = tmp_path / "hybridfw"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    for name in ("hybridfw-update.service", "hybridfw-update.timer"):
        (tmp_path / name).write_text((UNITS / name).read_text().replace("/usr/local/bin/hybridfw", str(fake)))
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "hybridfw-update.service"),
                           str(tmp_path / "hybridfw-update.timer")], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_unit_commands_run(tmp_path: Path) -> None:
    home, topo = tmp_path / "home", topology(tmp_path)
    store(home, answer(tmp_path, "v1.json"), version())
    commands = [shlex.split(v) for v in settings(UNITS / "hybridfw-update.service")["ExecStart"]]
    assert [c[1:3] for c in commands] == [["endpoints", "update"], ["apply", "--nft"]]
    apply_args = [str(topo) if a == "/etc/hybridfw/topology.toml" else a for a in commands[1][1:]]
    with netns("unit") as ns:
        done = hybridfw(*apply_args, "--dry-run", ns=ns, home=home)
        assert done.returncode == 0, done.stderr
        assert "add table inet hybridfw" in done.stdout
