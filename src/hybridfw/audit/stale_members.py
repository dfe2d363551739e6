"""`--remove-stale` member by member: a retired Microsoft range taken out of the address group
(FortiGate ``addrgrp``, Junos ``address-set``, pfSense/OPNsense alias) that an accept rule for an
audited flow admits it through, the rule itself kept.

A member goes when all of these hold:
- it stands for an exact set of addresses (not a DNS name, not a nested group);
- no audited flow requires any of them, Microsoft publishes none of them now (in any set of
  the endpoint data in use), and every one of them was once published in an Exchange / EOP
  list hybridfw ships (`drops.reference.shipped_history`): a *retired* range;
- the group is used only by accept rules of the audit's flows, on their remote side (sources of
  inbound flows, destinations of outbound ones), or by groups that are (recursively): a group
  also named elsewhere (another policy, NAT, local-in, a configuration group ...) is shared, and
  its members are named, never removed;
- the group keeps at least one member (FortiOS refuses an empty group; an empty alias would
  change what the rule matches).
A member the audit reports as stale or foreign that does not qualify is named with the reason.
The address object a removed member names is left in place (unused objects do no harm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hybridfw.addresses import AddressSet
from hybridfw.audit.interface import FlowCoverage
from hybridfw.audit.patch_types import Patcher
from hybridfw.model import EndpointData
from hybridfw.rulesets.groups import Group, GroupIndex, Member

MAX_NOTES = 20


@lru_cache(maxsize=1)
def published_ever() -> AddressSet:
    """Every range an Exchange / EOP list hybridfw ships has ever had."""
    from hybridfw.drops.reference import shipped_history

    return AddressSet.union_all(s.ips for v in shipped_history() for s in v.sets)


def published_now(data: EndpointData) -> AddressSet:
    """Every range the endpoint data in use publishes (all service areas)."""
    return AddressSet.union_all(s.ips for s in data.sets)


def current_default() -> AddressSet:
    """What the newest shipped Exchange / EOP list has (when the caller gives no endpoint data)."""
    from hybridfw.drops.reference import shipped_history

    newest = shipped_history()[-1:]
    return AddressSet.union_all(s.ips for v in newest for s in v.sets)


class _Judge:
    def __init__(self, index: GroupIndex, rules: dict[int, set[str]]) -> None:
        self.index, self.rules = index, rules
        self._memo: dict[str, str] = {}

    def shared_by(self, key: str, seen: frozenset[str] = frozenset()) -> str:
        """"" when only the audit's accept rules use the group (on their remote side), directly
        or through exclusive groups; else the first other use, for the note."""
        if key in self._memo:
            return self._memo[key]
        found = ""  # a group nothing names (a nesting group no rule uses) changes nothing
        for use in self.index.uses.get(key, []):
            if use.rule is not None and use.side in self.rules.get(use.rule, set()):
                continue
            if use.group is not None and use.group not in seen \
                    and not self.shared_by(use.group, seen | {key}):
                continue
            found = f"{use.what} (line {use.line})"
            break
        self._memo[key] = found
        return found

    def reached(self) -> list[Group]:
        """The groups the audit's accept rules name on their remote side, and groups nested in
        those."""
        todo = [k for k, uses in self.index.uses.items() if k in self.index.groups
                and any(u.rule is not None and u.side in self.rules.get(u.rule, set()) for u in uses)]
        out: dict[str, Group] = {}
        while todo:
            key = todo.pop()
            if key in out:
                continue
            out[key] = self.index.groups[key]
            todo += [m.group for m in out[key].members if m.group in self.index.groups]
        return list(out.values())


def remove_stale_members(rows: Sequence[FlowCoverage], texts: dict[str, str], patcher: Patcher,
                         current: AddressSet, retired: AddressSet, notes: list[str]
                         ) -> dict[str, str]:
    """`texts` with retired members (`retired`: published once, not in `current`) taken out of
    exclusive groups; notes say what and why."""
    sets = _Sets(required=AddressSet.union_all(r.allowed | r.missing | r.unknown for r in rows),
                 stale=AddressSet.union_all(r.stale for r in rows), current=current, retired=retired)
    out = dict(texts)
    for path, text in texts.items():
        rules: dict[int, set[str]] = {}
        for row in rows:
            side = "source" if row.direction == "inbound" else "destination"
            for origin, _required in row.accepting:
                if origin.path == path:
                    rules.setdefault(origin.line, set()).add(side)
        if not rules:
            continue
        index = patcher.groups(text, path)
        if index is None or not index.groups:
            continue
        judge = _Judge(index, rules)
        drops: list[tuple[Group, Member]] = []
        said: list[str] = []
        name = Path(path).name
        for group in judge.reached():
            drops += _going(group, judge, sets, name, said)
        if drops:
            out[path], done = patcher.drop_members(text, drops)
            said += [_removed(patcher, g, m, name, done) for g, m in drops]
        notes += [f"--remove-stale {s}" for s in said[:MAX_NOTES]]
        if len(said) > MAX_NOTES:
            notes.append(f"--remove-stale: {len(said) - MAX_NOTES} more member notes for {name}")
    return out


@dataclass(frozen=True)
class _Sets:
    required: AddressSet  # by an audited flow
    stale: AddressSet  # admitted by accept rules, required by none
    current: AddressSet  # published now
    retired: AddressSet  # published once, not now


def _going(group: Group, judge: _Judge, sets: _Sets, name: str, said: list[str]
           ) -> list[tuple[Group, Member]]:
    """The members of `group` to take out; a note in `said` for each stale one that stays."""
    going = []
    for member in group.members:
        addresses = member.addresses
        if addresses is None or not addresses or not (addresses & sets.stale) \
                or addresses & sets.required:
            continue
        shared = judge.shared_by(group.key)
        why = _keep_reason(addresses, sets.current, sets.retired) or (
            f"the group is also used by {shared}" if shared else "")
        if why:
            said.append(f"did NOT remove member {member.name!r} of {group.name!r} "
                        f"({name}:{member.line}): {why}")
        else:
            going.append(member)
    if going and len(going) == len(group.members):
        said.append(f"did NOT remove the members of {group.name!r} ({name}:{group.line}): "
                    "all are retired and a group needs one: take the group out of the rule")
        return []
    return [(group, m) for m in going]


def _keep_reason(addresses: AddressSet, current: AddressSet, retired: AddressSet) -> str:
    if addresses & current:
        return "Microsoft still publishes (part of) it for another service or flow"
    if not addresses <= retired:
        return ("no Exchange/EOP list hybridfw ships ever had (all of) it: a partner or another "
                "purpose? remove it by hand if nothing needs it")
    return ""


def _removed(patcher: Patcher, group: Group, member: Member, name: str,
             done: list[tuple[Group, Member]]) -> str:
    where = f"{group.name!r} ({name}:{member.line})"
    if (group, member) not in done:
        return (f"did NOT remove retired member {member.name!r} of {where}: its line is not in "
                "a layout hybridfw edits: remove it by hand")
    ranges = ", ".join(member.addresses.to_cidrs()[:3]) if member.addresses else ""
    rest = [m for m in group.members if (group, m) not in done]
    command = patcher.member_command(group, member, rest)
    return (f"removed retired member {member.name!r} ({ranges}) from {where}"
            + (f"; on the device: {command}" if command else ""))
