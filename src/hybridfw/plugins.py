"""The one plug-in mechanism: an explicit, typed tuple of `PlugIn`s in each package's `__init__`.

A package with interchangeable parts (commands, check steps, trace formats, report renderers,
ruleset parsers, render platforms) lists them as `(name, module, class)` — the shape of aerleon's
`BUILTIN_GENERATORS` — in the order they are tried or shown:

    PARSERS: tuple[PlugIn[type[RulesetParser]], ...] = (
        PlugIn("iptables", "hybridfw.rulesets.iptables", "IptablesParser"), ...)

Naming the class without importing it keeps start-up fast: `--help` texts and `--format` choices
come from the names alone, and `load()` imports a module only when its part is used. Adding a
part is one module plus one line in the tuple; a test checks every tuple lists every module of
its package and that each entry loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


@dataclass(frozen=True)
class PlugIn(Generic[T]):
    """One part: `name` is what users type (a format, a platform, a command); `attr` in `module`
    is the part itself (a class, or a command module's `register` function)."""

    name: str
    module: str
    attr: str

    def load(self) -> T:
        """Import the module (once; Python caches it) and return the part."""
        return cast("T", getattr(importlib.import_module(self.module), self.attr))


def names(plugins: Iterable[PlugIn[Any]]) -> tuple[str, ...]:
    """The names, in the tuple's order (no module is imported)."""
    return tuple(p.name for p in plugins)


def find(plugins: Iterable[PlugIn[T]], name: str) -> PlugIn[T] | None:
    """The part called `name`, or None."""
    return next((p for p in plugins if p.name == name), None)
