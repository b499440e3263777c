"""One safety layer for every keying backend.

:class:`SafeKeyer` wraps a :class:`~station.keyer.base.Keyer` and guarantees:

* nothing outside the event's band and the 10 m band is tuned or keyed;
* an independent :class:`Watchdog` thread, on the monotonic clock, unkeys any
  key-down that outlasts the longest element plus a margin, whatever the main loop
  does (it uses the backend's :meth:`~station.keyer.base.Keyer.emergency_unkey`,
  which for rigctld is its own TCP connection);
* every way out (normal end, exception, SIGINT, SIGTERM, SIGHUP, interpreter exit)
  releases the key; after a failure or a watchdog trip, nothing is keyed again.

:class:`SignalGuard` turns SIGTERM and SIGHUP into :class:`KeyingInterrupted` (SIGINT
too) and defers them while a command to the rig is half-way, so the connection is
never left out of step.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

from dsp.morse import key_intervals, wpm_to_dit_s
from station.clock import Clock
from station.errors import InputError, RigError, WatchdogTripped
from station.keyer.base import Keyer
from station.schedule.event import TEN_METRE_BAND_HZ

__all__ = ["KeyingInterrupted", "SafeKeyer", "SignalGuard", "Watchdog"]

logger = logging.getLogger(__name__)


class KeyingInterrupted(BaseException):  # noqa: N818  (like KeyboardInterrupt)
    """A signal asked keying to stop.

    Attributes
    ----------
    signum : int
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        """Shell convention: 128 + signal number."""
        return 128 + self.signum


class SignalGuard:
    """Raise :class:`KeyingInterrupted` on SIGINT/SIGTERM/SIGHUP, outside critical sections.

    Use as a context manager in the main thread; handlers are restored on exit.
    """

    SIGNALS = tuple(
        s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s
    )

    def __init__(self) -> None:
        self._depth = 0
        self.pending: int | None = None
        self._old: dict[int, object] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.pending = signum
        if self._depth == 0:
            raise KeyingInterrupted(signum)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Defer signals until the block ends (a rig command and its reply)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self.pending is not None:
            raise KeyingInterrupted(self.pending)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Defer signals during the block without raising at its end (shutdown paths)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._old[s] = signal.signal(s, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)  # type: ignore[arg-type]
        self._old.clear()


