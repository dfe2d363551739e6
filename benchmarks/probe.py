"""Benchmark `hybridfw probe smtp` against local STARTTLS servers (aiosmtpd + trustme certificate).

Three measurements, each against a baseline run in the same process and the same server:
  1. in-process cost of one probe vs a minimal smtplib EHLO + STARTTLS + QUIT   (aim <= 2x)
  2. the whole `hybridfw probe smtp` command vs `openssl s_client -starttls smtp` (reported)
  3. N hosts probed concurrently vs the slowest single probe of the same hosts   (aim <= 2x)

The servers run in a child process (one event loop, one listener per port) so that server and
client do not share one interpreter. Usage: python benchmarks/probe.py [--hosts 500] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

NAME = "mail.contoso.test"


def serve(cert_pem: str, count: int) -> None:
    """Child mode: `count` STARTTLS listeners on 127.0.0.1; print their ports; run until stdin closes."""
    import logging

    from aiosmtpd.smtp import SMTP

    logging.getLogger("mail.log").setLevel(logging.CRITICAL)  # refused TLS 1.0 handshakes are expected

    class Accept:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_pem)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        servers = [await loop.create_server(
            lambda: SMTP(Accept(), hostname=NAME, tls_context=context, loop=loop), "127.0.0.1", 0,
            backlog=1024) for _ in range(count)]
        print(json.dumps([s.sockets[0].getsockname()[1] for s in servers]), flush=True)
        await loop.run_in_executor(None, sys.stdin.read)

    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())  # the servers should not be the bottleneck of the N-host run


def start_servers(cert_pem: Path, count: int) -> tuple[subprocess.Popen[str], list[int]]:
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(cert_pem), "--hosts", str(count)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child, json.loads(child.stdout.readline())


def medians_ms(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median wall time of each run; rounds interleave the runs so load changes hit all alike."""
    for run in runs.values():
        run()  # warm-up: imports, contexts, caches
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - started) * 1000.0)
    return {name: statistics.median(values) for name, values in samples.items()}


