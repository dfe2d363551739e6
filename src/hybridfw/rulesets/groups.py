"""Address groups as a vendor configuration writes them: what `--remove-stale` edits member by
member (FortiGate ``addrgrp``, Junos ``address-set``, pfSense/OPNsense aliases).

A `GroupIndex` lists each group with its members (and what each member stands for, when that
is exact), and every place that names the group: a filter rule's source or destination (by the
rule's line, the line its `Origin` has), another group it is a member of, or anything else (NAT,
local-in, VPN, a configuration group ...). Something else naming a group means the group is
shared with a purpose the audit did not look at: its members are then never removed.

The index is built by `groups_fortigate`, `groups_srx` and `groups_xml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hybridfw.addresses import AddressSet


@dataclass(frozen=True)
class Member:
    """One member as written in its group: an address object's name, or a literal address."""

    name: str
    line: int  # the line listing it (the statement to edit)
    addresses: AddressSet | None  # exactly what it stands for; None: not exact (DNS name, ...)
    group: str | None = None  # the key of the group it is, when it is one (nested)


@dataclass(frozen=True)
class Group:
    key: str  # unique in the file: "EOP", "vdom root: EOP", "zone untrust: EOP"
    name: str  # as written
    line: int  # where it is defined
    members: tuple[Member, ...]
    scope: str = ""  # the VDOM / address book / alias section, for commands and notes


@dataclass(frozen=True)
class Use:
    """A place naming a group."""

    line: int  # where the name is written
    what: str  # for notes: "policy 7 srcaddr", "address-set ALL", "nat rule"
    rule: int | None = None  # the filter rule's line (its Origin line) when it is in one
    side: str = ""  # "source" or "destination" within that rule
    group: str | None = None  # the key of the group listing it as a member


@dataclass
class GroupIndex:
    groups: dict[str, Group] = field(default_factory=dict)
    uses: dict[str, list[Use]] = field(default_factory=dict)

    def add_use(self, key: str, use: Use) -> None:
        self.uses.setdefault(key, []).append(use)

    def by_name(self) -> Mapping[str, list[str]]:
        """Group keys by name (a name defined in two scopes has two keys)."""
        out: dict[str, list[str]] = {}
        for key, group in self.groups.items():
            out.setdefault(group.name, []).append(key)
        return out
