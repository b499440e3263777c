"""UTC times as text: every parse and format of a UTC time in :mod:`station` is here.

A module of its own beside :mod:`station.clock`, not inside it: :mod:`station.clock`
is the source of "now" and of sleeping (it touches the kernel, threads and the NTP
state), while this module is pure text <-> time conversion that readers, writers and
the command line all need without pulling in a clock.  The years a time may lie in
stay :data:`station.clock.YEARS`, checked by the callers that date things.

Two representations:

- aware :class:`~datetime.datetime` in UTC (recordings, events, plans, the TX log):
  :func:`parse_iso`, :func:`parse_aware`, :func:`parse_utc` read ISO 8601 / RFC 3339
  text, :func:`format_utc` and :func:`utc_z` write it with ``Z``;
- float unix seconds (Waves time axes, :mod:`station.waves`): :func:`iso_to_unix_s`,
  :func:`parse_scet` (PDS day-of-year times), :func:`format_unix_s`,
  :func:`format_scet` and :func:`utc_from_unix_s`.

:func:`format_hms` writes a time of day (``HH:MM:SSZ``) for calendars and tables.

Examples
--------
>>> when = parse_utc("2013-10-09T20:00:00+02:00")
>>> format_utc(when), utc_z(when)
('2013-10-09T18:00:00.000000Z', '2013-10-09T18:00:00.000Z')
>>> format_unix_s(iso_to_unix_s("2013-10-09T18:00:00.25Z"))
'2013-10-09T18:00:00.250Z'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from station.errors import InputError

__all__ = [
    "format_day_time",
    "format_file_stamp",
    "format_hm",
    "format_hms",
    "format_scet",
    "format_unix_s",
    "format_utc",
    "iso_to_unix_s",
    "parse_aware",
    "parse_iso",
    "parse_scet",
    "parse_utc",
    "utc_from_unix_s",
    "utc_z",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SCET = re.compile(r"^(\d{4})-(\d{3})T(\d{2}):(\d{2}):(\d{2}(?:\.\d*)?)Z?$")
_ISO_UNIX = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2}(?:\.\d*)?)(Z|\+00:00|UTC)?$"
)


def parse_iso(text: str) -> datetime:
    """ISO 8601 text as :meth:`datetime.fromisoformat` reads it (``Z`` allowed; may be naive).

    Raises
    ------
    ValueError
        Not an ISO 8601 date-time.
    """
    return datetime.fromisoformat(text)


def parse_aware(text: str) -> datetime | None:
    """ISO 8601 / RFC 3339 text with a zone as aware UTC; None if it is not such a time.

    Examples
    --------
    >>> parse_aware("2013-10-09T18:00:00Z").isoformat(), parse_aware("2013-10-09T18:00:00")
    ('2013-10-09T18:00:00+00:00', None)
    """
    try:
        when = parse_iso(text)
    except ValueError:
        return None
    return None if when.tzinfo is None else when.astimezone(UTC)


def parse_utc(text: str, *, name: str = "time") -> datetime:
    """Parse an ISO 8601 time with a zone (``Z`` or ``+hh:mm``) into aware UTC.

    ``name`` is the option or field named in the error.

    Raises
    ------
    InputError
        Not an ISO 8601 time, or one without a zone.

    Examples
    --------
    >>> parse_utc("2013-10-09T18:00:00Z")
    datetime.datetime(2013, 10, 9, 18, 0, tzinfo=datetime.timezone.utc)
    """
    when = parse_aware(text.strip())
    if when is None:
        raise InputError(
            f"{name}={text!r} must be an ISO 8601 time with a zone, e.g. 2013-10-09T18:00:00Z"
        )
    return when


def format_utc(when: datetime, timespec: str = "microseconds") -> str:
    """RFC 3339 UTC with ``Z``; ``timespec`` as :meth:`datetime.isoformat` takes it.

    The default (microseconds) is what SigMF ``core:datetime`` wants.

    Examples
    --------
    >>> format_utc(datetime(2013, 10, 9, 18, 0, tzinfo=UTC))
    '2013-10-09T18:00:00.000000Z'
    >>> format_utc(datetime(2013, 10, 9, 18, 0, tzinfo=UTC), "auto")
    '2013-10-09T18:00:00Z'
    """
    return when.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_z(when: datetime) -> str:
    """ISO 8601 UTC with ``Z`` and milliseconds (plans and the TX log).

    Examples
    --------
    >>> utc_z(datetime(2013, 10, 9, 18, 0, tzinfo=UTC))
    '2013-10-09T18:00:00.000Z'
    """
    return format_utc(when, "milliseconds")


def iso_to_unix_s(text: str) -> float | None:
    """``YYYY-MM-DD[T ]HH:MM:SS[.s][Z|+00:00|UTC]`` as unix seconds; None for another form.

    Other time zones are not this form (refused, not guessed).

    Raises
    ------
    ValueError
        The form matches but the date is impossible or the seconds are 60 or more.

    Examples
    --------
    >>> iso_to_unix_s("2013-10-09T18:00:00Z"), iso_to_unix_s("2013-282T18:00:00")
    (1381341600.0, None)
    """
    m = _ISO_UNIX.match(text)
    if not m:
        return None
    y, mo, d, hh, mm = (int(g) for g in m.groups()[:5])
    sec = float(m.group(6))
    if sec >= 60:
        raise ValueError(f"{text!r}: seconds {sec:g} must be < 60")
    whole = datetime(y, mo, d, hh, mm, tzinfo=UTC)
    return (whole - _EPOCH).total_seconds() + sec


def utc_from_unix_s(t_unix_s: float) -> datetime:
    """Aware UTC datetime of unix seconds (microsecond resolution)."""
    return _EPOCH + timedelta(microseconds=round(t_unix_s * 1e6))


def format_unix_s(t_unix_s: float, digits: int = 3) -> str:
    """Unix seconds as ISO 8601 with ``Z``; ``digits`` decimals of seconds (0: whole).

    Examples
    --------
    >>> format_unix_s(1381341600.25)
    '2013-10-09T18:00:00.250Z'
    >>> format_unix_s(1381341600.25, 0)
    '2013-10-09T18:00:00Z'
    """
    dt = utc_from_unix_s(t_unix_s)
    if digits == 0:
        return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")[: 20 + digits] + "Z"


def parse_scet(text: str) -> float:
    """Parse a PDS SCET ``YYYY-DDDTHH:MM:SS.sss`` (day of year) to UTC unix seconds.

    Raises
    ------
    ValueError
        If `text` is not in that form.
    """
    m = _SCET.match(text.strip().strip('"'))
    if not m:
        raise ValueError(f"{text!r} is not a SCET of the form YYYY-DDDTHH:MM:SS.sss")
    year, doy, hh, mm = (int(g) for g in m.groups()[:4])
    sec = float(m.group(5))
    if not (1 <= doy <= 366 and hh < 24 and mm < 60 and sec < 60):
        raise ValueError(f"{text!r} has a field out of range")
    day0 = datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=doy - 1)
    return (day0 - _EPOCH).total_seconds() + hh * 3600 + mm * 60 + sec


def format_scet(t_unix_s: float) -> str:
    """Unix seconds as a PDS SCET ``YYYY-DDDTHH:MM:SS.sss`` (day of year, milliseconds).

    Examples
    --------
    >>> format_scet(1381341600.25)
    '2013-282T18:00:00.250'
    """
    dt = utc_from_unix_s(t_unix_s)
    return f"{dt.year:04d}-{dt.timetuple().tm_yday:03d}T{dt:%H:%M:%S}.{dt.microsecond // 1000:03d}"


def format_hms(when: datetime, *, zone: bool = True) -> str:
    """Time of day in UTC, ``HH:MM:SSZ`` (``HH:MM:SS`` without ``zone``).

    Examples
    --------
    >>> format_hms(datetime(2013, 10, 9, 20, 0, 5, tzinfo=UTC))
    '20:00:05Z'
    >>> format_hms(datetime(2013, 10, 9, 20, 0, 5, tzinfo=UTC), zone=False)
    '20:00:05'
    """
    return f"{when.astimezone(UTC):%H:%M:%S}" + ("Z" if zone else "")


def format_day_time(when: datetime, *, seconds: bool = True) -> str:
    """Date and time of day in UTC for people, ``YYYY-MM-DD HH:MM:SSZ`` (or ``HH:MMZ``).

    Examples
    --------
    >>> t = datetime(2013, 10, 9, 20, 0, 5, 700000, tzinfo=UTC)
    >>> format_day_time(t), format_day_time(t, seconds=False)
    ('2013-10-09 20:00:05Z', '2013-10-09 20:00Z')
    """
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M{':%S' if seconds else ''}}Z"


def format_hm(when: datetime) -> str:
    """Hours and minutes in UTC, ``HH:MM`` (a grab's time axis).

    Examples
    --------
    >>> format_hm(datetime(2013, 10, 9, 20, 7, 5, tzinfo=UTC))
    '20:07'
    """
    return f"{when.astimezone(UTC):%H:%M}"


def format_file_stamp(when: datetime) -> str:
    """Minute of UTC for a file name, ``YYYYMMDD_HHMMZ`` (QRSS grabs).

    Examples
    --------
    >>> format_file_stamp(datetime(2013, 10, 9, 20, 7, 5, tzinfo=UTC))
    '20131009_2007Z'
    """
    return f"{when.astimezone(UTC):%Y%m%d_%H%M}Z"
