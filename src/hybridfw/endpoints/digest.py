"""The SHA-256 that names a stored or shipped endpoint answer."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def sha256_hex(raw: bytes) -> str:
    """SHA-256 of `raw` as hex: CPython's built-in ``_sha256`` where there is one (importing
    hashlib loads OpenSSL, ~3.6 MiB of RSS for every `audit` run: benchmarks/audit.py), else
    hashlib's (the same digest)."""
    return _sha256()(raw).hexdigest()  # type: ignore[no-any-return]


def _sha256() -> Callable[[bytes], Any]:
    try:
        return import_module("_sha256").sha256  # type: ignore[no-any-return]
    except ImportError:  # another Python (3.12+ names it _sha2) or build
        return import_module("hashlib").sha256  # type: ignore[no-any-return]
