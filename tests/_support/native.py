"""The pure-Python reference beside the compiled modules, in one test process.

`PureWorld` is a second copy of hybridfw's modules in which every module the build compiled
(`hatch_build.MYPYC_MODULES`, as recorded in `hybridfw/_native_build`) is loaded from its `.py`
file. Inside `with world:` the import system sees that copy (also for the imports functions do
when they run), outside it the normal, compiled one. The two copies share no class: build the
inputs inside each world and compare plain data (`to_dict()`, tuples, strings).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from hybridfw import native

_KEEP = ("hybridfw", "hybridfw.native")


def _ours(name: str) -> bool:
    return name.startswith("hybridfw.") and name not in _KEEP


class PureWorld:
    def __init__(self) -> None:
        info = native.read_info()
        self.compiled = info.compiled if info else ()
        self._modules: dict[str, ModuleType] = {}

    @contextmanager
    def active(self) -> Iterator[PureWorld]:
        main = _swap(self._modules)
        finder = native.PureFinder(self.compiled)
        sys.meta_path.insert(0, finder)
        try:
            yield self
        finally:
            sys.meta_path.remove(finder)
            self._modules = _swap(main)

    def module(self, name: str) -> ModuleType:
        """`name` as this world has it (call inside `active()`)."""
        return importlib.import_module(name)


def _swap(modules: dict[str, ModuleType]) -> dict[str, ModuleType]:
    """Put `modules` in place of hybridfw's loaded modules; return those."""
    out = {name: sys.modules.pop(name) for name in list(sys.modules) if _ours(name)}
    sys.modules.update(modules)
    for name, module in modules.items():  # `import a.b` reads attribute b of package a
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)
    return out


def pure_modules_loaded(world: PureWorld) -> list[str]:
    """The compiled module names that the pure world loaded from source (a check that it is
    pure)."""
    return [name for name in world.compiled
            if name in world._modules and not native.is_compiled(world._modules[name])]


_WORLD: PureWorld | None = None


def pure_world() -> PureWorld:
    """One pure world per test process (importing it costs a few hundred milliseconds)."""
    global _WORLD
    if _WORLD is None:
        _WORLD = PureWorld()
    return _WORLD



def require_extension(loaded: object, name: str) -> None:
    """Skip the calling test module under HYBRIDFW_PURE=1 or in a build without a C toolchain;
    fail it when the C extension `name` (`loaded`: its module, None when not importable) should
    have been built (CI has the toolchain: there a missing extension is a failure, never a skip)."""
    import pytest

    if os.environ.get("HYBRIDFW_PURE", "") not in ("", "0"):
        pytest.skip(f"HYBRIDFW_PURE is set: {name} is not loaded", allow_module_level=True)
    if loaded is None:
        why = native.read_info()
        if why is None or not why.pure_reason or why.pure_reason.startswith("HYBRIDFW_PURE"):
            pytest.fail(f"{name} is not built: pip install -e . (see hatch_build.py)", pytrace=False)
        pytest.skip(f"built without a C toolchain: {why.pure_reason}", allow_module_level=True)
