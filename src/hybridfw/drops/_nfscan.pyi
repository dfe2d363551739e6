"""Types of the compiled netfilter scanner (_nfscan.c; built by hatch_build.py when it can be)."""

from collections.abc import Callable
from datetime import datetime

from hybridfw.drops.interface import Row

def rows(block: bytes, /) -> list[Row]: ...

Port = Callable[[bytes, bytes], bool]
Packet = Callable[[int, bytes], tuple[int, int, int]]
Time = Callable[[bytes], tuple[int, int, datetime | None]]

class Tally:
    def __init__(self, windowed: bool, on_line: Callable[[int, bytes], int], on_port: Port,
                 on_packet: Packet, on_time: Time, on_prefix: Callable[[bytes], int],
                 on_bad: Callable[[int, bytes, int], None], on_first: Callable[[int, int, bytes], None], *,
                 packet_limit: int = ..., small_limit: int = ...) -> None: ...
    def feed(self, block: bytes, number: int, flush: Callable[[], None], /) -> tuple[int, int]: ...
    def flush(self) -> list[tuple[int, int, datetime | None, datetime | None, list[tuple[int, int]]]]: ...
    def take_counts(self) -> tuple[int, int, int, int]: ...
