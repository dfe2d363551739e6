"""Keep named kernel sets (nftables sets, ipsets) holding each flow's Microsoft addresses.

`apply_sets(data, flows, backend, target, options)` reads what the kernel holds, refuses stale
data or a removal past the guard, and otherwise replaces the changed sets' content in one step
in which no set is ever empty. Backends are found by name in `BACKENDS` (the `hybridfw.plugins`
mechanism: a backend's module is imported when it is used).
"""

from __future__ import annotations

from hybridfw.apply.interface import ApplyResult, KernelSet, SetBackend, SetChange
from hybridfw.apply.plan import ApplyOptions, apply_sets, kernel_sets, microsoft_side
from hybridfw.errors import InputError
from hybridfw.plugins import PlugIn, find, names

# The first is the default (`hybridfw apply` without --ipset).
BACKENDS: tuple[PlugIn[type[SetBackend]], ...] = (
    PlugIn("nft", "hybridfw.apply.nft", "NftSets"),
    PlugIn("ipset", "hybridfw.apply.ipset", "IpsetSets"),
)
DEFAULT_TARGETS = {"nft": "inet hybridfw", "ipset": "hfw_"}


def backend_named(name: str) -> SetBackend:
    found = find(BACKENDS, name)
    if found is None:
        raise InputError(f"unknown set backend {name!r}; use one of {', '.join(names(BACKENDS))}",
                         field="backend")
    return found.load()()


__all__ = ["BACKENDS", "DEFAULT_TARGETS", "ApplyOptions", "ApplyResult", "KernelSet", "SetBackend",
           "SetChange", "apply_sets", "backend_named", "kernel_sets", "microsoft_side"]
