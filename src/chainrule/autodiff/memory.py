"""Keep freed memory for the next training step instead of returning it to the system.

A training step allocates the same large arrays on every step (activations, gradients,
column matrices), and frees them at the end. glibc's malloc serves an allocation above
its mmap threshold (128 KiB at first, raised to at most 32 MiB as large blocks are freed)
with a fresh ``mmap``, and returns free memory above its trim threshold at the top of the
heap to the system. Either way the next step touches new pages, and the kernel faults
each one in and zeroes it: for the LeNet-like network of the benchmarks (W6) that was
about 7,000 page faults and 40% of the step.

:func:`keep_freed_memory` raises both thresholds once, at import, with ``mallopt``: blocks
up to ``MMAP_THRESHOLD`` come from the heap, and up to ``TRIM_THRESHOLD`` of free heap is
kept. The peak memory is unchanged; the resident memory after a peak stays at most
``TRIM_THRESHOLD`` higher. It does nothing outside glibc (macOS, Windows, musl), and
nothing when the environment already sets one of glibc's own variables
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, ...): set one of those to keep
the system's behaviour.
"""
from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 32 << 20      # glibc's largest allowed value (HEAP_MAX_SIZE / 2 on 64-bit)
TRIM_THRESHOLD = 128 << 20

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3        # glibc's mallopt parameter numbers
_GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                    "MALLOC_MMAP_MAX_")


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module docstring); True if it did."""
    if not sys.platform.startswith("linux") or any(v in os.environ for v in _GLIBC_VARIABLES):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version           # glibc only: musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


ACTIVE = keep_freed_memory()        # whether the thresholds were raised in this process
