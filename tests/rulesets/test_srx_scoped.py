"""The SRX scoped parse (policies no audited packet can match left out, most of them never built
from their ``display set`` records) audits exactly like the full parse, and the one-pass read of
the ``display set`` form exactly like the statements read: random configurations with zones,
global and zone address books, nested address sets, custom / set / junos-* applications (also
several leaves on one line), zone-pair and global policies, default-policy, deactivate /
inactive:, apply-groups, insert and destination NAT, in both forms, and random audited flows."""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.scoped import audit_of, audited_flows
from hybridfw.addresses import AddressSet
from hybridfw.audit import audit_scope
from hybridfw.errors import InputError
from hybridfw.model import Flow
from hybridfw.rulesets import parse_text, srx
from hybridfw.rulesets._junos_leaves import split_leaves
from hybridfw.rulesets._junos_tree import statements
from hybridfw.rulesets._srx_lines import scan_tree

_OBJECTS = """set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security address-book global address mx 192.0.2.10/32
set security address-book global address eop 40.92.0.0/15
set security address-book global address eop2 40.107.0.0/16
set security address-book global address net 192.0.2.0/24
set security address-book global address partner 10.5.5.5/32
set security address-book global address relay dns-name relay.example
set security address-book global address part range-address 40.92.1.0 to 40.92.2.255
set security address-book global address-set EOPS address eop
set security address-book global address-set EOPS address eop2
set security address-book global address-set NESTED address-set EOPS address partner
set applications application alt protocol tcp destination-port 2525
set applications application web term t1 protocol tcp
set applications application web term t1 destination-port 443
set applications application web term t2 protocol tcp destination-port 80
set applications application hi protocol tcp
set applications application hi destination-port 1000-2000
set applications application hi source-port 1024-65535
set applications application dns protocol udp destination-port 53
set applications application-set MAIL application alt
set applications application-set MAIL application junos-smtp
set applications application-set ALL application-set MAIL application web
"""
_ZONES = ("untrust", "trust", "dmz")
_ADDRESSES = ("any", "mx", "eop", "EOPS", "NESTED", "relay", "part", "net", "partner", "any-ipv4",
              "192.0.2.10/32", "nosuch")
_APPS = ("any", "junos-smtp", "junos-https", "junos-http", "junos-ssh", "alt", "web", "hi", "dns",
         "MAIL", "ALL", "mystery")
_EXTRAS = ("", "", "", "match source-address-excluded", "scheduler-name work",
           "match dynamic-application junos:SMTP", "description \"mail policy\"")


@st.composite
def _policy(draw: st.DrawFn, name: str) -> list[str]:
    if draw(st.integers(0, 4)) == 0:
        at = f"set security policies global policy {name}"
        lines = [f"{at} match from-zone {z}" for z in draw(st.lists(st.sampled_from(_ZONES), max_size=2))]
    else:
        at = (f"set security policies from-zone {draw(st.sampled_from(_ZONES))} to-zone "
              f"{draw(st.sampled_from(_ZONES))} policy {name}")
        lines = []
    src, dst = draw(st.sampled_from(_ADDRESSES)), draw(st.sampled_from(_ADDRESSES))
    apps = draw(st.lists(st.sampled_from(_APPS), min_size=0, max_size=3))
    style = draw(st.integers(0, 2))
    if style == 0:
        lines += [f"{at} match source-address {src}", f"{at} match destination-address {dst}"]
        lines += [f"{at} match application {a if a != 'junos-http' else chr(34) + a + chr(34)}" for a in apps]
    else:  # several leaves on one line (style 2: the first application on a line of its own)
        alone = apps[:1] if style == 2 else []
        lines += [f"{at} match application {a}" for a in alone]
        rest = apps[len(alone):]
        listed = f"[ {' '.join(rest)} ]" if len(rest) > 1 else (rest or ["any"])[0]
        lines.append(f"{at} match source-address {src} destination-address {dst} application {listed}")
    extra = draw(st.sampled_from(_EXTRAS))
    lines += [f"{at} {extra}"] if extra else []
    lines.append(f"{at} then {draw(st.sampled_from(('permit', 'deny', 'reject', 'permit', 'log')))}")
    return lines


