"""Refuse every non-loopback network connection in a benchmark process, and log it.

The orchestrator puts this folder on PYTHONPATH for every side it starts (children
inherit it), so Python imports this module at start-up. Connections to 127.0.0.0/8,
::1 and Unix sockets pass; anything else raises OSError(ENETUNREACH) at once and is
appended to the file named by BENCH_NETGUARD_LOG, which the side reports.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

_LOG = os.environ.get("BENCH_NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "ip6-localhost", "::1", "", None}
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    return host in _LOCAL_NAMES or str(host).startswith("127.")


def _refuse(what: str) -> OSError:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {what}\n")
    return OSError(errno.ENETUNREACH, f"bench netguard: network access refused ({what})")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family != getattr(socket, "AF_UNIX", None) and not _is_local(address[0]):
        raise _refuse(f"connect {address!r}")
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family != getattr(socket, "AF_UNIX", None) and not _is_local(address[0]):
        raise _refuse(f"connect_ex {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        raise _refuse(f"getaddrinfo {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
socket.getaddrinfo = _guarded_getaddrinfo
