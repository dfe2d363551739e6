"""`hybridfw endpoints`: the Microsoft 365 endpoint data (service, store, snapshot, diff).

Every subcommand says which data it uses (label and age) and warns on stderr when that data is
older than 35 days. Heavy modules (httpx, sqlite3) are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hybridfw.commands._common import InstanceOpt, JsonOpt
from hybridfw.commands._endpoints_data import ServiceUrlOpt, announce, current, home
from hybridfw.commands._endpoints_history import COMMANDS as HISTORY_COMMANDS

if TYPE_CHECKING:
    from hybridfw.endpoints.interface import EndpointDiff, UpdateResult
    from hybridfw.model import EndpointData, EndpointSet

HELP = (
    "Microsoft 365 endpoint data: service version, update (with the safe-update guard), show, "
    "diff, history, the service's change log.\n\nExit codes: 0 ok (also when the service is "
    "unreachable for `version`), 2 usage or input error, 3 service error or update refused."
)
sub = typer.Typer(name="endpoints", help=HELP, no_args_is_help=True)

# -- version ----------------------------------------------------------------------------------
@sub.command("version")
def version_cmd(instance: InstanceOpt = "Worldwide", service_url: ServiceUrlOpt = None,
                json: JsonOpt = False) -> None:
    """Local data version vs the service's latest; whether an update is available."""
    from hybridfw.console import out, print_json
    from hybridfw.endpoints import check_instance
    from hybridfw.errors import InputError

    instance = check_instance(instance)
    try:
        data: EndpointData | None = current(instance)
    except InputError:
        data = None  # nothing stored for this instance yet: the service can still be asked
    latest, problem = _service_latest(instance, service_url)
    local_version = data.version if data else None
    available = None if latest is None else (local_version is None or local_version < latest)
    if json:
        print_json({"instance": instance, "data": data.summary() if data else None,
                    "service_latest": latest, "service_reachable": latest is not None,
                    "service_error": problem or None, "update_available": available},
                   "endpoints-version")
    else:
        if data is not None:
            announce(data, json)
        out().print("local version:  " + (local_version or (
            "none (the shipped snapshot carries no service version)" if data else "none stored")))
        if latest is None:
            out().print(f"service:        unreachable ({problem})")
        else:
            out().print(f"service latest: {latest}")
            out().print("update available: "
                        + ("yes — run `hybridfw endpoints update`" if available else "no"))
    if data is not None and json:
        announce(data, json)


def _service_latest(instance: str, service_url: str | None) -> tuple[str | None, str]:
    """The service's latest version, or None and why it could not be had."""
    from hybridfw.endpoints.client import ClientSettings, ServiceClient
    from hybridfw.errors import UpstreamError

    # A quick look: offline or firewalled is an answer here, not something to wait out.
    quick = ClientSettings(connect_timeout=5.0, read_timeout=15.0, attempts=2, backoff=0.5)
    try:
        with ServiceClient(home(), service_url=service_url, settings=quick) as client:
            return client.version(instance).latest, ""
    except UpstreamError as exc:
        return None, str(exc)


# -- update -----------------------------------------------------------------------------------
@sub.command("update")
def update_cmd(
    instance: InstanceOpt = "Worldwide",
    file: Annotated[Path | None, typer.Option("--file", help="Import a saved /endpoints answer "
                                              "instead of calling the service.", dir_okay=False)] = None,
    version: Annotated[str | None, typer.Option("--version", help="Service version (YYYYMMDDNN) of "
                                                "the --file answer, when known.")] = None,
    max_removal: Annotated[float, typer.Option("--max-removal", min=0.0, max=100.0,
                                               help="Refuse an answer that removes more than this "
                                               "percent of any Exchange set's addresses.")] = 20.0,
    force: Annotated[bool, typer.Option("--force", help="Store even past the removal guard.")] = False,
    service_url: ServiceUrlOpt = None,
    json: JsonOpt = False,
) -> None:
    """Fetch and store the newest data when the service has a newer version (or import --file)."""
    from hybridfw.endpoints.update import import_file, update_from_service
    from hybridfw.errors import InputError

    if version is not None and file is None:
        raise InputError("--version goes with --file", field="version")
    if file is not None:
        result = import_file(home(), instance, file, version, max_removal=max_removal, force=force)
    else:
        result = update_from_service(home(), instance, service_url=service_url,
                                     max_removal=max_removal, force=force)
    _print_update(result, json)


