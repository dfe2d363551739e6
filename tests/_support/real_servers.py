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
from collections.abc import Callable
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


def own_loopback() -> str:
    """A loopback address of this process's own, from its pid (all of 127/8 is local on Linux; a
    pid is below 2**22, so no two live processes share one). The servers here listen on it: a
    port chosen for one of them cannot be taken, between choosing and binding, by another test
    run's servers (other processes listen on addresses of their own, or on 127.0.0.1)."""
    pid = os.getpid()
    return f"127.{64 + (pid >> 16 & 63)}.{pid >> 8 & 255}.{pid & 255}"


def free_ports(count: int, host: str, kind: int = socket.SOCK_STREAM) -> list[int]:
    """`count` distinct free ports of `host`: all are held until all are chosen (a port just released can
    be handed out again, which would give two services one port)."""
    socks = [socket.socket(socket.AF_INET, kind) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


class PortTaken(RuntimeError):
    """The server could not bind a port chosen for it: something else took it in between."""


def wait_tcp(host: str, port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15.0,
             ready: str = "") -> None:
    """Until `host:port` accepts a connection and the log holds `ready` (a line the server writes
    once it has bound all its ports). PortTaken when the server exited over a port in use."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            text = log.read_text(errors="replace")[-2000:]
            if "in use" in text:
                raise PortTaken(f"server exited: a port was taken: {text}")
            raise RuntimeError(f"server exited with {proc.returncode}: {text}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                if ready in log.read_text(errors="replace"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout}s: {log.read_text()[-2000:]}")


def started(start: Callable[[], None], close: Callable[[], None], attempts: int = 3) -> None:
    """`start()` again (on fresh ports) while it raises PortTaken, `close()` in between."""
    for attempt in range(attempts):
        try:
            start()
            return
        except PortTaken:
            close()
            if attempt == attempts - 1:
                raise
        except Exception:
            close()
            raise


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


UNBOUND_CONF = """server:
  interface: {host}@{port}
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
        self.binary = tool("unbound", "/usr/sbin/unbound")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "root.zone").write_text(ROOT_SOA + zone_text)
        self.host = own_loopback()
        self.log = workdir / "unbound.log"
        started(self._start, self.close)

    def _start(self) -> None:
        # unbound listens on UDP and TCP: the port must be free for both
        while True:
            self.port = free_ports(1, self.host, socket.SOCK_DGRAM)[0]
            try:
                free = socket.socket()
                free.bind((self.host, self.port))
                break
            except OSError:
                continue
            finally:
                free.close()
        conf = self.workdir / "unbound.conf"
        conf.write_text(UNBOUND_CONF.format(host=self.host, port=self.port, dir=self.workdir))
        self.log.write_text("")
        with self.log.open("ab") as errors:  # a failed bind is told on stderr, before the log opens
            self.proc = subprocess.Popen([self.binary, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                         stderr=errors)
        # "init module" comes after the ports are bound: a port answering before may be another's
        wait_tcp(self.host, self.port, self.proc, self.log, ready="init module")

    def close(self) -> None:
        stop(self.proc)


POSTFIX_MAIN = """compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.contoso.test
mydestination =
maillog_file = /dev/stdout
smtpd_tls_security_level = may
smtpd_tls_cert_file = {dir}/etc/good.pem
smtpd_tls_key_file = {dir}/etc/good.pem
"""
# The services every Postfix instance needs besides smtpd (as in Debian's master.cf).
POSTFIX_SERVICES = """postlog   unix-dgram n - n - 1 postlogd
anvil     unix - - n - 1 anvil
tlsmgr    unix - - n 1000? 1 tlsmgr
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
scache    unix - - n - 1 scache
"""


class Postfix:
    """One Postfix master (`postfix start-fg`) from a config written here, with one smtpd per
    named variant on its own loopback port: `variants` maps a name to smtpd `-o` overrides, and
    `pem` maps a file name to a PEM (key + chain) written next to the config."""

    def __init__(self, variants: dict[str, list[str]], pem: dict[str, bytes]) -> None:
        binary = tool("postfix", "/usr/sbin/postfix")
        import tempfile

        # Postfix's own processes (user postfix) must reach the queue: not under pytest's 0700 tmp.
        self.dir = Path(tempfile.mkdtemp(prefix=f"hfw-postfix-{os.getpid()}-"))
        self.dir.chmod(0o755)
        for sub in ("etc", "queue", "data"):
            (self.dir / sub).mkdir()
        shutil.chown(self.dir / "data", "postfix")
        for name, content in pem.items():
            (self.dir / "etc" / name).write_bytes(content)
        self.host = own_loopback()
        self.variants = variants
        self.binary = binary
        self.log = self.dir / "postfix.log"
        self.proc: subprocess.Popen[bytes] | None = None
        started(self._start, self._stop)

    def _start(self) -> None:
        (self.dir / "etc" / "main.cf").write_text(POSTFIX_MAIN.format(dir=self.dir))
        self.ports = dict(zip(self.variants, free_ports(len(self.variants), self.host), strict=True))
        lines = [f"{self.host}:{self.ports[name]} inet n - n - - smtpd " +
                 " ".join(f"-o {o.format(dir=self.dir)}" for o in options)
                 for name, options in self.variants.items()]
        (self.dir / "etc" / "master.cf").write_text("\n".join(lines) + "\n" + POSTFIX_SERVICES)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([self.binary, "-c", str(self.dir / "etc"), "start-fg"],
                                         stdout=out, stderr=subprocess.STDOUT)
        # the master logs "daemon started" once it has bound every smtpd's port; a port that
        # answers before that may be another program's
        for port in self.ports.values():
            wait_tcp(self.host, port, self.proc, self.log, timeout=60.0, ready="daemon started")

    def _stop(self) -> None:
        subprocess.run([self.binary, "-c", str(self.dir / "etc"), "abort"], capture_output=True, timeout=30)
        if self.proc is not None:
            stop(self.proc)

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self.dir, ignore_errors=True)


