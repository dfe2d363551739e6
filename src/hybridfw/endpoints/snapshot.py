"""The endpoint answer shipped inside the package: the default when nothing newer is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from hybridfw.endpoints.digest import sha256_hex
from hybridfw.endpoints.parse import parse_endpoints
from hybridfw.model import EndpointData
from hybridfw.paths import shipped_bytes

SNAPSHOT_INSTANCE = "Worldwide"
SNAPSHOT_FILE = "worldwide-endpoints-2026-05-29.json"
# The public copy this was taken from is dated by its fetch; the service's /version answer was
# not saved with it, so the snapshot has no service version number.
SNAPSHOT_DATE = datetime(2026, 5, 29, tzinfo=UTC)


def snapshot_bytes() -> bytes:
    return shipped_bytes("hybridfw.data", SNAPSHOT_FILE)


@lru_cache(maxsize=1)
def load_snapshot() -> EndpointData:
    raw = snapshot_bytes()
    return EndpointData(
        instance=SNAPSHOT_INSTANCE,
        version=None,
        data_date=SNAPSHOT_DATE,
        source="snapshot",
        label=f"shipped snapshot fetched {SNAPSHOT_DATE:%Y-%m-%d} (no service version recorded)",
        sha256=sha256_hex(raw),
        sets=parse_endpoints(raw, source=f"snapshot {SNAPSHOT_FILE}"),
    )
