"""The compiled audit core (hatch_build.MYPYC_MODULES) audits exactly like its pure-Python
source: the same rows, evidence, shadows and findings on random iptables and nft rulesets and
random inbound and outbound flows, full and scoped parses. The pure copy is loaded from the
`.py` files in the same process (`_support.native`); the other property tests run against
whichever path the installation uses (compiled in CI)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _support.hypo import examples
from _support.native import PureWorld, pure_modules_loaded, pure_world
from _support.random_rulesets import (
    DEST_CIDRS,
    PORTS,
    SOURCE_CIDRS,
    GenRuleset,
    gen_ruleset,
    to_iptables,
    to_nft,
)
from hybridfw import native

FlowSpec = tuple[str, str, tuple[int, ...], tuple[str, ...], tuple[str, ...]]


@st.composite
def _flows(draw: st.DrawFn) -> list[FlowSpec]:
    def some(options: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(options), min_size=1, max_size=3)))

    ports = st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True).map(tuple)
    flows = [("in", "inbound", draw(ports), some(SOURCE_CIDRS),
              some(("10.99.0.1", "10.99.0.2", "10.98.1.1")))]
    if draw(st.booleans()):
        flows.append(("out", "outbound", draw(ports), some(("10.200.1.7", "10.201.0.9", "10.0.0.1")),
                      some(DEST_CIDRS)))
    return flows


def _audit(text: str, fmt: str, specs: list[FlowSpec], scoped: bool) -> tuple[Any, ...]:
    """Run in whichever world is active: every object is built from plain data here."""
    import importlib

    addresses = importlib.import_module("hybridfw.addresses")
    audit = importlib.import_module("hybridfw.audit")
    model = importlib.import_module("hybridfw.model")
    rulesets = importlib.import_module("hybridfw.rulesets")
    flows = [model.Flow(name, direction, "tcp", ports, addresses.AddressSet.parse(sources),
                        addresses.AddressSet.parse(destinations), "test")
             for name, direction, ports, sources, destinations in specs]
    ruleset = rulesets.parse_text(text, f"t.{fmt}", fmt, audit.audit_scope(flows) if scoped else None)
    result = audit.audit_ruleset(ruleset, flows, interfaces=audit.Interfaces("vb"))
    return (result.to_dict(), [row.evidence for row in result.flows],
            [[s.to_dict() for s in row.shadowed] for row in result.flows])


def _both(text: str, fmt: str, specs: list[FlowSpec], scoped: bool) -> None:
    world: PureWorld = pure_world()
    with world.active():
        pure = _audit(text, fmt, specs, scoped)
    assert _audit(text, fmt, specs, scoped) == pure, text


@settings(max_examples=examples(60, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset(max_chains=4, max_rules=8), _flows(), st.booleans())
def test_compiled_iptables_audit_equals_the_pure_python_one(gen: GenRuleset, specs: list[FlowSpec],
                                                            scoped: bool) -> None:
    _both(to_iptables(gen), "iptables", specs, scoped)


@settings(max_examples=examples(40, 15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen_ruleset(max_chains=4, max_rules=8), _flows(), st.booleans())
def test_compiled_nft_audit_equals_the_pure_python_one(gen: GenRuleset, specs: list[FlowSpec],
                                                       scoped: bool) -> None:
    _both(to_nft(gen), "nft", specs, scoped)


def test_the_reference_is_pure_python_and_the_main_path_is_what_the_build_made() -> None:
    world = pure_world()
    with world.active():
        for name in world.compiled:
            world.module(name)
    assert pure_modules_loaded(world) == list(world.compiled)
    info = native.read_info()
    assert info is not None
    fresh = not native.pure_requested() and not native.stale_modules(info)
    for name in info.compiled:
        import importlib

        assert native.is_compiled(importlib.import_module(name)) == fresh, name