@st.composite
def _config(draw: st.DrawFn) -> str:
    lines = _OBJECTS.splitlines()
    if draw(st.booleans()):
        lines.append("set security zones security-zone dmz address-book address dmzhost 192.0.2.99/32")
    count = draw(st.integers(1, 7))
    policies = [draw(_policy(f"p{i}")) for i in range(count)]
    if draw(st.booleans()):  # statements of two policies interleaved
        policies[0] = [line for pair in zip(policies[0], policies[-1], strict=False) for line in pair]
    lines += [line for policy in policies for line in policy]
    for _ in range(draw(st.integers(0, 2))):
        policy = draw(st.sampled_from(policies))
        line = draw(st.sampled_from(policy))
        cut = draw(st.sampled_from((8, len(line.split()))))  # the policy, or one statement
        lines.append("deactivate " + " ".join(line.split()[1:cut]))
    if draw(st.booleans()):
        lines.append("set security policies default-policy permit-all")
    if draw(st.integers(0, 3)) == 0:
        lines += ["set groups G security policies from-zone <*> to-zone <*> policy deny-log then deny",
                  "set groups G applications application alt protocol udp", "set apply-groups G"]
    if draw(st.integers(0, 3)) == 0:
        lines += ["set security nat destination pool inside address 192.0.2.10/32",
                  "set security nat destination rule-set rs from zone untrust",
                  "set security nat destination rule-set rs rule r match destination-address 192.0.2.99/32",
                  "set security nat destination rule-set rs rule r then destination-nat pool inside"]
    return "\n".join(lines) + "\n"


