"""Types of the compiled CIDR text formatter (_cidrtext.c; built by hatch_build.py when it can be)."""

from collections.abc import Callable, Sequence

def extend(out: list[str], intervals: Sequence[tuple[int, int]], bits: int,
           mapped: Callable[[int], str], /) -> None: ...
