"""The apply plan without a kernel: set names, transactions, listings, the guard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from _support.apply import EOP_V4, REAL_ANSWER, topology
from _support.cli_runner import run_here
from hybridfw.addresses import AddressSet, Family
from hybridfw.apply import ApplyOptions, KernelSet, SetBackend, apply_sets, backend_named
from hybridfw.apply.ipset import members_in_save, scratch_name
from hybridfw.apply.nft import sets_in_listing
from hybridfw.endpoints.files import load_answer_file
from hybridfw.errors import InputError, KernelError
from hybridfw.flows import required_flows
from hybridfw.model import EndpointData, Flow
from hybridfw.topology import load_topology


class MemoryBackend(SetBackend):
    """Holds the sets in a dict; records what it was asked to load."""

    name = "memory"
    description = "test double"

    def __init__(self) -> None:
        self.held: dict[str, AddressSet] = {}
        self.loaded: list[str] = []

    def check_target(self, target: str) -> str:
        return target

    def set_name(self, target: str, flow: str, family: Family) -> str:
        return backend_named("nft").set_name(target, flow, family)

    def current(self, target: str, names: Sequence[str]) -> dict[str, AddressSet]:
        return {n: self.held[n] for n in names if n in self.held}

    def transaction(self, target: str, sets: Sequence[KernelSet]) -> str:
        self.pending = {s.name: s.addresses for s in sets}
        return backend_named("nft").transaction("inet t", sets)

    def load(self, target: str, transaction: str) -> None:
        self.loaded.append(transaction)
        self.held.update(self.pending)


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[EndpointData, list[Flow]]:
    data = replace(load_answer_file(REAL_ANSWER, "Worldwide"), data_date=datetime.now(UTC))
    return data, required_flows(load_topology(topology(tmp_path)), data)


def test_apply_then_unchanged_then_guarded(fresh: tuple[EndpointData, list[Flow]]) -> None:
    data, flows = fresh
    backend = MemoryBackend()
    first = apply_sets(data, flows, backend, "t", ApplyOptions())
    assert first.status == "applied" and backend.held["smtp_inbound_v4"] == AddressSet.parse(EOP_V4)
    assert {s.flow for s in first.sets} == {"smtp-inbound", "smtp-outbound", "https-inbound",
                                            "https-outbound"}
    assert [f.subject for f in first.findings] == ["crl-outbound"]  # names only: said, not dropped
    assert apply_sets(data, flows, backend, "t", ApplyOptions()).status == "unchanged"
    assert len(backend.loaded) == 1
    # The kernel holds more than the data: losing > 20 % of a set is refused, nothing loaded.
    backend.held["smtp_inbound_v4"] = AddressSet.parse([*EOP_V4, "10.0.0.0/8"])
    refused = apply_sets(data, flows, backend, "t", ApplyOptions())
    assert refused.status == "refused" and "smtp_inbound_v4 loses" in refused.reasons[0]
    assert len(backend.loaded) == 1
    dry = apply_sets(data, flows, backend, "t", ApplyOptions(dry_run=True, force=True))
    assert dry.status == "dry-run" and "smtp_inbound_v4" in dry.transaction and len(backend.loaded) == 1
    assert apply_sets(data, flows, backend, "t", ApplyOptions(force=True)).status == "applied"


def test_stale_data_is_refused(fresh: tuple[EndpointData, list[Flow]]) -> None:
    data, flows = fresh
    old = replace(data, data_date=datetime.now(UTC) - timedelta(days=36))
    backend = MemoryBackend()
    result = apply_sets(old, flows, backend, "t", ApplyOptions(force=True, dry_run=True))
    assert result.status == "refused" and not result.transaction and not backend.loaded
    assert apply_sets(old, flows, backend, "t", ApplyOptions(max_age_days=40)).status == "applied"


def test_nft_transaction_and_listing() -> None:
    nft = backend_named("nft")
    sets = [KernelSet("smtp_inbound_v4", "smtp-inbound", 4, AddressSet.parse(EOP_V4)),
            KernelSet("smtp_inbound_v6", "smtp-inbound", 6, AddressSet.parse(["2a01:111:f400::/48"]))]
    text = nft.transaction("inet hybridfw", sets)
    assert text.splitlines()[0] == "add table inet hybridfw"
    assert "add set inet hybridfw smtp_inbound_v6 { type ipv6_addr; flags interval; }" in text
    assert f"add element inet hybridfw smtp_inbound_v4 {{ {', '.join(EOP_V4)} }}" in text
    # The shapes `nft -j` lists elements in (as nft 1.0.6 printed them for these sets).
    listing = ('{"nftables": [{"metainfo": {}}, {"table": {"family": "inet", "name": "hybridfw"}},'
               '{"set": {"family": "inet", "name": "a_v4", "table": "hybridfw", "type": "ipv4_addr",'
               '"elem": [{"prefix": {"addr": "40.92.0.0", "len": 15}}, "192.0.2.1",'
               '{"range": ["192.0.2.5", "192.0.2.9"]}, {"elem": {"val": "198.51.100.1"}}]}}]}')
    assert sets_in_listing(listing, "hybridfw")["a_v4"] == AddressSet.parse(
        ["40.92.0.0/15", "192.0.2.1", "192.0.2.5-192.0.2.9", "198.51.100.1"])
    with pytest.raises(KernelError):
        sets_in_listing('{"nftables": [{"set": {"table": "hybridfw", "name": "x", "elem": [{"?": 1}]}}]}',
                        "hybridfw")
    for bad in ("hybridfw", "inet hy-bridfw", "arp t", "inet a b"):
        with pytest.raises(InputError):
            nft.check_target(bad)


def test_ipset_transaction_swaps_last() -> None:
    ipset = backend_named("ipset")
    name = ipset.set_name("hfw_", "hybrid-agent-outbound", 6)
    assert name == "hfw_hybrid_agent_outbound_v6"
    with pytest.raises(InputError):
        ipset.set_name("longprefix_", "hybrid-agent-outbound", 6)
    sets = [KernelSet("hfw_a_v4", "a", 4, AddressSet.parse(EOP_V4)),
            KernelSet("hfw_b_v6", "b", 6, AddressSet.parse(["2a01:111:f400::/48"]))]
    lines = ipset.transaction("hfw_", sets).splitlines()
    first_swap = next(i for i, line in enumerate(lines) if line.startswith("swap"))
    assert all(line.startswith("swap") for line in lines[first_swap:])  # every fill before any swap
    # A live set is only ever created (no-op when it exists) or swapped: never flushed or filled.
    live = {"hfw_a_v4", "hfw_b_v6"}
    assert not [line for line in lines if line.split()[0] in ("flush", "add") and line.split()[1] in live]
    assert f"create {scratch_name('hfw_b_v6')} hash:net family inet6" in lines
    assert members_in_save("create x hash:net\nadd x 40.92.0.0/15\nadd y 1.2.3.4\n", "x") == \
        AddressSet.parse(["40.92.0.0/15"])


def test_cli_usage_errors(tmp_path: Path) -> None:
    topo = str(topology(tmp_path))
    both = run_here("apply", "-t", topo, "--nft", "--ipset")
    assert both.returncode == 2 and "one of --nft and --ipset" in both.stderr
    table = run_here("apply", "-t", topo, "--table", "inet", "bad-name")
    assert table.returncode == 2 and "--table" in table.stderr and "Traceback" not in table.stderr
