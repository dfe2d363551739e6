"""The SHA-256 that names a stored or shipped endpoint answer."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import Any


def sha256_hex(raw: bytes) -> str:
    """SHA-256 of `raw` as hex: CPython's built-in one where there is one (importing hashlib
    loads OpenSSL, ~3.6 MiB of RSS for every `audit` run: benchmarks/audit.py), else hashlib's
    (the same digest)."""
    return _sha256()(raw).hexdigest()  # type: ignore[no-any-return]


@cache
def _sha256() -> Callable[[bytes], Any]:
    for module in ("_sha2", "_sha256"):  # CPython 3.12+, 3.11
        try:
            return import_module(module).sha256  # type: ignore[no-any-return]
        except ImportError:
            continue
    return import_module("hashlib").sha256  # type: ignore[no-any-return]
