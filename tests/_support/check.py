"""Shared helpers for the readiness-check tests: a store with history, a correct firewall."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hybridfw.model import Flow

REPO = Path(__file__).resolve().parents[2]
M365 = REPO / "tests" / "data" / "endpoints"  # copies of the public answers in shared/data/m365
EXAMPLES = REPO / "examples"
TOPOLOGY = EXAMPLES / "hybrid.toml"
STALE_V4 = EXAMPLES / "stale-firewall.rules"
STALE_V6 = EXAMPLES / "stale-firewall6.rules"

# Saved real answers, imported in this order with these service versions. The last one is dated
# "today" in the tests' calendar so the data counts as fresh.
HISTORY = (
    ("worldwide-endpoints-fetched-2025-04-09.json", "2025040900"),
    ("worldwide-endpoints-fetched-2025-07-31.json", "2025073100"),
    ("worldwide-endpoints-fetched-2026-03-31.json", "2026033100"),
)


def seed_history(home: Path, fresh_version: str | None = None) -> None:
    """Import saved answers into `home` (force: real answers differ by more than the guard's 20%)."""
    from hybridfw.endpoints.update import import_file

    items = list(HISTORY)
    if fresh_version:
        items.append(("worldwide-endpoints-fetched-2026-05-29.json", fresh_version))
    for name, version in items:
        import_file(home, "Worldwide", M365 / name, version, force=True)


def _rule_lines(flow: Flow, family: int) -> list[str]:
    remote = flow.sources if flow.direction == "inbound" else flow.destinations
    local = flow.destinations if flow.direction == "inbound" else flow.sources
    lines = []
    for here in local.to_cidrs(family):  # type: ignore[arg-type]
        for there in remote.to_cidrs(family):  # type: ignore[arg-type]
            src, dst = (there, here) if flow.direction == "inbound" else (here, there)
            for port in flow.ports:
                lines.append(f"-A FORWARD -s {src} -d {dst} -p {flow.protocol} -m {flow.protocol} "
                             f"--dport {port} -j ACCEPT")
    return lines


def exact_firewall(flows: Sequence[Flow], directory: Path) -> list[Path]:
    """iptables-save and ip6tables-save dumps that admit exactly the flows' addresses."""
    paths = []
    for family, name in ((4, "exact.rules"), (6, "exact6.rules")):
        body = ["*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT DROP [0:0]"]
        for flow in flows:
            body += _rule_lines(flow, family)
        body += ["COMMIT", ""]
        path = directory / name
        path.write_text("\n".join(body))
        paths.append(path)
    return paths
