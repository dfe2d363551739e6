"""`hybridfw trace` on a 1M-row extended message trace report (UTF-16 LE with BOM).

Baselines, on the same data in the same run: DuckDB's read_csv of the same UTF-16 file into a
table (encoding='utf-16', every column VARCHAR), and polars' read_csv of a UTF-8 copy (polars
reads no UTF-16). Each engine runs in its own subprocess so its peak RSS is its own; the child
reports wall time and ru_maxrss. Ratios are engine time / DuckDB time and peak RSS / DuckDB's.

Usage: .venv/bin/python benchmarks/trace.py [--rows 1000000] [--dir /tmp/hybridfw-bench]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIELDS = ["date_time_utc", "client_ip", "client_hostname", "server_ip", "server_hostname", "source_context",
          "connector_id", "source", "event_id", "internal_message_id", "message_id", "network_message_id",
          "recipient_address", "recipient_status", "total_bytes", "recipient_count",
          "related_recipient_address", "reference", "message_subject", "sender_address", "return_path",
          "message_info", "directionality", "tenant_id", "original_client_ip", "original_server_ip",
          "custom_data"]
# Deferral/failure texts in roughly the proportions a broken hybrid path produces.
FAILURES = [
    (30, "450 4.4.101 Proxy session setup failed on Frontend with '441 4.4.1 Error encountered while "
         "communicating with primary target IP address: \"Failed to connect. Winsock error code: 10061, "
         "Win32 error code: 10061.\" Attempted failover to alternate host, but that did not succeed.'"),
    (15, "450 4.4.316 Connection refused [Message=Socket error code 10061] "
         "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.25:25]"),
    (10, "450 4.4.315 Connection timed out [LastAttemptedServerName=mail.contoso.com] "
         "[LastAttemptedIP=203.0.113.26:25]"),
    (8, "450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail] "
        "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.25:25]"),
    (6, "450 4.4.317 Cannot connect to remote server [Message=SubjectMismatch Expected Subject: "
        "*.contoso.com. Presented Subject: CN=EX01.] [LastAttemptedIP=203.0.113.25:25]"),
    (6, "550 5.4.316 Message expired, connection refused(Socket error code 10061)"),
    (5, "450 4.4.318 Connection was closed abruptly [LastAttemptedIP=203.0.113.25:25]"),
    (5, "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"),
    (4, "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
    (3, "450 4.4.312 DNS query failed"),
    (3, "554 5.4.14 Hop count exceeded - possible mail loop ATTR34"),
    (3, "451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (AS761)"),
    (2, "550 5.7.64 TenantAttribution; Relay Access Denied"),
]
EO_HOSTS = ["NAM12-DM6-obe.outbound.protection.outlook.com", "EUR05-AM6-obe.outbound.protection.outlook.com",
            "APC01-PSA-obe.outbound.protection.outlook.com"]


def _row(rng: random.Random, i: int, when: datetime, fail_text: str | None) -> list[str]:
    mid = f"<{rng.getrandbits(64):016x}@contoso.onmicrosoft.com>"
    rcpt = f"user{rng.randrange(5000)}@{rng.choice(('contoso.com', 'fabrikam.com', 'contoso.de'))}"
    if fail_text is not None:
        event, status, source = ("DEFER" if fail_text[0] == "4" else "FAIL"), fail_text, "SMTP"
    else:
        event = rng.choice(("RECEIVE", "RECEIVE", "DELIVER", "SENDEXTERNAL", "AGENTINFO"))
        status, source = f"{rcpt}##Receive, Deliver", "SMTP" if event != "DELIVER" else "STOREDRIVER"
    eo = rng.random() < 0.7
    client_ip = f"40.107.{rng.randrange(256)}.{rng.randrange(256)}" if eo else f"81.2.{rng.randrange(256)}.7"
    custom = (f"S:SFA=SUM|SFV=NSPM|IPV=CAL|SRV=BULK|SFS=|SCL=1|SCORE=-{rng.randrange(9)}|LIST=0|DI=SN|RD=x"
              if event == "AGENTINFO" else "")
    return [f"{when:%Y-%m-%dT%H:%M:%S}.{i % 1000:03d}Z", client_ip,
            rng.choice(EO_HOSTS) if eo else "mail.partner.example", "10.23.4.5",
            "CH0PR12MB5000.namprd12.prod.outlook.com", "08DC7F0A1B2C3D01;2026-05-29T08:00:00.000Z;0",
            "Outbound to 5f2b1c3d", source, event, str(rng.getrandbits(40)), mid,
            "9f8e7d6c-0000-4000-8000-000000000000", rcpt, status, str(rng.randrange(2000, 90000)), "1", "",
            "", "Quarterly numbers, draft 2", "ann@fabrikam.com", "ann@fabrikam.com", "", "Originating",
            "5f2b1c3d-8e4a-4b6c-9d0e-1f2a3b4c5d6e", "", "", custom]


def generate(path: Path, rows: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    weights = [w for w, _ in FAILURES]
    texts = [t for _, t in FAILURES]
    start = datetime(2026, 5, 29, tzinfo=UTC)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-16", newline="") as handle:  # utf-16 = LE with BOM here
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(FIELDS)
        for i in range(rows):
            text = rng.choices(texts, weights)[0] if rng.random() < 0.08 else None
            writer.writerow(_row(rng, i, start + timedelta(seconds=i // 4), text))
    tmp.replace(path)


def transcode(source: Path, target: Path) -> None:
    with (source.open(encoding="utf-16", newline="") as src,
          target.open("w", encoding="utf-8", newline="") as out):
        while chunk := src.read(1 << 20):
            out.write(chunk)


# -- the engines, each run in a child process ---------------------------------------------------
def run_hybridfw(path: str) -> str:
    from hybridfw.endpoints.snapshot import load_snapshot
    from hybridfw.trace import diagnose_files

    report = diagnose_files([path], data=load_snapshot())
    top = report.causes[0]
    return f"{report.files[0].rows} rows, {report.failures} failures, top {top.entry.id} x{top.count}"


def run_duckdb(path: str) -> str:
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', encoding='utf-16', header=true, "
                "all_varchar=true)")
    rows = con.execute("SELECT count(*) FROM t").fetchone()
    return f"{rows[0] if rows else 0} rows"


def run_duckdb_scan(path: str) -> str:
    """DuckDB parsing every column of the UTF-16 file without keeping it: the scan's lower bound."""
    import duckdb

    con = duckdb.connect()
    counts = ", ".join(f'count("{name}")' for name in FIELDS)
    row = con.execute(f"SELECT count(*), {counts} FROM read_csv('{path}', encoding='utf-16', header=true, "
                      "all_varchar=true)").fetchone()
    return f"{row[0] if row else 0} rows"


