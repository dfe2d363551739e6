"""hybridfw installs as a normal package: a built wheel carries its data files and runs from them."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_and_runs_from_package_data(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(wheel_dir), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    wheels = list(wheel_dir.glob("hybridfw-*.whl"))
    assert len(wheels) == 1
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         str(wheels[0])],
        check=True, capture_output=True, timeout=300,
    )
    # Dependencies come from this environment's site-packages; hybridfw itself only from the
    # wheel (plain PYTHONPATH entries don't run the editable install's .pth hook).
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    env["HYBRIDFW_HOME"] = str(tmp_path / "home")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    res = subprocess.run(
        [sys.executable, "-c",
         "import sys, hybridfw; "
         f"assert hybridfw.__file__.startswith({str(target)!r}), hybridfw.__file__; "
         "sys.argv = ['hybridfw', 'endpoints', 'show', '--port', '25', '--json']; "
         "from hybridfw.cli import main; main()"],
        capture_output=True, text=True, cwd=outside, env=env, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert '"40.92.0.0/15"' in res.stdout
    names = subprocess.run([sys.executable, "-m", "zipfile", "-l", str(wheels[0])],
                           capture_output=True, text=True, check=True).stdout
    assert "hybridfw/data/worldwide-endpoints-2026-05-29.json" in names
    # The compiled build (hatch_build.py): with a C compiler here, the wheel carries the
    # compiled modules and the installed package runs them.
    sys.path.insert(0, str(REPO))
    try:
        import hatch_build
    finally:
        del sys.path[0]
    if hatch_build._missing_toolchain():
        return
    assert "-cp3" in wheels[0].name and "-none-any" not in wheels[0].name
    built = (*hatch_build.MYPYC_MODULES, *(c.module for c in hatch_build.C_EXTENSIONS))
    for module in built:
        assert f"{module.replace('.', '/')}.cpython-" in names, module
    res = subprocess.run([sys.executable, "-m", "hybridfw", "--version", "-v"], capture_output=True,
                         text=True, cwd=outside, env=env, timeout=120, check=True)
    assert "running: compiled" in res.stdout
    assert res.stdout.count(": compiled") == len(built) + 1, res.stdout  # + "running: compiled"
