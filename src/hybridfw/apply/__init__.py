"""Keep named kernel sets (nftables sets, ipsets) holding each flow's Microsoft addresses.

`apply_sets(data, flows, backend, target, options)` reads what the kernel holds, refuses stale
data or a removal past the guard, and otherwise replaces the changed sets' content in one step
in which no set is ever empty. Backends are found by name in `BACKENDS`.
"""

from __future__ import annotations

from hybridfw.apply.interface import ApplyResult, KernelSet, SetBackend, SetChange
from hybridfw.apply.ipset import IpsetSets
from hybridfw.apply.nft import NftSets
from hybridfw.apply.plan import ApplyOptions, apply_sets, kernel_sets, microsoft_side
from hybridfw.errors import InputError

BACKENDS: tuple[SetBackend, ...] = (NftSets(), IpsetSets())
DEFAULT_TARGETS = {"nft": "inet hybridfw", "ipset": "hfw_"}


def backend_named(name: str) -> SetBackend:
    for backend in BACKENDS:
        if backend.name == name:
            return backend
    raise InputError(f"unknown set backend {name!r}; use one of "
                     f"{', '.join(b.name for b in BACKENDS)}", field="backend")


__all__ = ["BACKENDS", "DEFAULT_TARGETS", "ApplyOptions", "ApplyResult", "KernelSet", "SetBackend",
           "SetChange", "apply_sets", "backend_named", "kernel_sets", "microsoft_side"]
