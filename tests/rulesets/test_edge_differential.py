"""Differential property tests for the edge formats: random policies written in each syntax,
parsed and evaluated on address sets by hybridfw, must give the verdict a brute-force
evaluation of the same policy (written here with `ipaddress`, packet by packet) gives.

FortiGate and SRX are first-match with an implicit deny; the Windows Firewall is not: a matching
block rule wins over every allow rule, and the profile's default action applies last."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.policies import Net, Oracle, Policy, assert_matches_oracle, first_match, policies


def block_wins(rules: list[Policy], src: int, dst: int, port: int, default: bool) -> bool:
    """Windows Defender Firewall: any matching block, else any matching allow, else default."""
    hits = [r for r in rules if r.matches(src, dst, port)]
    if any(not r.permit for r in hits):
        return False
    return True if hits else default


def _fgt_name(net: Net, names: dict[str, str], lines: list[str]) -> str:
    if net.prefixlen == 0:
        return "all"
    if str(net) not in names:
        names[str(net)] = f"n{len(names)}"
        lines += [f'    edit "{names[str(net)]}"', f"        set subnet {net.network_address} {net.netmask}",
                  "    next"]
    return names[str(net)]


def fortigate_text(rules: list[Policy]) -> tuple[str, str, bool]:
    objects: list[str] = []
    services: list[str] = []
    policy: list[str] = []
    names: dict[str, str] = {}
    for i, r in enumerate(reversed(rules)):  # IDs descending: table order, not the ID, decides
        service = "ALL"
        if r.ports is not None:
            service = f"svc{i}"
            services += [f'    edit "{service}"', f"        set tcp-portrange {r.ports[0]}-{r.ports[1]}",
                         "    next"]
        src, dst = _fgt_name(r.src, names, objects), _fgt_name(r.dst, names, objects)
        policy.insert(0, f"""    edit {i + 1}
        set srcintf "port1"
        set dstintf "port2"
        set srcaddr "{src}"
        set dstaddr "{dst}"
        {'set action accept' if r.permit else 'set action deny' if i % 2 else ''}
        set schedule "always"
        set service "{service}"
        {'set srcaddr-negate enable' if r.negate_src else ''}
        {'' if r.enabled else 'set status disable'}
    next""")
    text = ("config firewall address\n" + "\n".join(objects) + "\nend\nconfig firewall service custom\n"
            + "\n".join(services) + "\nend\nconfig firewall policy\n" + "\n".join(policy) + "\nend\n")
    return text, "port1 -> port2", False


Writer = Callable[[list[Policy]], tuple[str, str, bool]]


def check(fmt: str, writer: Writer, rules: list[Policy], extra: list[int],
          oracle: Oracle = first_match) -> None:
    text, entry_name, default = writer(rules)
    assert_matches_oracle(fmt, text, entry_name, rules, extra, default=default, oracle=oracle)


EXTRA = st.lists(st.integers(0, 2**32 - 1), max_size=3)
PROPERTY = settings(max_examples=examples(40), deadline=None, derandomize=True)


@PROPERTY
@given(rules=policies(), extra=EXTRA)
def test_fortigate_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    check("fortigate", fortigate_text, rules, extra)


def windows_netsh_text(rules: list[Policy], default_allow: bool) -> tuple[str, str, bool]:
    from _support.edge_writers import netsh_profiles, netsh_rule

    parts = [netsh_profiles("AllowInbound,AllowOutbound" if default_allow else "BlockInbound,AllowOutbound")]
    for i, r in enumerate(rules):
        ports = "Any" if r.ports is None else f"{r.ports[0]}-{r.ports[1]}"
        remote = "Any" if r.src.prefixlen == 0 else f"{r.src.network_address}/{r.src.netmask}"
        local = "Any" if r.dst.prefixlen == 0 else str(r.dst)
        parts.append(netsh_rule(f"r{i}", "Allow" if r.permit else "Block", remote, ports,
                                enabled="Yes" if r.enabled else "No", local=local) + "\n")
    return "".join(parts) + "Ok.\n", "input", default_allow


@PROPERTY
@given(rules=policies(negation=False), extra=EXTRA, default_allow=st.booleans())
def test_windows_block_beats_allow_then_default(rules: list[Policy], extra: list[int],
                                                default_allow: bool) -> None:
    check("windows-netsh", lambda r: windows_netsh_text(r, default_allow), rules, extra, block_wins)


def test_block_wins_oracle_is_not_first_match() -> None:
    """The oracle itself: an allow listed before a block loses, and nothing matched takes the default."""
    net = Net("10.0.0.0/24")
    rules = [Policy(True, net, net, None), Policy(False, net, net, None)]
    src = int(net.network_address) + 1
    assert first_match(rules, src, src, 25, False) is True
    assert block_wins(rules, src, src, 25, False) is False
    assert block_wins(rules, 0, 0, 25, True) is True


def srx_set_text(rules: list[Policy]) -> tuple[str, str, bool]:
    lines = ["set security zones security-zone a interfaces ge-0/0/0.0",
             "set security zones security-zone b interfaces ge-0/0/1.0"]
    prefix = "set security policies from-zone a to-zone b policy"
    for i, r in enumerate(rules):
        app = "any"
        if r.ports is not None:
            app = f"app{i}"
            lines += [f"set applications application {app} protocol tcp",
                      f"set applications application {app} destination-port {r.ports[0]}-{r.ports[1]}"]
        src = "any" if r.src.prefixlen == 0 else str(r.src)
        dst = "any" if r.dst.prefixlen == 0 else str(r.dst)
        lines += [f"{prefix} p{i} match source-address {src}",
                  f"{prefix} p{i} match destination-address {dst}",
                  f"{prefix} p{i} match application {app}",
                  f"{prefix} p{i} then {'permit' if r.permit else 'deny'}"]
        if r.negate_src:
            lines.append(f"{prefix} p{i} match source-address-excluded")
        if not r.enabled:
            lines.append(f"deactivate security policies from-zone a to-zone b policy p{i}")
    return "\n".join(lines) + "\n", "a -> b", False


@PROPERTY
@given(rules=policies(), extra=EXTRA)
def test_srx_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    check("srx", srx_set_text, rules, extra)


def _opn_side(net: Net, negate: bool, port: str = "") -> str:
    addr = "<any/>" if net.prefixlen == 0 else f"<address>{net}</address>"
    return ("<not/>" if negate else "") + addr + (f"<port>{port}</port>" if port else "")


def opnsense_text(rules: list[Policy]) -> tuple[str, str, bool]:
    body = []
    for r in rules:
        port = "" if r.ports is None else f"{r.ports[0]}-{r.ports[1]}"
        body.append(f"<rule><type>{'pass' if r.permit else 'block'}</type><interface>wan</interface>"
                    + ("" if r.enabled else "<disabled>1</disabled>")
                    + f"<ipprotocol>inet</ipprotocol><protocol>tcp</protocol>"
                    f"<source>{_opn_side(r.src, r.negate_src)}</source>"
                    f"<destination>{_opn_side(r.dst, False, port)}</destination></rule>")
    text = ("<opnsense><interfaces><wan><if>igb0</if></wan></interfaces><filter>"
            + "\n".join(body) + "</filter></opnsense>\n")
    return text, "wan", False


@PROPERTY
@given(rules=policies(), extra=EXTRA)
def test_opnsense_matches_brute_force(rules: list[Policy], extra: list[int]) -> None:
    check("opnsense", opnsense_text, rules, extra)
