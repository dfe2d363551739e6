"""`patch.PATCHERS` names each format's patcher without importing it: every entry loads a
Patcher for exactly its format, and every patcher class of the patch_* modules is listed."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import hybridfw.audit
from hybridfw.audit.patch import PATCHERS, patcher_for
from hybridfw.audit.patch_types import Patcher


def test_every_patcher_listed_once_under_its_format() -> None:
    listed = set()
    for plugin in PATCHERS:
        part = plugin.load()
        assert issubclass(part, Patcher)
        assert part.formats == (plugin.name,)
        assert isinstance(patcher_for(plugin.name), part)
        listed.add(part)
    found = {cls for m in pkgutil.iter_modules(hybridfw.audit.__path__) if m.name.startswith("patch_")
             for _, cls in inspect.getmembers(importlib.import_module(f"hybridfw.audit.{m.name}"),
                                              inspect.isclass)
             if issubclass(cls, Patcher) and not inspect.isabstract(cls)}
    assert found == listed
    assert len({p.name for p in PATCHERS}) == len(PATCHERS)
    assert patcher_for("asa") is None
