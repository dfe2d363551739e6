"""The kernel's answer to chain loops and call depths, in test-made namespaces: each hand-made
case (tests/_support/chain_graphs.CASES) loads or is refused by iptables-legacy-restore,
iptables-nft-restore and nft -f as the case says (while iptables-restore --test and nft -c
accept every one in a fresh namespace), a refused table after a loaded one leaves that one
loaded, and on random chain graphs hybridfw's "refused" is always refused and its "loads"
always loads."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from _support.chain_graphs import CASES, Graph, graphs, to_iptables, to_nft
from _support.hypo import examples
from _support.netns import netns, run
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.loops import refusals
from hybridfw.model import Flow
from hybridfw.rulesets import parse_files

pytestmark = pytest.mark.root


def _loads(ns: str, *cmd: str, text: str) -> bool:
    done = subprocess.run(["ip", "netns", "exec", ns, *cmd], input=text, capture_output=True,
                          text=True, timeout=60)
    return done.returncode == 0


def _nft_loads(ns: str, text: str, check: bool = False) -> bool:
    run("nft", "flush", "ruleset", ns=ns)
    return _loads(ns, "nft", *(["-c"] if check else []), "-f", "-", text=text)


def _hybridfw(folder: Path, name: str, text: str) -> bool | None:
    """hybridfw's answer: True refused, False loads, None may not load."""
    path = folder / name
    path.write_text(text)
    found = refusals(parse_files([path]))
    return False if not found else (True if found[0].certain else None)


@pytest.fixture(scope="module")
def scratch() -> Iterator[str]:
    with netns("loops") as ns:
        yield ns


@pytest.mark.parametrize(("name", "graph", "legacy", "nf_tables"), CASES, ids=[c[0] for c in CASES])
def test_case_as_the_kernel_answers(tmp_path: Path, name: str, graph: Graph, legacy: bool,
                                    nf_tables: bool) -> None:
    saved, nft = to_iptables(graph, "legacy"), to_nft(graph)
    with netns("loop") as ns:  # fresh: after a refused commit, nft -c checks loops too
        assert _loads(ns, "iptables-legacy-restore", "--test", text=saved)
        assert _loads(ns, "iptables-nft-restore", "--test", text=saved)
        assert _nft_loads(ns, nft, check=True)
        assert _loads(ns, "iptables-legacy-restore", text=saved) == legacy
        run("nft", "flush", "ruleset", ns=ns)
        assert _loads(ns, "iptables-nft-restore", text=saved) == nf_tables
        assert _nft_loads(ns, nft) == nf_tables
    assert _hybridfw(tmp_path, "rules.v4", saved) is (not legacy)
    unreachable = name == "unreachable-loop"  # loads here (6.18), not on older kernels
    assert _hybridfw(tmp_path, "t.nft", nft) is (None if unreachable else not nf_tables)


NAT_LOOP_AFTER_FILTER = """*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 25 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:N - [0:0]
-A PREROUTING -j N
-A N -j N
COMMIT
"""


@pytest.mark.parametrize("tool", ["legacy", "nft"])
def test_restore_stops_at_the_refused_table(tool: str) -> None:
    """What docs/audit.md says: the tables before the refused one are loaded, it is not."""
    with netns("loopnat") as ns:
        assert not _loads(ns, f"iptables-{tool}-restore", text=NAT_LOOP_AFTER_FILTER)
        saved = run(f"iptables-{tool}-save", ns=ns)
        assert "-A INPUT -p tcp -m tcp --dport 25 -j ACCEPT" in saved and "-A N -j N" not in saved


BEFORE = """*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 25 -j DROP
COMMIT
"""
MANGLE_AFTER = """*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -s 198.51.100.9/32 -j DROP
COMMIT
"""


@pytest.mark.parametrize("tool", ["legacy", "nft"])
def test_tables_after_the_refused_one_keep_what_ran_before(tool: str, tmp_path: Path) -> None:
    """Why a loop in one table makes every verdict of the file unknown (not only that table's):
    the host ran a mangle PREROUTING that drops port 25; the file's filter (loaded) accepts
    port 25, its nat is refused and its mangle (after it) is not loaded, so the old DROP still
    runs. The file's own tables would say "allowed"; hybridfw says unknown."""
    text = NAT_LOOP_AFTER_FILTER + MANGLE_AFTER
    with netns("loopafter") as ns:
        run(f"iptables-{tool}-restore", ns=ns, stdin=BEFORE)
        assert not _loads(ns, f"iptables-{tool}-restore", text=text)
        saved = run(f"iptables-{tool}-save", ns=ns)
    assert "-A INPUT -p tcp -m tcp --dport 25 -j ACCEPT" in saved  # before the refused table
    assert "-A PREROUTING -p tcp -m tcp --dport 25 -j DROP" in saved  # what ran before
    assert "198.51.100.9" not in saved and "-A N -j N" not in saved
    path = tmp_path / "rules.v4"
    path.write_text(text)
    flow = Flow("smtp-inbound", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                AddressSet.parse(["203.0.113.10"]), "test")
    (row,) = audit_files([path], [flow], interfaces=Interfaces(placement="host")).flows
    assert row.unknown == flow.sources and not row.allowed


@settings(max_examples=examples(40, daily=10), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=graphs())
def test_random_graphs_against_the_kernel(scratch: str, tmp_path: Path, graph: Graph) -> None:
    """Refused (certain) is refused, loads is loaded; "may not load" is left to the kernel."""
    saved, nft = to_iptables(graph, "legacy"), to_nft(graph)
    said = _hybridfw(tmp_path, "rules.v4", saved)
    if said is not None:
        assert _loads(scratch, "iptables-legacy-restore", text=saved) is not said
    said = _hybridfw(tmp_path, "t.nft", nft)
    if said is not None:
        assert _nft_loads(scratch, nft) is not said
        run("nft", "flush", "ruleset", ns=scratch)
        assert _loads(scratch, "iptables-nft-restore", text=saved) is not said
