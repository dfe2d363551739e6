"""The endpoint data versions in the local store, each with what it added and removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hybridfw.check.interface import DataVersion


def range_counts(diff: dict[str, Any]) -> tuple[int, int]:
    """Address ranges added and removed in one `EndpointDiff.to_dict()`."""
    added = sum(len(s.get("ips", ())) for s in diff["added_sets"])
    removed = sum(len(s.get("ips", ())) for s in diff["removed_sets"])
    for change in diff["changed_sets"]:
        added += len(change["added_ips"])
        removed += len(change["removed_ips"])
    return added, removed


def data_timeline(instance: str, home: Path | None = None) -> tuple[DataVersion, ...]:
    """Oldest first; the first stored version counts as adding nothing (no version before it)."""
    from hybridfw.endpoints.diff import diff_endpoints
    from hybridfw.endpoints.store import existing_store
    from hybridfw.paths import data_home

    store = existing_store(home or data_home())
    if store is None:
        return ()
    out: list[DataVersion] = []
    with store:
        previous = None
        for meta in store.history(instance):
            data = store.get(instance, f"#{meta.row_id}")
            if data is None:
                continue
            added, removed = (0, 0) if previous is None else range_counts(
                diff_endpoints(previous, data).to_dict())
            out.append(DataVersion(meta.version or f"#{meta.row_id}", meta.data_date, added, removed))
            previous = data
    return tuple(out)
