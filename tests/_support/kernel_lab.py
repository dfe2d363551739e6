"""A kernel lab for the differential tests: a sender namespace joined by a veth pair to a firewall
namespace whose listeners accept on PORTS; `syn_probe.py` sends the SYNs from the sender."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _support.netns import run
from _support.random_rulesets import DST, PORTS, sample_sources

PROBE = Path(__file__).with_name("syn_probe.py")
SOURCES = sample_sources()
# Accepts and closes every connection, so the accept queue never fills (a full queue drops SYNs).
LISTENER = ("import select,socket,sys\n"
            "socks=[]\n"
            "for p in map(int, sys.argv[1:]):\n"
            "    s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "    s.bind(('0.0.0.0', p)); s.listen(4096); socks.append(s)\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    for s in select.select(socks, [], [])[0]:\n"
            "        s.accept()[0].close()\n")


class Lab:
    """Sender namespace ↔ veth ↔ firewall namespace with listeners on PORTS."""

    def __init__(self, sender: str, firewall: str) -> None:
        self.sender, self.firewall = sender, firewall
        run("ip", "-n", sender, "link", "add", "va", "type", "veth", "peer", "name", "vb",
            "netns", firewall)
        batch_a = ["link set va up", "addr add 10.99.0.2/16 dev va"]
        batch_a += [f"addr add {src}/32 dev va" for src in SOURCES]
        run("ip", "-n", sender, "-batch", "-", stdin="\n".join(batch_a) + "\n")
        batch_b = ["link set vb up", f"addr add {DST}/16 dev vb", "route add default dev vb"]
        run("ip", "-n", firewall, "-batch", "-", stdin="\n".join(batch_b) + "\n")
        self.listener = subprocess.Popen(
            ["ip", "netns", "exec", firewall, sys.executable, "-c", LISTENER, *map(str, PORTS)],
            stdout=subprocess.PIPE, text=True)
        assert self.listener.stdout is not None and self.listener.stdout.readline().strip() == "ready"

    def kernel_verdicts(self) -> dict[tuple[str, int], bool]:
        pairs = [(src, port) for port in PORTS for src in SOURCES]
        out = run("ip", "netns", "exec", self.sender, sys.executable, str(PROBE), DST, "0.6",
                  json.dumps(pairs))
        return {pair: verdict == "accept" for pair, verdict in zip(pairs, json.loads(out), strict=True)}

    def close(self) -> None:
        self.listener.kill()
        self.listener.wait(timeout=10)
