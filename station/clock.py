"""Clocks: the injected source of "now" and of sleeping, and the system clock's health.

Everything that waits for a UTC instant takes a :class:`Clock`, so a two-hour event
runs in milliseconds under :class:`SimulatedClock` and on time under
:class:`SystemClock`.  :func:`clock_status` asks the kernel whether NTP keeps the
system clock synchronized, and how far off it may be.

Examples
--------
>>> from datetime import UTC, datetime, timedelta
>>> clock = SimulatedClock(datetime(2013, 10, 9, 17, 59, 58, tzinfo=UTC))
>>> sleep_until(clock, datetime(2013, 10, 9, 18, 0, tzinfo=UTC))
>>> clock.now().isoformat()
'2013-10-09T18:00:00+00:00'
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "YEARS",
    "Clock",
    "ClockStatus",
    "SimulatedClock",
    "SystemClock",
    "clock_status",
    "sleep_until",
]


#: Years a UTC time given to hi-station may lie in (event starts, recording starts,
#: command-line times): every round, Waves day and file name around them can be dated
#: (later years overflow :class:`datetime.datetime` arithmetic).
YEARS = (1900, 2999)


class Clock(Protocol):
    """Where "now" comes from, and how to wait."""

    def now(self) -> datetime:
        """Return the current time, aware, in UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (no-op for <= 0)."""
        ...


class SystemClock:
    """The machine's clock: :func:`datetime.now` in UTC and :func:`time.sleep`.

    Examples
    --------
    >>> SystemClock().now().tzinfo is UTC
    True
    """

    def now(self) -> datetime:  # noqa: D102
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:  # noqa: D102
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that only moves when slept on (thread-safe), for tests and rehearsals.

    Parameters
    ----------
    start_utc : datetime
        The initial time (aware).
    """

    def __init__(self, start_utc: datetime) -> None:
        if start_utc.tzinfo is None:
            raise ValueError(f"start_utc={start_utc} must be timezone-aware")
        self._now = start_utc.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:  # noqa: D102
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:  # noqa: D102
        if seconds > 0:
            with self._lock:
                self._now += timedelta(seconds=seconds)


def sleep_until(
    clock: Clock,
    when_utc: datetime,
    *,
    tick: Callable[[datetime], None] | None = None,
    tick_s: float = 0.25,
    quiet_s: float = 1.0,
) -> None:
    """Wait until ``when_utc``, calling ``tick(now)`` about every ``tick_s`` meanwhile.

    No tick is made in the last ``quiet_s`` before the target, so a slow tick (a
    display) cannot delay the action that follows; the last sleep ends exactly at
    the target (to the resolution of the clock's ``sleep``).
    """
    while (remaining_s := (when_utc - clock.now()).total_seconds()) > 0:
        if tick is not None and remaining_s > quiet_s + tick_s:
            tick(clock.now())
            remaining_s = (when_utc - clock.now()).total_seconds()
            clock.sleep(min(tick_s, remaining_s - quiet_s))
        else:
            clock.sleep(remaining_s)


@dataclass(frozen=True, slots=True)
class ClockStatus:
    """What the kernel knows about the system clock's accuracy.

    Attributes
    ----------
    synchronized : bool or None
        True when NTP (or PTP) disciplines the clock; None when unknown (not Linux).
    est_error_s, max_error_s : float or None
        Kernel's estimated and maximum error, s.
    """

    synchronized: bool | None
    est_error_s: float | None
    max_error_s: float | None

    @property
    def warning(self) -> str:
        """One line to show the operator, empty when the clock is good.

        Examples
        --------
        >>> ClockStatus(False, None, 16.0).warning
        'system clock is not NTP-synchronized (max error 16 s): edges may be off; run chrony or ntpd'
        >>> ClockStatus(True, 0.001, 0.05).warning
        ''
        """  # noqa: E501
        if self.synchronized is None:
            return "system clock synchronization unknown: check NTP before keying"
        if not self.synchronized:
            err = "" if self.max_error_s is None else f" (max error {self.max_error_s:.3g} s)"
            return (
                f"system clock is not NTP-synchronized{err}: edges may be off; run chrony or ntpd"
            )
        if self.max_error_s is not None and self.max_error_s > 0.5:
            return f"system clock max error {self.max_error_s:.3g} s: edges may be off by that much"
        return ""


class _Timex(ctypes.Structure):
    # struct timex from <sys/timex.h> (Linux, 64-bit): 11 longs then padding.
    _fields_ = [
        ("modes", ctypes.c_uint),
        ("offset", ctypes.c_long),
        ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long),
        ("esterror", ctypes.c_long),
        ("status", ctypes.c_int),
        ("constant", ctypes.c_long),
        ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long),
        ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long),
        ("tick", ctypes.c_long),
        ("_rest", ctypes.c_long * 20),
    ]


_TIME_ERROR = 5  # adjtimex return value: clock not synchronized
_STA_UNSYNC = 0x0040


def clock_status() -> ClockStatus:
    """Ask the kernel (``adjtimex``) how well the system clock is synchronized.

    Read-only (``modes = 0``); never needs privileges.  Returns all-None fields where
    the call is unavailable.

    Examples
    --------
    >>> isinstance(clock_status().warning, str)
    True
    """
    if not sys.platform.startswith("linux"):
        return ClockStatus(None, None, None)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        tx = _Timex()
        state = libc.adjtimex(ctypes.byref(tx))
    except (OSError, AttributeError):
        return ClockStatus(None, None, None)
    if state < 0:
        return ClockStatus(None, None, None)
    synced = state != _TIME_ERROR and not tx.status & _STA_UNSYNC
    return ClockStatus(synced, tx.esterror / 1e6, tx.maxerror / 1e6)
