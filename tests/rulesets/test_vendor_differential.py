"""Differential property test: random first-match policies written in each vendor syntax, parsed
and evaluated on address sets by hybridfw, must give the same verdict for sampled packets as a
brute-force evaluation of the same policy (`_support.policies`, with `ipaddress`)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.policies import (
    Net,
    Policy,
    assert_matches_oracle,
    first_match,
    policies,
    sample_points,
)
from hybridfw.addresses import AddressSet
from hybridfw.audit.evaluate import Evaluator, Probe
from hybridfw.rulesets import parsers


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


EXTRA = st.lists(st.integers(0, 2**32 - 1), max_size=3)
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)


@PROPERTY
@given(rules=policies(negation=False, disabling=False), extra=EXTRA)
def test_asa_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    assert_matches_oracle("asa", *asa_text(rules), rules, extra)


@PROPERTY
@given(rules=policies(negation=True, disabling=False), extra=EXTRA)
def test_panos_set_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    assert_matches_oracle("panos-set", *panos_set_text(rules), rules, extra)


@PROPERTY
@given(rules=policies(negation=True, disabling=False), extra=EXTRA)
def test_pfsense_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    assert_matches_oracle("pfsense", *pfsense_text(rules), rules, extra)


@PROPERTY
@given(in_rules=policies(negation=False, disabling=False),
       out_rules=policies(negation=False, disabling=False), extra=EXTRA)
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
                expected = (first_match(in_rules, src, dst, port, False)
                            and first_match(out_rules, src, dst, port, False))
                assert accepted.contains_address(src, 4) == expected, (src, dst, port, text)
