"""Differential property test: random first-match policies written in each vendor syntax, parsed
and evaluated on address sets by hybridfw, must give the same verdict for sampled packets as a
brute-force evaluation of the same policy written here with `ipaddress`."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.policies import draw_net, sample_points
from hybridfw.addresses import AddressSet
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.rulesets import parsers

Net = ipaddress.IPv4Network


@dataclass(frozen=True)
class Policy:
    """One rule of the abstract policy: first match wins, default deny."""

    permit: bool
    src: Net
    dst: Net
    ports: tuple[int, int] | None
    negate_src: bool = False

    def matches(self, src: int, dst: int, port: int) -> bool:
        in_src = ipaddress.IPv4Address(src) in self.src
        return (in_src != self.negate_src and ipaddress.IPv4Address(dst) in self.dst
                and (self.ports is None or self.ports[0] <= port <= self.ports[1]))


@st.composite
def policies(draw: st.DrawFn, negation: bool) -> list[Policy]:
    out = []
    for _ in range(draw(st.integers(1, 7))):
        ports = draw(st.none() | st.tuples(st.integers(20, 30), st.integers(0, 4)).map(
            lambda t: (t[0], t[0] + t[1])))
        out.append(Policy(draw(st.booleans()), draw_net(draw), draw_net(draw), ports,
                          negation and draw(st.integers(0, 3)) == 0))
    return out


def _asa_net(net: Net) -> str:
    if net.prefixlen == 0:
        return "any4"
    if net.prefixlen == 32:
        return f"host {net.network_address}"
    return f"{net.network_address} {net.netmask}"


def asa_text(rules: list[Policy]) -> tuple[str, str]:
    lines = ["ASA Version 9.18(2)"]
    for r in rules:
        port = "" if r.ports is None else f" range {r.ports[0]} {r.ports[1]}"
        lines.append(f"access-list T extended {'permit' if r.permit else 'deny'} tcp "
                     f"{_asa_net(r.src)} {_asa_net(r.dst)}{port}")
    return "\n".join([*lines, "access-group T in interface outside"]) + "\n", "outside in"


def panos_set_text(rules: list[Policy]) -> tuple[str, str]:
    lines = ["set zone a network layer3 ethernet1/1", "set zone b network layer3 ethernet1/2"]
    for i, r in enumerate(rules):
        service = "any"
        if r.ports is not None:
            service = f"svc{i}"
            lines.append(f"set service svc{i} protocol tcp port {r.ports[0]}-{r.ports[1]}")
        src = "any" if r.src.prefixlen == 0 else str(r.src)
        dst = "any" if r.dst.prefixlen == 0 else str(r.dst)
        lines.append(f"set rulebase security rules r{i} from a to b source {src} destination {dst} "
                     f"application any service {service} action {'allow' if r.permit else 'deny'}"
                     + (" negate-source yes" if r.negate_src else ""))
    return "\n".join(lines) + "\n", "a -> b"


def _pf_side(net: Net, negate: bool, port: str = "") -> str:
    addr = "<any/>" if net.prefixlen == 0 else f"<address>{net}</address>"
    return ("<not/>" if negate else "") + addr + (f"<port>{port}</port>" if port else "")


def pfsense_text(rules: list[Policy]) -> tuple[str, str]:
    body = []
    for r in rules:
        port = "" if r.ports is None else f"{r.ports[0]}:{r.ports[1]}"
        body.append(f"<rule><type>{'pass' if r.permit else 'block'}</type><interface>wan</interface>"
                    f"<ipprotocol>inet</ipprotocol><protocol>tcp</protocol>"
                    f"<source>{_pf_side(r.src, r.negate_src)}</source>"
                    f"<destination>{_pf_side(r.dst, False, port)}</destination></rule>")
    text = ("<pfsense><interfaces><wan><if>igb0</if></wan></interfaces><filter>"
            + "\n".join(body) + "</filter></pfsense>\n")
    return text, "wan"


def _check(fmt: str, text: str, entry_name: str, rules: list[Policy], extra: list[int]) -> None:
    ruleset = parsers()[fmt].parse(text, "random")
    evaluator = Evaluator(ruleset)
    (entry,) = [e for e in ruleset.entries if e.name == entry_name]
    addresses, ports = sample_points(rules, extra)
    for dst in addresses[::3]:
        for port in ports:
            outcome = evaluator.run_entry(entry, Probe("destination", dst, 4, port),
                                          AddressSet(v4=[(a, a) for a in addresses]))
            assert not outcome.unknown_set()
            accepted = outcome.accepted_set()
            for src in addresses:
                first = next((r for r in rules if r.matches(src, dst, port)), None)
                expected = first is not None and first.permit
                assert accepted.contains_address(src, 4) == expected, (src, dst, port, text)


EXTRA = st.lists(st.integers(0, 2**32 - 1), max_size=3)
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)


@PROPERTY
@given(rules=policies(negation=False), extra=EXTRA)
def test_asa_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    _check("asa", *asa_text(rules), rules, extra)


@PROPERTY
@given(rules=policies(negation=True), extra=EXTRA)
def test_panos_set_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    _check("panos-set", *panos_set_text(rules), rules, extra)


@PROPERTY
@given(rules=policies(negation=True), extra=EXTRA)
def test_pfsense_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    _check("pfsense", *pfsense_text(rules), rules, extra)


def _first_permits(rules: list[Policy], src: int, dst: int, port: int) -> bool:
    first = next((r for r in rules if r.matches(src, dst, port)), None)
    return first is not None and first.permit


@PROPERTY
@given(in_rules=policies(negation=False), out_rules=policies(negation=False), extra=EXTRA)
def test_asa_in_then_out_acl_matches_brute_force(in_rules: list[Policy], out_rules: list[Policy],
                                                 extra: list[int]) -> None:
    """An `in` ACL on outside and an `out` ACL on inside: a packet from outside to inside
    passes both (issue 11), so it is accepted only when each ACL's first match permits it."""
    from hybridfw.audit.paths import flow_paths

    text, _ = asa_text(in_rules)
    out_text, _ = asa_text(out_rules)
    out_lines = [line.replace("access-list T ", "access-list U ")
                 for line in out_text.splitlines() if line.startswith("access-list")]
    text += "\n".join([*out_lines, "access-group U out interface inside"]) + "\n"
    ruleset = parsers()["asa"].parse(text, "random")
    (path,) = flow_paths(ruleset, "inbound", None, "outside", "inside")
    assert path.entry.name == "outside in -> inside out"
    evaluator = Evaluator(ruleset)
    addresses, ports = sample_points(in_rules + out_rules, extra)
    for dst in addresses[::3]:
        for port in ports:
            outcome = evaluator.run_entry(path.entry, Probe("destination", dst, 4, port),
                                          AddressSet(v4=[(a, a) for a in addresses]))
            assert not outcome.unknown_set()
            accepted = outcome.accepted_set()
            for src in addresses:
                expected = (_first_permits(in_rules, src, dst, port)
                            and _first_permits(out_rules, src, dst, port))
                assert accepted.contains_address(src, 4) == expected, (src, dst, port, text)
