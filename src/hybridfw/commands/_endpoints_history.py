"""`hybridfw endpoints history`, `changes` and `verify`: the versions stored locally, the
service's own change log, and the stored versions' checksums. `endpoints` adds them to its
command group (in this order) from `COMMANDS`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from hybridfw.commands._common import InstanceOpt, JsonOpt
from hybridfw.commands._endpoints_data import ServiceUrlOpt, announce, current, home


# -- history / changes ------------------------------------------------------------------------
def history_cmd(instance: InstanceOpt = "Worldwide", json: JsonOpt = False) -> None:
    """Every version stored locally (oldest first)."""
    from rich.table import Table

    from hybridfw.console import out, print_json
    from hybridfw.endpoints import check_instance
    from hybridfw.endpoints.store import existing_store

    instance = check_instance(instance)
    store = existing_store(home())
    rows = []
    if store is not None:
        with store:
            rows = store.history(instance)
    data = current(instance)
    if json:
        print_json({"instance": instance, "versions": [r.to_dict() for r in rows],
                    "data": data.summary()}, "endpoints-history")
        announce(data, json)
        return
    announce(data, json)
    table = Table()
    for col in ("row", "version", "stored at", "data date", "sets", "sha256", "label"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.row_id), r.version or "-", f"{r.stored_at:%Y-%m-%d %H:%M}",
                      f"{r.data_date:%Y-%m-%d}", str(r.set_count), r.sha256[:12], r.label)
    out().print(table if rows else "nothing stored yet; the shipped snapshot is in use")


def changes_cmd(
    instance: InstanceOpt = "Worldwide",
    since: Annotated[str | None, typer.Option("--since", help="Version (YYYYMMDDNN) to list changes "
                                              "after; default: the version in use.")] = None,
    service_url: ServiceUrlOpt = None,
    json: JsonOpt = False,
) -> None:
    """The service's own change log (/changes) since a version, as a table."""
    from rich.table import Table

    from hybridfw.console import out, print_json
    from hybridfw.endpoints.client import ServiceClient
    from hybridfw.errors import InputError

    data = current(instance)
    since = since or data.version
    if since is None:
        raise InputError("the data in use has no service version; pass --since YYYYMMDDNN "
                         "(0000000000 lists everything since 2018)", field="since")
    with ServiceClient(home(), service_url=service_url) as client:
        records = client.changes(data.instance, since)
    if json:
        print_json({"instance": data.instance, "since": since, "changes": [r.to_dict() for r in records],
                    "data": data.summary()}, "endpoints-changes")
        announce(data, json)
        return
    announce(data, json)
    table = Table(title=f"{data.instance} changes after {since}", show_lines=True)
    for col in ("version", "set", "disposition", "impact", "added", "removed", "effective"):
        table.add_column(col, overflow="fold")
    for r in records:
        table.add_row(r.version, str(r.endpoint_set_id), r.disposition, r.impact,
                      "\n".join(r.added_ips + r.added_urls), "\n".join(r.removed_ips + r.removed_urls),
                      r.effective_date)
    out().print(table)


# -- verify -----------------------------------------------------------------------------------
def verify_cmd(json: JsonOpt = False) -> None:
    """Check every stored version's bytes against the sha256 recorded when it was stored.

    Exit codes: 0 all intact (or nothing stored), 1 a version is damaged (commands then use
    the newest intact one and say so), 2 the store cannot be read.
    """
    from hybridfw.console import out, print_json
    from hybridfw.endpoints.store import existing_store, store_path

    store = existing_store(home())
    rows = []
    if store is not None:
        with store:
            rows = store.verify()
    damaged = [meta for meta, ok in rows if not ok]
    if json:
        print_json({"store": str(store_path(home())), "intact": not damaged,
                    "versions": [{**meta.to_dict(), "intact": ok} for meta, ok in rows]},
                   "endpoints-verify")
    else:
        for meta, ok in rows:
            state = "ok" if ok else "[bold red]DAMAGED[/]"
            out().print(f"{meta.instance} {meta.version or 'unversioned'} (row {meta.row_id}) "
                        f"sha256 {meta.sha256[:12]}: {state}")
        out().print(f"{len(rows)} stored versions, {len(damaged)} damaged"
                    if rows else "nothing stored yet; the shipped snapshot is in use")
    raise typer.Exit(1 if damaged else 0)


COMMANDS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("history", history_cmd),
    ("changes", changes_cmd),
    ("verify", verify_cmd),
)
