"""Process-level tuning of a server: fewer malloc arenas for its worker threads."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("aweigh.serving")
M_ARENA_MAX = -8  # glibc's mallopt parameter number


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's per-thread malloc arenas (each compute thread would otherwise get its
    own, adding tens of MB of idle RSS). A no-op where the C library has no mallopt."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        log.debug("mallopt is not available; malloc arenas left as they are")
        return False
