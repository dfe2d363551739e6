"""Random netfilter rulesets for differential tests: a small model, hypothesis strategies for
it, renderers to iptables-restore and nft text, and a brute-force packet-by-packet evaluator
written straight from the netfilter semantics (independent of hybridfw's parsers/evaluator).

The audited packet is a new TCP SYN from `src` to DST:port arriving on a non-loopback interface.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

DST = "10.99.0.1"
PORTS = (22, 25, 80, 443)
SOURCE_CIDRS = ("10.200.0.0/16", "10.200.0.0/17", "10.200.128.0/18", "10.200.1.0/24",
                "10.200.1.128/25", "10.200.1.7/32", "10.200.3.0/30", "10.201.0.0/16", "10.0.0.0/8")
DEST_CIDRS = ("10.99.0.1/32", "10.99.0.0/16", "10.98.0.0/16", "10.99.0.2/31")
PORT_SPECS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((25, 25),), ((20, 30),), ((22, 22), (25, 25), (80, 80)), ((443, 443),), ((1, 24),), ((26, 1000),))
STATES = ("NEW", "ESTABLISHED,RELATED", "NEW,ESTABLISHED", "INVALID")
IN_IFACE = "vb"  # the interface the audited packets arrive on (the kernel lab's veth end)
IFACES = ("vb", "vb+", "va", "eth9", "v+")  # iptables spelling: a trailing "+" is a wildcard


@dataclass(frozen=True)
class GenRule:
    src: tuple[str, bool] | None = None  # cidr, negated
    dst: tuple[str, bool] | None = None
    proto: tuple[str, bool] | None = None  # "tcp"/"udp", negated
    dports: tuple[tuple[tuple[int, int], ...], bool] | None = None  # only with proto tcp/udp
    state: tuple[str, bool] | None = None
    iface: tuple[str, bool] | None = None  # in-interface name (iptables spelling), negated
    action: str = "ACCEPT"  # ACCEPT DROP REJECT RETURN LOG JUMP GOTO
    target: int = 0  # chain index for JUMP/GOTO


@dataclass(frozen=True)
class GenRuleset:
    policy: str  # ACCEPT or DROP for INPUT
    chains: tuple[tuple[GenRule, ...], ...]  # chains[0] is INPUT, then c1, c2, ...


def _chain_name(index: int) -> str:
    return "INPUT" if index == 0 else f"c{index}"


# The fixed strategies of a rule, made once: a strategy made anew in each draw is validated
# anew each time, which took a tenth of the differential tests' time.
_MAYBE_NEG = st.booleans()
_SRC = st.none() | st.tuples(st.sampled_from(SOURCE_CIDRS), _MAYBE_NEG)
_DST = st.none() | st.tuples(st.sampled_from(DEST_CIDRS), _MAYBE_NEG)
_PROTO = st.none() | st.tuples(st.sampled_from(("tcp", "udp")), _MAYBE_NEG)
_DPORTS = st.none() | st.tuples(st.sampled_from(PORT_SPECS), _MAYBE_NEG)
_STATE = st.none() | st.tuples(st.sampled_from(STATES), _MAYBE_NEG)
_IFACE = st.none() | st.none() | st.tuples(st.sampled_from(IFACES), _MAYBE_NEG)


@st.composite
def gen_rule(draw: st.DrawFn, chain: int, n_chains: int) -> GenRule:
    src = draw(_SRC)
    dst = draw(_DST)
    proto = draw(_PROTO)
    dports = None
    if proto is not None and not proto[1]:
        dports = draw(_DPORTS)
    state = draw(_STATE)
    iface = draw(_IFACE)
    actions = ["ACCEPT", "DROP", "REJECT", "LOG"] + (["RETURN"] if chain else [])
    if chain + 1 < n_chains:
        actions += ["JUMP", "JUMP", "GOTO"]
    action = draw(st.sampled_from(actions))
    target = draw(st.integers(chain + 1, n_chains - 1)) if action in ("JUMP", "GOTO") else 0
    return GenRule(src, dst, proto, dports, state, iface, action, target)


@st.composite
def gen_ruleset(draw: st.DrawFn, max_chains: int = 4, max_rules: int = 6) -> GenRuleset:
    n_chains = draw(st.integers(1, max_chains))
    chains = tuple(
        tuple(draw(st.lists(gen_rule(i, n_chains), min_size=0, max_size=max_rules)))
        for i in range(n_chains))
    return GenRuleset(draw(st.sampled_from(("ACCEPT", "DROP"))), chains)


# -- renderers ------------------------------------------------------------------------------
def _ports_ipt(spec: tuple[tuple[int, int], ...]) -> str:
    parts = [str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in spec]
    return ("-m multiport --dports " if len(parts) > 1 else "--dport ") + ",".join(parts)


def rule_ipt(rule: GenRule, names: Callable[[int], str] = _chain_name) -> str:
    words: list[str] = []
    for flag, value in (("-s", rule.src), ("-d", rule.dst), ("-p", rule.proto)):
        if value is not None:
            words += (["!"] if value[1] else []) + [flag, value[0]]
    if rule.dports is not None and rule.proto is not None:
        spec, neg = rule.dports
        opt = _ports_ipt(spec)
        head, _, tail = opt.rpartition(" ")
        words += [f"-m {rule.proto[0]}"] + ([head.replace("--d", "! --d")] if neg else [head]) + [tail]
    if rule.state is not None:
        words += ["-m conntrack"] + (["!"] if rule.state[1] else []) + ["--ctstate", rule.state[0]]
    if rule.iface is not None:
        words += (["!"] if rule.iface[1] else []) + ["-i", rule.iface[0]]
    if rule.action in ("JUMP", "GOTO"):
        words += ["-j" if rule.action == "JUMP" else "-g", names(rule.target)]
    elif rule.action == "LOG":
        words += ["-j LOG --log-prefix \"hfw \""]
    else:
        words += ["-j", rule.action]
    return " ".join(words)


def to_iptables(rs: GenRuleset) -> str:
    lines = ["*filter", f":INPUT {rs.policy} [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    lines += [f":{_chain_name(i)} - [0:0]" for i in range(1, len(rs.chains))]
    for i, chain in enumerate(rs.chains):
        lines += [f"-A {_chain_name(i)} {rule_ipt(r)}" for r in chain]
    return "\n".join([*lines, "COMMIT", ""])


def _ports_nft(spec: tuple[tuple[int, int], ...]) -> str:
    parts = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in spec]
    return parts[0] if len(parts) == 1 else "{ " + ", ".join(parts) + " }"


def _concat_nft(rule: GenRule) -> str | None:
    """A positive source and port match written as one concatenation (issue 11): `ip saddr .
    tcp dport { 10.200.0.0/16 . 25, 10.200.0.0/16 . 20-30 }`, the same packets as the two
    separate matches."""
    if rule.src is None or rule.src[1] or rule.dports is None or rule.dports[1] or rule.proto is None:
        return None
    elements = ", ".join(f"{rule.src[0]} . {lo if lo == hi else f'{lo}-{hi}'}"
                         for lo, hi in rule.dports[0])
    return f"ip saddr . {rule.proto[0]} dport {{ {elements} }}"


def rule_nft(rule: GenRule, names: Callable[[int], str] = _chain_name) -> str:
    words: list[str] = []
    concat = _concat_nft(rule)
    for key, value in (("ip saddr", None if concat else rule.src), ("ip daddr", rule.dst)):
        if value is not None:
            words.append(f"{key} {'!= ' if value[1] else ''}{value[0]}")
    if rule.proto is not None:
        words.append(f"meta l4proto {'!= ' if rule.proto[1] else ''}{rule.proto[0]}")
    if concat is not None:
        words.append(concat)
    elif rule.dports is not None and rule.proto is not None:
        spec, neg = rule.dports
        words.append(f"{rule.proto[0]} dport {'!= ' if neg else ''}{_ports_nft(spec)}")
    if rule.state is not None:
        words.append(f"ct state {'!= ' if rule.state[1] else ''}{rule.state[0].lower()}")
    if rule.iface is not None:
        name = rule.iface[0][:-1] + "*" if rule.iface[0].endswith("+") else rule.iface[0]
        words.append(f'iifname {"!= " if rule.iface[1] else ""}"{name}"')
    verdicts = {"ACCEPT": "accept", "DROP": "drop", "REJECT": "reject", "RETURN": "return",
                "LOG": 'log prefix "hfw "'}
    if rule.action in ("JUMP", "GOTO"):
        words.append(f"{rule.action.lower()} {names(rule.target)}")
    else:
        words.append(verdicts[rule.action])
    return " ".join(words)


def to_nft(rs: GenRuleset) -> str:
    lines = ["table ip hfwtest {"]
    for i in range(len(rs.chains) - 1, -1, -1):  # targets before their callers
        lines.append(f"\tchain {_chain_name(i)} {{")
        if i == 0:
            lines.append(f"\t\ttype filter hook input priority filter; policy {rs.policy.lower()};")
        lines += [f"\t\t{rule_nft(r)}" for r in rs.chains[i]]
        lines.append("\t}")
    return "\n".join([*lines, "}", ""])


# -- brute force ----------------------------------------------------------------------------
def _in(cidr: str, address: str) -> bool:
    return ipaddress.ip_address(address) in ipaddress.ip_network(cidr)


def _state_holds(states: str, negated: bool, dialect: str) -> bool:
    """A new connection against a conntrack state match. iptables: "NEW in the list" (negated
    by !). nft compares a bitmask with != as a whole value: != X holds unless X is {new}."""
    names = set(states.split(","))
    if negated and dialect == "nft":
        return names != {"NEW"}
    return ("NEW" in names) != negated


def _matches(rule: GenRule, src: str, port: int, dialect: str) -> bool:
    checks = []
    if rule.src is not None:
        checks.append(_in(rule.src[0], src) != rule.src[1])
    if rule.dst is not None:
        checks.append(_in(rule.dst[0], DST) != rule.dst[1])
    if rule.proto is not None:
        checks.append((rule.proto[0] == "tcp") != rule.proto[1])
    if rule.dports is not None:
        spec, neg = rule.dports
        checks.append(any(lo <= port <= hi for lo, hi in spec) != neg)
    if rule.state is not None:
        checks.append(_state_holds(rule.state[0], rule.state[1], dialect))
    if rule.iface is not None:
        name, negated = rule.iface
        same = IN_IFACE.startswith(name[:-1]) if name.endswith("+") else name == IN_IFACE
        checks.append(same != negated)
    return all(checks)


def run_chain(rs: GenRuleset, chain: int, src: str, port: int, dialect: str) -> str:
    for rule in rs.chains[chain]:
        if not _matches(rule, src, port, dialect) or rule.action == "LOG":
            continue
        if rule.action in ("ACCEPT", "DROP", "REJECT"):
            return "ACCEPT" if rule.action == "ACCEPT" else "DROP"
        if rule.action == "RETURN":
            return "RETURN"
        verdict = run_chain(rs, rule.target, src, port, dialect)
        if rule.action == "GOTO" or verdict != "RETURN":
            return verdict
    return "RETURN"


def brute_force_accepts(rs: GenRuleset, src: str, port: int, dialect: str = "iptables") -> bool:
    verdict = run_chain(rs, 0, src, port, dialect)
    return (rs.policy if verdict == "RETURN" else verdict) == "ACCEPT"


def sample_sources() -> list[str]:
    """Every CIDR's edges (first, last, one below, one above) plus a few inside."""
    out: set[str] = {"10.200.1.7", "10.200.77.77", "10.202.0.1"}
    for cidr in SOURCE_CIDRS:
        net = ipaddress.ip_network(cidr)
        lo, hi = int(net.network_address), int(net.broadcast_address)
        for value in (lo, hi, lo - 1, hi + 1, (lo + hi) // 2):
            out.add(str(ipaddress.IPv4Address(value)))
    return sorted(out, key=lambda a: int(ipaddress.IPv4Address(a)))
