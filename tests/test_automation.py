"""hybridfw.automation, the API the collection's plugins call: values in, JSON-ready dicts out,
errors as one-line HybridfwError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _support.apply import EOP_V4, answer, store, version
from hybridfw import automation
from hybridfw.errors import InputError

REPO = Path(__file__).parents[1]
EXAMPLES = REPO / "examples"


@pytest.fixture
def ctx(tmp_path: Path) -> automation.Context:
    home = tmp_path / "home"
    store(home, answer(tmp_path, "now.json"), version(days_ago=2))
    return automation.load(EXAMPLES / "hybrid.toml", home)


def test_flow_addresses(ctx: automation.Context) -> None:
    assert automation.flow_addresses(ctx, ["smtp-inbound"], 4, max_age_days=2) == EOP_V4
    both = automation.flow_addresses(ctx, ["smtp-inbound", "smtp-outbound"])
    assert both[:4] == EOP_V4 and both[4:] == ["2a01:111:f400::/48", "2a01:111:f403::/48"]
    for flows, kwargs, words in ((["smtp-inbound"], {"max_age_days": 1}, "days old"),
                                 (["crl-outbound"], {}, "only names"),
                                 (["hybrid-agent-outbound"], {}, "no flow"),
                                 (["smtp-inbound"], {"family": 5}, "4 or 6")):
        with pytest.raises(InputError, match=words):
            automation.flow_addresses(ctx, flows, **kwargs)  # type: ignore[arg-type]


def test_audit_file_and_text_agree(ctx: automation.Context) -> None:
    v4 = EXAMPLES / "stale-firewall.rules"
    by_file = automation.audit(ctx, paths=[v4])
    by_text = automation.audit(ctx, text=v4.read_text(), fmt="iptables")
    assert by_file["problems"] and "smtp-inbound" in by_file["problem_flows"]
    assert by_file["flows"] == by_text["flows"] and by_file["problem_flows"] == by_text["problem_flows"]
    assert json.loads(json.dumps(by_file)) == by_file  # plain JSON, as Ansible returns it
    with pytest.raises(InputError, match="not both or neither"):
        automation.audit(ctx)


def test_write_rules_only_what_changes(ctx: automation.Context, tmp_path: Path) -> None:
    files = automation.rules(ctx, "edl")["files"]
    out = tmp_path / "rules"
    assert automation.write_rules(out, files, dry_run=True) and not out.exists()
    first = automation.write_rules(out, files)
    assert {Path(c["path"]).name for c in first} == set(files) and first[0]["before"] == ""
    assert automation.write_rules(out, files) == []


def test_audit_fixed_copies_reaudit_clean(ctx: automation.Context) -> None:
    """`fixed` gives what `audit --fixed-out` writes; auditing the patched text finds nothing missing."""
    v4 = EXAMPLES / "stale-firewall.rules"
    for doc in (automation.audit(ctx, paths=[v4], fixed=True),
                automation.audit(ctx, text=v4.read_text(), fmt="iptables", fixed=True)):
        (copy,) = doc["fixed"]["files"]
        assert copy["changed"] and copy["diff"].count("\n+-A ") >= 2 and not doc["fixed"]["still_missing"]
        again = automation.audit(ctx, text=copy["text"], fmt="iptables")
        assert not [r for r in again["flows"] if r["flow"] == "smtp-inbound" and r["missing"]]
        assert v4.read_text() != copy["text"]  # nothing written over the input
    assert "fixed" not in automation.audit(ctx, paths=[v4])


def test_audit_module_formats_are_hybridfw_formats() -> None:
    import yaml

    from hybridfw.rulesets import format_names

    module = REPO / "ansible/ansible_collections/hybridfw/hybrid/plugins/modules/audit.py"
    source = module.read_text(encoding="utf-8")
    doc = yaml.safe_load(source.split("DOCUMENTATION = r'''", 1)[1].split("'''", 1)[0])
    assert doc["options"]["format"]["choices"] == format_names()
