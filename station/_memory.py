"""Give freed large arrays back to the system at once (glibc's mmap threshold, pinned).

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes with its own
``mmap`` and returns it to the system on ``free``; smaller ones come from the heap,
whose freed space is kept for reuse.  The threshold starts at 128 KB but is
*dynamic*: each freed mmap'd block raises it to that block's size (up to 32 MB), so
after the first few large numpy temporaries of a long analysis, arrays of several
MB are carved from the heap and linger there as resident memory when freed.
Measured on ``decode`` of an hour at 240 kS/s (``bench/memory.py``): 405 MB peak
RSS with the dynamic threshold, 385 MB with it pinned at 4 MB, for about 15 % more
run time (a 128 KB pin gives the same peak and costs 70 %).

Setting the threshold by ``mallopt`` (as the ``MALLOC_MMAP_THRESHOLD_`` environment
variable would, but from inside the process) also switches the dynamic adjustment
off.  :func:`trim_heap` (glibc's ``malloc_trim``) gives back the free heap a long
task left, so the next task on the same process (a batch worker) starts from the
memory it needs, not from the last task's high-water mark.  Elsewhere than glibc
these do nothing.  No library offers this; it is four
lines of :mod:`ctypes`.

Examples
--------
>>> pin_mmap_threshold() in (True, False)
True
>>> trim_heap() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["MMAP_THRESHOLD_BYTES", "pin_mmap_threshold", "trim_heap"]

#: Allocations this large are mmap'd and given back when freed.
MMAP_THRESHOLD_BYTES = 4 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def pin_mmap_threshold(nbytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Pin glibc's mmap threshold at ``nbytes``; False where there is no glibc ``mallopt``."""
    try:
        return bool(_libc().mallopt(_M_MMAP_THRESHOLD, int(nbytes)))
    except (OSError, AttributeError):
        return False


def trim_heap() -> bool:
    """Give the heap's free memory back to the system; False where there is no glibc."""
    try:
        _libc().malloc_trim(0)  # its return says whether anything was given back
        return True
    except (OSError, AttributeError):
        return False
