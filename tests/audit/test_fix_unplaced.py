"""A fix the patcher cannot place in the file is rendered as rules, never "nothing to add"."""

from __future__ import annotations

from pathlib import Path

from hybridfw.audit import audit_files
from hybridfw.audit.fix import fix_to_show
from hybridfw.endpoints import load_current
from hybridfw.flows import required_flows
from hybridfw.topology import load_topology

REPO = Path(__file__).resolve().parents[2]
# One line per element: the pfSense patcher finds no place for its rules in this layout.
COMPACT = ("<?xml version='1.0'?><pfsense><interfaces><wan><if>igb0</if><enable/></wan></interfaces>"
           "<filter><rule><type>pass</type><interface>wan</interface><ipprotocol>inet</ipprotocol>"
           "<protocol>tcp</protocol><source><address>40.92.0.0/15</address></source><destination>"
           "<address>203.0.113.10</address><port>25</port></destination></rule></filter></pfsense>\n")


def test_missing_flows_the_patcher_cannot_place_are_rendered(tmp_path: Path) -> None:
    """The empty diff read "nothing to add: every required flow is allowed" while 40.107/16 and
    more were missing: a false all-clear in the fix."""
    data = load_current()
    flows = [f for f in required_flows(load_topology(REPO / "examples" / "hybrid.toml"), data)
             if f.id == "smtp-inbound"]
    path = tmp_path / "config.xml"
    path.write_text(COMPACT)
    result = audit_files([path], flows)
    assert any(r.missing for r in result.flows)
    fix = fix_to_show(result, flows, data)
    assert fix["files"], fix
    assert "40.107.0.0/16" in "".join(fix["files"].values())
