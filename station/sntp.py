"""The system clock measured against NTP servers (SNTP, by ``ntplib``), and what it allows.

:func:`measure_offset` asks the given servers in turn, a few requests each, and
keeps the answer with the shortest round trip: a :class:`ClockOffset`.
:func:`judge_offset` turns it into a refusal or a warning for a keying session
(QRSS30 edges matter to about 0.1 s; WSJT-X users are told to stay within 1 s).

The sign is NTP's: ``offset_s`` is the server's clock minus this machine's, so
``+2.0`` means this machine is 2 s behind.

Examples
--------
>>> parse_server("127.0.0.1:11123"), parse_server("pool.ntp.org")
(('127.0.0.1', 11123), ('pool.ntp.org', 123))
>>> from datetime import UTC, datetime
>>> ok = ClockOffset(0.012, 0.030, "pool.ntp.org:123", datetime(2026, 1, 1, tzinfo=UTC))
>>> judge_offset(ok, ClockLimits())
(None, '')
>>> judge_offset(ClockOffset(0.3, 0.03, "a:123", ok.measured_utc), ClockLimits())[1]
'clock offset +0.300 s (a:123) is above 0.1 s: edges will be off by that much'
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import ntplib

from station.errors import InputError

__all__ = [
    "DEFAULT_SERVERS",
    "ClockLimits",
    "ClockOffset",
    "check_clock",
    "judge_offset",
    "measure_offset",
    "parse_server",
]

#: Servers asked when none are configured (the NTP Pool's round-robin names).
DEFAULT_SERVERS = ("0.pool.ntp.org", "1.pool.ntp.org", "2.pool.ntp.org")

#: How to fix a clock that cannot be measured or is off (the end of every refusal).
_FIX = "fix the clock (chrony or ntpd), name a reachable server with --ntp-server HOST[:PORT], "
_FIX += "or key anyway with --ignore-clock"


def parse_server(text: str, *, name: str = "--ntp-server") -> tuple[str, int]:
    """Split ``HOST[:PORT]`` (port 123 by default; ``[::1]:123`` for IPv6).

    Raises
    ------
    InputError
        Empty host or a port outside 1-65535.

    Examples
    --------
    >>> parse_server("[::1]:11123")
    ('::1', 11123)
    """
    raw = str(text).strip()
    if raw.startswith("["):
        host, bracket, rest = raw[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ("" if bracket and not rest else "x")
    elif raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
    else:
        host, port_text = raw, ""
    try:
        port = int(port_text) if port_text else 123
    except ValueError:
        port = -1
    if not host or not 1 <= port <= 65535:
        raise InputError(f"{name}={text!r} must be HOST or HOST:PORT, e.g. pool.ntp.org:123")
    return host, port


@dataclass(frozen=True, slots=True)
class ClockOffset:
    """One measurement of the system clock against NTP.

    Attributes
    ----------
    offset_s : float or None
        Server clock minus this machine's clock, s; None when no server answered.
    delay_s : float or None
        Round trip of the kept request, s (the offset's uncertainty is half of it).
    server : str or None
        ``HOST:PORT`` that answered.
    measured_utc : datetime
        When the measurement was made (this machine's clock).
    error : str
        Why no server answered (empty when one did).
    """

    offset_s: float | None
    delay_s: float | None
    server: str | None
    measured_utc: datetime
    error: str = ""

    @property
    def measured(self) -> bool:
        """True when a server answered."""
        return self.offset_s is not None

    def describe(self) -> str:
        """One line for the operator.

        Examples
        --------
        >>> ClockOffset(-0.0021, 0.0004, "h:123", datetime(2026, 1, 1, tzinfo=UTC)).describe()
        'offset -0.002 s against h:123 (round trip 0.4 ms)'
        """
        if self.offset_s is None:
            return f"not measured: {self.error}"
        delay = "" if self.delay_s is None else f" (round trip {self.delay_s * 1e3:.1f} ms)"
        return f"offset {self.offset_s:+.3f} s against {self.server}{delay}"


@dataclass(frozen=True, slots=True)
class ClockLimits:
    """When a keying session refuses or warns about the measured clock.

    Attributes
    ----------
    max_offset_s : float
        ``--transmit`` refuses above this |offset|.
    warn_offset_s : float
        Warn above this |offset|.
    ignore : bool
        Never refuse (``--ignore-clock``).
    """

    max_offset_s: float = 0.5
    warn_offset_s: float = 0.1
    ignore: bool = False

    def __post_init__(self) -> None:
        for key in ("max_offset_s", "warn_offset_s"):
            value = getattr(self, key)
            if not (math.isfinite(value) and 0 < value <= 3600):
                flag = "--max-clock-offset-s" if key == "max_offset_s" else "--warn-clock-offset-s"
                raise InputError(f"{flag}={value:g} must be above 0 and at most 3600 s")


def _request(host: str, port: int, timeout_s: float) -> tuple[float, float]:
    """One SNTP request: (offset_s, delay_s); raises OSError or ntplib.NTPException."""
    stats = ntplib.NTPClient().request(host, port=port, version=4, timeout=timeout_s)
    if stats.leap == 3 or stats.stratum == 0:
        raise ntplib.NTPException(f"{host}:{port} is not synchronized (leap 3 or stratum 0)")
    return float(stats.offset), float(stats.delay)


def measure_offset(
    servers: Sequence[str] = DEFAULT_SERVERS,
    *,
    samples: int = 3,
    budget_s: float = 2.0,
    now: Callable[[], datetime] | None = None,
) -> ClockOffset:
    """Measure the system clock against the first of ``servers`` that answers.

    Up to ``samples`` requests go to that server; the one with the shortest round
    trip is kept.  Everything ends within about ``budget_s`` (a name lookup that
    hangs is the exception).

    Parameters
    ----------
    servers : sequence of str
        ``HOST[:PORT]`` each (:func:`parse_server`), asked in order.
    samples : int, optional
        Requests to the answering server.
    budget_s : float, optional
        Time for the whole measurement, s.
    now : callable, optional
        This machine's UTC clock (default :func:`datetime.now`).

    Returns
    -------
    ClockOffset
        ``offset_s`` None, with ``error`` saying why, when no server answered.

    Raises
    ------
    InputError
        A malformed server, or no server at all.
    """
    parsed = [parse_server(s) for s in servers]
    if not parsed:
        raise InputError("no NTP server given: name one with --ntp-server HOST[:PORT]")
    clock = now or (lambda: datetime.now(UTC))
    deadline = time.monotonic() + budget_s
    measured_utc = clock()
    errors: list[str] = []
    for host, port in parsed:
        answers: list[tuple[float, float]] = []
        for _ in range(samples):
            left_s = deadline - time.monotonic()
            if left_s <= 0.01:
                break
            try:
                answers.append(_request(host, port, min(1.0, left_s)))
            except (OSError, ntplib.NTPException) as exc:  # socket.gaierror is an OSError
                errors.append(f"{host}:{port}: {_why(exc)}")
                break
        if answers:
            offset_s, delay_s = min(answers, key=lambda a: a[1])
            return ClockOffset(offset_s, delay_s, f"{host}:{port}", measured_utc)
        if deadline - time.monotonic() <= 0.01:
            errors.append(f"the {budget_s:g} s budget ran out")
            break
    return ClockOffset(None, None, None, measured_utc, "; ".join(dict.fromkeys(errors)))


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "name not found"
    text = str(exc).strip()
    return "no answer" if "No response" in text else (text or type(exc).__name__)


def judge_offset(
    offset: ClockOffset | None, limits: ClockLimits, *, transmit: bool = True
) -> tuple[str | None, str]:
    """Decide what a session does with a measured clock: (refusal or None, warning).

    Only ``transmit`` sessions are refused (a dry run only warns), and never with
    ``limits.ignore``; ``offset`` None means the clock was not measured (ignored).

    Examples
    --------
    >>> when = datetime(2026, 1, 1, tzinfo=UTC)
    >>> refusal, _ = judge_offset(ClockOffset(3.0, 0.001, "h:123", when), ClockLimits())
    >>> refusal.startswith("clock offset +3.000 s (h:123) is above the 0.5 s limit")
    True
    >>> judge_offset(ClockOffset(3.0, 0.001, "h:123", when), ClockLimits(), transmit=False)[0]
    >>> judge_offset(ClockOffset(None, None, None, when, "h:123: no answer"),
    ...              ClockLimits())[0]  # doctest: +ELLIPSIS
    'no NTP server answered (h:123: no answer): fix the clock ..., name a reachable ...'
    """
    if offset is None:
        return None, ""
    if offset.offset_s is None:
        problem = f"no NTP server answered ({offset.error})"
        refuse = transmit and not limits.ignore
        return (f"{problem}: {_FIX}" if refuse else None), ("" if refuse else problem)
    size_s = abs(offset.offset_s)
    said = f"clock offset {offset.offset_s:+.3f} s ({offset.server})"
    if size_s > limits.max_offset_s and transmit and not limits.ignore:
        return f"{said} is above the {limits.max_offset_s:g} s limit: not keying; {_FIX}", ""
    if size_s > limits.warn_offset_s:
        return None, f"{said} is above {limits.warn_offset_s:g} s: edges will be off by that much"
    return None, ""


def check_clock(
    servers: Sequence[str], limits: ClockLimits, *, transmit: bool, budget_s: float = 2.0
) -> tuple[ClockOffset | None, str]:
    """Measure the clock for a keying session and apply ``limits``: (offset, warning).

    With ``limits.ignore`` nothing is measured (offset None).

    Raises
    ------
    InputError
        ``transmit`` and the offset is above ``limits.max_offset_s``, or no server
        answered; the message names the fix (``--ntp-server``, ``--ignore-clock``).
    """
    if limits.ignore:
        return None, ""
    offset = measure_offset(servers, budget_s=budget_s)
    refusal, warning = judge_offset(offset, limits, transmit=transmit)
    if refusal is not None:
        raise InputError(refusal)
    return offset, warning
