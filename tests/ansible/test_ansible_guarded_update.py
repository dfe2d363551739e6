"""guarded-update.yml (examples/ansible) run for real inside a namespace made by the test:
endpoint update behind the guard, then nft_sets; twice (second run changes nothing), in check +
diff mode, and with an update the guard refuses (nothing reaches the kernel)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from _support.ansible import REPO, ansible
from _support.apply import NEW_RANGE, answer, store, topology, version
from _support.netns import netns, run

pytestmark = [pytest.mark.root, pytest.mark.slow]

PLAYBOOK = REPO / "examples" / "ansible" / "guarded-update.yml"


def play(tmp: Path, ns: str, update_args: str, *flags: str) -> str:
    extra = {"target_hosts": "localhost", "topology": str(topology(tmp)), "update_args": update_args,
             "hybridfw": f"{sys.executable} -m hybridfw"}
    done = ansible("ansible-playbook", "-i", "localhost,", "-c", "local", str(PLAYBOOK), "-e",
                   json.dumps(extra), *flags, tmp=tmp, ns=ns)
    return f"rc={done.returncode}\n{done.stdout}\n{done.stderr}"


def smtp_set(ns: str) -> str:
    return run("nft", "list", "set", "inet", "hybridfw", "smtp_inbound_v4", ns=ns)


def test_guarded_update_playbook(tmp_path: Path) -> None:
    home = Path(os.environ["HYBRIDFW_HOME"])
    v1 = f"--file {answer(tmp_path, 'v1.json')} --version {version(serial=1)}"
    with netns("play") as ns:
        first = play(tmp_path, ns, v1)
        assert first.startswith("rc=0") and "applied:" in first, first
        assert "40.92.0.0/15" in smtp_set(ns)
        second = play(tmp_path, ns, v1)
        assert second.startswith("rc=0") and "changed=0" in second and "unchanged: nothing" in second, second

        store(home, answer(tmp_path, "v2.json", add=(NEW_RANGE,)), version(serial=2))
        check = play(tmp_path, ns, "", "--check", "--diff")
        assert check.startswith("rc=0") and "dry-run: smtp_inbound_v4" in check, check
        assert f"+{NEW_RANGE}" in check and NEW_RANGE not in smtp_set(ns)

        before = smtp_set(ns)
        v3 = answer(tmp_path, "v3.json", drop=("52.100.0.0/14", "40.92.0.0/15"))
        refused = play(tmp_path, ns, f"--file {v3} --version {version(serial=3)}")
        assert refused.startswith("rc=2") and "refused" in refused, refused
        assert "Bring the nftables sets up to date" not in refused.split("fatal:")[-1]
        assert smtp_set(ns) == before
