"""nftables: one named set per flow and family in one table, replaced in one `nft -f` transaction.

The transaction declares the table and the sets (`add` is a no-op for what exists), then
flushes and refills each set. nft sends it to the kernel as one netlink batch, which the
kernel commits atomically: a packet or a concurrent `nft list set` sees the old content or the
new one, never an empty set. Only the named table is ever read or written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from hybridfw.addresses import AddressError, AddressSet, Family
from hybridfw.apply.interface import KernelSet, SetBackend, failed, run_tool
from hybridfw.errors import InputError, KernelError

TABLE_FAMILIES = ("inet", "ip", "ip6", "bridge", "netdev")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_TYPES = {4: "ipv4_addr", 6: "ipv6_addr"}


def _element_texts(value: Any) -> Iterator[str]:
    """The address texts of one element of `nft -j` output (plain, prefix, range, wrapped)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict) and "prefix" in value:
        yield f"{value['prefix']['addr']}/{value['prefix']['len']}"
    elif isinstance(value, dict) and "range" in value:
        low, high = value["range"]
        yield f"{low}-{high}"
    elif isinstance(value, dict) and "elem" in value:
        yield from _element_texts(value["elem"].get("val"))
    else:
        raise KernelError(f"nft listed a set element hybridfw cannot read: {value!r}")


def sets_in_listing(listing: str, table: str) -> dict[str, AddressSet]:
    """The address sets of `table` in `nft -j list table ...` output."""
    try:
        items = json.loads(listing)["nftables"]
        found: dict[str, AddressSet] = {}
        for item in items:
            nft_set = item.get("set")
            if nft_set is None or nft_set.get("table") != table:
                continue
            texts = [t for elem in nft_set.get("elem", []) for t in _element_texts(elem)]
            found[nft_set["name"]] = AddressSet.parse(texts)
        return found
    except (ValueError, KeyError, TypeError, AttributeError, AddressError) as exc:
        raise KernelError(f"cannot read nft's JSON listing of table {table}: {exc}") from None


class NftSets(SetBackend):
    name = "nft"
    description = "nftables named sets in one table, one `nft -f` transaction"

    def check_target(self, target: str) -> str:
        parts = target.split()
        if len(parts) != 2 or parts[0] not in TABLE_FAMILIES or not _NAME.match(parts[1]):
            raise InputError(f"a table is 'FAMILY NAME' with FAMILY one of {', '.join(TABLE_FAMILIES)}"
                             f" and NAME letters, digits and _; got {target!r}", field="--table")
        return " ".join(parts)

    def set_name(self, target: str, flow: str, family: Family) -> str:
        return f"{flow.replace('-', '_')}_v{family}"

    def current(self, target: str, names: Sequence[str]) -> dict[str, AddressSet]:
        family, table = target.split()
        argv = ["nft", "-j", "list", "tables"]
        done = run_tool(argv)
        if done.returncode != 0:
            raise failed(argv, done)
        try:
            tables = [t["table"] for t in json.loads(done.stdout)["nftables"] if "table" in t]
        except (ValueError, KeyError, TypeError) as exc:
            raise KernelError(f"cannot read nft's JSON list of tables: {exc}") from None
        if not any(t.get("family") == family and t.get("name") == table for t in tables):
            return {}
        argv = ["nft", "-j", "list", "table", family, table]
        done = run_tool(argv)
        if done.returncode != 0:
            raise failed(argv, done)
        found = sets_in_listing(done.stdout, table)
        return {name: found[name] for name in names if name in found}

    def transaction(self, target: str, sets: Sequence[KernelSet]) -> str:
        lines = [f"add table {target}"]
        for s in sets:
            lines.append(f"add set {target} {s.name} {{ type {_TYPES[s.family]}; flags interval; }}")
        for s in sets:
            lines.append(f"flush set {target} {s.name}")
            lines.append(f"add element {target} {s.name} {{ {', '.join(s.cidrs())} }}")
        return "\n".join(lines) + "\n"

    def load(self, target: str, transaction: str) -> None:
        argv = ["nft", "-f", "-"]
        done = run_tool(argv, stdin=transaction)
        if done.returncode != 0:
            raise failed(argv, done)
