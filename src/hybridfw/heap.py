"""Process heap settings for big inputs (a ruleset file of 100k rules is several MB of text).

glibc's malloc serves a block of 128 KiB or more with its own mmap and unmaps it when freed,
but after the first such free it raises that threshold to the freed size (up to 32 MiB): the
next file's bytes and text then come from the heap, and freed there they stay resident under
everything allocated after them. `return_big_blocks` fixes the threshold at 128 KiB (which
also stops the raising), so every freed file-sized buffer goes back to the system.
"""

from __future__ import annotations

import sys
from functools import cache

_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_THRESHOLD = 128 * 1024  # glibc's default, kept fixed


@cache
def return_big_blocks() -> bool:
    """Fix glibc's mmap threshold (once per process); False where there is no glibc malloc to
    tune (another libc or system: nothing changes). Only memory use changes, never a result."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(_M_MMAP_THRESHOLD, _THRESHOLD))
