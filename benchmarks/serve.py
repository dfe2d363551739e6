"""Feed server throughput and latency against nginx serving the same file on this machine.

Baselines: a bare uvicorn ASGI app answering the same bytes (the ceiling for any Python ASGI
server here), and nginx (1 worker, sendfile, open_file_cache) serving `smtp-inbound.txt` written by
`hybridfw feeds export`, from a temporary prefix on a loopback port. Both servers answer the
same bytes; wrk drives each in turn from the same process run.

Two measurements per server:
- saturation: wrk -t1 -c64 for DURATION seconds → requests/s and p99;
- light load: wrk -t1 -c2 → the rate two back-to-back clients reach and its p99 (wrk cannot fix
  a rate; we report the latency at the rate it achieved).
Usage: python benchmarks/serve.py [seconds]   (needs wrk and nginx; `make system-deps`)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOPOLOGY = REPO / "examples" / "hybrid.toml"
PY = sys.executable
DURATION = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on 127.0.0.1:{port}")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, connections: int, seconds: int) -> tuple[float, float, int]:
    """(requests/s, p99 ms, non-2xx/3xx responses + socket errors)."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(bad[1]) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return rps, _ms(p99[1], p99[2]) if p99 else float("nan"), errors  # type: ignore[index]


NGINX_CONF = """
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  open_file_cache max=100 inactive=60s;
  types {{ text/plain txt; application/json json; }}
  client_body_temp_path {prefix}/tmp; proxy_temp_path {prefix}/tmp; fastcgi_temp_path {prefix}/tmp;
  uwsgi_temp_path {prefix}/tmp; scgi_temp_path {prefix}/tmp;
  server {{
    listen 127.0.0.1:{port};
    root {root};
    location /feeds/ {{ alias {root}/; }}
  }}
}}
"""


def start_nginx(prefix: Path, root: Path, port: int) -> subprocess.Popen[bytes]:
    (prefix / "tmp").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, root=root, port=port))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def check_same_bytes(ports: dict[str, int]) -> None:
    """Both servers must answer 200 with identical bodies, or the comparison means nothing."""
    import urllib.request

    bodies = set()
    for port in ports.values():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/feeds/smtp-inbound.txt") as resp:
            bodies.add(resp.read())
    if len(bodies) != 1:
        raise SystemExit("nginx and hybridfw serve different bytes")


# The floor of any ASGI server here: uvicorn (uvloop + httptools) answering fixed bytes with no
# routing at all. hybridfw/bare-uvicorn shows what hybridfw itself costs per request.
BARE_UVICORN = """
import sys, uvicorn
body = open(sys.argv[2], "rb").read()
head = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": head})
        await send({"type": "http.response.body", "body": body})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
            access_log=False, log_level="warning", lifespan="off")
"""


def start_bare_uvicorn(feed: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([PY, "-c", BARE_UVICORN, str(port), str(feed)],
                            stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def start_hybridfw(home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HYBRIDFW_HOME": str(home)}
    proc = subprocess.Popen([PY, "-m", "hybridfw", "serve", "-t", str(TOPOLOGY), "--port", str(port),
                             "--refresh", "off"], env=env, stderr=subprocess.DEVNULL)
    wait_port(port)
    return proc


def main() -> None:
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            raise SystemExit(f"{tool} is missing: run `make system-deps`")
    with tempfile.TemporaryDirectory(prefix="hybridfw-bench-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)  # nginx workers run as nobody and must read the exported feeds
        env = {**os.environ, "HYBRIDFW_HOME": str(base / "home")}
        subprocess.run([PY, "-m", "hybridfw", "feeds", "export", str(base / "feeds"), "-t",
                        str(TOPOLOGY)], env=env, check=True, stdout=subprocess.DEVNULL)
        ports = {"nginx": free_port(), "uvicorn": free_port(), "hybridfw": free_port()}
        procs = {"nginx": start_nginx(base / "nginx", base / "feeds", ports["nginx"]),
                 "uvicorn": start_bare_uvicorn(base / "feeds" / "smtp-inbound.txt", ports["uvicorn"]),
                 "hybridfw": start_hybridfw(base / "home", ports["hybridfw"])}
        results: dict[str, dict[str, tuple[float, float, int]]] = {}
        try:
            check_same_bytes(ports)
            for name, port in ports.items():
                url = f"http://127.0.0.1:{port}/feeds/smtp-inbound.txt"
                wrk(url, 8, 2)  # warm-up
                results[name] = {"saturation": wrk(url, 64, DURATION),
                                 "light": wrk(url, 2, DURATION)}
        finally:
            for proc in procs.values():
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
        report(results)


def report(results: dict[str, dict[str, tuple[float, float, int]]]) -> None:
    print(f"GET /feeds/smtp-inbound.txt, wrk -t1, {DURATION}s per run, {os.cpu_count()} CPUs")
    print(f"{'server':<10} {'load':<11} {'req/s':>10} {'p99 ms':>8} {'errors':>7}")
    for name, runs in results.items():
        for load, (rps, p99, errors) in runs.items():
            print(f"{name:<10} {load:<11} {rps:>10.0f} {p99:>8.2f} {errors:>7}")
    sat = results["hybridfw"]["saturation"][0] / results["nginx"]["saturation"][0]
    light_rps, light_p99, _ = results["hybridfw"]["light"]
    bare = results["hybridfw"]["saturation"][0] / results["uvicorn"]["saturation"][0]
    print(f"ratio hybridfw/nginx (saturation req/s): {sat:.1%}  (target >= 15%)")
    print(f"ratio hybridfw/bare uvicorn app (saturation req/s): {bare:.1%}")
    print(f"hybridfw p99 at {light_rps:.0f} req/s (c=2): {light_p99:.2f} ms  (target < 5 ms at 2k req/s)")
    print(f"hybridfw p99 at saturation ({results['hybridfw']['saturation'][0]:.0f} req/s): "
          f"{results['hybridfw']['saturation'][1]:.2f} ms")


if __name__ == "__main__":
    main()