class Watchdog:
    """Thread that calls ``unkey`` when a key-down outlasts ``limit_s``.

    Parameters
    ----------
    limit_s : float
        Longest allowed key-down, s (element + margin).
    unkey : callable
        Releases the key; must be safe to call from this thread.
    monotonic : callable, optional
        Time source, s (never the injected event clock: the watchdog guards real time).
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
        self._stop = False
        self.tripped: str | None = None  #: why it fired (None: never)
        self._thread = threading.Thread(target=self._run, name="keyer-watchdog", daemon=True)
        self._thread.start()

    def arm(self) -> None:
        """Start timing a key-down."""
        with self._cond:
            self._deadline = self._monotonic() + self.limit_s
            self._cond.notify()

    def disarm(self) -> None:
        """Stop timing: the key is up."""
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
        with self._cond:
            while not self._stop:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - self._monotonic()
                if left > 0:
                    self._cond.wait(timeout=left)
                    continue
                self._deadline = None
                self.tripped = f"key-down longer than {self.limit_s:g} s"
                for attempt in range(3):
                    try:
                        reply = self._unkey()
                    except Exception as exc:  # keep trying; report
                        logger.error("watchdog: unkey attempt %d failed: %s", attempt + 1, exc)
                        self._cond.wait(timeout=0.2)
                    else:
                        logger.error("watchdog: key released (%s) after %g s", reply, self.limit_s)
                        break


class SafeKeyer:
    """The checks, watchdog and unkey-on-exit around a backend.

    Parameters
    ----------
    backend : Keyer
    allowed_hz : (float, float)
        The event's band; intersected with the 10 m band.
    max_key_down_s : float
        Longest element the plan keys, s.
    margin_s : float, optional
        Watchdog margin beyond ``max_key_down_s``.
    clock : Clock, optional
        Sleeps for self-keyed identification (backends without a keyer).
    signals : SignalGuard, optional
        Signals are deferred while a backend command runs.
    """

    def __init__(
        self,
        backend: Keyer,
        *,
        allowed_hz: tuple[float, float],
        max_key_down_s: float,
        margin_s: float = 3.0,
        clock: Clock | None = None,
        signals: SignalGuard | None = None,
    ) -> None:
        self.backend = backend
        low = max(allowed_hz[0], TEN_METRE_BAND_HZ[0])
        high = min(allowed_hz[1], TEN_METRE_BAND_HZ[1])
        self.allowed_hz = (low, high)
        self.clock = clock
        self.signals = signals
        self.down = False
        self.keyed = False  #: ever keyed down
        self._released: bool | None = None  # result of the last release()
        self.failed: str | None = None
        self.watchdog = Watchdog(max_key_down_s + margin_s, self._watchdog_unkey)
        atexit.register(self._at_exit)

    def _watchdog_unkey(self) -> str:
        reply = self.backend.emergency_unkey()
        self.failed = self.failed or "watchdog"
        return reply

    @contextlib.contextmanager
    def _command(self) -> Iterator[None]:
        if self.watchdog.tripped:
            raise WatchdogTripped(
                f"watchdog released the key ({self.watchdog.tripped}); keying stopped"
            )
        if self.failed:
            raise RigError(f"keying already stopped ({self.failed}); nothing more is keyed")
        guard = self.signals.critical() if self.signals else contextlib.nullcontext()
        try:
            with guard:
                yield
        except RigError as exc:
            self.failed = str(exc)
            raise

    def open(self, freq_hz: float, mode: str) -> str:
        """Check the frequency, then tune (the key stays up)."""
        low, high = self.allowed_hz
        if not low <= freq_hz <= high:
            raise InputError(
                f"frequency {freq_hz / 1e6:.6f} MHz is outside the allowed "
                f"{low / 1e6:.6f}-{high / 1e6:.6f} MHz (event band within 10 m); not keying"
            )
        with self._command():
            return self.backend.open(freq_hz, mode)

    def key(self, down: bool) -> str:
        """Key down or up; the watchdog is armed before a key-down is sent."""
        with self._command():
            if down:
                self.watchdog.arm()
                self.down = self.keyed = True
                self._released = None
                return self.backend.set_key(True)
            reply = self.backend.set_key(False)
            self.down = False
            self.watchdog.disarm()
            return reply

    def key_state(self) -> bool | None:
        """Read the key state back from the backend."""
        with self._command():
            return self.backend.key_state()

    def identify(self, text: str, wpm: float) -> str:
        """Send the identification: the rig's keyer, or element by element here."""
        with self._command():
            reply = self.backend.identify(text, wpm)
        if reply is not None:
            return reply
        if self.clock is None:
            raise RigError("identification needs a clock to time the elements")
        start = self.clock.now()
        for a, b in key_intervals(text, wpm_to_dit_s(wpm)):
            self._wait(start, a)
            self.key(True)
            self._wait(start, b)
            self.key(False)
        return f"keyed {text!r} at {wpm:g} WPM"

    def _wait(self, start, offset_s: float) -> None:
        assert self.clock is not None
        left = offset_s - (self.clock.now() - start).total_seconds()
        self.clock.sleep(left)

    def release(self) -> bool | None:
        """Make sure the key is up: the normal path, then the independent one.

        Signals are held off meanwhile.  Returns True when the backend confirmed the
        key is up, False when it could not be reached, None when it cannot tell.
        """
        guard = self.signals.held() if self.signals else contextlib.nullcontext()
        with guard:
            confirmed: bool | None = None
            if self.failed is None and not self.watchdog.tripped:
                try:
                    self.backend.set_key(False)
                    state = self.backend.key_state()
                    confirmed = None if state is None else not state
                except Exception as exc:  # fall through to the independent path
                    logger.warning("normal unkey failed (%s); using the emergency path", exc)
            if confirmed is not True and (self.keyed or self.failed is None):
                try:
                    self.backend.emergency_unkey()
                    confirmed = True
                except Exception as exc:
                    if self.keyed:
                        logger.error("could not release the key: %s", exc)
                    confirmed = False if self.keyed else None
            self.down = False
            self.watchdog.disarm()
            self._released = confirmed
            return confirmed

    def close(self) -> bool | None:
        """Release the key, stop the watchdog, close the backend (returns :meth:`release`)."""
        try:
            if self.down or self._released is None:
                return self.release()
            return self._released
        finally:
            self.watchdog.stop()
            try:
                self.backend.close()
            except Exception as exc:  # the key is already released (or could not be)
                logger.warning("closing %s: %s", self.backend.name, exc)
            atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:  # last resort if close() was never reached
        if self.down:
            with contextlib.suppress(Exception):
                self.backend.emergency_unkey()
