"""The optional compiled build (a hatchling build hook, `[tool.hatch.build.hooks.custom]`).

When a wheel is built (`pip install .`, `pip wheel .`, `pipx install .`) or the package is
installed editable (`pip install -e .`, the dev venv that `make` creates), the modules listed in
MYPYC_MODULES are compiled with mypyc and the sources in C_EXTENSIONS with the system C
compiler. Every listed module stays plain Python as well: when the compiler or Python's headers
are missing, or mypyc fails, the build logs one line and succeeds with pure Python, and
HYBRIDFW_PURE=1 at build time skips the compilation. The build writes `hybridfw/_native_build`
(what was compiled, a checksum of each compiled source, for a C extension of its .c and .h
files); `hybridfw.native` reads it at run time
(`hybridfw --version -v` shows the path in use). docs/development.md describes it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
import tempfile
import zlib
from pathlib import Path
from typing import Any, NamedTuple

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CExtension(NamedTuple):
    """A plain C extension module: its dotted name and its C sources (paths from the project
    root). The Python code that uses it imports it in a try/except ImportError and keeps a pure
    fallback."""

    module: str
    sources: tuple[str, ...]


# Modules compiled with mypyc (dotted names under src/). Each one must stay importable and
# correct as plain Python: that is the reference the property tests compare against. The
# iptables audit core; with `rulesets.model` (its dataclasses become native classes, read in C)
# benchmarks/audit.py --all-relevant CPU time: parse -20 %, audit -13 % (without it: no gain).
MYPYC_MODULES: tuple[str, ...] = (
    "hybridfw.audit._intervals",
    "hybridfw.audit.steps",
    "hybridfw.audit.evaluate",
    "hybridfw.rulesets._iptables_rule",
    "hybridfw.addresses.intervals",
    "hybridfw.addresses.parse",
    "hybridfw.rulesets.model",
    "hybridfw.rulesets.iptables",
    # The C scanner's columns read per walked rule (Scanned.preview/record): --all-relevant audit.
    "hybridfw.rulesets._iptables_fast",
    # The PAN-OS set reader's loop over rule lines: benchmarks/audit_vendor.py panos-set scoped CPU -30 %.
    "hybridfw.rulesets.panos_set",
    "hybridfw.rulesets._panos_set_scoped",
    # A chain's scanned rules read from the columns as the audit walks: --all-relevant audit.
    "hybridfw.rulesets.lazy_columns",
)

# C extension modules (sources relative to the project root; headers beside them are #included).
# The netfilter drops scanner: benchmarks/drops.py CPU 21-26x grep pure -> 3.1-3.3x compiled (load 16-19).
C_EXTENSIONS: tuple[CExtension, ...] = (
    CExtension("hybridfw.drops._nfscan", ("src/hybridfw/drops/_nfscan.c",)),
    # Minimal CIDR text: benchmarks/address_sets.py "to minimal CIDR text" (see docs/development.md).
    CExtension("hybridfw.addresses._cidrtext", ("src/hybridfw/addresses/_cidrtext.c",)),
    # pfSense/OPNsense filter rules from the XML bytes: benchmarks/audit_vendor.py pfsense scoped -45 %.
    CExtension("hybridfw.rulesets._xmlrules", ("src/hybridfw/rulesets/_xmlrules.c",)),
    # XML start tags for evidence lines past line 65,535: a 1M-line PAN-OS XML file's index 28x faster.
    CExtension("hybridfw.rulesets._xmltags", ("src/hybridfw/rulesets/_xmltags.c",)),
    # The common iptables-save rule line read in C: benchmarks/audit.py --all-relevant (see docs/development.md).
    CExtension("hybridfw.rulesets._iptscan", ("src/hybridfw/rulesets/_iptscan.c",)),
    # SRX policy blocks found and judged in C: benchmarks/audit_vendor.py srx-text(-quoted) scoped (docs/audit.md).
    CExtension("hybridfw.rulesets._srxblocks", ("src/hybridfw/rulesets/_srxblocks.c",)),
    # SRX display-set lines grouped into runs per policy in C: benchmarks/audit_vendor.py srx scoped (docs/audit.md).
    CExtension("hybridfw.rulesets._srxruns", ("src/hybridfw/rulesets/_srxruns.c",)),
    # An ASCII ruleset file read straight into its str: benchmarks/audit.py --all-relevant peak RSS.
    CExtension("hybridfw.rulesets._textfile", ("src/hybridfw/rulesets/_textfile.c",)),
)

INFO_NAME = "_native_build"  # hybridfw/_native_build: read by hybridfw.native
GROUP = "hybridfw"  # the mypyc shared library: hybridfw__mypyc.<abi>.so beside the package


def source_path(root: Path, module: str) -> Path:
    return root / "src" / Path(*module.split(".")).with_suffix(".py")


def checksum(path: Path) -> str:
    return format(zlib.crc32(path.read_bytes()), "08x")


def c_files(root: Path, extension: CExtension) -> list[Path]:
    """The extension's sources and the headers they #include "..." (transitively), in order."""
    found: list[Path] = []
    todo = [root / source for source in extension.sources]
    while todo:
        path = todo.pop(0)
        if path in found:
            continue
        found.append(path)
        todo += [path.parent / name for name in re.findall(r'^#include "([^"]+)"', path.read_text(), re.M)]
    return found