NGINX_CONF = """worker_processes 1;
error_log {dir}/error.log notice;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp; fastcgi_temp_path {dir}/tmp;
  uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
  server {{
    listen {host}:{tls_port} ssl;
    server_name mail.contoso.test;
    ssl_certificate {dir}/site.pem;
    ssl_certificate_key {dir}/site.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
{locations}
    location / {{ return 404; }}
  }}
  server {{
    listen {host}:{plain_port};
    location / {{ return 404; }}
  }}
}}
"""


class Nginx:
    """nginx (`daemon off`) from a config written here: a TLS server with the given `location`
    blocks (nginx matches locations case-sensitively) and a plain-HTTP server on a second port."""

    def __init__(self, workdir: Path, pem: bytes, locations: str) -> None:
        self.binary = tool("nginx", "/usr/sbin/nginx")
        self.workdir = workdir
        self.locations = locations
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        (workdir / "site.pem").write_bytes(pem)
        self.host = own_loopback()
        self.log = workdir / "error.log"
        started(self._start, self.close)

    def _start(self) -> None:
        self.tls_port, self.plain_port = free_ports(2, self.host)
        conf = self.workdir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.workdir, host=self.host, tls_port=self.tls_port,
                                          plain_port=self.plain_port, locations=self.locations))
        self.log.write_text("")
        self.proc = subprocess.Popen([self.binary, "-p", str(self.workdir), "-c", str(conf), "-g",
                                      "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # "start worker processes" (notice) comes after every port is bound: before it, a port that
        # answers may be another program's
        for port in (self.tls_port, self.plain_port):
            wait_tcp(self.host, port, self.proc, self.log, ready="start worker processes")

    def close(self) -> None:
        stop(self.proc)
