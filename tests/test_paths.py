"""`paths.shipped_bytes` reads what importlib.resources reads, and loading the shipped endpoint
data without a store imports neither the store module nor importlib.resources (start-up)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from _support.child import python_output
from hybridfw.paths import shipped_bytes
from hybridfw.schemas import load_schema


@pytest.mark.parametrize("package", ["hybridfw.data", "hybridfw.schemas"])
def test_shipped_bytes_are_the_resources(package: str) -> None:
    files = [f for f in resources.files(package).iterdir() if f.is_file()]
    assert len(files) > 3
    for item in files:
        assert shipped_bytes(package, item.name) == item.read_bytes(), item.name


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError):
        shipped_bytes("hybridfw.data", "no-such-file.json")
    assert load_schema("no-such-command") is None
    assert load_schema("audit") is not None


def test_shipped_data_without_a_store_imports_no_store(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from hybridfw.endpoints import load_current; "
            "from hybridfw.schemas import schema_version; "
            "d = load_current(home=Path(sys.argv[1])); assert d.source == 'snapshot'; "
            "assert schema_version('audit') > 0; print(sorted(m for m in "
            "('hybridfw.endpoints.store', 'importlib.resources', 'zipfile') if m in sys.modules))")
    assert python_output(code, str(tmp_path)).strip() == "[]"
