"""The optional compiled build (hatch_build.py) and its run-time side (hybridfw.native): the
build record, the fallback to the `.py` files when pure Python is requested or a source changed
since the build, `hybridfw --version -v`, and wheels built with and without a C compiler."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hybridfw import native

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import hatch_build  # noqa: E402  (the build hook, from the project root)

del sys.path[0]


def _version_v(**env: str) -> str:
    res = subprocess.run([sys.executable, "-m", "hybridfw", "--version", "-v"], capture_output=True,
                         text=True, timeout=60, env={**os.environ, **env}, check=True)
    return res.stdout


def test_the_installation_runs_what_its_build_compiled() -> None:
    info = native.read_info()
    assert info is not None, "hybridfw was not installed by its build hook: pip install -e ."
    if not hatch_build._missing_toolchain() and not info.pure_reason.startswith("HYBRIDFW_PURE"):
        # A C compiler and Python's headers are here (the CI machine): everything listed compiled.
        assert info.compiled == hatch_build.MYPYC_MODULES, "rebuild: pip install -e ."
        assert info.extensions == tuple(c.module for c in hatch_build.C_EXTENSIONS), "rebuild"
        assert info.pure_reason == ""
        assert native.stale_extensions(info) == [], "a C source changed since the build: pip install -e ."
        assert all(crc != "-" and files for crc, files in info.c_sources)
    use_compiled = not native.pure_requested() and not native.stale_modules(info)
    for name in info.compiled:
        assert native.is_compiled(importlib.import_module(name)) == use_compiled, name


def test_hybridfw_pure_at_run_time_loads_every_compiled_module_from_source() -> None:
    out = _version_v(HYBRIDFW_PURE="1")
    info = native.read_info()
    assert info is not None
    if info.compiled:
        assert "running: pure Python (HYBRIDFW_PURE is set)" in out
        assert [line.split(": ")[0].strip() for line in out.splitlines() if line.startswith("  ")] \
            == [*info.compiled, *info.extensions]
        assert "compiled" not in out.split("running:")[1]
        for name in info.extensions:  # a C extension is refused, so its user takes the pure path
            assert f"  {name}: not importable" in out
    else:
        assert "build: pure Python" in out


def test_a_source_changed_since_the_build_makes_every_listed_module_pure(tmp_path: Path) -> None:
    names = ("hybridfw.audit._intervals", "hybridfw.audit.steps")
    sums = [hatch_build.checksum(Path(native.module_source(n))) for n in names]
    record = tmp_path / "_native_build"
    record.write_text(f"python x\nmypyc {names[0]} {sums[0]}\nmypyc {names[1]} 00000000\n"
                      "c hybridfw.some._scan -\n")
    info = native.read_info(str(record))
    assert info == native.BuildInfo(names, (sums[0], "00000000"), ("hybridfw.some._scan",), "")
    assert native.stale_modules(info) == [names[1]]
    assert native.stale_modules(native.BuildInfo(names, tuple(sums), (), "")) == []
    record.write_text("python x\npure no C compiler 'cc' on PATH\n")
    assert native.read_info(str(record)) == native.BuildInfo((), (), (), "no C compiler 'cc' on PATH")
    assert native.read_info(str(tmp_path / "absent")) is None


def test_a_c_source_changed_since_the_build_refuses_that_extension_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYBRIDFW_PURE", raising=False)
    fresh = hatch_build.c_record(REPO, hatch_build.C_EXTENSIONS[0])  # its files as they are now
    files = fresh.split(" ")[3]
    assert files.startswith("hybridfw/drops/_nfscan.c,") and "hybridfw/drops/_nfscan_v4.h" in files.split(",")
    record = tmp_path / "_native_build"
    record.write_text(f"python x\n{fresh}\nc hybridfw.some._scan 00000000 {files}\n"
                      "c hybridfw.gone._scan 00000000 hybridfw/drops/_absent.c\nc hybridfw.old._scan -\n")
    info = native.read_info(str(record))
    assert info is not None and info.c_sources[3] == ("-", ())
    assert native.stale_extensions(info) == ["hybridfw.some._scan", "hybridfw.gone._scan"]
    finder = native.finder_for(info)  # the stale ones are refused, nothing else
    assert finder is not None and finder.blocked == {"hybridfw.some._scan", "hybridfw.gone._scan"}
    assert not finder.names
    shown = native.describe(str(record))
    assert "  hybridfw.some._scan: pure Python (its C source changed since the build)" in shown
    assert any(line.startswith("stale: C source changed") for line in shown)
    assert "  hybridfw.drops._nfscan: compiled" in shown or not native.read_info() or \
        native.read_info().pure_reason  # type: ignore[union-attr]
    record.write_text(f"python x\n{fresh}\n")
    assert native.finder_for(native.read_info(str(record))) is None  # type: ignore[arg-type]


def test_the_pure_finder_loads_sources_and_blocks_c_extensions() -> None:
    finder = native.PureFinder(["hybridfw.audit.steps"], ["hybridfw.some._scan"])
    spec = finder.find_spec("hybridfw.audit.steps")
    assert spec is not None and spec.origin == native.module_source("hybridfw.audit.steps")
    assert spec.origin.endswith(os.path.join("hybridfw", "audit", "steps.py"))
    assert finder.find_spec("hybridfw.audit.coverage") is None
    with pytest.raises(ModuleNotFoundError):
        finder.find_spec("hybridfw.some._scan")


def _build_wheel(tmp_path: Path, **env: str) -> Path:
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(REPO)], check=True, capture_output=True, timeout=600,
                   env={**os.environ, **env})
    (wheel,) = out.glob("hybridfw-*.whl")
    return wheel


@pytest.mark.slow
@pytest.mark.parametrize("env", [{"HYBRIDFW_PURE": "1"}, {"CC": "/nonexistent/cc"}])
def test_without_a_compiler_or_with_hybridfw_pure_the_wheel_is_pure_python(
        tmp_path: Path, env: dict[str, str]) -> None:
    wheel = _build_wheel(tmp_path, **env)
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        record = archive.read("hybridfw/_native_build").decode()
    assert not [n for n in names if n.endswith(".so")]
    reason = "HYBRIDFW_PURE is set" if "HYBRIDFW_PURE" in env else "no C compiler '/nonexistent/cc'"
    assert f"\npure {reason}" in record
    assert "hybridfw/audit/evaluate.py" in names
