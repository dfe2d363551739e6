"""What `hybridfw apply` works with: kernel sets, backends that load them, results.

A `KernelSet` is one named set per flow and address family holding the Microsoft side of the
flow (sources of an inbound flow, destinations of an outbound one). A `SetBackend` reads what
the running kernel holds, writes one transaction that replaces the sets' content without a
moment where a set is empty, and loads it. One backend module per kernel interface (nft, ipset).
"""

from __future__ import annotations

import abc
import logging
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from hybridfw.addresses import AddressSet, Family
from hybridfw.errors import KernelError
from hybridfw.model import Finding

log = logging.getLogger(__name__)

Status = Literal["applied", "unchanged", "refused", "dry-run"]


@dataclass(frozen=True)
class KernelSet:
    """One named set: the Microsoft addresses of one flow in one family."""

    name: str  # e.g. smtp_inbound_v4
    flow: str
    family: Family
    addresses: AddressSet

    def cidrs(self) -> list[str]:
        return self.addresses.to_cidrs(self.family)


@dataclass(frozen=True)
class SetChange:
    """How one set in the kernel differs from what it should hold."""

    name: str
    flow: str
    family: Family
    present: bool  # the set exists in the kernel
    added: AddressSet
    removed: AddressSet
    held: AddressSet  # what the kernel's set holds now (empty when absent)

    @property
    def changed(self) -> bool:
        return not self.present or bool(self.added) or bool(self.removed)

    def to_dict(self) -> dict[str, Any]:
        return {"set": self.name, "flow": self.flow, "family": self.family,
                "present": self.present, "changed": self.changed,
                "added": self.added.to_cidrs(self.family),
                "removed": self.removed.to_cidrs(self.family),
                "before": self.held.to_cidrs(self.family),
                "after": ((self.held - self.removed) | self.added).to_cidrs(self.family)}


@dataclass(frozen=True)
class ApplyResult:
    """The outcome of one apply: what was planned, what happened and why."""

    status: Status
    backend: str
    target: str  # "inet hybridfw" (nft) or the ipset name prefix
    sets: tuple[KernelSet, ...]
    changes: tuple[SetChange, ...]
    transaction: str  # empty when nothing is (or would be) loaded
    findings: tuple[Finding, ...] = ()
    reasons: tuple[str, ...] = field(default=())  # why it was refused

    @property
    def changed(self) -> bool:
        return self.status == "applied"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "changed": self.changed, "backend": self.backend,
                "target": self.target, "refused_because": list(self.reasons),
                "sets": [{"set": s.name, "flow": s.flow, "family": s.family,
                          "addresses": s.cidrs()} for s in self.sets],
                "changes": [c.to_dict() for c in self.changes if c.changed],
                "transaction": self.transaction,
                "findings": [f.to_dict() for f in self.findings]}


def run_tool(argv: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a kernel tool; a missing tool is a KernelError (the caller decides about exit codes)."""
    log.debug("running %s", " ".join(argv))
    try:
        return subprocess.run(list(argv), input=stdin, capture_output=True, text=True,
                              timeout=120, check=False)
    except FileNotFoundError:
        raise KernelError(f"{argv[0]} is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise KernelError(f"{argv[0]} did not finish within 120 s") from None


def failed(argv: Sequence[str], done: subprocess.CompletedProcess[str]) -> KernelError:
    detail = (done.stderr or done.stdout).strip().splitlines()
    return KernelError(f"{' '.join(argv)} failed (exit {done.returncode}): "
                       f"{detail[0] if detail else 'no message'}"
                       + (f" (+{len(detail) - 1} more lines, -v shows them)" if len(detail) > 1 else ""))


class SetBackend(abc.ABC):
    """One way of holding address sets in the kernel (nftables sets, ipset)."""

    name: ClassVar[str]
    description: ClassVar[str]

    @abc.abstractmethod
    def check_target(self, target: str) -> str:
        """Normalise the target (table or name prefix) or raise InputError."""

    @abc.abstractmethod
    def set_name(self, target: str, flow: str, family: Family) -> str:
        """The kernel name of the set for `flow` and `family` (raises InputError when too long)."""

    @abc.abstractmethod
    def current(self, target: str, names: Sequence[str]) -> dict[str, AddressSet]:
        """What the kernel's sets hold now; a set the kernel does not have is left out."""

    @abc.abstractmethod
    def transaction(self, target: str, sets: Sequence[KernelSet]) -> str:
        """The text that replaces the content of `sets` (creating what is missing) in one go."""

    @abc.abstractmethod
    def load(self, target: str, transaction: str) -> None:
        """Load `transaction`; raise KernelError with the tool's message when it fails."""
