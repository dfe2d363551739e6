"""Differential property test for the Junos apply-groups expansion: random policies, the first
ones the configuration's own, the rest in a group written with wildcard zone names
(``from-zone <*> to-zone <*>``, applications defined in the group too), applied at the top.
The oracle is first match over the own policies followed by the group's (inherited policies
come after a pair's own; a wildcard adds nothing to a pair with no policies of its own)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from _support.policies import Policy, assert_matches_oracle, policies


def _policy(at: str, name: str, r: Policy) -> list[str]:
    src = "any" if r.src.prefixlen == 0 else str(r.src)
    dst = "any" if r.dst.prefixlen == 0 else str(r.dst)
    app = "any" if r.ports is None else f"app-{name}"
    out = [f"{at} {name} match source-address {src}", f"{at} {name} match destination-address {dst}",
           f"{at} {name} match application {app}", f"{at} {name} then {'permit' if r.permit else 'deny'}"]
    return out + ([f"{at} {name} match source-address-excluded"] if r.negate_src else [])


def _application(head: str, name: str, r: Policy) -> list[str]:
    if r.ports is None:
        return []
    return [f"{head} applications application app-{name} protocol tcp",
            f"{head} applications application app-{name} destination-port {r.ports[0]}-{r.ports[1]}"]


def grouped_text(own: list[Policy], inherited: list[Policy]) -> str:
    lines = ["set security zones security-zone a interfaces ge-0/0/0.0",
             "set security zones security-zone b interfaces ge-0/0/1.0", "set apply-groups G"]
    for i, r in enumerate(own):
        lines += _application("set", f"p{i}", r)
        lines += _policy("set security policies from-zone a to-zone b policy", f"p{i}", r)
        if not r.enabled:
            lines.append(f"deactivate security policies from-zone a to-zone b policy p{i}")
    for i, r in enumerate(inherited):
        lines += _application("set groups G", f"g{i}", r)
        lines += _policy("set groups G security policies from-zone <*> to-zone <*> policy", f"g{i}", r)
        if not r.enabled:
            lines.append(f"deactivate groups G security policies from-zone <*> to-zone <*> policy g{i}")
    return "\n".join(lines) + "\n"


@settings(max_examples=30, deadline=None, derandomize=True)
@given(rules=policies(), split=st.integers(0, 7), extra=st.lists(st.integers(0, 2**32 - 1), max_size=3))
def test_inherited_policies_follow_the_pairs_own(rules: list[Policy], split: int, extra: list[int]) -> None:
    own, inherited = rules[:split], rules[split:]
    effective = own + inherited if own else []
    assert_matches_oracle("srx", grouped_text(own, inherited), "a -> b", effective, extra)
