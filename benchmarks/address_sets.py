"""AddressSet vs netaddr.IPSet on the same 100k random IPv4 + IPv6 CIDRs.

Baseline: netaddr.IPSet, run in the same process on the same input. Prints each operation's
best-of-N time for both and the ratio (netaddr time / AddressSet time; above 1 means AddressSet
is faster). Usage: .venv/bin/python benchmarks/address_sets.py [--n 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import netaddr

from hybridfw.addresses import AddressSet


def random_cidrs(rng: random.Random, n: int) -> list[str]:
    """Half IPv4, half IPv6; prefixes weighted toward what endpoint lists and firewalls hold."""
    out = []
    for i in range(n):
        if i % 2:
            plen = rng.choice((16, 20, 22, 24, 24, 24, 26, 28, 29, 30, 32, 32))
            addr = rng.getrandbits(32)
            net: Any = ipaddress.IPv4Network((addr, plen), strict=False)
        else:
            plen = rng.choice((32, 40, 44, 48, 48, 56, 64, 64, 96, 128))
            # Stay inside 2000::/4 like real global unicast space, so blocks meet sometimes.
            addr = (0x2 << 124) | rng.getrandbits(124)
            net = ipaddress.IPv6Network((addr, plen), strict=False)
        out.append(str(net))
    return out


def random_addresses(rng: random.Random, n: int) -> list[str]:
    return [str(ipaddress.IPv4Address(rng.getrandbits(32))) if i % 2
            else str(ipaddress.IPv6Address((0x2 << 124) | rng.getrandbits(124))) for i in range(n)]


T = TypeVar("T")


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    """The fastest of `repeat` runs, and the result of the last one."""
    times = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="CIDRs per side")
    parser.add_argument("--probes", type=int, default=100_000, help="addresses for `contains`")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only-build-and-text", action="store_true",
                        help="time only the build and the CIDR text (the slow rows are skipped)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    left, right = random_cidrs(rng, args.n), random_cidrs(rng, args.n)
    probes = random_addresses(rng, args.probes)
    print(f"input: 2 x {args.n} random CIDRs (half IPv4, half IPv6), {args.probes} probe addresses; "
          f"best of {args.repeat}; baseline netaddr {netaddr.__version__} IPSet")

    rows = []
    t_ours, ours_pair = best_of(args.repeat, lambda: (AddressSet.parse(left), AddressSet.parse(right)))
    t_base, base_pair = best_of(args.repeat, lambda: (netaddr.IPSet(left), netaddr.IPSet(right)))
    a, b = ours_pair
    na, nb = base_pair
    rows.append(("build (parse both)", t_ours, t_base))
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        ("union", lambda: a | b, lambda: na | nb),
        ("difference", lambda: a - b, lambda: na - nb),
        ("intersection", lambda: a & b, lambda: na & nb),
        ("contains x probes", lambda: sum(a.contains_address(p) for p in probes),
         lambda: sum(p in na for p in probes)),
        ("to minimal CIDR text", lambda: a.to_cidrs(), lambda: [str(c) for c in na.iter_cidrs()]),
    ]
    if args.only_build_and_text:
        cases = [case for case in cases if case[0] == "to minimal CIDR text"]
    for name, ours, base in cases:
        t_o, r_o = best_of(args.repeat, ours)
        t_b, r_b = best_of(args.repeat, base)
        rows.append((name, t_o, t_b))
        _check(name, r_o, r_b)

    print(f"sizes: AddressSet {len(a.v4)} IPv4 + {len(a.v6)} IPv6 intervals; "
          f"netaddr {len(na.iter_cidrs())} CIDRs")
    print(f"{'operation':<22}{'AddressSet':>14}{'netaddr':>14}{'ratio':>10}")
    for name, t_o, t_b in rows:
        print(f"{name:<22}{t_o * 1000:>11.1f} ms{t_b * 1000:>11.1f} ms{t_b / t_o:>9.1f}x")


def _check(name: str, ours: object, base: object) -> None:
    """Both libraries must agree, or the timing means nothing."""
    if isinstance(ours, AddressSet):
        assert ours.to_cidrs() == [str(c) for c in base.iter_cidrs()], name  # type: ignore[attr-defined]
    elif isinstance(ours, list):
        assert ours == base, name
    else:
        assert ours == base, name


if __name__ == "__main__":
    main()
