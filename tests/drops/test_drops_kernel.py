"""Kernel test: a LOG rule before its DROP in a namespace made here; SYNs from EOP, relay-pool and
other addresses are sent to it; the kernel's own log lines (`dmesg`, `dmesg -T`, `/dev/kmsg`)
are read back by `hybridfw drops` and every sender lands in its class.

Needs root, iproute2 and nft (it fails, never skips, without them). The kernel logs netfilter
LOG lines of other namespaces only with net.netfilter.nf_log_all_netns=1: the test sets it
and puts back the value it found. Each run uses its own log prefix, so lines of other runs on
the same kernel are never read.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from _support.drops import analyse, rows

pytestmark = pytest.mark.root

NF_LOG_ALL = Path("/proc/sys/net/netfilter/nf_log_all_netns")
SENDERS = {  # address -> (class, block) as labelled by hand
    "40.107.3.4": ("published", "40.107.0.0/16"),
    "52.100.1.2": ("published", "52.100.0.0/14"),
    "2a01:111:f403::1": ("published", "2a01:111:f403::/48"),
    "13.107.6.152": ("published-elsewhere", "13.107.6.152/31"),
    "40.95.90.67": ("exchange-unlisted", "40.95.90.0/24"),
    "40.95.63.80": ("exchange-unlisted", "40.95.63.0/24"),
    "65.55.88.10": ("retired", "65.55.88.0/24"),
    "198.51.100.23": ("not-microsoft", "198.51.100.0/24"),
}
SEND = ("import socket,sys,time\n"
        "socks=[]\n"
        "for src in sys.argv[1:]:\n"
        "    v6=':' in src\n"
        "    s=socket.socket(socket.AF_INET6 if v6 else socket.AF_INET); s.setblocking(False)\n"
        "    s.bind((src,0)); s.connect_ex(('2001:db8::10' if v6 else '203.0.113.10',25)); socks.append(s)\n"
        "time.sleep(0.5)\n")


def ip(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(["ip", *args], input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"ip {' '.join(args)}: {done.stderr}"


def load_rules(firewall: str, tool: str, prefix: str) -> None:
    """A LOG rule before its DROP, as nft or as iptables/ip6tables rules."""
    if tool == "nft":
        jobs = [("nft", "table inet hfwdrops {\n chain input {\n  type filter hook input priority 0;\n"
                 f'  tcp dport 25 log prefix "{prefix} "\n  tcp dport 25 drop\n }}\n}}\n')]
    else:
        rules = ("*filter\n:INPUT ACCEPT [0:0]\n"
                 f'-A INPUT -p tcp --dport 25 -j LOG --log-prefix "{prefix} "\n'
                 "-A INPUT -p tcp --dport 25 -j DROP\nCOMMIT\n")
        jobs = [("iptables-restore", rules), ("ip6tables-restore", rules)]
    for command, text in jobs:
        cmd = [command, "-f", "-"] if command == "nft" else [command]
        done = subprocess.run(["ip", "netns", "exec", firewall, *cmd], input=text,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{command}: {done.stderr}"


@contextmanager
def nf_log_all_netns() -> Iterator[None]:
    """The sysctl set to 1 for the block, and put back after it. The sysctl is global, so labs in
    parallel test processes (pytest -n 2) take turns: one lab putting back 0 while another still
    needs 1 left the other's kernel log empty."""
    with open("/tmp/hybridfw-nf-log-all-netns.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = NF_LOG_ALL.read_text()
        try:
            NF_LOG_ALL.write_text("1\n")
            yield
        finally:
            NF_LOG_ALL.write_text(old)


@contextmanager
def lab(prefix: str, tool: str) -> Iterator[tuple[str, str]]:
    with nf_log_all_netns(), _lab(prefix, tool) as names:
        yield names


@contextmanager
def _lab(prefix: str, tool: str) -> Iterator[tuple[str, str]]:
    sender, firewall = f"hfw-{os.getpid()}-dsnd", f"hfw-{os.getpid()}-dfw"
    ip("netns", "add", sender)
    ip("netns", "add", firewall)
    try:
        ip("-n", sender, "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", firewall)
        ip("-n", sender, "-batch", "-", stdin="".join(
            ["link set va up\n", "route add default dev va\n"]
            + [f"addr add {a}/{128 if ':' in a else 32} dev va{' nodad' if ':' in a else ''}\n"
               for a in SENDERS] + ["route add ::/0 dev va\n"]))
        ip("-n", firewall, "-batch", "-", stdin="link set vb up\naddr add 203.0.113.10/24 dev vb\n"
           "addr add 2001:db8::10/64 dev vb nodad\nroute add default dev vb\nroute add ::/0 dev vb\n")
        load_rules(firewall, tool, prefix)
        yield sender, firewall
    finally:
        for name in (sender, firewall):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def read_kmsg(prefix: str) -> str:
    """The /dev/kmsg records that carry `prefix` (read without blocking to the end)."""
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    records = []
    try:
        while True:
            try:
                record = os.read(fd, 8192).decode("utf-8", "replace")
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    break
                if exc.errno == errno.EPIPE:  # overwritten while reading: go on
                    continue
                raise
            if prefix in record:
                records.append(record.split("\n", 1)[0] + "\n")
    finally:
        os.close(fd)
    return "".join(records)


@pytest.mark.parametrize("tool", ["nft", "iptables"])
def test_kernel_log_lines_are_classed(tmp_path: Path, tool: str) -> None:
    prefix = f"hfwdrops-{os.getpid()}-{secrets.token_hex(3)}"  # iptables allows 29 characters
    with lab(prefix, tool) as (sender, firewall):
        subprocess.run(["ip", "netns", "exec", sender, sys.executable, "-c", SEND, *SENDERS],
                       check=True, timeout=60)
        views = {
            "dmesg.log": subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout,
            "dmesg-T.log": subprocess.run(["dmesg", "-T"], capture_output=True, text=True, check=True).stdout,
            "kmsg.log": read_kmsg(prefix),
        }
        dumps = [("nft", "list", "ruleset")] if tool == "nft" else [("iptables-save",), ("ip6tables-save",)]
        rulesets = []
        for n, dump in enumerate(dumps):
            text = subprocess.run(["ip", "netns", "exec", firewall, *dump], capture_output=True,
                                  text=True, check=True, timeout=60).stdout
            rulesets.append(tmp_path / f"ruleset{n}.{'nft' if tool == 'nft' else 'rules'}")
            rulesets[-1].write_text(text)
    want = sorted(["smtp-inbound", klass, block, 1, prefix] for klass, block in SENDERS.values())
    for name, text in views.items():
        mine = "".join(line + "\n" for line in text.splitlines() if prefix in line)
        assert mine.count("\n") == len(SENDERS), f"{name}: the kernel logged\n{mine}"
        path = tmp_path / name
        path.write_text(mine)
        report = analyse(path)
        assert report.files[0].format == "netfilter"
        assert rows(report) == want, name
        assert report.exit_code == 1
    # The kernel's own ruleset, audited: every Microsoft drop is decided by the DROP rule after
    # the LOG rule, and nothing contradicts the log.
    judged = analyse(tmp_path / "kmsg.log", firewall=tuple(map(str, rulesets)))
    for bucket in judged.buckets:
        if bucket.verdict.klass != "not-microsoft":
            assert bucket.firewall.startswith("dropped by input: ") and "drop" in bucket.firewall.lower(), \
                bucket.firewall
    assert not [f for f in judged.findings if f.code == "drops.audit-contradiction"]
