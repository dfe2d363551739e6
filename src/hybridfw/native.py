"""Which modules run compiled, and the pure-Python fallback (never compiled itself).

The build hook (hatch_build.py) may compile some modules with mypyc and leaves the file
`_native_build` beside this module: one line per compiled module with a checksum of the source
it was compiled from. A compiled extension is loaded instead of its `.py` file unless
HYBRIDFW_PURE is set at run time, or a compiled module's source has changed since the build (an
edited checkout whose editable install was not rebuilt): then every listed module loads from
its `.py` file, because compiled modules call each other directly and must not mix with newer
Python. A plain C extension whose .c/.h files changed since the build is refused alone (its
user takes its pure fallback). `hybridfw --version -v` shows the path in use (`describe`).
"""

from __future__ import annotations

import os
import sys
import zlib

# `hybridfw/__init__` imports this module: only os, sys and zlib at start-up (a Ctrl-C during a
# longer import would end in a traceback, before hybridfw.entry can catch it).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

_HERE = os.path.dirname(os.path.abspath(__file__))
_SRC = os.path.dirname(_HERE)
INFO_FILE = os.path.join(_HERE, "_native_build")


class BuildInfo:
    __slots__ = ("c_sources", "checksums", "compiled", "extensions", "pure_reason")

    def __init__(self, compiled: tuple[str, ...], checksums: tuple[str, ...],
                 extensions: tuple[str, ...], pure_reason: str,
                 c_sources: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> None:
        self.compiled = compiled  # mypyc modules, dotted
        self.checksums = checksums  # crc32 of each one's source at build time
        self.extensions = extensions  # plain C extension modules
        self.pure_reason = pure_reason  # why the build compiled nothing ("" when it did)
        # per C extension: crc32 of its .c/.h files at build time and those files (under src/);
        # ("-", ()) from a build that did not record them
        self.c_sources = c_sources or tuple(("-", ()) for _ in extensions)

    def _fields(self) -> tuple[object, ...]:
        return self.compiled, self.checksums, self.extensions, self.pure_reason, self.c_sources

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BuildInfo) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return f"BuildInfo{self._fields()!r}"


def read_info(path: str = INFO_FILE) -> BuildInfo | None:
    """The build's record, or None when hybridfw was not installed by its build hook (run from a
    source tree on PYTHONPATH)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    compiled: list[str] = []
    sums: list[str] = []
    extensions: list[str] = []
    c_sources: list[tuple[str, tuple[str, ...]]] = []
    reason = ""
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "mypyc":
            name, _, crc = rest.partition(" ")
            compiled.append(name)
            sums.append(crc)
        elif kind == "c":
            name, crc, files = ([*rest.split(" ", 2), "", ""])[:3]
            extensions.append(name)
            c_sources.append((crc or "-", tuple(files.split(",")) if files else ()))
        elif kind == "pure":
            reason = rest
    return BuildInfo(tuple(compiled), tuple(sums), tuple(extensions), reason, tuple(c_sources))


def module_source(name: str) -> str:
    return os.path.join(_SRC, *name.split(".")) + ".py"


def _checksum(paths: Sequence[str]) -> str:
    """crc32 over the files, in order, as the build hook records it; "missing" if one is not there."""
    crc = 0
    try:
        for path in paths:
            with open(path, "rb") as handle:
                crc = zlib.crc32(handle.read(), crc)
    except OSError:
        return "missing"
    return format(crc, "08x")


def stale_modules(info: BuildInfo) -> list[str]:
    """The compiled modules whose source differs from the one they were compiled from."""
    return [name for name, crc in zip(info.compiled, info.checksums, strict=True)
            if _checksum((module_source(name),)) != crc]


def stale_extensions(info: BuildInfo) -> list[str]:
    """The C extensions whose .c/.h files differ from (or lack) those they were built from."""
    # crc "-": an older build did not record its files, nothing to compare
    return [name for name, (crc, files) in zip(info.extensions, info.c_sources, strict=True)
            if crc != "-" and _checksum([os.path.join(_SRC, *f.split("/")) for f in files]) != crc]


def pure_requested() -> bool:
    return os.environ.get("HYBRIDFW_PURE", "") not in ("", "0")


class PureFinder:
    """A meta-path finder ahead of the compiled extensions: it loads the mypyc modules from
    their `.py` files, and makes the plain C extensions fail to import (their users keep a
    pure fallback for ImportError)."""

    def __init__(self, names: Sequence[str], blocked: Sequence[str] = ()) -> None:
        self.names = frozenset(names)
        self.blocked = frozenset(blocked)

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name in self.blocked:
            raise ModuleNotFoundError(f"{name}: pure Python requested (HYBRIDFW_PURE)", name=name)
        if name not in self.names:
            return None
        from importlib.machinery import ModuleSpec, SourceFileLoader

        source = module_source(name)
        spec = ModuleSpec(name, SourceFileLoader(name, source), origin=source)
        spec.has_location = True  # sets __file__ and the cached bytecode path
        return spec


def install() -> None:
    """Called once by `hybridfw/__init__`: put the pure finder first when the compiled modules
    must not be used."""
    info = read_info()
    finder = finder_for(info) if info is not None else None
    if finder is not None:
        sys.meta_path.insert(0, finder)


def finder_for(info: BuildInfo) -> PureFinder | None:
    """The finder `install` puts first: all pure (HYBRIDFW_PURE), the mypyc modules pure when one
    of their sources changed, and the C extensions whose sources changed refused; None: none."""
    if pure_requested():
        return PureFinder(info.compiled, info.extensions)
    stale = bool(info.compiled and stale_modules(info))
    stale_c = stale_extensions(info)
    if stale or stale_c:
        return PureFinder(info.compiled if stale else (), stale_c)
    return None


def is_compiled(module: ModuleType) -> bool:
    return not (getattr(module, "__file__", None) or "").endswith(".py")


def describe(path: str = INFO_FILE) -> list[str]:
    """Lines for `hybridfw --version -v`: how this installation was built and which path runs."""
    info = read_info(path)
    if info is None:
        return ["build: pure Python (not installed by the build hook: no build record)"]
    if not info.compiled and not info.extensions:
        return [f"build: pure Python ({info.pure_reason or 'nothing listed to compile'})"]
    lines = [f"build: mypyc {len(info.compiled)} module(s), C {len(info.extensions)} extension(s)"]
    stale = stale_modules(info)
    if pure_requested():
        lines.append("running: pure Python (HYBRIDFW_PURE is set)")
    elif stale:
        lines.append("running: pure Python (source changed since the build, rebuild with "
                     f"pip install -e .: {', '.join(stale)})")
    else:
        lines.append("running: compiled")
    stale_c = [] if pure_requested() else stale_extensions(info)
    if stale_c:
        lines.append("stale: C source changed since the build, so its pure fallback runs (rebuild with "
                     f"pip install -e .): {', '.join(stale_c)}")
    import importlib

    for name in (*info.compiled, *info.extensions):
        if name in stale_c:
            lines.append(f"  {name}: pure Python (its C source changed since the build)")
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            lines.append(f"  {name}: not importable ({exc})")
            continue
        lines.append(f"  {name}: {'compiled' if is_compiled(module) else 'pure Python'}")
    return lines
