"""Run a probe coroutine on the fastest event loop available.

uvloop (a project dependency off Windows) cuts the client's CPU per probed host by about a sixth
in benchmarks/probe.py, which matters when hundreds of hosts are probed at once; the standard
loop is the fallback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)
