"""Socket waits that end at a deadline and give way to a stop request within :data:`POLL_S`.

A blocking ``recv`` or ``connect`` with a long timeout would hold a capture for that
long after its first Ctrl-C; these wait in slices and ask ``should_stop()`` between
them (used by :class:`station.sdr.rtltcp.RtlTcpSource`).
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from collections.abc import Callable

__all__ = ["POLL_S", "Stopped", "dial", "recv_exact"]

#: Longest any socket call waits before the source looks at :attr:`RtlTcpSource.should_stop`.
POLL_S = 0.1


class Stopped(Exception):  # noqa: N818
    """A stop was asked for while waiting."""


def recv_exact(
    sock: socket.socket, n: int, within_s: float, should_stop: Callable[[], bool]
) -> bytes:
    """``n`` bytes, or fewer when the peer closes; ``TimeoutError`` after ``within_s`` in all.

    A deadline for the whole read, not for each ``recv``: a server that trickles a
    byte now and then never lets a per-call timeout expire.  Waits in slices of
    :data:`POLL_S` and raises ``Stopped`` when ``should_stop()`` turns true.
    """
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    deadline = time.monotonic() + within_s
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{got} of {n} bytes in {within_s:g} s")
        if should_stop():
            raise Stopped
        sock.settimeout(min(left, POLL_S))
        try:
            k = sock.recv_into(view[got:])
        except TimeoutError:
            continue
        if k == 0:
            break
        got += k
    return bytes(buf[:got])


def dial(host: str, port: int, within_s: float, should_stop: Callable[[], bool]) -> socket.socket:
    """Connect like ``socket.create_connection``, in :data:`POLL_S` slices (``Stopped``)."""
    last: OSError = OSError(errno.EADDRNOTAVAIL, "no address")
    deadline = time.monotonic() + within_s
    for family, kind, proto, _, addr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            code = sock.connect_ex(addr)
            while code in (errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK):
                if should_stop():
                    raise Stopped
                left = deadline - time.monotonic()
                if left <= 0:
                    code = errno.ETIMEDOUT
                    break
                if select.select([], [sock], [], min(left, POLL_S))[1]:
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code == 0:
                sock.setblocking(True)
                return sock
            last = OSError(code, os.strerror(code))
        except BaseException:
            sock.close()
            raise
        sock.close()
    raise last
