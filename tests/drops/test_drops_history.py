"""The packaged Exchange/EOP history is what tools/build_exchange_history.py makes of the project's
endpoint files, and every version names its source file and digest."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib import resources

from _support.drops import TESTS

REPO = TESTS.parent
M365 = REPO.parent / "shared" / "data" / "m365"


def test_packaged_history_is_rebuilt_identically() -> None:
    script = REPO / "tools" / "build_exchange_history.py"
    spec = importlib.util.spec_from_file_location("build_history", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert M365.is_dir(), f"the project's endpoint files are expected at {M365}"
    built = json.dumps(module.build(M365), indent=1, sort_keys=True) + "\n"
    packaged = resources.files("hybridfw.data").joinpath("exchange-history.json").read_text(encoding="utf-8")
    assert built == packaged
    versions = json.loads(packaged)["versions"]
    assert [v["date"] for v in versions][:2] == ["2015-07-01", "2018-06-02"]
    for version in versions:
        raw = (M365 / version["source_file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == version["sha256"]
