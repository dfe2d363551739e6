"""Types of the compiled netfilter scanner (_nfscan.c; built by hatch_build.py when it can be)."""

from collections.abc import Callable
from datetime import datetime

from hybridfw.drops.interface import Row

def rows(block: bytes, /) -> list[Row]: ...

Packet = Callable[[int, bytes], tuple[int, int, int]]
Time = Callable[[bytes], tuple[int, int, datetime | None]]

# (port, no-flow classifier, no-flow key, ((direction, set, classifier, key), ...)) or None
Port = Callable[[bytes, bytes], tuple[int, int, int, tuple[tuple[int, int, int, int], ...]] | None]
# flow key, verdict, /24 text, line number, line, remote, local, port, hook -> bucket
First4 = Callable[[int, int, str, int, bytes, str, str, int, int], int]
Clock = tuple[int, int, int | None, int | None] | None

class Tally:
    def __init__(self, windowed: bool, on_line: Callable[[int, bytes], int], on_port: Port,
                 on_packet: Packet, on_time: Time, on_prefix: Callable[[bytes], int],
                 on_bad: Callable[[int, bytes, int], None], on_first: Callable[[int, int, bytes], None],
                 on_first4: First4, clock: Clock = ..., *, packet_limit: int = ...,
                 small_limit: int = ...) -> None: ...
    def add_ranges(self, n: int, lo: bytes, hi: bytes, vid: bytes, flags: bytes, /) -> int: ...
    def feed(self, block: bytes, number: int, flush: Callable[[], None], /) -> tuple[int, int]: ...
    def flush(self) -> list[tuple[int, int, datetime | None, datetime | None, list[tuple[int, int]]]]: ...
    def take_counts(self) -> tuple[int, int, int, int]: ...
    def close(self) -> None: ...
