"""Microsoft 365 endpoint data: the service client, the local store, the snapshot, diffs."""

from __future__ import annotations

from pathlib import Path

from hybridfw.errors import InputError
from hybridfw.model import INSTANCES, STALE_AFTER_DAYS, EndpointData, Finding, Severity

STALE_CODE = "endpoints.stale-data"


def check_instance(instance: str) -> str:
    """Normalise an instance name (case-insensitive) or raise InputError."""
    for name in INSTANCES:
        if name.lower() == instance.lower():
            return name
    raise InputError(f"unknown instance {instance!r}; use one of {', '.join(INSTANCES)}",
                     field="instance")


def load_current(instance: str = "Worldwide", home: Path | None = None) -> EndpointData:
    """The newest endpoint data for `instance`: the local store, else the shipped snapshot.

    Never touches the network. Raises InputError when there is nothing for the instance.
    """
    from hybridfw.endpoints.snapshot import SNAPSHOT_INSTANCE, load_snapshot
    from hybridfw.paths import STORE_FILE, data_home

    instance = check_instance(instance)
    home = home or data_home()
    # The store module only when there is a store (with paths.shipped_bytes: one-rule audit
    # -7 % without one).
    if (home / STORE_FILE).exists():
        from hybridfw.endpoints.store import existing_store

        store = existing_store(home)
        if store is not None:
            with store:
                latest = store.latest(instance)
            if latest is not None:
                return latest
    if instance == SNAPSHOT_INSTANCE:
        return load_snapshot()
    raise InputError(
        f"no endpoint data stored for instance {instance} and the shipped snapshot covers only "
        f"{SNAPSHOT_INSTANCE}; run `hybridfw endpoints update --instance {instance}` "
        "(or --file for an air-gapped site)"
    )


def freshness_finding(data: EndpointData, subject: str = "") -> Finding | None:
    """The one warning about endpoint data older than Microsoft's monthly cadence (code
    `endpoints.stale-data`; `subject` defaults to the instance); None while the data is fresh."""
    if not data.is_stale():
        return None
    return Finding(
        Severity.WARNING, STALE_CODE,
        f"endpoint data is {data.age_days()} days old ({data.label}); Microsoft publishes about "
        f"monthly, so anything older than {STALE_AFTER_DAYS} days has likely missed a version",
        evidence=(f"version {data.version_label()}", f"published {data.data_date:%Y-%m-%d}"),
        fix=f"hybridfw endpoints update --instance {data.instance} (or --file on an air-gapped site)",
        subject=subject or data.instance)
