"""Fixes that work when applied: patched copies of the audited ruleset files.

For each missing range the audit knows the rule (or chain policy) that denies it on the path
the packet takes (`FlowCoverage.denials`). A patcher for the file's format inserts an accept
for exactly that flow, address and port *right before* the denying rule, in the same chain (a
packet that reached that rule reaches the inserted accept; an accept in a called chain ends the
calling base chain too), or at the end of the chain whose policy denies. Every original line is
kept. The patched files are audited again; what an accept in an early stage only passed on to a
later stage that drops it shows up there and is fixed in the next round, up to `MAX_ROUNDS`.
A range still missing after that is reported, never hidden. `remove_stale` also deletes accept
rules that admit no address an audited flow requires and only retired Microsoft ranges besides
(a rule that also admits foreign addresses is named, not removed), then retired members of the
address groups accept rules name (`stale_members`).

Patchers are found through `PATCHERS` (one module per format family).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_ruleset
from hybridfw.audit.coverage import Interfaces
from hybridfw.audit.diff import unified
from hybridfw.audit.interface import AuditResult, FlowCoverage
from hybridfw.audit.patch_types import ChainNames, Insertion, Patcher
from hybridfw.audit.stale_members import current_default, published_ever, remove_stale_members
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.plugins import PlugIn, find
from hybridfw.rulesets import parse_files, read_ruleset_text
from hybridfw.rulesets.model import Origin

MAX_ROUNDS = 5
# By format; a patcher's module is imported when its format is patched (importing them all:
# one-rule audit CPU +18 ms).
PATCHERS: tuple[PlugIn[type[Patcher]], ...] = (
    PlugIn("iptables", "hybridfw.audit.patch_netfilter", "IptablesPatcher"),
    PlugIn("nft", "hybridfw.audit.patch_netfilter", "NftTextPatcher"),
    PlugIn("nft-json", "hybridfw.audit.patch_nftjson", "NftJsonPatcher"),
    PlugIn("pfsense", "hybridfw.audit.patch_pfsense", "PfsensePatcher"),
    PlugIn("fortigate", "hybridfw.audit.patch_fortigate", "FortigatePatcher"),
    PlugIn("srx", "hybridfw.audit.patch_srx", "SrxPatcher"),
    PlugIn("opnsense", "hybridfw.audit.patch_opnsense", "OpnsensePatcher"),
    PlugIn("windows-netsh", "hybridfw.audit.patch_windows", "NetshPatcher"),
    PlugIn("windows-json", "hybridfw.audit.patch_windows", "WindowsJsonPatcher"),
)


@dataclass
class PatchOutcome:
    """What `--fixed-out` produced: the patched texts by input path, the rounds it took, what is
    still missing after them, and notes (formats without a patcher, rules removed)."""

    texts: dict[str, str] = field(default_factory=dict)
    rounds: int = 0
    still_missing: list[str] = field(default_factory=list)
    # with remove_stale: retired Microsoft ranges the patched copy still admits, and by what
    still_retired: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def patcher_for(fmt: str) -> Patcher | None:
    found = find(PATCHERS, fmt)
    return found.load()() if found is not None else None


def insertions(rows: Sequence[FlowCoverage], protocol_of: Mapping[str, str]) -> list[Insertion]:
    """One insertion per (denying rule or policy, row): the missing part that rule denies."""
    out: list[Insertion] = []
    for row in rows:
        for denial in row.denials:
            address, port, remote = row.address, row.port, denial.addresses
            if denial.translated is not None:  # denied after DNAT: match what the chain sees
                port = denial.translated[1]
                if row.direction == "inbound":
                    address = denial.translated[0]
                else:
                    remote = AddressSet.parse([denial.translated[0]])
            out.append(Insertion(denial.origin, denial.chain_key, denial.policy, row.flow,
                                 row.direction, address, port,
                                 protocol_of.get(row.flow, "tcp"), remote))
    return out


def stale_only(rows: Sequence[FlowCoverage], retired: AddressSet) -> tuple[list[Origin], list[Origin]]:
    """Accept rules that never admit a required address (for any audited flow, address and
    port) and admit only `retired` Microsoft ranges besides: safe to delete with
    --remove-stale; and those that admit retired ranges next to other, foreign addresses (a
    partner, the LAN ...): named, kept. A rule admitting only foreign addresses is not a stale
    Microsoft rule and is left alone."""
    for_required = {(o.path, o.line) for r in rows for o, req in r.accepting if req}
    admitted: dict[tuple[str, int], tuple[Origin, AddressSet]] = {}
    for row in rows:
        for origin, addresses in row.stale_by:
            key = (origin.path, origin.line)
            if key not in for_required and origin.line > 0:
                before = admitted.get(key, (origin, AddressSet.empty()))[1]
                admitted[key] = (origin, before | addresses)
    doomed = [o for o, a in admitted.values() if a <= retired]
    mixed = [o for o, a in admitted.values() if not a <= retired and a & retired]
    return doomed, mixed


def patch_files(paths: Sequence[Path], flows: Sequence[Flow], fmt: str = "auto",
                entry: str | None = None, interfaces: Interfaces | None = None,
                remove_stale: bool = False, current: AddressSet | None = None) -> PatchOutcome:
    """Patch `paths` until re-auditing them (same flows and options) finds nothing missing.
    `current`: every range the endpoint data in use publishes (default: the newest shipped
    Exchange list); `--remove-stale` takes only members no longer published out of groups."""
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise InputError("--fixed-out writes each file under its own name: two inputs share a name")
    protocols = {f.id: f.protocol for f in flows}

    def audit(work: Sequence[Path]) -> tuple[AuditResult, ChainNames]:
        ruleset = parse_files(list(work), fmt)
        chains = {k: (c.table, c.name) for k, c in ruleset.chains.items()}
        return audit_ruleset(ruleset, flows, entry, interfaces), chains

    outcome = PatchOutcome()
    with tempfile.TemporaryDirectory(prefix="hybridfw-fix-") as tmp:
        work = [Path(tmp) / p.name for p in paths]
        texts = {str(w): read_ruleset_text(p) for w, p in zip(work, paths, strict=True)}
        _write(texts)
        result, chains = audit(work)
        if remove_stale:
            now = current if current is not None else current_default()
            retired = published_ever() - now
            texts = _remove_stale(result, texts, outcome, retired)
            _write(texts)
            result, chains = audit(work)
            texts = _remove_members(result, texts, outcome, now, retired)
            _write(texts)
            result, chains = audit(work)
        for round_number in range(1, MAX_ROUNDS + 1):
            todo = insertions([r for r in result.flows if r.missing], protocols)
            if not todo:
                break
            outcome.rounds = round_number
            texts = _apply(result.format, texts, todo, chains, outcome)
            _write(texts)
            result, chains = audit(work)
        outcome.still_missing = [f"{r.flow} {r.address} port {r.port} ({r.entry}): "
                                 f"{', '.join(r.missing.to_cidrs()[:4])}"
                                 for r in result.flows if r.missing or r.shadowed]
        if remove_stale:
            outcome.still_retired = _still_retired(result, retired)
        outcome.texts = {str(p): texts[str(w)] for w, p in zip(work, paths, strict=True)}
    return outcome


def _write(texts: dict[str, str]) -> None:
    for path, text in texts.items():
        Path(path).write_text(text, encoding="utf-8")


def _apply(fmt: str, texts: dict[str, str], todo: list[Insertion], chains: ChainNames,
           outcome: PatchOutcome) -> dict[str, str]:
    patcher = patcher_for(fmt.split("+")[0])
    if patcher is None:
        note = f"no patched copy for format {fmt}: apply the rules to add by hand"
        if note not in outcome.notes:
            outcome.notes.append(note)
        return texts
    by_path: dict[str, list[Insertion]] = {}
    for item in todo:
        by_path.setdefault(item.origin.path, []).append(item)
    out = dict(texts)
    for path, items in by_path.items():
        if path in out:
            out[path] = patcher.insert(out[path], items, chains)
    return out


def _remove_stale(result: AuditResult, texts: dict[str, str], outcome: PatchOutcome,
                  retired: AddressSet) -> dict[str, str]:
    patcher = patcher_for(result.format.split("+")[0])
    doomed, mixed = stale_only(result.flows, retired)
    if patcher is None or not (doomed or mixed):
        return texts
    out = dict(texts)
    for path in sorted({o.path for o in doomed + mixed}):
        if path not in out:
            continue
        name = Path(path).name
        origins = sorted((o for o in doomed if o.path == path), key=lambda o: o.line)
        gone, why = patcher.removable(out[path], {o.line for o in origins})
        if gone:
            out[path] = patcher.remove(out[path], gone)
            outcome.notes.append(f"removed {len(gone)} rule(s) admitting only retired Microsoft "
                                 f"ranges from {name}")
        kept = [o for o in origins if o.line not in gone]
        if kept:
            outcome.notes.append(f"--remove-stale did NOT remove {len(kept)} rule(s) admitting only "
                                 f"retired Microsoft ranges from {name}: {_listed(kept)}: {why}")
        other = sorted((o for o in mixed if o.path == path), key=lambda o: o.line)
        if other:
            outcome.notes.append(f"--remove-stale did NOT remove {len(other)} rule(s) from {name} that "
                                 f"admit retired Microsoft ranges next to addresses no Microsoft list "
                                 f"has (a partner, another purpose?): {_listed(other)}: narrow them "
                                 "by hand")
    return out


def _still_retired(result: AuditResult, retired: AddressSet) -> list[str]:
    """What the re-audit of the patched copy still finds admitted of the retired ranges."""
    out = []
    for row in result.flows:
        for origin, addresses in row.stale_by:
            left = addresses & retired
            if left:
                out.append(f"{row.flow} {row.address} port {row.port} ({row.entry}): "
                           f"{', '.join(left.to_cidrs()[:4])} by {Path(origin.path).name}:{origin.line}")
    return list(dict.fromkeys(out))


def _listed(origins: list[Origin]) -> str:
    listed = ", ".join(f"line {o.line} ({' '.join(o.raw.split())[:60]})" for o in origins[:5])
    return listed + (f" and {len(origins) - 5} more" if len(origins) > 5 else "")


def _remove_members(result: AuditResult, texts: dict[str, str], outcome: PatchOutcome,
                    current: AddressSet, retired: AddressSet) -> dict[str, str]:
    """Retired members out of the groups the accept rules name (`stale_members`)."""
    patcher = patcher_for(result.format.split("+")[0])
    if patcher is None:
        return texts
    return remove_stale_members(result.flows, texts, patcher, current, retired, outcome.notes)


def fix_diffs(result: AuditResult, flows: Sequence[Flow]) -> dict[str, str] | None:
    """The fix for `result` as a unified diff against each input file that needs one: the
    first round of `patch_files`, without re-auditing (cheap enough for every audit). None when
    the format has no patcher (the caller renders rules instead)."""
    patcher = patcher_for(result.format.split("+")[0])
    if patcher is None or not patcher.diffable:
        return None
    todo = insertions([r for r in result.flows if r.missing], {f.id: f.protocol for f in flows})
    if not todo:
        return {}
    diffs = {}
    # One file in memory at a time: see `read_ruleset_text` for the gain.
    for path in result.paths:
        try:
            text = read_ruleset_text(Path(path))
        except InputError:  # audited from a text, not files: nothing to diff against
            return None
        items = [item for item in todo if item.origin.path == path]
        # The patched copy never joined (`splice.Spliced`): benchmarks/audit.py --all-relevant,
        # the fix's traced peak (tracemalloc) 14.5 -> 7.7 MiB: the file as read is what is left.
        patched = patcher.insert_lazily(text, items, result.chain_names) if items else text
        if patched != text if isinstance(patched, str) else patched.changed:
            diffs[Path(path).name] = unified(path, text, patched)
        del text, patched  # before the next file is read
    # Something is missing but the patcher placed nothing (a layout it cannot edit): the caller
    # renders the rules instead; an empty diff would read "nothing to add"
    return diffs or None
