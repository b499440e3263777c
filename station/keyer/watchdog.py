"""The in-process watchdog: a thread that releases a key-down that lasts too long.

It runs on the monotonic clock (never the injected event clock: it guards real
time) and keeps trying until the release is acknowledged, backing off from 0.2 s to
2 s between attempts.  :mod:`station.keyer.guardian` adds a second, out-of-process
guard for rigctld, which also covers a keying process that is stopped or killed.

Examples
--------
>>> import time
>>> released = []
>>> dog = Watchdog(0.05, lambda: released.append(1) or "ok")
>>> dog.arm(); time.sleep(0.3)
>>> dog.tripped is not None, released
(True, [1])
>>> dog.stop()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Watchdog"]

logger = logging.getLogger(__name__)

_BACKOFF_S = (0.2, 0.5, 1.0, 2.0)


class Watchdog:
    """Thread that calls ``unkey`` when a key-down outlasts ``limit_s``.

    Parameters
    ----------
    limit_s : float
        Longest allowed key-down, s (element + margin).
    unkey : callable
        Releases the key; must be safe to call from this thread; raises on failure.
    monotonic : callable, optional
        Time source, s.

    Attributes
    ----------
    tripped : str or None
        Why it fired (None: never).
    """

    def __init__(
        self,
        limit_s: float,
        unkey: Callable[[], str],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit_s = limit_s
        self._unkey = unkey
        self._monotonic = monotonic
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._armed_at: float | None = None
        self._stop = False
        self.tripped: str | None = None
        self._thread = threading.Thread(target=self._run, name="keyer-watchdog", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """True while the thread runs (a dead watchdog means: do not key)."""
        return self._thread.is_alive()

    def arm(self) -> None:
        """Start timing a key-down."""
        with self._cond:
            self._armed_at = self._monotonic()
            self._deadline = self._armed_at + self.limit_s
            self._cond.notify()

    def disarm(self) -> None:
        """Stop timing: the key is confirmed up."""
        with self._cond:
            self._deadline = None
            self._cond.notify()

    def stop(self) -> None:
        """End the thread."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        attempt = 0
        with self._cond:
            while not self._stop:
                try:
                    if self._deadline is None:
                        attempt = 0
                        self._cond.wait()
                        continue
                    left = self._deadline - self._monotonic()
                    if left > 0:
                        self._cond.wait(timeout=min(left, 3600.0))
                        continue
                    if self.tripped is None:
                        self.tripped = f"key-down longer than {self.limit_s:g} s"
                    try:
                        reply = self._unkey()
                    except Exception as exc:  # keep trying until it is acknowledged
                        wait_s = _BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]
                        attempt += 1
                        logger.error(
                            "watchdog: unkey attempt %d failed (%s); retrying in %g s",
                            attempt, exc, wait_s,
                        )  # fmt: skip
                        self._deadline = self._monotonic() + wait_s
                        continue
                    held_s = self._monotonic() - (self._armed_at or 0.0)
                    logger.error("watchdog: key released (%s) after %.1f s down", reply, held_s)
                    self._deadline = None
                except Exception:  # never die while keying may be on
                    logger.exception("watchdog: unexpected error; still watching")
                    self._deadline = self._monotonic() + 0.2