def child_cpu_ms(pid: int) -> float:
    """User + system CPU of the server child so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def smtplib_baseline(port: int, ca_file: Path) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False
    with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.contoso.test", timeout=10) as client:
        client.ehlo()
        client.starttls(context=context)
        client.quit()


def in_process(port: int, ca_file: Path, rounds: int) -> None:
    from hybridfw.probe.interface import SmtpOptions, SmtpTarget, TlsOptions
    from hybridfw.probe.smtp import probe_smtp_hosts_sync

    def probe(legacy: bool) -> Callable[[], object]:
        options = SmtpOptions(timeout=10, helo="bench.contoso.test",
                              tls=TlsOptions(ca_file=ca_file, cert_name=NAME, check_legacy_versions=legacy))

        def run() -> object:
            result = probe_smtp_hosts_sync([SmtpTarget("127.0.0.1", port)], options)[0]
            assert result.ok, result.findings
            return result
        return run

    found = medians_ms({"base": lambda: smtplib_baseline(port, ca_file), "plain": probe(False),
                        "legacy": probe(True)}, rounds)
    base, plain, legacy = found["base"], found["plain"], found["legacy"]
    print(f"1. one probe, in process (median of {rounds})")
    print(f"   baseline smtplib EHLO+STARTTLS+QUIT          {base:8.2f} ms")
    print(f"   hybridfw probe, --no-legacy-tls               {plain:8.2f} ms   ratio {plain / base:5.2f}x")
    print(f"   hybridfw probe, with TLS 1.0/1.1 sessions     {legacy:8.2f} ms   ratio {legacy / base:5.2f}x")


def whole_command(port: int, ca_file: Path, rounds: int) -> None:
    hybridfw = [sys.executable, "-m", "hybridfw", "probe", "smtp", f"127.0.0.1:{port}", "--cert-name", NAME,
                "--ca-file", str(ca_file), "--json"]
    openssl = shutil.which("openssl")
    print(f"2. whole command (median of {rounds})")
    if openssl is None:
        print("   openssl not installed: baseline not measured")
        return
    s_client = [openssl, "s_client", "-starttls", "smtp", "-connect", f"127.0.0.1:{port}",
                "-CAfile", str(ca_file), "-verify_return_error", "-brief"]

    def run(command: list[str]) -> Callable[[], object]:
        return lambda: subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=True)

    found = medians_ms({"base": run(s_client), "ours": run(hybridfw),
                        "bare": run([sys.executable, "-m", "hybridfw", "--version"])}, rounds)
    base, ours, bare = found["base"], found["ours"], found["bare"]
    print(f"   baseline openssl s_client -starttls smtp      {base:8.2f} ms")
    print(f"   hybridfw probe smtp --json                    {ours:8.2f} ms   ratio {ours / base:5.2f}x")
    print(f"   (of which `hybridfw --version` start-up)      {bare:8.2f} ms")


def many_hosts(ports: list[int], ca_file: Path, server_pid: int) -> None:
    from hybridfw.probe.interface import SmtpOptions, SmtpTarget, TlsOptions
    from hybridfw.probe.smtp import probe_smtp_hosts_sync

    options = SmtpOptions(timeout=30, helo="bench.contoso.test",
                          tls=TlsOptions(ca_file=ca_file, cert_name=NAME, check_legacy_versions=False))
    targets = [SmtpTarget("127.0.0.1", p) for p in ports]
    singles = []
    for target in targets[:: max(1, len(targets) // 25)]:  # a sample of hosts, one at a time
        started = time.perf_counter()
        assert probe_smtp_hosts_sync([target], options)[0].ok
        singles.append((time.perf_counter() - started) * 1000.0)
    slowest = max(singles)
    import resource

    cpu_before, server_before = resource.getrusage(resource.RUSAGE_SELF), child_cpu_ms(server_pid)
    started = time.perf_counter()
    results = probe_smtp_hosts_sync(targets, options)
    together = (time.perf_counter() - started) * 1000.0
    cpu_after, server_cpu = resource.getrusage(resource.RUSAGE_SELF), child_cpu_ms(server_pid) - server_before
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime) * 1000
    failed = sum(not r.ok for r in results)
    print(f"3. {len(targets)} hosts concurrently (--no-legacy-tls)")
    print(f"   baseline slowest single probe ({len(singles)} sampled) {slowest:8.2f} ms "
          f"(median {statistics.median(singles):.2f} ms)")
    print(f"   {len(targets)} hosts at once                       {together:8.2f} ms   ratio "
          f"{together / slowest:5.2f}x   ({failed} failed; sequential estimate "
          f"{statistics.median(singles) * len(targets):.0f} ms)")
    print(f"   CPU for the run: client {client_cpu:.0f} ms ({client_cpu / len(targets):.2f} ms per host), "
          f"servers {server_cpu:.0f} ms ({server_cpu / len(targets):.2f} ms per host), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")


def loop_name() -> str:
    try:
        import uvloop  # noqa: F401 - presence decides the loop hybridfw.probe.loop.run picks
    except ImportError:
        return "asyncio"
    return "uvloop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.hosts)
        return
    import trustme

    with tempfile.TemporaryDirectory() as tmp:
        ca = trustme.CA()
        ca_file, cert_pem = Path(tmp) / "ca.pem", Path(tmp) / "server.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        ca.issue_cert(NAME).private_key_and_cert_chain_pem.write_to_path(str(cert_pem))
        child, ports = start_servers(cert_pem, args.hosts)
        print(f"{args.hosts} aiosmtpd STARTTLS listeners in a child process; client loop {loop_name()}; "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        try:
            in_process(ports[0], ca_file, args.rounds)
            whole_command(ports[0], ca_file, max(5, args.rounds // 3))
            many_hosts(ports, ca_file, child.pid)
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(10)


if __name__ == "__main__":
    main()
