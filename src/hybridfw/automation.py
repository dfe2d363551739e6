"""hybridfw for automation engines (the Ansible collection `hybridfw.hybrid`): plain values in,
JSON-ready dicts out, errors as `HybridfwError` with the one-line message the CLI would print.

Each function reads the topology and the newest endpoint data (store, else shipped snapshot)
and never touches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybridfw.errors import InputError
from hybridfw.model import EndpointData, Flow, Severity
from hybridfw.topology import Topology

if TYPE_CHECKING:
    from hybridfw.audit import Interfaces


@dataclass(frozen=True)
class Context:
    """A topology, the endpoint data in use and the flows they give."""

    topology: Topology
    data: EndpointData
    flows: list[Flow]


def load(topology: str | Path, home: str | Path | None = None) -> Context:
    from hybridfw.endpoints import load_current
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    topo = load_topology(Path(topology))
    data = load_current(topo.instance, Path(home) if home else None)
    return Context(topo, data, required_flows(topo, data))


def flow_addresses(ctx: Context, flow_ids: Sequence[str], family: int | None = None,
                   max_age_days: int | None = None) -> list[str]:
    """The Microsoft-side CIDRs of the named flows (their union), one family or both."""
    from hybridfw.addresses import AddressSet
    from hybridfw.apply import microsoft_side

    if max_age_days is not None and ctx.data.age_days() > max_age_days:
        raise InputError(f"endpoint data is {ctx.data.age_days()} days old ({ctx.data.label}), "
                         f"older than max_age {max_age_days}; run `hybridfw endpoints update`",
                         field="max_age")
    if family not in (None, 4, 6):
        raise InputError(f"family is 4 or 6, got {family!r}", field="family")
    by_id = {f.id: f for f in ctx.flows}
    chosen = []
    for flow_id in flow_ids:
        if flow_id not in by_id:
            raise InputError(f"no flow {flow_id!r} in this topology's mode ({ctx.topology.mode}); "
                             f"flows: {', '.join(by_id)}", field="flow")
        remote = microsoft_side(by_id[flow_id])
        if not remote:
            raise InputError(f"flow {flow_id} has no addresses: Microsoft publishes only names "
                             "for it", field="flow")
        chosen.append(remote)
    union = AddressSet.union_all(chosen)
    if family is None:
        return union.to_cidrs()
    return union.to_cidrs(4 if family == 4 else 6)


def audit(ctx: Context, *, paths: Sequence[str | Path] = (), text: str | None = None,
          fmt: str = "auto", entry: str | None = None, outside_interface: str | None = None,
          inside_interface: str | None = None, fixed: bool = False,
          remove_stale: bool = False, alias_files: Sequence[str] = ()) -> dict[str, Any]:
    """Audit ruleset file(s) forming one view (iptables-save + ip6tables-save) or a text (what
    a vendor `*_command` module returns). With `fixed`, also the patched copies `audit
    --fixed-out` would write (key `fixed`), without writing anything. `alias_files` are
    ``NAME=FILE`` local copies of url/urltable alias lists, as `audit --alias-file` takes."""
    from hybridfw.rulesets.alias_lists import alias_lists, read_alias_file

    lists = [read_alias_file(spec) for spec in alias_files]
    with alias_lists(lists):
        return _audit(ctx, paths, text, fmt, entry, outside_interface, inside_interface, fixed,
                      remove_stale)


def _audit(ctx: Context, paths: Sequence[str | Path], text: str | None, fmt: str, entry: str | None,
           outside_interface: str | None, inside_interface: str | None, fixed: bool,
           remove_stale: bool) -> dict[str, Any]:
    from hybridfw.audit import Interfaces, audit_files, audit_ruleset, audit_scope
    from hybridfw.audit.fix import rules_to_add
    from hybridfw.rulesets import parse_text

    interfaces = Interfaces.given(ctx.topology.firewall, outside_interface, inside_interface)
    if bool(paths) == (text is not None):
        raise InputError("give the ruleset as file(s) or as text, not both or neither")
    if paths:
        result = audit_files([Path(p) for p in paths], ctx.flows, fmt=fmt, entry=entry, interfaces=interfaces)
    else:
        assert text is not None
        ruleset = parse_text(text, "<content>", fmt, audit_scope(ctx.flows))
        result = audit_ruleset(ruleset, ctx.flows, entry, interfaces)
    errors = [f for f in result.findings if f.severity >= Severity.ERROR]
    patched = (_fixed(ctx, [Path(p) for p in paths], text, fmt, entry, interfaces, remove_stale)
               if fixed else None)
    return {**result.to_dict(), "format": result.format, "platform": result.platform,
            **({"fixed": patched} if patched is not None else {}),
            "rules_to_add": rules_to_add(result, ctx.flows, ctx.data),
            "problems": bool(errors),
            "problem_flows": sorted({f.subject for f in errors if f.subject}),
            "endpoint_data": ctx.data.summary()}


def _fixed(ctx: Context, paths: list[Path], text: str | None, fmt: str, entry: str | None,
           interfaces: Interfaces, remove_stale: bool) -> dict[str, Any]:
    """The patched copies of the input (see `hybridfw.audit.patch`), as texts and diffs."""
    import tempfile

    from hybridfw.audit.diff import unified
    from hybridfw.audit.patch import patch_files
    from hybridfw.audit.stale_members import published_now
    from hybridfw.rulesets import read_ruleset_text

    with tempfile.TemporaryDirectory(prefix="hybridfw-content-") as tmp:
        if text is not None:  # the patcher works on files: the text becomes one
            paths = [Path(tmp) / "content"]
            paths[0].write_text(text, encoding="utf-8")
        outcome = patch_files(paths, ctx.flows, fmt, entry, interfaces, remove_stale,
                              published_now(ctx.data))
        files = []
        for path in paths:
            before, after = read_ruleset_text(path), outcome.texts[str(path)]
            name = "<content>" if text is not None else str(path)
            files.append({"input": name, "text": after, "changed": after != before,
                          "diff": unified(name, before, after)})
    return {"files": files, "rounds": outcome.rounds, "still_missing": outcome.still_missing,
            "notes": outcome.notes}


def rules(ctx: Context, platform: str) -> dict[str, Any]:
    """The rendered files for `platform` and the findings (ERROR: the rules would miss traffic)."""
    from hybridfw.render import render_flows

    result = render_flows(ctx.flows, platform, data=ctx.data)
    return {**result.to_dict(),
            "problems": any(f.severity >= Severity.ERROR for f in result.findings),
            "endpoint_data": ctx.data.summary()}


def apply(ctx: Context, *, backend: str = "nft", target: str | None = None, dry_run: bool = False,
          max_age_days: int = 35, max_removal: float = 20.0, force: bool = False) -> dict[str, Any]:
    """`hybridfw apply` as a dict (status applied / unchanged / refused / dry-run)."""
    from hybridfw.apply import DEFAULT_TARGETS, ApplyOptions, apply_sets, backend_named

    chosen = backend_named(backend)
    options = ApplyOptions(dry_run=dry_run, max_age_days=max_age_days, max_removal=max_removal,
                           force=force)
    result = apply_sets(ctx.data, ctx.flows, chosen, target or DEFAULT_TARGETS[chosen.name], options)
    return {**result.to_dict(), "endpoint_data": ctx.data.summary()}


def write_rules(directory: str | Path, files: dict[str, str], dry_run: bool = False
                ) -> list[dict[str, Any]]:
    """Which of `files` differ from what `directory` holds (before/after text per file); writes
    those atomically unless `dry_run`."""
    from hybridfw.fileio import write_atomic

    target = Path(directory)
    changes = []
    for name, text in sorted(files.items()):
        path = target / name
        try:
            before = path.read_text(encoding="utf-8") if path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the existing file: {exc}", path=str(path)) from None
        if before == text:
            continue
        changes.append({"path": str(path), "before": before, "after": text})
        if not dry_run:
            try:
                target.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot create the directory: {exc.strerror}", path=str(target)) from None
            write_atomic(path, text)
    return changes
