"""`hybridfw apply` against real kernels in test-made namespaces (root, nft, ipset, iproute2;
without them the tests fail, never skip).

sender (EOP source addresses) ── veth ── gateway (forward chain matching @smtp_inbound_v4,
sets kept by `hybridfw apply`) ── veth ── server 203.0.113.10 listening on TCP 25.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _support.apply import EOP_V4, NEW_RANGE, answer, applied, hybridfw, store, topology, version
from _support.netns import netns, run

pytestmark = [pytest.mark.root, pytest.mark.slow]

PROBE = Path(__file__).parents[1] / "_support" / "syn_probe.py"
SERVER = "203.0.113.10"
EOP_SOURCES = ["40.92.1.7", "40.107.3.9", "52.100.200.1", "104.47.64.2"]
NEW_SOURCE = "40.95.8.8"  # in NEW_RANGE only
OTHER_SOURCE = "198.51.100.7"  # never Microsoft
LISTENER = ("import select,socket\n"
            "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
            "s.bind(('0.0.0.0', 25)); s.listen(512)\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    select.select([s], [], []); s.accept()[0].close()\n")
FORWARD = f"""table inet hybridfw {{
    chain forward {{
        type filter hook forward priority 0; policy drop;
        ct state established,related accept
        ip daddr {SERVER} tcp dport 25 ip saddr @smtp_inbound_v4 accept
    }}
}}
"""
# Lists smtp_inbound_v4 (nft, or the ipset hfw_smtp_inbound_v4) as fast as it can until a line
# arrives on stdin; prints how many elements each read saw (a missing set counts as empty).
WATCHER = ("import json,select,subprocess,sys\n"
           "nft=sys.argv[1]=='nft'\n"
           "cmd=(['nft','-j','list','set','inet','hybridfw','smtp_inbound_v4'] if nft\n"
           "     else ['ipset','save','hfw_smtp_inbound_v4'])\n"
           "counts=[]\n"
           "while True:\n"
           "    out=subprocess.run(cmd,capture_output=True,text=True).stdout\n"
           "    if nft:\n"
           "        s=[i['set'] for i in json.loads(out)['nftables'] if 'set' in i][0]\n"
           "        counts.append(len(s.get('elem',[])))\n"
           "    else:\n"
           "        counts.append(sum(line.startswith('add ') for line in out.splitlines()))\n"
           "    if select.select([sys.stdin],[],[],0)[0]: break\n"
           "print(json.dumps(counts))\n")


def watch(ns: str, kind: str) -> subprocess.Popen[str]:
    watcher = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", WATCHER, kind],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    return watcher


def counts_seen(watcher: subprocess.Popen[str]) -> list[int]:
    out, _ = watcher.communicate("stop\n", timeout=60)
    counts: list[int] = json.loads(out)
    return counts


class Gateway:
    def __init__(self, sender: str, gateway: str, server: str) -> None:
        self.sender, self.gateway, self.server = sender, gateway, server
        run("ip", "-n", sender, "link", "add", "sa", "type", "veth", "peer", "name", "ga",
            "netns", gateway)
        run("ip", "-n", gateway, "link", "add", "gb", "type", "veth", "peer", "name", "tb",
            "netns", server)
        batch = ["link set sa up", "addr add 10.98.0.2/24 dev sa", "route add default via 10.98.0.1"]
        batch += [f"addr add {a}/32 dev sa" for a in [*EOP_SOURCES, NEW_SOURCE, OTHER_SOURCE]]
        run("ip", "-n", sender, "-batch", "-", stdin="\n".join(batch) + "\n")
        run("ip", "-n", gateway, "-batch", "-", stdin="link set ga up\nlink set gb up\n"
            "addr add 10.98.0.1/24 dev ga\naddr add 203.0.113.1/24 dev gb\n"
            "route add default via 10.98.0.2\n")
        run("ip", "-n", server, "-batch", "-", stdin=f"link set tb up\naddr add {SERVER}/24 dev tb\n"
            "route add default via 203.0.113.1\n")
        run("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=gateway)
        self.listener = subprocess.Popen(["ip", "netns", "exec", server, sys.executable, "-c", LISTENER],
                                         stdout=subprocess.PIPE, text=True)
        assert self.listener.stdout is not None and self.listener.stdout.readline().strip() == "ready"

    def answered(self, sources: list[str]) -> dict[str, bool]:
        out = run("ip", "netns", "exec", self.sender, sys.executable, str(PROBE), SERVER, "0.8",
                  json.dumps([[src, 25] for src in sources]))
        return {src: v == "accept" for src, v in zip(sources, json.loads(out), strict=True)}

    def close(self) -> None:
        self.listener.kill()
        self.listener.wait(timeout=10)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with netns("snd") as sender, netns("gw") as gw, netns("srv") as server:
        lab = Gateway(sender, gw, server)
        try:
            yield lab
        finally:
            lab.close()


def nft_set(ns: str, name: str) -> str:
    return run("nft", "list", "set", "inet", "hybridfw", name, ns=ns)


def test_stale_data_never_reaches_the_kernel(tmp_path: Path) -> None:
    with netns("stale") as ns:
        # No store: the shipped snapshot (months old) is the data, and it is refused.
        doc = applied("-t", str(topology(tmp_path)), ns=ns, home=tmp_path / "home", code=1)
        assert doc["status"] == "refused" and "days old" in doc["refused_because"][0]
        assert "hybridfw" not in run("nft", "list", "tables", ns=ns)
        # Data stored 40 days ago is refused too; --max-age 60 lets it through.
        home = tmp_path / "old-home"
        store(home, answer(tmp_path, "old.json"), version(days_ago=40))
        applied("-t", str(topology(tmp_path)), ns=ns, home=home, code=1)
        assert "hybridfw" not in run("nft", "list", "tables", ns=ns)
        assert applied("-t", str(topology(tmp_path)), "--max-age", "60", ns=ns, home=home
                       )["status"] == "applied"


def test_apply_forward_update_atomic_and_guarded(gateway: Gateway, tmp_path: Path) -> None:
    home, topo = tmp_path / "home", str(topology(tmp_path))
    run("nft", "add", "table", "ip", "other", ns=gateway.gateway)
    run("nft", "add", "chain", "ip", "other", "keep", ns=gateway.gateway)
    store(home, answer(tmp_path, "v1.json"), version(serial=1))

    dry = hybridfw("apply", "-t", topo, "--dry-run", ns=gateway.gateway, home=home)
    assert dry.returncode == 0 and "flush set inet hybridfw smtp_inbound_v4" in dry.stdout
    assert "hybridfw" not in run("nft", "list", "tables", ns=gateway.gateway)

    first = applied("-t", topo, ns=gateway.gateway, home=home)
    assert first["status"] == "applied" and first["changed"]
    for cidr in EOP_V4:
        assert cidr in nft_set(gateway.gateway, "smtp_inbound_v4")
    assert applied("-t", topo, ns=gateway.gateway, home=home)["status"] == "unchanged"

    run("nft", "-f", "-", ns=gateway.gateway, stdin=FORWARD)
    seen = gateway.answered([*EOP_SOURCES, NEW_SOURCE, OTHER_SOURCE])
    assert seen == {**dict.fromkeys(EOP_SOURCES, True), NEW_SOURCE: False, OTHER_SOURCE: False}

    # A newer version adds a range: the set changes in one transaction, never empty meanwhile.
    store(home, answer(tmp_path, "v2.json", add=(NEW_RANGE,)), version(serial=2))
    watcher = watch(gateway.gateway, "nft")
    second = applied("-t", topo, ns=gateway.gateway, home=home)
    other = topology(tmp_path, (NEW_RANGE, "192.0.2.0/24"), name="more.toml")
    for _ in range(2):  # more changes while the watcher reads: an extra override on and off
        assert applied("-t", str(other), ns=gateway.gateway, home=home)["status"] == "applied"
        assert applied("-t", topo, ns=gateway.gateway, home=home)["status"] == "applied"
    counts = counts_seen(watcher)
    assert second["status"] == "applied"
    assert [c["set"] for c in second["changes"]] == ["smtp_inbound_v4", "smtp_outbound_v4"]
    assert len(counts) > 20 and 0 not in counts, counts
    assert set(counts) <= {4, 5, 6}  # old, new, new + override: nothing in between
    assert gateway.answered([NEW_SOURCE, OTHER_SOURCE]) == {NEW_SOURCE: True, OTHER_SOURCE: False}
    assert "chain keep" in run("nft", "list", "table", "ip", "other", ns=gateway.gateway)

    # A version that drops most of EOP is refused by the guard: the kernel keeps what it had.
    store(home, answer(tmp_path, "v3.json", drop=("52.100.0.0/14", "40.92.0.0/15")),
          version(serial=3), "--force")
    before = nft_set(gateway.gateway, "smtp_inbound_v4")
    refused = applied("-t", topo, ns=gateway.gateway, home=home, code=1)
    assert refused["status"] == "refused"
    assert any("kernel set smtp_inbound_v4 loses" in r for r in refused["refused_because"])
    assert nft_set(gateway.gateway, "smtp_inbound_v4") == before
    assert all(gateway.answered(EOP_SOURCES).values())
    assert applied("-t", topo, "--force", ns=gateway.gateway, home=home)["status"] == "applied"
    assert "52.100.0.0/14" not in nft_set(gateway.gateway, "smtp_inbound_v4")


def test_ipset_apply_swap_while_referenced(tmp_path: Path) -> None:
    home, topo = tmp_path / "home", str(topology(tmp_path))
    store(home, answer(tmp_path, "v1.json"), version(serial=1))
    with netns("ipset") as ns:
        assert applied("-t", topo, "--ipset", ns=ns, home=home)["status"] == "applied"
        run("iptables", "-A", "INPUT", "-p", "tcp", "--dport", "25", "-m", "set", "--match-set",
            "hfw_smtp_inbound_v4", "src", "-j", "ACCEPT", ns=ns)
        assert applied("-t", topo, "--ipset", ns=ns, home=home)["status"] == "unchanged"
        store(home, answer(tmp_path, "v2.json", add=(NEW_RANGE,)), version(serial=2))
        watcher = watch(ns, "ipset")
        assert applied("-t", topo, "--ipset", ns=ns, home=home)["status"] == "applied"
        other = str(topology(tmp_path, (NEW_RANGE, "192.0.2.0/24"), name="more.toml"))
        for _ in range(2):  # swapped while the watcher reads and the iptables rule holds the set
            assert applied("-t", other, "--ipset", ns=ns, home=home)["status"] == "applied"
            assert applied("-t", topo, "--ipset", ns=ns, home=home)["status"] == "applied"
        counts = counts_seen(watcher)
        assert len(counts) > 20 and set(counts) <= {4, 5, 6}, counts
        assert {5, 6} <= set(counts)  # it saw the changes
        saved = run("ipset", "save", "hfw_smtp_inbound_v4", ns=ns)
        assert {f"add hfw_smtp_inbound_v4 {c}" for c in [*EOP_V4, NEW_RANGE]} <= set(saved.splitlines())
        names = run("ipset", "list", "-n", ns=ns).split()
        assert not [n for n in names if n.startswith("hfwtmp_")]
        assert "hfw_smtp_inbound_v6" in names
