"""Render every platform for examples/hybrid.toml and time it.

Prints per-platform times, the total after import (target: < 1 s), and the ratio of each
aerleon-backed platform's full render (policy + fix-ups + address guard + names) to the named
baseline `aerleon-generate`: the bare aerleon.api.Generate call for the same policy, measured in
the same run. Run: .venv/bin/python benchmarks/render.py [--repeat N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    from hybridfw.endpoints.snapshot import load_snapshot
    from hybridfw.flows import required_flows
    from hybridfw.render import platforms, registered, render_flows
    from hybridfw.render.aerleon_backend import AerleonRenderer, generate
    from hybridfw.topology import load_topology
    import aerleon.api  # noqa: F401  (import cost belongs to the import line, not the renders)

    imported = time.perf_counter() - start
    data = load_snapshot()
    flows = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), data)

    first = time.perf_counter()
    for name in platforms():
        render_flows(flows, name, data=data)
    cold_total = time.perf_counter() - first

    print(f"import: {imported * 1000:.0f} ms; first pass over {len(platforms())} platforms: "
          f"{cold_total * 1000:.0f} ms (best of {args.repeat} below)")
    print(f"{'platform':22} {'render ms':>10} {'aerleon-generate ms':>20} {'ratio':>7}")
    total = 0.0
    for name, renderer in registered().items():
        took = _best(lambda: render_flows(flows, name, data=data), args.repeat)
        total += took
        if isinstance(renderer, AerleonRenderer):
            spec = renderer.spec
            base = _best(lambda: generate(spec, flows, data), args.repeat)
            print(f"{name:22} {took * 1000:10.1f} {base * 1000:20.1f} {took / base:7.2f}")
        else:
            print(f"{name:22} {took * 1000:10.1f} {'-':>20} {'-':>7}")
    print(f"total, all platforms, after import: {total * 1000:.0f} ms (target < 1000 ms)")


if __name__ == "__main__":
    main()