def _print_update(result: UpdateResult, json: bool) -> None:
    from hybridfw.console import out, print_json

    if json:
        print_json({"updated": result.updated, "message": result.message,
                    "service_version": result.service_version,
                    "previous": result.previous.summary() if result.previous else None,
                    "data": result.current.summary(),
                    "diff": result.diff.to_dict() if result.diff is not None else None},
                   "endpoints-update")
    else:
        out().print(result.message)
        if result.diff is not None:
            _print_diff_summary(result.diff)
    announce(result.current, json)


# -- show -------------------------------------------------------------------------------------
def _show_dict(s: EndpointSet, family: int | None) -> dict[str, Any]:
    ips = list(s.ip_strings)
    if family is not None:
        ips = [ip for ip in ips if (":" in ip) == (family == 6)]
    return {"id": s.id, "serviceArea": s.service_area, "urls": list(s.urls), "ips": ips,
            "tcpPorts": list(s.tcp_ports), "udpPorts": list(s.udp_ports), "category": s.category,
            "required": s.required, "expressRoute": s.express_route, "notes": s.notes}


@sub.command("show")
def show_cmd(
    instance: InstanceOpt = "Worldwide",
    service: Annotated[str | None, typer.Option("--service", help="Service area: Exchange, Common, "
                                                "SharePoint, Skype.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Only sets with this TCP or UDP port.")] = None,
    set_id: Annotated[int | None, typer.Option("--id", help="Only this endpoint set.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="Optimize, Allow or Default.")] = None,
    required: Annotated[bool, typer.Option("--required", help="Only required sets.")] = False,
    ipv4: Annotated[bool, typer.Option("--ipv4", help="List only IPv4 addresses.")] = False,
    ipv6: Annotated[bool, typer.Option("--ipv6", help="List only IPv6 addresses.")] = False,
    json: JsonOpt = False,
) -> None:
    """The endpoint sets in use, filtered."""
    from hybridfw.console import out, print_json
    from hybridfw.endpoints.select import filter_sets
    from hybridfw.errors import InputError

    if ipv4 and ipv6:
        raise InputError("--ipv4 and --ipv6 exclude each other (give neither for both)", field="ipv4")
    family = 4 if ipv4 else 6 if ipv6 else None
    data = current(instance)
    if service is not None:
        areas = sorted({s.service_area for s in data.sets})
        if service.lower() not in {a.lower() for a in areas}:
            raise InputError(f"unknown service area {service!r}; use one of {', '.join(areas)}",
                             field="--service")
    sets = filter_sets(data.sets, service_area=service, port=port, set_id=set_id, category=category,
                       required_only=required)
    rows = [_show_dict(s, family) for s in sets]
    if json:
        print_json({"instance": data.instance, "sets": rows, "data": data.summary()}, "endpoints-show")
        announce(data, json, to_stderr=True)
        return
    announce(data, json)
    out().print(_sets_table(rows))


def _sets_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    table = Table(show_lines=True)
    for col in ("id", "area", "category", "req", "tcp", "udp", "urls", "ips"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), r["serviceArea"], r["category"], "yes" if r["required"] else "no",
                      ",".join(map(str, r["tcpPorts"])), ",".join(map(str, r["udpPorts"])),
                      "\n".join(r["urls"]), "\n".join(r["ips"]))
    return table


# -- diff -------------------------------------------------------------------------------------
def _resolve(ref: str, instance: str) -> EndpointData:
    """An answer file (when the path exists) or a stored version / row number."""
    from hybridfw.endpoints.files import load_answer_file
    from hybridfw.endpoints.store import existing_store
    from hybridfw.errors import InputError

    path = Path(ref)
    if path.is_file():
        return load_answer_file(path, instance)
    store = existing_store(home())
    found = None
    if store is not None:
        with store:
            found = store.get(instance, ref)
    if found is None:
        raise InputError(f"{ref!r} is neither a file nor a stored {instance} version "
                         "(see `hybridfw endpoints history`)")
    return found


def _two_newest(instance: str) -> tuple[EndpointData, EndpointData]:
    from hybridfw.endpoints.store import existing_store
    from hybridfw.errors import InputError

    store = existing_store(home())
    rows = []
    if store is not None:
        with store:
            rows = store.history(instance)[-2:]
            pair = [store.get(instance, f"#{r.row_id}") for r in rows]
    if len(rows) < 2:
        raise InputError(f"diff needs two stored {instance} versions (have {len(rows)}); "
                         "name versions or answer files: `hybridfw endpoints diff FROM TO`")
    old, new = pair
    assert old is not None and new is not None
    return old, new


@sub.command("diff")
def diff_cmd(
    old: Annotated[str | None, typer.Argument(help="Stored version, row (#N) or answer file.")] = None,
    new: Annotated[str | None, typer.Argument(help="Same; default: the data in use.")] = None,
    instance: InstanceOpt = "Worldwide",
    json: JsonOpt = False,
) -> None:
    """What changed between two versions (default: the two newest stored)."""
    from hybridfw.console import out, print_json
    from hybridfw.endpoints import check_instance
    from hybridfw.endpoints.diff import diff_endpoints

    instance = check_instance(instance)
    if old is None:
        before, after = _two_newest(instance)
    else:
        before = _resolve(old, instance)
        after = _resolve(new, instance) if new is not None else current(instance)
    diff = diff_endpoints(before, after)
    in_use = current(instance)
    if json:
        print_json({**diff.to_dict(), "data": in_use.summary()}, "endpoints-diff")
        announce(in_use, json)
        return
    announce(in_use, json)
    out().print(f"from: {before.label}\nto:   {after.label}")
    _print_diff_summary(diff)


def _print_diff_summary(diff: EndpointDiff) -> None:
    from rich.table import Table

    from hybridfw.console import out

    if not diff:
        out().print("no differences")
        return
    table = Table(show_lines=True)
    for col in ("set", "impact", "change"):
        table.add_column(col, overflow="fold")
    for s in diff.added_sets:
        table.add_row(str(s["id"]), s["impact"], "set added: " + ", ".join(s["urls"] + s["ips"]))
    for s in diff.removed_sets:
        table.add_row(str(s["id"]), s["impact"], "set removed: " + ", ".join(s["urls"] + s["ips"]))
    for c in diff.changed_sets:
        table.add_row(str(c.id), "\n".join(c.impact), "\n".join(_change_lines(c.to_dict())))
    out().print(table)


def _change_lines(c: dict[str, Any]) -> list[str]:
    lines = [f"{sign} {item}" for key, sign in (("added_ips", "+"), ("added_urls", "+"),
                                               ("removed_ips", "-"), ("removed_urls", "-"))
             for item in c[key]]
    if c["ports_before"] != c["ports_after"]:
        lines.append(f"ports {c['ports_before']} -> {c['ports_after']}")
    lines += [f"{k}: {v['before']!r} -> {v['after']!r}" for k, v in c["other_changes"].items()]
    return lines


# -- history / changes / verify (in _endpoints_history) ----------------------------------------
for _name, _command in HISTORY_COMMANDS:
    sub.command(_name)(_command)


def register(app: typer.Typer) -> None:
    app.add_typer(sub)
