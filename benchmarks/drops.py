"""`hybridfw drops` on N netfilter LOG lines (default 5M, about 1.2 GB) next to two baselines.

Baselines, on the same file in the same run: `grep -c 'DPT=25 '` (counts the SMTP lines only)
and polars reading the file as lines and extracting SRC/DST/PROTO/DPT with a regex, grouped by
source /24 (parsing without any classification). The file is generated at run time in a temp
directory (never committed) and deleted afterwards. Each engine runs in its own subprocess; the
child reports wall time and its peak RSS (ru_maxrss). Ratios are against grep.

Aims (issue 15): hybridfw within 3x grep's time and under 500 MiB. `hybridfw` uses the compiled
netfilter scanner when it was built (hybridfw.drops._nfscan; the result line says [compiled] or
[pure]); `hybridfw-pure` is the same fast path with the scanner's Python reference
(`add_rows`), `hybridfw-general` the analysis with no fast path (one Drop per text line).

Usage: .venv/bin/python benchmarks/drops.py [--lines 5000000] [--dir /tmp] [--repeat 3]
       [--log EXISTING.log] [--engines grep,hybridfw]
With --repeat N every engine runs N times (interleaved) and the table shows min-max.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

TOPOLOGY = Path(__file__).resolve().parent.parent / "examples" / "hybrid.toml"
REGEX = r"SRC=(\S+) DST=(\S+) .*?PROTO=(\w+)(?: SPT=\d+ DPT=(\d+))?"


def generate(path: Path, lines: int, seed: int = 2026) -> None:
    """Kernel-log lines: EOP, relay-pool, retired and random senders; SMTP, HTTPS and noise ports."""
    rng = random.Random(seed)
    senders = ([f"40.107.{i}.{j}" for i in range(0, 256, 3) for j in (4, 9, 77)]
               + [f"52.{100 + i % 4}.{i}.3" for i in range(256)] + [f"40.95.{i}.67" for i in range(256)]
               + [f"65.55.88.{i}" for i in range(40)] + [f"2a01:111:f403:c{i:03x}::1" for i in range(64)]
               + [f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
                  for _ in range(50_000)])
    ports = [25] * 4 + [443] * 2 + [22, 3389, 445, 8080]
    with path.open("w", encoding="ascii") as out:
        for i in range(lines):
            src, port = rng.choice(senders), rng.choice(ports)
            v6 = ":" in src
            dst = "2001:0db8:0000:0000:0000:0000:0000:0010" if v6 else ("203.0.113.10" if port == 25
                                                                         else "203.0.113.20")
            sec = i * 86_400 // lines
            out.write(f"Dec  1 {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d} gw kernel: "
                      f"[{812_345 + sec}.{i % 1_000_000:06d}] HFW-DROP IN=eth0 OUT= "
                      f"MAC=00:16:3e:01:02:03:00:16:3e:0a:0b:0c:08:00 SRC={src} DST={dst} LEN=60 TOS=0x00 "
                      f"PREC=0x00 TTL=52 ID={i % 65536} DF PROTO=TCP SPT={1024 + i % 60000} DPT={port} "
                      "WINDOW=64240 RES=0x00 SYN URGP=0\n")


def run_grep(path: str) -> str:
    done = subprocess.run(["grep", "-c", "DPT=25 ", path], capture_output=True, text=True, check=True)
    return f"{done.stdout.strip()} SMTP lines"


def run_polars(path: str) -> str:
    import polars as pl

    lines = pl.scan_csv(path, has_header=False, separator="\x01", quote_char=None,
                        new_columns=["line"], schema_overrides={"line": pl.String})
    parts = lines.select(pl.col("line").str.extract_groups(REPLACE_NAMED).alias("m")).unnest("m")
    grouped = (parts.filter(pl.col("dport") == "25")
               .group_by(pl.col("src").str.replace(r"\.\d+$", ".0")).len().collect())
    return f"{grouped.height} source /24s on port 25"


REPLACE_NAMED = r"SRC=(?<src>\S+) DST=(?<dst>\S+) .*?PROTO=(?<proto>\w+)(?: SPT=\d+ DPT=(?<dport>\d+))?"


def run_hybridfw(path: str, fast: bool = True) -> str:
    from hybridfw.drops.run import analyse_drops
    from hybridfw.endpoints.snapshot import load_snapshot
    from hybridfw.flows import required_flows
    from hybridfw.topology import load_topology

    data = load_snapshot()
    report = analyse_drops([path], required_flows(load_topology(TOPOLOGY), data), data, fast=fast)
    counts = report.counts()
    from hybridfw.drops import native_rows

    scanner = "compiled" if fast and native_rows.available() else "pure"
    return (f"{sum(counts.values())} on flows ({counts['published']} published), {report.unrelated} unrelated"
            f" [{scanner}]")


def run_general(path: str) -> str:
    return run_hybridfw(path, fast=False)


def run_pure(path: str) -> str:
    """The fast path without the compiled scanner (as with HYBRIDFW_PURE=1 or no C compiler)."""
    from hybridfw.drops import native_rows

    with mock.patch.object(native_rows, "_nfscan", None):
        return run_hybridfw(path)


ENGINES = {"grep": run_grep, "polars": run_polars, "hybridfw": run_hybridfw, "hybridfw-pure": run_pure,
           "hybridfw-general": run_general}


def child(engine: str, path: str) -> None:
    started = time.perf_counter()
    result = ENGINES[engine](path)
    seconds = time.perf_counter() - started
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    kids_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = cpu.ru_utime + cpu.ru_stime + kids_cpu.ru_utime + kids_cpu.ru_stime
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu_seconds, "peak_mib": max(own, kids) / 1024,
                      "result": result}))


def measure(engine: str, path: Path) -> dict[str, float | str]:
    done = subprocess.run([sys.executable, __file__, "--child", engine, str(path)], capture_output=True,
                          text=True, check=True)
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--log", type=Path, default=None, help="an existing log instead of a generated one")
    parser.add_argument("--engines", default="", help=f"comma-separated subset of {', '.join(ENGINES)}")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    engines = args.engines.split(",") if args.engines else list(ENGINES)
    with tempfile.TemporaryDirectory(prefix="hybridfw-drops-bench-", dir=args.dir) as tmp:
        path = args.log or Path(tmp) / "kern.log"
        if not args.log:
            started = time.perf_counter()
            generate(path, args.lines)
            print(f"{args.lines} lines generated in {time.perf_counter() - started:.1f} s")
        print(f"{path.stat().st_size / 2**20:.0f} MiB; load average before: {os.getloadavg()}")
        measure("grep", path)  # warm the page cache for every engine alike
        runs: dict[str, list[dict[str, float | str]]] = {name: [] for name in engines}
        for _ in range(args.repeat):
            for name in engines:
                runs[name].append(measure(name, path))
    print(f"load average after: {os.getloadavg()}")
    base = min(float(r["seconds"]) for r in runs.get("grep", [])) if "grep" in runs else 0.0
    base_cpu = min(float(r["cpu"]) for r in runs.get("grep", [])) if "grep" in runs else 0.0
    print(f"{'engine':<17} {'wall s':>13} {'x grep':>11} {'cpu s':>13} {'x grep':>11} {'peak MiB':>9}"
          "  result")
    for name, results in runs.items():
        wall = [float(r["seconds"]) for r in results]
        cpu = [float(r["cpu"]) for r in results]
        peak = max(float(r["peak_mib"]) for r in results)
        print(f"{name:<17} {_span(wall):>13} {_span(wall, base):>11} {_span(cpu):>13} "
              f"{_span(cpu, base_cpu):>11} {peak:>9.0f}  {results[-1]['result']}")


def _span(values: list[float], base: float = 1.0) -> str:
    """min-max (or the one value) of `values`, divided by `base` (a ratio when base is grep's)."""
    if not base:
        return "-"
    low, high = min(values) / base, max(values) / base
    return f"{low:.2f}" if len(values) == 1 else f"{low:.2f}-{high:.2f}"


if __name__ == "__main__":
    main()