def c_record(root: Path, extension: CExtension) -> str:
    """The build record's line for a C extension: its name, one crc32 over all its files in
    order, and the files (paths under src/), which hybridfw.native checks at run time."""
    files = c_files(root, extension)
    crc = 0
    for path in files:
        crc = zlib.crc32(path.read_bytes(), crc)
    names = ",".join(path.relative_to(root / "src").as_posix() for path in files)
    return f"c {extension.module} {crc:08x} {names}"


class CompiledBuild(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        editable = version == "editable"
        out = Path(tempfile.mkdtemp(prefix="hybridfw-native-"))
        reason = self._compile(root, out)
        info = _info_text(root, reason)
        built = [p for p in out.rglob("*") if p.suffix in (".so", ".pyd")] if not reason else []
        if editable:
            # The editable install imports from src/: the extensions go next to the sources,
            # each replaced in one step (a process importing meanwhile never finds one missing);
            # then those of an earlier build that this one lacks are removed.
            src = root / "src"
            kept = {src / path.relative_to(out) for path in built}
            for path in built:
                _replace(path.read_bytes(), src / path.relative_to(out))
            _remove_built(src, kept)
            _replace(info.encode(), src / "hybridfw" / INFO_NAME)
        else:
            (out / INFO_NAME).write_text(info, encoding="utf-8")
            build_data["force_include"][str(out / INFO_NAME)] = f"hybridfw/{INFO_NAME}"
            for path in built:
                build_data["force_include"][str(path)] = path.relative_to(out).as_posix()
        if built:
            build_data["pure_python"] = False
            build_data["infer_tag"] = True

    def _compile(self, root: Path, out: Path) -> str:
        """Compile into `out`; return "" on success, else why the build stays pure Python."""
        if os.environ.get("HYBRIDFW_PURE", "") not in ("", "0"):
            return self._pure("HYBRIDFW_PURE is set")
        missing = _missing_toolchain()
        if missing:
            return self._pure(missing)
        cwd = os.getcwd()
        try:
            os.chdir(root)  # mypy reads [tool.mypy] from pyproject.toml and finds src/
            _build_extensions(root, out)
        except (Exception, SystemExit) as exc:  # a failed compile leaves pure Python
            return self._pure(f"compilation failed: {type(exc).__name__}: {exc}".splitlines()[0])
        finally:
            os.chdir(cwd)
        self.app.display_info(
            f"hybridfw: compiled {len(MYPYC_MODULES)} module(s) with mypyc, "
            f"{len(C_EXTENSIONS)} C extension(s)"
        )
        return ""

    def _pure(self, reason: str) -> str:
        self.app.display_warning(f"hybridfw: building pure Python only ({reason})")
        return reason


def _missing_toolchain() -> str:
    include = sysconfig.get_paths().get("include", "")
    if not (Path(include) / "Python.h").is_file():
        return f"no Python.h in {include!r} (install the Python development headers)"
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler {compiler!r} on PATH"
    return ""


def _build_extensions(root: Path, out: Path) -> None:
    from mypyc.build import mypycify
    from setuptools import Distribution, Extension

    temp = out / "temp"
    paths = [str(source_path(root, m).relative_to(root)) for m in MYPYC_MODULES]
    extensions = mypycify(paths, group_name=GROUP, target_dir=str(temp / "c")) if paths else []
    extensions += [Extension(c.module, list(c.sources)) for c in C_EXTENSIONS]
    dist = Distribution({"name": "hybridfw", "ext_modules": extensions})
    command = dist.get_command_obj("build_ext")
    command.build_lib = str(out)
    command.build_temp = str(temp / "obj")
    command.ensure_finalized()
    command.run()
    shutil.rmtree(temp)


def _replace(data: bytes, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".new")
    temp.write_bytes(data)
    temp.chmod(0o755)
    os.replace(temp, target)


def _remove_built(src: Path, kept: set[Path]) -> None:
    """Remove the extensions an earlier editable build left in src/ that this one did not make."""
    for path in src.rglob("*"):
        if path.suffix in (".so", ".pyd") and path not in kept:
            path.unlink()


def _info_text(root: Path, reason: str) -> str:
    lines = ["# written by hatch_build.py: what this build compiled (read by hybridfw.native)"]
    lines.append(f"python {sys.implementation.cache_tag}")
    if reason:
        lines.append(f"pure {reason}")
    else:
        lines += [f"mypyc {m} {checksum(source_path(root, m))}" for m in MYPYC_MODULES]
        lines += [c_record(root, c) for c in C_EXTENSIONS]
    return "\n".join(lines) + "\n"
