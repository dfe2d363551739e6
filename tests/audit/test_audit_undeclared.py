"""A built-in chain an iptables-restore file does not declare (a `*filter` section without a
`:FORWARD` line) has the policy the loading tool leaves: the live one with iptables-legacy-restore
(checked here in a test-made namespace), ACCEPT with iptables-nft-restore. The audit reports
what reaches it as unknown, naming the section's header line; never a silent ACCEPT."""

from __future__ import annotations

from pathlib import Path

import pytest

from _support.audit import MAIL_V4, smtp_inbound
from _support.netns import netns, run
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files

pytestmark = pytest.mark.slow  # full endpoint data
NO_FORWARD = """*filter
:INPUT DROP [0:0]
-A INPUT -s 40.92.0.0/15 -p tcp --dport 25 -j ACCEPT
COMMIT
"""


@pytest.mark.root
def test_restore_keeps_the_live_policy_of_an_undeclared_chain() -> None:
    with netns("undecl") as ns:
        run("iptables-legacy", "-P", "FORWARD", "DROP", ns=ns)
        run("iptables-legacy-restore", ns=ns, stdin=NO_FORWARD)
        assert "-P FORWARD DROP" in run("iptables-legacy", "-S", ns=ns)


def test_undeclared_builtin_chain_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "rules.v4"
    path.write_text(NO_FORWARD)
    flow = smtp_inbound(MAIL_V4)
    result = audit_files([path], [flow], interfaces=Interfaces(placement="gateway"))
    (row,) = result.flows
    assert row.entry == "forward" and row.unknown == flow.sources.family(4) and not row.allowed
    (evidence,) = row.evidence["unknown"]
    assert evidence.startswith(f"{path}:1: *filter (no :FORWARD line: policy not given)")
    # The declared INPUT is exact: 40.92/15 accepted, the rest dropped by its policy.
    (row,) = audit_files([path], [flow], interfaces=Interfaces(placement="host")).flows
    assert not row.unknown and row.missing == flow.sources.family(4) - AddressSet.parse(["40.92.0.0/15"])
