r"""One feed task for every page: poll the run folder, encode each event once, fan out.

The task polls :class:`~station.web.feed.RunFeed` every ``poll_s`` (0.1 s) and sends a
``clock`` event every second, so each page can keep its clock and countdown on the
server's time.  Each event is encoded once as a Server-Sent Events message (``event:
NAME`` and ``data: {"t": server unix ms, "d": payload}``); a client costs one bounded
queue and a ``put_nowait`` per message.  A client that falls ``queue_size`` messages
behind is dropped (its page reconnects and gets a fresh snapshot).

Examples
--------
>>> sse_message("clock", None, now_s=lambda: 1.5)
b'event: clock\ndata: {"t":1500.0,"d":null}\n\n'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from station.web.feed import RunFeed

__all__ = ["Hub", "sse_message"]

logger = logging.getLogger(__name__)

#: The page's EventSource waits this long before reconnecting, ms.
RETRY_MS = 2000


def sse_message(name: str, payload: Any, *, now_s: Callable[[], float] = time.time) -> bytes:
    """Encode one Server-Sent Events message carrying the server's clock."""
    data = json.dumps({"t": round(now_s() * 1000.0, 1), "d": payload}, separators=(",", ":"))
    return f"event: {name}\ndata: {data}\n\n".encode()


class Hub:
    """The feed task and its clients (all in the server's event loop).

    Parameters
    ----------
    feed : RunFeed
    now_s : callable
        The server's clock, unix seconds (injected in tests).
    poll_s : float
        Seconds between polls of the run folder.
    queue_size : int
        Messages a slow client may fall behind before it is dropped.
    """

    def __init__(self, feed: RunFeed, *, now_s: Callable[[], float] = time.time,
                 poll_s: float = 0.1, queue_size: int = 256) -> None:  # fmt: skip
        self.feed = feed
        self.now_s = now_s
        self.poll_s = poll_s
        self.queue_size = queue_size
        self._clients: set[asyncio.Queue[bytes | None]] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def clients(self) -> int:
        """Pages connected now."""
        return len(self._clients)

    def start(self) -> None:
        """Start the feed task (in the running loop)."""
        self.feed.poll()  # the state so far becomes the first snapshot, not a burst of events
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop the feed task and end every client's stream."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for q in list(self._clients):
            self._offer(q, None)

    def _offer(self, q: asyncio.Queue[bytes | None], msg: bytes | None) -> None:
        try:
            q.put_nowait(msg)
        except asyncio.QueueFull:
            logger.warning("dashboard: a client fell %d messages behind; dropped", q.maxsize)
            self._clients.discard(q)
            q.get_nowait()
            q.put_nowait(None)

    def _broadcast(self, msg: bytes) -> None:
        for q in list(self._clients):
            self._offer(q, msg)

    async def _run(self) -> None:
        next_clock = 0.0
        while True:
            try:
                events = self.feed.poll()
            except Exception:  # a reader bug must not end the feed for every page
                logger.exception("dashboard: reading %s failed", self.feed.run_dir)
                events = []
            for name, payload in events:
                self._broadcast(sse_message(name, payload, now_s=self.now_s))
            now = time.monotonic()
            if now >= next_clock:
                next_clock = now + 1.0
                self._broadcast(sse_message("clock", None, now_s=self.now_s))
            await asyncio.sleep(self.poll_s)

    async def stream(self) -> AsyncIterator[bytes]:
        """One client's stream: ``hello``, the snapshot, then every message until the hub closes."""
        q: asyncio.Queue[bytes | None] = asyncio.Queue(self.queue_size)
        # The snapshot and the registration happen with no await between them: nothing
        # is missed or sent twice.
        first = [f"retry: {RETRY_MS}\n\n".encode(), sse_message("hello", None, now_s=self.now_s)]
        first += [sse_message(n, p, now_s=self.now_s) for n, p in self.feed.snapshot()]
        first.append(sse_message("clock", None, now_s=self.now_s))
        self._clients.add(q)
        try:
            yield b"".join(first)
            while (msg := await q.get()) is not None:
                yield msg
        finally:
            self._clients.discard(q)
