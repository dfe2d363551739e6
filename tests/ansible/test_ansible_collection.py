"""The Ansible collection hybridfw.hybrid: it builds, passes the offline ansible-test sanity
subset, documents every plugin for ansible-doc, and its plugins and example playbooks work in
ansible-playbook runs against localhost (connection local). Kept to a few playbook runs:
ansible-playbook starts slowly."""

from __future__ import annotations

import json
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

from _support.ansible import COLLECTION, REPO, ansible
from _support.apply import answer, store, version

pytestmark = pytest.mark.slow

# ansible-test's other sanity tests install their own requirements into fresh venvs first,
# which needs downloads beyond the package registries; these need nothing more.
OFFLINE_SANITY = ("action-plugin-docs", "compile", "empty-init", "ignores", "line-endings", "no-assert",
                  "no-get-exception", "no-illegal-filenames", "no-smart-quotes", "replace-urlopen",
                  "shebang", "symlinks", "use-argspec-type-path", "use-compat-six")
MODULES = ("hybridfw.hybrid.audit", "hybridfw.hybrid.rules", "hybridfw.hybrid.nft_sets")
EXAMPLE = REPO / "examples"


def test_build_sanity_and_docs(tmp_path: Path) -> None:
    built = ansible("ansible-galaxy", "collection", "build", str(COLLECTION), "--output-path",
                    str(tmp_path / "dist"), tmp=tmp_path)
    assert built.returncode == 0, built.stderr
    with tarfile.open(tmp_path / "dist" / "hybridfw-hybrid-0.1.0.tar.gz") as tar:
        names = set(tar.getnames())
    assert {"MANIFEST.json", "meta/runtime.yml", "plugins/lookup/addresses.py",
            "plugins/modules/nft_sets.py", "plugins/module_utils/hybridfw_api.py"} <= names

    tree = tmp_path / "tree" / "ansible_collections" / "hybridfw" / "hybrid"
    shutil.copytree(COLLECTION, tree)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    sanity = ansible("ansible-test", "sanity", "--local", "--python", python,
                     *[arg for test in OFFLINE_SANITY for arg in ("--test", test)], tmp=tmp_path, cwd=tree)
    assert sanity.returncode == 0, sanity.stdout + sanity.stderr
    assert sanity.stdout.count("Running sanity test") == len(OFFLINE_SANITY)

    docs = ansible("ansible-doc", "--json", *MODULES, tmp=tmp_path)
    assert docs.returncode == 0, docs.stderr
    modules = json.loads(docs.stdout)
    assert set(modules) == set(MODULES)
    assert modules["hybridfw.hybrid.audit"]["doc"]["options"]["fail_on_problems"]["default"] is True
    assert modules["hybridfw.hybrid.audit"]["doc"]["options"]["alias_files"]["elements"] == "str"
    assert modules["hybridfw.hybrid.nft_sets"]["doc"]["attributes"]["check_mode"]["support"] == "full"
    lookup = ansible("ansible-doc", "--json", "-t", "lookup", "hybridfw.hybrid.addresses", tmp=tmp_path)
    assert lookup.returncode == 0, lookup.stderr
    assert "max_age" in json.loads(lookup.stdout)["hybridfw.hybrid.addresses"]["doc"]["options"]


def test_lookup_audit_rules_playbook(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store(home, answer(tmp_path, "now.json"), version(days_ago=1))
    (tmp_path / "drop.txt").write_text("40.92.0.0/16 ; SBL1\n")
    (tmp_path / "empty.txt").write_text("")
    extra = {"topology": str(EXAMPLE / "hybrid.toml"), "home": str(home),
             "rules_dir": str(tmp_path / "rules"),
             "stale_v4": str(EXAMPLE / "stale-firewall.rules"),
             "stale_v6": str(EXAMPLE / "stale-firewall6.rules"),
             "opnsense": str(REPO / "tests" / "data" / "audit_edge" / "opnsense-features.xml"),
             "drop_list": str(tmp_path / "drop.txt"), "empty_list": str(tmp_path / "empty.txt")}
    run = ansible("ansible-playbook", "-i", "localhost,", str(Path(__file__).with_name("collection.yml")),
                  "-e", json.dumps(extra), tmp=tmp_path)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr
    assert "failed=0" in run.stdout and "ignored=4" in run.stdout
    assert (tmp_path / "rules" / "hybridfw-smtp-inbound.txt").read_text().count("40.92.0.0/15") == 1


def test_nightly_audit_example(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run = ansible("ansible-playbook", "-i", "inventory.ini", "nightly-audit.yml", "-e",
                  json.dumps({"report_dir": str(reports)}), tmp=tmp_path, cwd=EXAMPLE / "ansible")
    assert run.returncode == 2, run.stdout[-4000:] + run.stderr  # the stale firewalls fail the run
    assert "firewalls with problems: edge-ams, edge-fra" in run.stdout
    both = json.loads((reports / "edge-ams.json").read_text())
    assert both["problem_flows"] == ["smtp-inbound"] and both["format"] == "iptables"
    # Only the IPv4 dump: the IPv6 side of every flow is undecided, never reported as fine.
    v4_only = json.loads((reports / "edge-fra.json").read_text())
    assert v4_only["problem_flows"] == ["https-outbound", "smtp-inbound", "smtp-outbound"]
