"""One safety layer for every keying backend.

:class:`SafeKeyer` wraps a :class:`~station.keyer.base.Keyer` and guarantees:

* nothing outside the event's band and the 10 m band is tuned or keyed;
* an independent :class:`~station.keyer.watchdog.Watchdog` thread, on the monotonic
  clock, releases any key-down that outlasts the longest element plus a margin,
  whatever the main loop does, and keeps trying until the release is acknowledged
  (it uses the backend's :meth:`~station.keyer.base.Keyer.emergency_unkey`, which for
  rigctld is its own TCP connection);
* for rigctld, a second guard in its own process
  (:class:`~station.keyer.guardian.Guardian`) releases PTT when this process is
  stopped, hangs or dies, even by SIGKILL (a serial line is released by the kernel
  when the process exits);
* every way out (normal end, exception, the stop signals of
  :mod:`~station.signals`, interpreter exit) releases the key; a key-down is
  never sent after a stop signal, a failure or a watchdog trip.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime

from dsp.morse import key_intervals, wpm_to_dit_s
from station.clock import Clock
from station.errors import InputError, RigError, WatchdogTripped
from station.keyer.base import Keyer
from station.keyer.watchdog import Watchdog
from station.schedule.event import TEN_METRE_BAND_HZ
from station.signals import SignalGuard

__all__ = ["SafeKeyer", "Watchdog"]

logger = logging.getLogger(__name__)


class SafeKeyer:
    """The checks, watchdogs and unkey-on-exit around a backend.

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
        Stop signals: held while a backend command runs; no key-down after one.
    guardian : bool, optional
        Start the out-of-process guard when the backend offers one (rigctld).
    guardian_log : str, optional
        TX log the out-of-process guard appends its records to.
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
        guardian: bool = True,
        guardian_log: str | None = None,
    ) -> None:
        self.backend = backend
        low = max(allowed_hz[0], TEN_METRE_BAND_HZ[0])
        high = min(allowed_hz[1], TEN_METRE_BAND_HZ[1])
        self.allowed_hz = (low, high)
        self.limit_s = max_key_down_s + margin_s
        self.clock = clock
        self.signals = signals
        self.down = False  #: the key may be down (until a release is confirmed)
        self.keyed = False  #: ever keyed down
        self._released: bool | None = None  # result of the last release()
        self.failed: str | None = None
        self._want_guardian = guardian
        self._guardian_log = guardian_log
        self._closed = False
        self.guardian = None
        self.watchdog = Watchdog(self.limit_s, self._watchdog_unkey)
        atexit.register(self._at_exit)

    def _watchdog_unkey(self) -> str:
        reply = self.backend.emergency_unkey()
        self.failed = self.failed or "watchdog"
        return reply

    @contextlib.contextmanager
    def _command(self, *, key_down: bool = False) -> Iterator[None]:
        if self.watchdog.tripped:
            raise WatchdogTripped(
                f"watchdog released the key ({self.watchdog.tripped}); keying stopped"
            )
        if self.failed:
            raise RigError(f"keying already stopped ({self.failed}); nothing more is keyed")
        if key_down:
            if self.signals is not None:
                self.signals.check()  # a stop request: this key-down is never sent
            if not self.watchdog.alive:
                raise RigError("the watchdog thread is not running; not keying")
        guard = self.signals.critical() if self.signals else contextlib.nullcontext()
        try:
            with guard:
                yield
        except RigError as exc:
            self.failed = str(exc)
            raise

    def open(self, freq_hz: float, mode: str) -> str:
        """Check the frequency, tune (the key stays up), start the out-of-process guard."""
        low, high = self.allowed_hz
        if not low <= freq_hz <= high:
            raise InputError(
                f"frequency {freq_hz / 1e6:.6f} MHz is outside the allowed "
                f"{low / 1e6:.6f}-{high / 1e6:.6f} MHz (event band within 10 m); not keying"
            )
        with self._command():
            reply = self.backend.open(freq_hz, mode)
            make = getattr(self.backend, "guardian", None)
            if self._want_guardian and make is not None:
                self.guardian = make(self.limit_s, self._guardian_log)
        return reply

    def key(self, down: bool) -> str:
        """Key down or up; both watchdogs are armed before a key-down is sent."""
        with self._command(key_down=down):
            if down:
                if self.guardian is not None:
                    self.guardian.send("down")
                self.watchdog.arm()
                self.down = self.keyed = True
                self._released = None
                return self.backend.set_key(True)
            reply = self.backend.set_key(False)
            self._confirm_up()
            return reply

    def _confirm_up(self) -> None:
        self.down = False
        self.watchdog.disarm()
        if self.guardian is not None:
            with contextlib.suppress(RigError):
                self.guardian.send("up")

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

    def _wait(self, start: datetime, offset_s: float) -> None:
        assert self.clock is not None
        self.clock.sleep(offset_s - (self.clock.now() - start).total_seconds())

    def release(self) -> bool | None:
        """Make sure the key is up: the normal path, then the independent one.

        Signals are held meanwhile.  Returns True when the backend confirmed the key
        is up, False when it could not (the watchdogs then stay armed and keep
        trying), None when it cannot tell.
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
            if confirmed is not False:
                self._confirm_up()
            elif not self.down:  # keep both watchdogs on it
                self.down = True
                self.watchdog.arm()
            self._released = confirmed
            return confirmed

    def close(self) -> bool | None:
        """Release the key and close everything; returns :meth:`release`'s answer.

        When the release could not be confirmed, the out-of-process guard is left
        running to keep trying after this process has exited.
        """
        self._closed = True
        try:
            if self.down or self._released is None:
                return self.release()
            return self._released
        finally:
            confirmed = not self.down
            if confirmed:
                self.watchdog.stop()
            if self.guardian is not None:
                self.guardian.close(key_confirmed_up=confirmed)
            try:
                self.backend.close()
            except Exception as exc:  # the key is already released (or could not be)
                logger.warning("closing %s: %s", self.backend.name, exc)
            if confirmed:
                atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:  # last resort if close() was never reached
        if self._closed:
            return  # close() tried; the guardian (if any) goes on trying
        for _ in range(3):
            if not self.down:
                return
            try:
                self.backend.emergency_unkey()
                self.down = False
            except Exception as exc:
                logger.error("at exit: could not release the key: %s", exc)
