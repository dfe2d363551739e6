"""`hybridfw trace` on a 1M-line SMTP Send protocol log: session rebuild vs `grep -c` and polars.

The log interleaves sessions of an "Outbound to Office 365" send connector: most deliver
(connect, banner, EHLO, STARTTLS, MAIL, RCPT, DATA, 250 queued, disconnect), some fail the way
Exchange logs it (Winsock 10061/10060 in `context` with `data` empty, TLS UnknownCredentials,
a 4xx/5xx reply). Baselines on the same file in the same run, each in its own child process
(wall time and peak RSS of that child):
- `grep -c` counting the lines that mention a failure (no sessions, no diagnosis: the floor);
- polars reading the CSV (all columns as strings) and grouping the failing lines by session-id,
  i.e. the session rebuild without the diagnosis.
Ratios are hybridfw / baseline.

Usage: .venv/bin/python benchmarks/trace_protocol.py [--lines 1000000] [--dir /tmp/hybridfw-bench]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIELDS = "date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context"
HEAD = ("#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
        "#Log-type: SMTP Send Protocol Log\r\n#Date: 2026-05-29T00:00:00.000Z\r\n"
        f"#Fields: {FIELDS}\r\n")
CONNECTOR = "Outbound to Office 365 5f2b1c3d-8e4a-4b6c-9d0e-1f2a3b4c5d6e"
BANNER = "220 AM4PEPF00027A5F.mail.protection.outlook.com Microsoft ESMTP MAIL Service ready"
GOOD = [("<", BANNER, ""), (">", "EHLO mail.contoso.com", ""),
        ("<", "250-AM4PEPF00027A5F.mail.protection.outlook.com Hello", ""),
        (">", "STARTTLS", ""), ("<", "220 2.0.0 SMTP server ready", ""),
        ("*", "", "Received certificate"), (">", "MAIL FROM:<ann@contoso.com> SIZE=5120", ""),
        (">", "RCPT TO:<olga@contoso.mail.onmicrosoft.com>", ""), ("<", "250 2.1.5 Recipient OK", ""),
        (">", "BDAT 5120 LAST", ""), ("<", "250 2.6.0 <x@contoso.com> Queued mail for delivery", "")]
FAILURES = [
    (40, [("*", "", '"Failed to connect. Winsock error code: 10061, Win32 error code: 10061."')]),
    (25, [("*", "", '"Failed to connect. Winsock error code: 10060, Win32 error code: 10060."')]),
    (20, [*GOOD[:5], ("*", "", "TLS negotiation failed with error UnknownCredentials")]),
    (15, [*GOOD[:8], ("<", "550 5.7.64 TenantAttribution; Relay Access Denied", "")]),
]
FAIL_SHARE = 0.1
PATTERN = "Failed to connect|TLS negotiation failed|^[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,<,[45]"


def generate(path: Path, lines: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    start = datetime(2026, 5, 29, tzinfo=UTC)
    weights, shapes = [w for w, _ in FAILURES], [s for _, s in FAILURES]
    tmp = path.with_suffix(".tmp")
    written = session = 0
    open_sessions: list[list[str]] = []  # pending rows of a few sessions, interleaved
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write(HEAD)
        while written < lines:
            while len(open_sessions) < 8:
                session += 1
                steps = rng.choices(shapes, weights)[0] if rng.random() < FAIL_SHARE else GOOD
                sid, remote = f"08DC{session:012X}", f"52.101.{session % 200}.{session % 250}:25"
                rows = [("+", "", ""), *steps, ("-", "", "Local")]
                open_sessions.append([f"{sid},{n},10.0.0.5:{27000 + session % 30000},{remote},{e},{d},{c}"
                                      for n, (e, d, c) in enumerate(rows)])
            pending = open_sessions[rng.randrange(len(open_sessions))]
            when = start + timedelta(milliseconds=written)
            out.write(f"{when:%Y-%m-%dT%H:%M:%S.%f}"[:-3] + f"Z,{CONNECTOR},{pending.pop(0)}\r\n")
            written += 1
            if not pending:
                open_sessions.remove(pending)
    tmp.replace(path)


def run_hybridfw(path: str) -> str:
    from hybridfw.endpoints.snapshot import load_snapshot
    from hybridfw.trace import diagnose_files

    report = diagnose_files([path], data=load_snapshot())
    causes = ", ".join(f"{c.entry.id} x{c.count}" for c in report.causes)
    return f"{report.files[0].rows} lines, {report.failures} failing sessions: {causes}"


def run_grep(path: str) -> str:
    out = subprocess.run(["grep", "-cE", PATTERN, path], capture_output=True, text=True, check=False)
    return f"{out.stdout.strip()} failing lines"


def run_polars(path: str) -> str:
    import polars as pl

    frame = pl.read_csv(path, comment_prefix="#", has_header=False, new_columns=FIELDS.split(","),
                        infer_schema=False)
    text = pl.concat_str([pl.col("data").fill_null(""), pl.col("context").fill_null("")], separator=" ")
    failing = frame.filter(text.str.contains("Failed to connect|TLS negotiation failed")
                           | ((pl.col("event") == "<") & pl.col("data").str.contains("^[45]")))
    sessions = failing.group_by("session-id").agg(pl.col("data").first(), pl.col("context").first())
    return f"{frame.height} lines, {sessions.height} failing sessions"


ENGINES = {"hybridfw": run_hybridfw, "grep -c": run_grep, "polars": run_polars}


def child(engine: str, path: str) -> None:
    start = time.perf_counter()
    summary = ENGINES[engine](path)
    seconds = time.perf_counter() - start
    # CPU seconds too: on a shared, loaded machine they vary far less than wall time.
    who = resource.RUSAGE_CHILDREN if engine == "grep -c" else resource.RUSAGE_SELF
    usage = resource.getrusage(who)
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                      "peak_mib": usage.ru_maxrss / 1024, "summary": summary}))


def measure(engine: str, path: Path) -> dict[str, float | str]:
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(path)], check=True,
                         capture_output=True, text=True)
    result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/hybridfw-bench"))
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"SEND-{args.lines}.LOG"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.lines)
        size = path.stat().st_size / 2**20
        print(f"generated {path} ({size:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    results = {name: measure(name, path) for name in ENGINES}
    print(f"{'engine':<9} {'seconds':>8} {'cpu s':>7} {'peak MiB':>9} {'hybridfw/x':>11} "
          f"{'cpu ratio':>10}  result")
    mine, mine_cpu = float(results["hybridfw"]["seconds"]), float(results["hybridfw"]["cpu"])
    for name, res in results.items():
        print(f"{name:<9} {float(res['seconds']):>8.2f} {float(res['cpu']):>7.2f} "
              f"{float(res['peak_mib']):>9.0f} {mine / float(res['seconds']):>11.2f} "
              f"{mine_cpu / float(res['cpu']):>10.2f}  {res['summary']}")


if __name__ == "__main__":
    main()
