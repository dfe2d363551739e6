"""The scoped nft text parse keeps rules with a leading source as compact records
(`_nft_records`), built only when walked. Checked on random rulesets of every table family
with IPv4 and IPv6 sources (single networks, anonymous and named sets, negated), shapes with a
source condition of their own, verdict maps and jumps: every rule a record builds is the rule
the full parse reads, at the same place, exactly those the scope needs are kept, and the audits
agree (rows, evidence, shadows)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.audit import audit_summary
from _support.hypo import examples
from hybridfw.addresses import AddressSet
from hybridfw.audit import Interfaces, audit_ruleset, audit_scope
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text
from hybridfw.rulesets.lazy import LazyRules
from hybridfw.rulesets.model import Action, Rule

V4 = ("10.1.0.0/16", "10.1.2.3", "40.92.0.0/15", "192.0.2.10", "0.0.0.0/0")
V6 = ("2001:db8::/32", "2001:db8::10", "2a01:111:f400::/48", "::/0")
ONPREM_V4, ONPREM_V6 = ("192.0.2.10", "10.1.2.3"), ("2001:db8::10",)

_family = st.sampled_from(("ip", "ip6"))



def _call(rule: Rule) -> bool:
    """A jump or goto (a missing target makes it unknown, labelled "jump NAME"): the scoped
    parse keeps every one, whatever the scope (the kernel's loop check needs them all)."""
    return rule.action in (Action.JUMP, Action.GOTO) or rule.label.startswith(("jump ", "goto "))

def test_a_scoped_parse_keeps_records_and_builds_them_when_walked() -> None:
    text = """table ip f {
\tset partners { type ipv4_addr; flags interval; elements = { 40.92.0.0/15, 40.107.0.0/16 } }
\tchain input {
\t\ttype filter hook input priority 0; policy drop;
\t\tip saddr @partners tcp dport 25 jump smtp
\t\tip saddr != 10.0.0.0/8 tcp dport 25 drop
\t}
\tchain smtp {
\t\tip saddr 40.92.1.0/24 ip daddr 192.0.2.10 accept
\t}
}
"""
    flow = Flow("smtp", "inbound", "tcp", (25,), AddressSet.parse(["40.92.0.0/15"]),
                AddressSet.parse(["192.0.2.10"]), "test")
    ruleset = parse_text(text, "f.nft", "nft", audit_scope([flow]))
    chains = {c.name: c for c in ruleset.chains.values()}
    assert isinstance(chains["input"].rules, LazyRules) and not chains["input"].rules.built
    (row,) = audit_ruleset(ruleset, [flow]).flows
    assert row.allowed == AddressSet.parse(["40.92.1.0/24"])
    assert row.evidence["allowed"] == ("f.nft:9: ip saddr 40.92.1.0/24 ip daddr 192.0.2.10 accept",)
    first = chains["input"].rules[0]
    assert first.target == chains["smtp"].key and first.origin.line == 5
    assert first.match.sources == AddressSet.parse(["40.92.0.0/15", "40.107.0.0/16"])
    assert chains["input"].rules[1].match.sources == AddressSet.any(4) - AddressSet.parse(["10.0.0.0/8"])


@st.composite
def _value(draw: st.DrawFn, ip: str) -> str:
    pool = V4 if ip == "ip" else V6
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from((*pool, V6[1] if ip == "ip" else V4[1])))  # a wrong family too
    if kind == 1:
        return f"@{ip}set{draw(st.integers(0, 1))}"
    picked = draw(st.lists(st.sampled_from(pool[:-1]), min_size=1, max_size=2, unique=True))
    return "{ " + ", ".join(picked) + " }"


@st.composite
def _rule(draw: st.DrawFn, chains: int, index: int) -> str:
    ip = draw(_family)
    words = [f"{ip} saddr", "!=" if draw(st.booleans()) else "", draw(_value(ip))]
    if draw(st.integers(0, 4)) == 0:  # a source condition of the shape's own
        other = draw(_family)
        words.append(f"{other} saddr {draw(st.sampled_from(V4 if other == 'ip' else V6))}")
    if draw(st.booleans()):
        other = draw(_family)
        words.append(f"{other} daddr {draw(st.sampled_from(V4 if other == 'ip' else V6))}")
    words.append(draw(st.sampled_from(("tcp dport 25", "tcp dport { 25, 587 }", "udp dport 53",
                                       "meta l4proto tcp", "", "ct state new"))))
    verdicts = ["accept", "drop", "reject", "return", "counter",
                "tcp dport vmap { 25 : accept, 587 : drop }"]
    if index + 1 < chains:
        verdicts.append(f"jump c{draw(st.integers(index + 1, chains - 1))}")
    words.append(draw(st.sampled_from(verdicts)))
    return " ".join(w for w in words if w)


@st.composite
def _ruleset(draw: st.DrawFn) -> str:
    table = draw(st.sampled_from(("ip", "ip6", "inet")))
    chains = draw(st.integers(1, 3))
    lines = [f"table {table} t {{"]
    for n in range(2):
        lines.append(f"\tset ipset{n} {{ type ipv4_addr; flags interval; elements = "
                     f"{{ {', '.join(V4[n:n + 2])} }} }}")
        lines.append(f"\tset ip6set{n} {{ type ipv6_addr; flags interval; elements = "
                     f"{{ {', '.join(V6[n:n + 2])} }} }}")
    for i in range(chains):
        lines.append(f"\tchain c{i} {{")
        if i == 0:
            lines.append(f"\t\ttype filter hook {draw(st.sampled_from(('input', 'forward')))} "
                         f"priority filter; policy {draw(st.sampled_from(('accept', 'drop')))};")
        lines += [f"\t\t{draw(_rule(chains, i))}" for _ in range(draw(st.integers(0, 6)))]
        lines.append("\t}")
    return "\n".join([*lines, "}", ""])


@st.composite
def _flows(draw: st.DrawFn) -> list[Flow]:
    def some(options: tuple[str, ...]) -> AddressSet:
        return AddressSet.parse(draw(st.lists(st.sampled_from(options), min_size=1, max_size=2)))

    ports = st.sampled_from(((25,), (587,), (25, 587)))
    flows = [Flow("in", "inbound", "tcp", draw(ports), some(V4[:-1] + V6[:-1]),
                  some(ONPREM_V4 + ONPREM_V6), "test")]
    if draw(st.booleans()):
        flows.append(Flow("out", "outbound", "tcp", draw(ports), some(ONPREM_V4 + ONPREM_V6),
                          some(V4[:-1] + V6[:-1]), "test"))
    return flows


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_ruleset(), _flows())
def test_records_build_the_rules_of_the_full_parse(text: str, flows: list[Flow]) -> None:
    full = parse_text(text, "t.nft", "nft")
    scope = audit_scope(flows)
    scoped = parse_text(text, "t.nft", "nft", scope)
    for key, chain in scoped.chains.items():
        # Exactly the full parse's rules the scope needs, in order (iterating builds records).
        needed = [rule for rule in full.chains[key].rules
                  if _call(rule) or (rule.action is not Action.CONTINUE
                                     and scope.needs(rule.match))]
        assert list(chain.rules) == needed, text
    vb = Interfaces("vb")
    assert audit_summary(text, "nft", flows, True, vb) == audit_summary(text, "nft", flows, False, vb)