def _hierarchical(text: str, decorated: bool = False) -> str:
    """The same configuration as ``show configuration`` writes it: blocks, ``inactive:``, a
    quoted word quoted; `decorated`: with a ``#`` comment line, an annotation (``/* */``)
    before each policy and a quoted description in it."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    off: set[tuple[str, ...]] = set()
    for statement in split_leaves(statements(text, "t")):
        words = statement.words
        if statement.verb == "deactivate":
            off.add(words)
            continue
        node = tree
        for word in words[:-1]:
            node = node.setdefault(word, {})
        node.setdefault(words[-1], {})
    out: list[str] = ["# written by the test"] if decorated else []

    def write(node: dict, path: tuple[str, ...], depth: int) -> None:  # type: ignore[type-arg]
        for word, below in node.items():
            mark = "inactive: " if (*path, word) in off else ""
            pad, shown = "    " * depth, f'"{word}"' if " " in word else word
            if decorated and word == "policy" and not mark and all(below.values()):
                for name, inner in below.items():  # policy P { description "..."; ... }
                    mark = "inactive: " if (*path, word, name) in off else ""
                    shown = f'"{name}"' if " " in name else name
                    out.extend((f"{pad}/* {name}: see #12 */", f"{pad}{mark}policy {shown} {{",
                                f'{pad}    description "{name}: mail from EOP, #1";'))
                    write(inner, (*path, word, name), depth + 1)
                    out.append(f"{pad}}}")
            elif decorated and len(below) == 1 and not next(iter(below.values())) and \
                    (*path, word, next(iter(below))) not in off:  # one value: "word value;"
                value = next(iter(below))
                out.append(f"{pad}{mark}{shown} {chr(34) + value + chr(34) if ' ' in value else value};")
            elif below:
                out.append(f"{pad}{mark}{shown} {{")
                write(below, (*path, word), depth + 1)
                out.append(f"{pad}}}")
            else:
                out.append(f"{pad}{mark}{shown};")
    write(tree, (), 0)
    return "\n".join(out) + "\n"


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), audited_flows(), st.sampled_from(("set", "tree", "decorated")))
def test_srx_scoped_parse_audits_like_a_full_parse(text: str, flows: list[Flow], form: str) -> None:
    if form != "set":
        text = _hierarchical(text, form == "decorated")
    assert audit_of(text, "srx", flows, True) == audit_of(text, "srx", flows, False), text


def _audit_or_error(text: str, flows: list[Flow]) -> object:
    try:
        return audit_of(text, "srx", flows, True)
    except InputError as caught:  # the same error either way
        return str(caught)


@settings(max_examples=examples(100, 30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_config(), audited_flows(), st.sampled_from(("set", "insert", "tree", "decorated")))
def test_one_pass_reads_read_as_the_statements(text: str, flows: list[Flow], form: str) -> None:
    if form == "insert":
        text += "insert security policies from-zone untrust to-zone trust policy p0 before policy p1\n"
    elif form != "set":
        text = _hierarchical(text, form == "decorated")
    fast = _audit_or_error(text, flows)
    with mock.patch.object(srx, "scan", lambda text: None), \
            mock.patch.object(srx, "scan_tree", lambda text: None):
        assert fast == _audit_or_error(text, flows), text


_HEADS = ("security", "policies", "from-zone a to-zone b", "policy p", "policy q", "match", "then",
          "global", "zones", "security-zone a", "from-zone a to-zone b policy t", "permit",
          "logical-systems L", "address-book")
_PATH = ("security", "policies", "from-zone a to-zone b", "policy p", "match")
_LEAVES = ("application x", "application [ x y ]", "application [ ]", "permit", "deny", "policy s",
           "from-zone a to-zone b policy u then deny", "address z 10.0.0.0/8", "count", "[ a ]")
_BAD = ("source-address [x y ]", "x { y", "apply-groups G", "", "a\rb", 'description "x"')
_MARKED = ("", "", "", "", "inactive: ", "protect: ", "inactive: protect: ", "inactive:")
_ODD = ("# a comment", "", "/* note */", "}", "{", "policy p {")


@st.composite
def _tree_lines(draw: st.DrawFn, depth: int = 0) -> list[str]:
    out: list[str] = []
    pad = "    " * depth
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 30)) if depth else draw(st.integers(0, 8))
        mark = draw(st.sampled_from(_MARKED))
        if (choice < 12 or (depth < len(_PATH) and choice < 18)) and depth < 6:
            on_path = depth < len(_PATH) and choice < 9
            out.append(f"{pad}{mark}{_PATH[depth] if on_path else draw(st.sampled_from(_HEADS))} {{")
            out += draw(_tree_lines(depth + 1))
            out.append(f"{pad}}}")
        elif choice < 29:
            out.append(f"{pad}{mark}{draw(st.sampled_from(_LEAVES))};")
        elif choice == 29:
            out.append(f"{pad}{mark}{draw(st.sampled_from(_BAD))};")
        else:
            out.append(draw(st.sampled_from(_ODD)))
    return out


@settings(max_examples=examples(300), deadline=None)
@given(_tree_lines())
@example(["security {", "    inactive:;", "}"])  # a mark glued to its ';': found at 01:59 on main
@example(["security {", "    inactive:{", "    }", "}"])
def test_the_line_reader_makes_the_statements_the_tokens_make(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    done = scan_tree(text)
    try:
        expected = sorted((s.line, s.verb, s.words) for s in statements(text, "t"))
    except InputError:
        assert done is None
        return
    if done is None:
        return
    got = [(s.line, s.verb, s.words) for s in done.statements]
    got += [(n, "set", tuple(w[1:])) for r in done.records.values() for n, w in r.statements()]
    assert sorted(got) == expected, text


def test_policies_no_audited_packet_can_match_are_left_out_unbuilt() -> None:
    text = _OBJECTS + "".join(
        f"set security policies from-zone untrust to-zone trust policy p{i} match application {app}\n"
        f"set security policies from-zone untrust to-zone trust policy p{i} then permit\n"
        for i, app in enumerate(("dns", "hi", "junos-smtp", "MAIL", "mystery")))
    flows = [Flow("in", "inbound", "tcp", (25,), AddressSet.parse(["0.0.0.0/0"]),
                  AddressSet.parse(["192.0.2.10"]), "test")]
    for form in (text, _hierarchical(text)):
        ruleset = parse_text(form, "t.set", "srx", audit_scope(flows))
        assert ruleset.omitted == 2  # dns (udp 53) and hi (tcp 1000-2000)
        (chain,) = (c for c in ruleset.chains.values() if c.name == "untrust -> trust")
        assert [r.origin.text.split()[-1] for r in chain.rules] == ["p2", "p3", "p3", "p4"]
