"""What a patcher is given: one insertion per denying rule and row, and the chain names."""

from __future__ import annotations

import ipaddress
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from hybridfw.addresses import AddressSet
from hybridfw.rulesets.groups import Group, GroupIndex, Member
from hybridfw.rulesets.model import Origin

if TYPE_CHECKING:
    from hybridfw.audit.splice import Spliced

ChainNames = Mapping[str, tuple[str, str]]  # chain key -> (table, chain name as written)


@dataclass(frozen=True)
class Insertion:
    """Accept `remote` for one flow, on-premises address and port, placed before the rule at
    `origin` (or at the end of the chain whose policy denies, when `policy`)."""

    origin: Origin
    chain_key: str
    policy: bool
    flow: str
    direction: str  # "inbound": remote addresses are sources; "outbound": destinations
    address: str  # the on-premises address
    port: int
    protocol: str
    remote: AddressSet

    @property
    def family(self) -> int:
        return ipaddress.ip_address(self.address).version

    @property
    def local(self) -> str:
        return f"{self.address}/{32 if self.family == 4 else 128}"

    def cidrs(self) -> list[str]:
        return self.remote.to_cidrs(4 if self.family == 4 else 6)


class Patcher(ABC):
    """Inserts accepts into, and removes rules from, one text format, keeping every other line."""

    formats: ClassVar[tuple[str, ...]]
    # A line diff of its output reads well ("Rules to add" shows it); False: rendered rules.
    diffable: ClassVar[bool] = True

    @abstractmethod
    def insert(self, text: str, items: list[Insertion], chains: ChainNames) -> str:
        """`text` with an accept for each item, placed where it takes effect."""

    def insert_lazily(self, text: str, items: list[Insertion], chains: ChainNames) -> Spliced | str:
        """`insert`, where a patcher can, as a `Spliced` text (no file-sized copy)."""
        return self.insert(text, items, chains)

    @abstractmethod
    def remove(self, text: str, lines: set[int]) -> str:
        """`text` without the rules on `lines` (1-based)."""

    def removable(self, text: str, lines: set[int]) -> tuple[set[int], str]:
        """Which of the rules starting on `lines` `remove` can delete safely, and why the
        others stay ("" when none stays). `--remove-stale` names every rule that stays."""
        return set(lines), ""

    def groups(self, text: str, path: str) -> GroupIndex | None:
        """The address groups of `text`, for removing stale members; None: not supported."""
        return None

    def drop_members(self, text: str, drops: Sequence[tuple[Group, Member]]
                     ) -> tuple[str, list[tuple[Group, Member]]]:
        """`text` without those group members, and the ones it could remove (a member written
        in a layout it does not edit stays)."""
        return text, []

    def member_command(self, group: Group, member: Member, rest: Sequence[Member]) -> str:
        """How to remove `member` from `group` on the device (`rest`: the members left)."""
        return ""
