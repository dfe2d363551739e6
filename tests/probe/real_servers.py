"""Real server software for the probe tests (unbound, Postfix, nginx), each run in the foreground
from a config the test writes to a temp dir, listening on loopback only.

The Makefile's `system-deps` installs them. Missing as root (CI) is a failure; missing as a
normal user is a skip that says why.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def tool(name: str, *fallbacks: str) -> str:
    """The path of a server binary; fail as root (CI installs it), skip otherwise."""
    path = shutil.which(name) or next((f for f in fallbacks if Path(f).exists()), None)
    if path is None:
        message = f"{name} is not installed (run `make system-deps` as root)"
        if os.geteuid() == 0:
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_tcp(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


UNBOUND_CONF = """server:
  interface: 127.0.0.1@{port}
  port: {port}
  username: ""
  chroot: ""
  directory: "{dir}"
  pidfile: ""
  use-syslog: no
  logfile: "{dir}/unbound.log"
  do-daemonize: no
  num-threads: 1
  do-ip6: no
  module-config: "iterator"
  local-zone: "test." nodefault
auth-zone:
  name: "."
  zonefile: "{dir}/root.zone"
  for-upstream: yes
  for-downstream: no
  fallback-enabled: no
"""
ROOT_SOA = (". 300 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n"
            ". 300 IN NS ns.test.\nns.test. 300 IN A 127.0.0.1\n")


class Unbound:
    """unbound as a recursive resolver whose only source is the test zone, loaded as the root zone
    (`auth-zone "."`, for-upstream): it chases CNAMEs across names as on the Internet, answers
    NXDOMAIN for everything else, and never queries any other server."""

    def __init__(self, zone_text: str, workdir: Path) -> None:
        binary = tool("unbound", "/usr/sbin/unbound")
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "root.zone").write_text(ROOT_SOA + zone_text)
        self.port = free_port(socket.SOCK_DGRAM)
        conf = workdir / "unbound.conf"
        conf.write_text(UNBOUND_CONF.format(port=self.port, dir=workdir))
        self.log = workdir / "unbound.log"
        self.log.touch()
        self.proc = subprocess.Popen([binary, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_tcp(self.port, self.proc, self.log)

    def close(self) -> None:
        stop(self.proc)
