"""Render every platform for examples/hybrid.toml and time it.

Prints the total after import (target: < 1 s) and, per platform, the full render (policy,
aerleon, fix-ups, address guard, names) against two baselines measured in the same run:
- `stock-aerleon`: aerleon.api.Generate as shipped (plugin discovery on every call), run first,
  before hybridfw switches discovery off;
- `aerleon-generate`: the aerleon call inside hybridfw's render, so the ratio is our overhead.
Run: .venv/bin/python benchmarks/render.py [--repeat N]
"""

from __future__ import annotations

import argparse
import logging
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
    import aerleon.api  # noqa: F401  (import cost belongs to the import line, not the renders)

    from hybridfw.endpoints.snapshot import load_snapshot
    from hybridfw.flows import required_flows
    from hybridfw.render import platforms, render_flows, renderers
    from hybridfw.render.aerleon_backend import AerleonRenderer, generate
    from hybridfw.topology import load_topology

    imported = time.perf_counter() - start
    logging.getLogger("absl").setLevel(logging.ERROR)  # aerleon's chatter, as in the renderer
    data = load_snapshot()
    flows = required_flows(load_topology(REPO / "examples" / "hybrid.toml"), data)
    stock = {name: _best(lambda r=r: _stock_generate(r.spec, flows, data), args.repeat)
             for name, r in renderers().items() if isinstance(r, AerleonRenderer)}

    first = time.perf_counter()
    for name in platforms():
        render_flows(flows, name, data=data)
    cold_total = time.perf_counter() - first

    print(f"import: {imported * 1000:.0f} ms; first pass over {len(platforms())} platforms: "
          f"{cold_total * 1000:.0f} ms (best of {args.repeat} below)")
    print(f"{'platform':22} {'render ms':>10} {'stock-aerleon ms':>17} {'ratio':>6} "
          f"{'aerleon-generate ms':>20} {'ratio':>6}")
    total = 0.0
    for name, renderer in renderers().items():
        took = _best(lambda name=name: render_flows(flows, name, data=data), args.repeat)
        total += took
        if isinstance(renderer, AerleonRenderer):
            spec = renderer.spec
            base = _best(lambda spec=spec: generate(spec, flows, data), args.repeat)
            print(f"{name:22} {took * 1000:10.1f} {stock[name] * 1000:17.1f} "
                  f"{took / stock[name]:6.2f} {base * 1000:20.1f} {took / base:6.2f}")
        else:
            print(f"{name:22} {took * 1000:10.1f} {'-':>17} {'-':>6} {'-':>20} {'-':>6}")
    print(f"total, all platforms, after import: {total * 1000:.0f} ms (target < 1000 ms); "
          f"stock aerleon alone for the aerleon platforms: {sum(stock.values()) * 1000:.0f} ms")


def _stock_generate(spec: object, flows: object, data: object) -> None:
    """aerleon.api.Generate exactly as shipped, on the policy hybridfw builds."""
    from aerleon import api
    from aerleon.lib import naming

    from hybridfw.render.aerleon_backend import _definitions, _policies

    definitions = naming.Naming()
    definitions.ParseDefinitionsObject(_definitions(flows), "hybridfw")  # type: ignore[arg-type]
    api.Generate(_policies(spec, flows, data), definitions)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