def run_polars(path: str) -> str:
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)
    return f"{frame.height} rows"


ENGINES = {"hybridfw": run_hybridfw, "duckdb": run_duckdb, "duckdb-scan": run_duckdb_scan,
           "polars": run_polars}


def child(engine: str, path: str) -> None:
    start = time.perf_counter()
    summary = ENGINES[engine](path)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024, "summary": summary}))


def measure(engine: str, path: Path) -> dict[str, float | str]:
    out = subprocess.run([sys.executable, __file__, "--child", engine, str(path)], check=True,
                         capture_output=True, text=True)
    result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/hybridfw-bench"))
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    utf16 = args.dir / f"extended-{args.rows}-utf16.csv"
    utf8 = args.dir / f"extended-{args.rows}-utf8.csv"
    if not utf16.exists():
        start = time.perf_counter()
        generate(utf16, args.rows)
        size = utf16.stat().st_size / 2**20
        print(f"generated {utf16} ({size:.0f} MiB) in {time.perf_counter() - start:.1f} s")
    if not utf8.exists():
        transcode(utf16, utf8)
    results = {"duckdb": measure("duckdb", utf16), "duckdb-scan": measure("duckdb-scan", utf16),
               "hybridfw": measure("hybridfw", utf16), "polars": measure("polars", utf8)}
    base = results["duckdb"]
    print("baseline: duckdb = read_csv of the UTF-16 file into a table (all columns VARCHAR)")
    print(f"{'engine':<12} {'input':<7} {'seconds':>8} {'peak MiB':>9} {'time/duckdb':>12} "
          f"{'mem/duckdb':>11}  result")
    for name, res in results.items():
        print(f"{name:<12} {'utf-8' if name == 'polars' else 'utf-16':<7} {res['seconds']:>8.2f} "
              f"{res['peak_mib']:>9.0f} {float(res['seconds']) / float(base['seconds']):>12.2f} "
              f"{float(res['peak_mib']) / float(base['peak_mib']):>11.2f}  {res['summary']}")


if __name__ == "__main__":
    main()
