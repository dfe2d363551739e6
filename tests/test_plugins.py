"""Every plug-in registry (`hybridfw.plugins`) lists every module of its package, and every entry
loads the part it names (so a new module cannot be forgotten, nor a stale line left behind)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

from hybridfw.plugins import PlugIn

# package, registry attribute, modules of the package that are not parts (shared helpers)
REGISTRIES: list[tuple[str, str, frozenset[str]]] = [
    ("hybridfw.rulesets", "PARSERS",
     frozenset({"interface", "model", "scope", "lazy", "lazy_columns", "ports", "alias_lists",
                # address groups for --remove-stale's member removal (the patchers call them)
                "groups", "groups_fortigate", "groups_srx", "groups_xml"})),
    ("hybridfw.trace.formats", "FORMATS", frozenset()),
    ("hybridfw.report", "RENDERERS", frozenset({"interface"})),
    ("hybridfw.check", "STEPS", frozenset({"interface", "run", "timeline"})),
    ("hybridfw.commands", "COMMANDS", frozenset()),
    ("hybridfw.drops", "PARSERS",
     frozenset({"aggregate", "classify", "firewall", "interface", "native_plan", "native_rows", "reference",
                "report", "run", "source", "syslog", "times"})),
    ("hybridfw.apply", "BACKENDS", frozenset({"interface", "plan"})),
    ("hybridfw.connectors", "READERS",
     frozenset({"checks", "collect", "exo_check", "interface", "live_check", "load", "ranges_check",
                "receive_audit", "result", "routing_check", "tls_check", "values"})),
    # aerleon_backend renders every row of aerleon_targets.TARGETS (data, not a module each)
    ("hybridfw.render", "RENDERERS",
     frozenset({"interface", "common", "fixups", "fqdn_objects", "aerleon_backend", "aerleon_targets"})),
]


def _part_modules(package: str, helpers: frozenset[str]) -> set[str]:
    path = importlib.import_module(package).__path__
    return {f"{package}.{m.name}" for m in pkgutil.iter_modules(path)
            if not m.name.startswith("_") and m.name not in helpers}


@pytest.mark.parametrize(("package", "attr", "helpers"), REGISTRIES, ids=[r[0] for r in REGISTRIES])
def test_registry_lists_every_module_once(package: str, attr: str, helpers: frozenset[str]) -> None:
    registry: tuple[PlugIn[Any], ...] = getattr(importlib.import_module(package), attr)
    listed = [p.module for p in registry]
    assert sorted(set(listed)) == sorted(_part_modules(package, helpers))
    assert len({p.name for p in registry}) == len(registry), "a name is listed twice"


@pytest.mark.parametrize(("package", "attr", "helpers"), REGISTRIES, ids=[r[0] for r in REGISTRIES])
def test_every_entry_loads_what_it_names(package: str, attr: str, helpers: frozenset[str]) -> None:
    for plugin in getattr(importlib.import_module(package), attr):
        part = plugin.load()
        for own in ("name", "kind"):  # a class that names itself must agree with its entry
            name = getattr(part, own, None)
            if isinstance(name, str):
                assert name == plugin.name, plugin
