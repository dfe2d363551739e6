"""Kernel-differential test for routed traffic: client ns -> gateway ns -> server ns.

One random ruleset has an INPUT tree (the gateway as a host), a FORWARD tree (the gateway as a
router) and nat PREROUTING DNAT rules publishing the server under a public address. It is
loaded into the gateway; SYNs from sampled sources go to the gateway's own address (INPUT), to
the server's address (FORWARD) and to the public address (DNAT, then FORWARD). The audit of
what the kernel hands back (`iptables-save`, `nft list ruleset`, `nft -j list ruleset`) with
placement host (the gateway's address) and gateway (the server's and the public address) must
give the kernel's verdict for every source and port.

Needs root, iproute2, iptables and nft: without them the test fails (it never skips).
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _support.kernel_lab import LISTENER, PROBE
from _support.netns import netns, run
from _support.random_rulesets import (
    IN_IFACE,
    PORT_SPECS,
    PORTS,
    SOURCE_CIDRS,
    GenRule,
    GenRuleset,
    gen_ruleset,
    rule_ipt,
    rule_nft,
    sample_sources,
)
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_files
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.audit.paths import flow_paths
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets.model import Ruleset

pytestmark = [pytest.mark.root, pytest.mark.slow]
SERVER = "10.99.0.1"  # behind the gateway
GATEWAY = "10.99.0.2"  # the gateway's own address (host placement)
PUBLIC = "10.99.0.3"  # DNATed to SERVER by the nat rules (the server owns it too: untranslated
# packets that FORWARD lets through are answered, so the kernel shows FORWARD's verdict)
SOURCES = sample_sources()[::3]  # every third sample: a few seconds per example


@dataclass(frozen=True)
class GenNat:
    src: str | None  # source CIDR
    dports: tuple[tuple[int, int], ...] | None
    to_port: int | None  # DNAT to SERVER[:to_port]
    accept: bool  # an ACCEPT (no translation) instead of a DNAT


@dataclass(frozen=True)
class Routed:
    host: GenRuleset  # INPUT tree
    gateway: GenRuleset  # FORWARD tree
    nat: tuple[GenNat, ...]


_GEN_NAT = st.builds(GenNat, st.none() | st.sampled_from(SOURCE_CIDRS),
                     st.none() | st.sampled_from(PORT_SPECS), st.none() | st.sampled_from(PORTS),
                     st.booleans())


@st.composite
def gen_routed(draw: st.DrawFn) -> Routed:
    return Routed(draw(gen_ruleset(max_chains=2, max_rules=4)),
                  draw(gen_ruleset(max_chains=2, max_rules=4)),
                  tuple(draw(st.lists(_GEN_NAT, max_size=3))))


def _names(root: str, prefix: str) -> Callable[[int], str]:
    return lambda i: root if i == 0 else f"{prefix}{i}"


def _nat_ipt(rule: GenNat) -> str:
    words = [f"-A PREROUTING -d {PUBLIC}/32 -p tcp"]
    words += [f"-s {rule.src}"] if rule.src else []
    if rule.dports:
        parts = [str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in rule.dports]
        words += [f"-m multiport --dports {','.join(parts)}"]
    to = SERVER if rule.to_port is None else f"{SERVER}:{rule.to_port}"
    words += ["-j ACCEPT"] if rule.accept else [f"-j DNAT --to-destination {to}"]
    return " ".join(words)


def to_iptables(rs: Routed) -> str:
    lines = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
             ":POSTROUTING ACCEPT [0:0]", *map(_nat_ipt, rs.nat), "COMMIT", "*filter",
             f":INPUT {rs.host.policy} [0:0]", f":FORWARD {rs.gateway.policy} [0:0]",
             ":OUTPUT ACCEPT [0:0]"]
    for tree, root, prefix in ((rs.host, "INPUT", "h"), (rs.gateway, "FORWARD", "g")):
        names = _names(root, prefix)
        lines += [f":{names(i)} - [0:0]" for i in range(1, len(tree.chains))]
        for i, chain in enumerate(tree.chains):
            lines += [f"-A {names(i)} {rule_ipt(r, names)}" for r in chain]
    return "\n".join([*lines, "COMMIT", ""])


def _nat_nft(rule: GenNat) -> str:
    words = [f"ip daddr {PUBLIC}"] + ([f"ip saddr {rule.src}"] if rule.src else [])
    if rule.dports:
        parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in rule.dports]
        words.append("tcp dport { " + ", ".join(parts) + " }")
    else:
        words.append("meta l4proto tcp")
    to = SERVER if rule.to_port is None else f"{SERVER}:{rule.to_port}"
    words.append("accept" if rule.accept else f"dnat to {to}")
    return " ".join(words)


def to_nft(rs: Routed) -> str:
    lines = ["table ip hfwnat {", "\tchain prerouting {",
             "\t\ttype nat hook prerouting priority dstnat; policy accept;",
             *(f"\t\t{_nat_nft(r)}" for r in rs.nat), "\t}", "}", "table ip hfwtest {"]
    for tree, root, prefix, hook in ((rs.host, "INPUT", "h", "input"),
                                     (rs.gateway, "FORWARD", "g", "forward")):
        names = _names(root, prefix)
        for i in range(len(tree.chains) - 1, -1, -1):  # targets before their callers
            lines.append(f"\tchain {names(i)} {{")
            if i == 0:
                lines.append(f"\t\ttype filter hook {hook} priority filter; "
                             f"policy {tree.policy.lower()};")
            lines += [f"\t\t{rule_nft(r, names)}" for r in tree.chains[i]]
            lines.append("\t}")
    return "\n".join([*lines, "}", ""])


class RoutedLab:
    """client (`ca`) -> gateway (`vb` from the client, `vo` to the server) -> server (`vs`),
    with listeners on PORTS in the gateway and the server."""

    def __init__(self, client: str, gateway: str, server: str) -> None:
        self.client, self.gateway, self.server = client, gateway, server
        run("ip", "-n", client, "link", "add", "ca", "type", "veth", "peer", "name", IN_IFACE,
            "netns", gateway)
        run("ip", "-n", gateway, "link", "add", "vo", "type", "veth", "peer", "name", "vs",
            "netns", server)
        client_cmds = ["link set ca up", "addr add 10.97.0.2/24 dev ca",
                       "route add 10.99.0.0/16 via 10.97.0.1 dev ca",
                       *(f"addr add {src}/32 dev ca" for src in SOURCES)]
        run("ip", "-n", client, "-batch", "-", stdin="\n".join(client_cmds) + "\n")
        gateway_cmds = [f"link set {IN_IFACE} up", f"addr add 10.97.0.1/24 dev {IN_IFACE}",
                        "link set vo up", "addr add 10.96.0.1/24 dev vo",
                        f"addr add {GATEWAY}/32 dev vo", f"route add {SERVER}/32 dev vo",
                        f"route add {PUBLIC}/32 dev vo",
                        f"route add default via 10.97.0.2 dev {IN_IFACE}"]
        run("ip", "-n", gateway, "-batch", "-", stdin="\n".join(gateway_cmds) + "\n")
        run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1", ns=gateway)
        server_cmds = ["link set vs up", "addr add 10.96.0.2/24 dev vs",
                       f"addr add {SERVER}/32 dev vs", f"addr add {PUBLIC}/32 dev vs",
                       "route add default via 10.96.0.1 dev vs"]
        run("ip", "-n", server, "-batch", "-", stdin="\n".join(server_cmds) + "\n")
        self.listeners = [self._listen(ns) for ns in (gateway, server)]

    @staticmethod
    def _listen(ns: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", LISTENER,
                                 *map(str, PORTS)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return proc

    def kernel_verdicts(self) -> dict[tuple[str, str, int], bool]:
        triples = [(src, port, dst) for dst in (GATEWAY, SERVER, PUBLIC) for port in PORTS
                   for src in SOURCES]
        out = run("ip", "netns", "exec", self.client, sys.executable, str(PROBE), SERVER, "0.6",
                  json.dumps(triples))
        return {(dst, src, port): verdict == "accept"
                for (src, port, dst), verdict in zip(triples, json.loads(out), strict=True)}

    def close(self) -> None:
        for proc in self.listeners:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def lab() -> Iterator[RoutedLab]:
    with netns("cli") as client, netns("gw") as gateway, netns("srv") as server:
        lab = RoutedLab(client, gateway, server)
        try:
            yield lab
        finally:
            lab.close()


def audited(ruleset: Ruleset, dst: str, port: int, placement: str) -> AddressSet:
    """The sources hybridfw says the kernel accepts for `dst`:`port` on the placement's path
    (none may be unknown: every condition of these rulesets is decidable)."""
    (path,) = flow_paths(ruleset, "inbound", placement, IN_IFACE, None)  # type: ignore[arg-type]
    probe = Probe("destination", int(ipaddress.IPv4Address(dst)), 4, port, in_interface=IN_IFACE)
    outcome = Evaluator(ruleset).run_entry(path.entry, probe, AddressSet.any(4))
    assert not outcome.unknown, [d.reason for d in outcome.unknown]
    return outcome.accepted_set()


def compare(lab: RoutedLab, dumps: dict[str, str]) -> None:
    kernel = lab.kernel_verdicts()
    for fmt, text in dumps.items():
        ruleset = parse_text(text, f"kernel.{fmt}", fmt)
        for dst, placement in ((GATEWAY, "host"), (SERVER, "gateway"), (PUBLIC, "gateway")):
            for port in PORTS:
                accepted = audited(ruleset, dst, port, placement)
                wrong = [src for src in SOURCES
                         if accepted.contains_address(src) != kernel[(dst, src, port)]]
                assert not wrong, (f"{fmt} {placement} {dst}:{port}: hybridfw disagrees with the "
                                   f"kernel for {wrong}\n{text}")


SETTINGS = settings(max_examples=2, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Always run too: port 80 of the public address from 10.200/16 is DNATed to the server's port
# 25, which FORWARD admits (the server's own address only); INPUT admits port 22 only.
PUBLISHED = Routed(
    GenRuleset("DROP", ((GenRule(proto=("tcp", False), dports=(((22, 22),), False)),),)),
    GenRuleset("DROP", ((GenRule(dst=(f"{SERVER}/32", False), proto=("tcp", False),
                                 dports=(((25, 25),), False)),),)),
    (GenNat("10.200.0.0/16", ((80, 80),), 25, False),))


@SETTINGS
@example(gen=PUBLISHED)
@given(gen=gen_routed())
def test_iptables_routed_verdicts_match_kernel(lab: RoutedLab, gen: Routed) -> None:
    run("nft", "flush", "ruleset", ns=lab.gateway)
    run("iptables-restore", ns=lab.gateway, stdin=to_iptables(gen))
    for chain in ("INPUT", "FORWARD"):  # every packet after the SYN passes (see the host lab)
        run("iptables", "-I", chain, "1", "-p", "tcp", "!", "--syn", "-j", "ACCEPT", ns=lab.gateway)
    compare(lab, {"iptables": run("iptables-save", ns=lab.gateway)})


@SETTINGS
@example(gen=PUBLISHED)
@given(gen=gen_routed())
def test_nft_routed_verdicts_match_kernel(lab: RoutedLab, gen: Routed) -> None:
    run("nft", "-f", "-", ns=lab.gateway, stdin="flush ruleset\n" + to_nft(gen))
    for chain in ("INPUT", "FORWARD"):
        run("nft", "insert", "rule", "ip", "hfwtest", chain, "tcp", "flags", "!=", "syn",
            "accept", ns=lab.gateway)
    compare(lab, {"nft": run("nft", "list", "ruleset", ns=lab.gateway),
                  "nft-json": run("nft", "-j", "list", "ruleset", ns=lab.gateway)})


# A DNAT reached only through a conditional jump or goto from the prerouting chain, in a table
# not called nat: port 80 of the public address from 10.200/16 is DNATed to the server's port
# 25, which FORWARD drops; any other source reaches the public address untranslated, and the
# FORWARD policy accepts it. The audit's scoped parse must keep that DROP (it names neither the
# audited address nor port), and the jump's condition decides which sources are translated.
JUMPED_NFT = f"""table ip hfwgw {{
\tchain pre {{
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\tip saddr 10.200.0.0/16 CALL publish
\t}}
\tchain publish {{
\t\tip daddr {PUBLIC} tcp dport 80 dnat to {SERVER}:25
\t}}
\tchain gwforward {{
\t\ttype filter hook forward priority filter; policy accept;
\t\tip daddr {SERVER} tcp dport 25 drop
\t}}
}}
"""
JUMPED_IPT = f"""*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:PUBLISH - [0:0]
-A PREROUTING -s 10.200.0.0/16 CALL PUBLISH
-A PUBLISH -d {PUBLIC}/32 -p tcp --dport 80 -j DNAT --to-destination {SERVER}:25
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -d {SERVER}/32 -p tcp --dport 25 -j DROP
COMMIT
"""


@pytest.mark.parametrize("call", ["jump", "goto"])
def test_dnat_behind_a_conditional_jump_matches_kernel(lab: RoutedLab, tmp_path: Path,
                                                       call: str) -> None:
    run("nft", "flush", "ruleset", ns=lab.gateway)
    run("iptables-restore", ns=lab.gateway,
        stdin=JUMPED_IPT.replace("CALL", "-j" if call == "jump" else "-g"))
    dumps = {"iptables": run("iptables-save", ns=lab.gateway)}
    iptables_kernel = lab.kernel_verdicts()
    run("nft", "-f", "-", ns=lab.gateway,
        stdin="flush ruleset\n" + JUMPED_NFT.replace("CALL", call))
    nft_kernel = lab.kernel_verdicts()
    dumps |= {"nft": run("nft", "list", "ruleset", ns=lab.gateway),
              "json": run("nft", "-j", "list", "ruleset", ns=lab.gateway)}
    assert iptables_kernel == nft_kernel
    translated = [src for src in SOURCES if src.startswith("10.200.")]
    assert translated and all(not nft_kernel[(PUBLIC, s, 80)] for s in translated)
    assert any(nft_kernel[(PUBLIC, s, 80)] for s in SOURCES)  # the others pass untranslated
    flow = Flow(id="web-inbound", direction="inbound", protocol="tcp", ports=(80,),
                sources=AddressSet.parse(SOURCES), destinations=AddressSet.parse([PUBLIC]),
                reason="test")
    for suffix, text in dumps.items():
        path = tmp_path / f"kernel.{suffix}"
        path.write_text(text)
        result = audit_files([path], [flow], interfaces=Interfaces(placement="gateway"))
        (row,) = [r for r in result.flows if r.address == PUBLIC]
        assert not row.unknown, (suffix, row.evidence)
        wrong = [s for s in SOURCES if row.allowed.contains_address(s) != nft_kernel[(PUBLIC, s, 80)]]
        assert not wrong, f"{suffix}: hybridfw disagrees with the kernel for {wrong}\n{text}"
