"""The founding-scenario assertions shared by every ruleset format's test."""

from __future__ import annotations

from typing import Any

from hybridfw.addresses import AddressSet


def assert_founding_rows(result: Any, old: AddressSet, now: AddressSet, v4: str, v6: str) -> dict[str, Any]:
    """A ruleset admitting exactly `old` on TCP 25: missing = now - old, stale = old - now."""
    rows = {r.address: r for r in result.flows}
    assert set(rows) == {v4, v6}
    for address, fam in ((v4, 4), (v6, 6)):
        row = rows[address]
        assert row.port == 25
        assert row.missing == (now - old).family(fam)
        assert row.stale == (old - now).family(fam)
        assert row.allowed == (now & old).family(fam)
        assert not row.unknown and not row.shadowed
    assert "23.103.132.0/22" in rows[v4].stale.to_cidrs()
    return rows
