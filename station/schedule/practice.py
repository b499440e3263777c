"""Practice events: a filled-in copy of ``schedules/practice-template.toml``.

A practice event rehearses the keying before the real one: a few rounds on one
frequency, starting at the next 10-minute mark.  :func:`practice_event_toml` fills
the template and validates the result by reading it back as an
:class:`~station.schedule.event.Event`, so what it returns always loads;
:func:`next_mark_utc` picks the start.  Neither reads the clock.

Examples
--------
>>> from datetime import UTC, datetime
>>> start = next_mark_utc(datetime(2024, 5, 1, 12, 3, 20, tzinfo=UTC))
>>> start.isoformat()
'2024-05-01T12:10:00+00:00'
>>> text = practice_event_toml(start_utc=start, rounds=2)
>>> from station.schedule.event import event_from_dict
>>> import tomllib
>>> ev = event_from_dict(tomllib.loads(text))
>>> ev.rounds, ev.table_hz, ev.end_utc.isoformat()
(2, {'*': 28400000.0}, '2024-05-01T12:26:30+00:00')
"""

from __future__ import annotations

import math
import os
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from station._atomic import write_bytes_atomic
from station.errors import InputError, ScheduleError
from station.schedule.event import TEN_METRE_BAND_HZ, Event, event_from_dict, shipped_folder
from station.utc import format_utc

__all__ = [
    "TEMPLATE_NAME",
    "next_mark_utc",
    "practice_event",
    "practice_event_toml",
    "write_practice_event",
]

#: The template's file name in :func:`~station.schedule.event.shipped_folder`.
TEMPLATE_NAME = "practice-template.toml"
_SOURCE = "practice event"
# Event-file field -> the parameter of practice_event_toml that fills it.
_PARAMETER = {
    "event.id": "event_id",
    "event.name": "name",
    "event.start_utc": "start_utc",
    "event.message": "message",
    "event.dit_s": "dit_s",
    "event.round_period_s": "round_period_s",
    "event.rounds": "rounds",
    "event.target": "target",
    "frequency.single_hz": "freq_hz",
    "identification.rule": "ident_rule",
    "identification.wpm": "ident_wpm",
    "identification.text": "ident_rule",
}


