"""Fuzz every registered ruleset parser with hostile input (>= 10k examples each by default).

Run: .venv/bin/python benchmarks/fuzz_parsers.py [--examples N] [--parser NAME ...]
The parser list comes from the registry, so vendor parsers are fuzzed as soon as they land.
Each example must give a Ruleset the evaluator can walk, or an InputError; anything else is
printed with the failing input's head and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from hypothesis import HealthCheck, given, settings  # noqa: E402

from _support.fuzz_inputs import check_parser, hostile_text  # noqa: E402
from hybridfw.rulesets import parsers  # noqa: E402


def fuzz(name: str, examples: int) -> tuple[int, float, str]:
    parser = parsers()[name]
    count = 0

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(text=hostile_text())
    def run(text: str) -> None:
        nonlocal count
        count += 1
        check_parser(parser, text)

    start = time.perf_counter()
    try:
        run()
    except Exception as exc:  # report, do not hide: the fuzz target found a crash
        return count, time.perf_counter() - start, f"{type(exc).__name__}: {str(exc)[:300]}"
    return count, time.perf_counter() - start, ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--parser", action="append", default=None, help="only this parser (repeatable)")
    args = ap.parse_args()
    names = args.parser or sorted(parsers())
    failed = False
    print(f"{'parser':<12} {'inputs':>8} {'seconds':>8} {'inputs/s':>9}  result")
    for name in names:
        count, seconds, error = fuzz(name, args.examples)
        failed |= bool(error)
        print(f"{name:<12} {count:>8} {seconds:>8.1f} {count / max(seconds, 1e-9):>9.0f}  "
              f"{'CRASH ' + error if error else 'ok'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
