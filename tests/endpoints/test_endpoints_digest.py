"""The endpoint answers' SHA-256 without hashlib: the same digest, and `audit` loads neither
OpenSSL's hashlib nor sqlite3 when there is no store (peak RSS, benchmarks/audit.py)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from _support.child import python_output
from hybridfw.endpoints.digest import sha256_hex
from hybridfw.endpoints.snapshot import load_snapshot, snapshot_bytes


@given(st.binary(max_size=5000))
def test_digest_is_sha256(raw: bytes) -> None:
    assert sha256_hex(raw) == hashlib.sha256(raw).hexdigest()


def test_snapshot_names_its_sha256() -> None:
    assert load_snapshot().sha256 == hashlib.sha256(snapshot_bytes()).hexdigest()


def test_loading_the_shipped_data_imports_neither_hashlib_nor_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = ("import sys; from pathlib import Path; from hybridfw.endpoints import load_current; "
            "d = load_current(home=Path(sys.argv[1])); assert d.sha256; "
            "print(sorted(m for m in ('hashlib', '_hashlib', 'sqlite3') if m in sys.modules))")
    assert python_output(code, str(tmp_path)).strip() == "[]"
