"""`hybridfw drops` on every log format it reads, next to `grep -c` on the same file.

Each test fixture of tests/data/drops (hand-labelled: every class, allowed records, noise, one
cut line) has its record lines cycled to N lines (header lines once) in a temp directory; each
file is read by `analyse_drops` (one process, the CLI's path) and counted by `grep -c 2`. Prints
CPU seconds, µs per line and the ratio to grep's CPU. The same few lines repeat, so every
per-distinct cache hits: this measures the per-line parsing cost of each format. The netfilter
fast path's own benchmark (5M varied lines, aims) is benchmarks/drops.py.

Usage: .venv/bin/python benchmarks/drops_formats.py [--lines 200000] [--only fortigate.log]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _cycled(fixture: Path, out: Path, lines: int) -> None:
    text = fixture.read_text(encoding="utf-8").splitlines(keepends=True)
    head = [line for line in text if line.startswith("#")] + (text[:1] if fixture.suffix == ".csv" else [])
    body = [line for line in text if line not in head and line.strip()]
    with out.open("w", encoding="utf-8") as sink:
        sink.writelines(head)
        sink.writelines(itertools.islice(itertools.cycle(body), lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--only", default="", help="one fixture file name")
    args = parser.parse_args()
    sys.path.insert(0, str(TESTS))
    from _support.drops import DATA, example_flows
    from hybridfw.drops.run import analyse_drops
    from hybridfw.endpoints.snapshot import load_snapshot

    data, flows = load_snapshot(), example_flows()
    print(f"load average before: {os.getloadavg()}")
    print(f"{'fixture':<24} {'MiB':>5} {'cpu s':>7} {'µs/line':>8} {'grep cpu s':>10} {'x grep':>7}  drops")
    fixtures = [f for f in sorted(DATA.iterdir()) if not f.name.endswith(".expected.json")]
    with tempfile.TemporaryDirectory(prefix="hybridfw-drops-formats-") as tmp:
        for fixture in fixtures:
            if args.only and fixture.name != args.only:
                continue
            path = Path(tmp) / fixture.name
            _cycled(fixture, path, args.lines)
            before = _cpu(resource.RUSAGE_CHILDREN)
            subprocess.run(["grep", "-c", "2", str(path)], capture_output=True, check=False)
            grep = _cpu(resource.RUSAGE_CHILDREN) - before
            before = _cpu(resource.RUSAGE_SELF)
            report = analyse_drops([str(path)], flows, data)
            spent = _cpu(resource.RUSAGE_SELF) - before
            ratio = f"{spent / grep:7.0f}" if grep else "      -"
            drops = sum(f.drops for f in report.files)
            print(f"{fixture.name:<24} {path.stat().st_size / 2**20:5.0f} {spent:7.2f} "
                  f"{spent / args.lines * 1e6:8.1f} {grep:10.3f} {ratio}  {drops}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