def _toml_string(value: object, parameter: str) -> str:
    """Body of a TOML basic string (what goes between the quotes)."""
    if not isinstance(value, str):
        raise InputError(f"{parameter}={value!r} must be a string")
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def _toml_number(value: object, parameter: str, *, integer: bool = False) -> str:
    """Format a TOML number (an int stays an int, so the reader's type checks apply)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{parameter}={value!r} must be a number")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise InputError(f"{parameter}={value!r} must be a finite number")
    if integer and value.is_integer():
        return str(int(value))
    return repr(float(value))


def _toml_utc(value: object) -> str:
    if not isinstance(value, datetime):
        raise InputError(f"start_utc={value!r} must be a date-time")
    if value.tzinfo is None:
        raise InputError(f"start_utc={value.isoformat()} has no time zone; give an aware UTC time")
    return format_utc(value, "auto")


def practice_event_toml(
    *,
    start_utc: datetime,
    name: str = "Practice: say HI",
    message: str = "HI",
    dit_s: float = 30.0,
    round_period_s: float = 600.0,
    rounds: int = 3,
    freq_hz: float = 28_400_000.0,
    ident_rule: str = "after-each-round",
    ident_wpm: float = 20.0,
    target: str = "PRACTICE",
    event_id: str = "practice",
) -> str:
    """Fill the practice template.

    Parameters
    ----------
    start_utc : datetime
        First key-down of round 1 (aware).
    name, message : str
        Event name; text sent each round.
    dit_s, round_period_s : float
        Dit length; time between round starts, s.
    rounds : int
        Number of rounds.
    freq_hz : float
        The one frequency every station uses, Hz (inside the 10 m band).
    ident_rule : str
        ``"none"``, ``"after-each-round"`` or ``"after-last-round"``.
    ident_wpm : float
        Speed of the identification, WPM.
    target : str
        What a log calls the station worked (ADIF ``CALL``).
    event_id : str
        The event's id (usually the file's stem).

    Returns
    -------
    str
        The event file, TOML; it loads to an equal :class:`Event` through
        :func:`~station.schedule.event.event_from_dict`.

    Raises
    ------
    InputError
        A parameter breaks an event rule (the message names the parameter), e.g. a
        frequency outside 10 m or a round period too short for the message.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> text = practice_event_toml(start_utc=datetime(2024, 5, 1, 12, 10, tzinfo=UTC))
    >>> [line for line in text.splitlines() if line.startswith(("start_utc", "single_hz"))]
    ['start_utc = 2024-05-01T12:10:00Z', 'single_hz = 28400000']
    >>> practice_event_toml(start_utc=datetime(2024, 5, 1, tzinfo=UTC), dit_s=100)
    Traceback (most recent call last):
    ...
    station.errors.InputError: round_period_s: 600 s is too short: a round keys for 1300 s and identifies for 14 s, so rounds would overlap
    """  # noqa: E501
    template = (shipped_folder() / TEMPLATE_NAME).read_text(encoding="utf-8")
    low, high = TEN_METRE_BAND_HZ
    text = template.format(
        id=_toml_string(event_id, "event_id"),
        name=_toml_string(name, "name"),
        start_utc=_toml_utc(start_utc),
        message=_toml_string(message, "message"),
        dit_s=_toml_number(dit_s, "dit_s"),
        round_period_s=_toml_number(round_period_s, "round_period_s"),
        rounds=_toml_number(rounds, "rounds"),
        target=_toml_string(target, "target"),
        low_hz=_toml_number(low, "low_hz", integer=True),
        high_hz=_toml_number(high, "high_hz", integer=True),
        single_hz=_toml_number(freq_hz, "freq_hz", integer=True),
        ident_rule=_toml_string(ident_rule, "ident_rule"),
        ident_wpm=_toml_number(ident_wpm, "ident_wpm"),
    )
    _validate(text)
    return text


def _validate(text: str) -> Event:
    try:
        return event_from_dict(tomllib.loads(text), source=_SOURCE)
    except ScheduleError as exc:
        parameter = _PARAMETER.get(exc.field, exc.field)
        rule = str(exc).removeprefix(f"{exc.source}: ").removeprefix(f"{exc.field}: ")
        raise InputError(f"{parameter}: {rule}") from None
    except tomllib.TOMLDecodeError as exc:  # the escaping above should make this impossible
        raise InputError(f"the practice event does not parse as TOML ({exc})") from None


def practice_event(**kwargs: object) -> Event:
    """Build the practice event itself (same parameters as :func:`practice_event_toml`).

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> practice_event(start_utc=datetime(2024, 5, 1, 12, 10, tzinfo=UTC)).key_down_s[-1]
    (360.0, 390.0)
    """
    return _validate(practice_event_toml(**kwargs))  # type: ignore[arg-type]


def next_mark_utc(now_utc: datetime, minutes: int = 10, *, lead_s: float = 60.0) -> datetime:
    """Return the first whole ``minutes`` mark (UTC) at least ``lead_s`` after ``now_utc``.

    Marks are aligned to midnight UTC (for 10 minutes: hh:00, hh:10, ...).  The lead
    leaves time to read the plan and get to the rig.

    Parameters
    ----------
    now_utc : datetime
        The current time (aware); the caller reads the clock.
    minutes : int, optional
        Spacing of the marks, minutes (a divisor of 1440 keeps them aligned daily).
    lead_s : float, optional
        Smallest gap between ``now_utc`` and the result, s.

    Returns
    -------
    datetime
        Aware UTC, strictly after ``now_utc``, ``>= now_utc + lead_s``.

    Raises
    ------
    InputError
        A naive ``now_utc``, ``minutes < 1`` or a negative lead.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> next_mark_utc(datetime(2024, 5, 1, 12, 9, 10, tzinfo=UTC)).isoformat()
    '2024-05-01T12:20:00+00:00'
    >>> next_mark_utc(datetime(2024, 5, 1, 23, 55, tzinfo=UTC)).isoformat()
    '2024-05-02T00:00:00+00:00'
    """
    if now_utc.tzinfo is None:
        raise InputError(f"now_utc={now_utc.isoformat()} must be aware (UTC)")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise InputError(f"minutes={minutes!r} must be a whole number >= 1")
    if not (math.isfinite(lead_s) and lead_s >= 0):
        raise InputError(f"lead_s={lead_s!r} must be a finite number >= 0")
    earliest = now_utc.astimezone(UTC) + timedelta(seconds=lead_s)
    midnight = earliest.replace(hour=0, minute=0, second=0, microsecond=0)
    step = timedelta(minutes=minutes)
    n = -((midnight - earliest) // step)  # ceil((earliest - midnight) / step)
    mark = midnight + n * step
    if mark <= now_utc:  # lead_s == 0 and now exactly on a mark
        mark += step
    return mark


def write_practice_event(
    path: str | os.PathLike[str],
    *,
    start_utc: datetime,
    name: str | None = None,
    message: str = "HI",
    overwrite: bool = False,
    **fields: object,
) -> Path:
    """Write a practice event file (:func:`practice_event_toml`) to ``path``; return its path.

    The event's id is the file's name without ``.toml`` (``practice`` if empty); its
    name defaults to ``Practice: say MESSAGE``.  ``fields`` are the other parameters of
    :func:`practice_event_toml`.  Nothing is replaced unless ``overwrite``.
    """
    target = Path(path)
    text = practice_event_toml(
        start_utc=start_utc,
        name=name if name is not None else f"Practice: say {message}",
        message=message,
        event_id=target.name.removesuffix(".toml") or "practice",
        **fields,  # type: ignore[arg-type]
    )
    return write_bytes_atomic(target, text.encode("utf-8"), overwrite=overwrite)
