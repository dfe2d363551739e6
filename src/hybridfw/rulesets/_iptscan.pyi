"""Types of the compiled iptables-save line scanner (_iptscan.c; built by hatch_build.py when it can be)."""

from collections.abc import Sequence

Columns = tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes, bytes,
                list[str], list[str]]

def scan(text: str, family: int, held: Sequence[tuple[int, int]], /) -> Columns | None: ...
