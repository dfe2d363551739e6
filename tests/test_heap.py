"""hybridfw.heap: with glibc's mmap threshold fixed, a freed file-sized buffer leaves the
process even after a bigger one was freed before it (glibc would have raised the threshold
and served the second from the heap)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

_CODE = """
from hybridfw.heap import return_big_blocks
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 >> 20
print(return_big_blocks(), return_big_blocks())
big = bytearray(b"x" * (16 << 20)); del big  # glibc would now serve up to 16 MiB from the heap
held = bytearray(b"y" * (6 << 20)); before = rss(); del held
print(before - rss())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="tunes glibc's malloc only")
def test_freed_big_buffers_go_back_to_the_system() -> None:
    out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split("\n")
    assert out[0] == "True True"
    assert int(out[1]) >= 5  # the 6 MiB buffer's pages were returned at once
