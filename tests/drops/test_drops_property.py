"""Property: a generated deny log of sources drawn from each class is classed back to its class.

The oracle is independent of the classifier: Python's ipaddress networks built straight from
the shipped endpoint answer, the packaged history file and the unlisted-ranges file.
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.drops import analyse
from _support.hypo import examples

Net = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=1)
def _pools() -> dict[str, list[Net]]:
    data = resources.files("hybridfw.data")
    current = json.loads(data.joinpath("worldwide-endpoints-2026-05-29.json").read_text())
    smtp = [ipaddress.ip_network(ip) for s in current if s["serviceArea"] == "Exchange"
            and "25" in s.get("tcpPorts", "").replace(" ", "").split(",") for ip in s.get("ips", [])]
    every = [ipaddress.ip_network(ip) for s in current for ip in s.get("ips", [])]
    history = json.loads(data.joinpath("exchange-history.json").read_text())["versions"]
    old = [ipaddress.ip_network(ip) for v in history for s in v["sets"] for ip in s["ips"]]
    unlisted = [ipaddress.ip_network(r["cidr"])
                for r in tomllib.loads(data.joinpath("exchange-unlisted.toml").read_text())["range"]]
    return {"published": smtp, "every": every, "old": old, "unlisted": unlisted,
            "outside": [ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("100.64.0.0/10"),
                        ipaddress.ip_network("2001:db8:77::/48")]}


def _within(nets: list[Net], address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in net for net in nets if net.version == address.version)


def oracle(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    pools = _pools()
    if _within(pools["published"], address):
        return "published"
    if _within(pools["every"], address):
        return "published-elsewhere"
    if _within(pools["unlisted"], address):
        return "exchange-unlisted"
    if _within(pools["old"], address):
        return "retired"
    return "not-microsoft"


POOL_OF = {"published": "published", "published-elsewhere": "every", "exchange-unlisted": "unlisted",
           "retired": "old", "not-microsoft": "outside"}


@st.composite
def sources(draw: st.DrawFn) -> tuple[str, str]:
    """(intended class, address) — the class the oracle gives the drawn address."""
    pool = _pools()[POOL_OF[draw(st.sampled_from(sorted(POOL_OF)))]]
    net = draw(st.sampled_from(pool))
    offset = draw(st.integers(min_value=0, max_value=net.num_addresses - 1))
    address = net.network_address + offset
    return oracle(address), str(address)


def _line(n: int, address: str) -> str:
    v6 = ":" in address
    dst = "2001:db8::10" if v6 else "203.0.113.10"
    return (f"Dec  1 13:{n // 60 % 60:02d}:{n % 60:02d} gw kernel: PROP IN=eth0 OUT= SRC={address} "
            f"DST={dst} LEN=60 TTL=50 PROTO=TCP SPT=4{n % 10000:04d} DPT=25 WINDOW=1 SYN URGP=0\n")


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(sources(), min_size=1, max_size=60))
def test_generated_log_is_classed_back(tmp_path: Path, drawn: list[tuple[str, str]]) -> None:
    log = tmp_path / "generated.log"
    log.write_text("".join(_line(n, address) for n, (_, address) in enumerate(drawn)))
    report = analyse(log)
    want = Counter(klass for klass, _ in drawn)
    assert {k: v for k, v in report.counts().items() if v} == dict(want)
    for bucket in report.buckets:
        for address in bucket.addresses:
            assert oracle(ipaddress.ip_address(address)) == bucket.verdict.klass
