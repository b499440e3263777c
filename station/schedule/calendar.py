"""An operator's plan as an iCalendar file (RFC 5545), one event per round.

Each round becomes a ``VEVENT``: ``DTSTART`` is the round's first key-down,
``DTEND`` its last key-up (both UTC, written with ``Z``); the ``DESCRIPTION`` lists
every key-down and key-up edge as ``HH:MM:SSZ`` and the identification; a
``VALARM`` (``DISPLAY``) fires :data:`ALARM_BEFORE` before the round.  The ``UID``
is ``{event id}-{base call}-r{n}@hi-station``, so importing the file again updates
the same entries instead of duplicating them.

Examples
--------
>>> from datetime import UTC, datetime
>>> from station.schedule.event import load_event
>>> from station.schedule.plan import make_plan
>>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
>>> ics = plan_to_ics(plan, created_utc=datetime(2013, 10, 1, tzinfo=UTC))
>>> ics.count(b"BEGIN:VEVENT"), ics.count(b"BEGIN:VALARM")
(16, 16)
>>> b"UID:juno-2013-10-09-N0CALL-r3@hi-station" in ics
True
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar

from station import __version__
from station._atomic import write_bytes_atomic
from station.errors import InputError
from station.schedule.plan import OperatorPlan, PlannedRound
from station.utc import format_hms

__all__ = [
    "ALARM_BEFORE",
    "PRODID",
    "plan_to_ics",
    "round_description",
    "round_summary",
    "write_plan_ics",
]

#: How long before each round the reminder fires.
ALARM_BEFORE = timedelta(minutes=5)
#: The calendar's product identifier.
PRODID = f"-//hi-station//hi-station {__version__}//EN"


def round_summary(plan: OperatorPlan, rnd: PlannedRound) -> str:
    """One-line title of a round.

    Examples
    --------
    >>> from station.schedule.event import load_event
    >>> from station.schedule.plan import make_plan
    >>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
    >>> round_summary(plan, plan.rounds[2])
    'Say HI to Juno (Juno Earth flyby): round 3/16, N0CALL on 28.400 MHz'
    """
    return (
        f"{plan.event.name}: round {rnd.round_number}/{len(plan.rounds)}, "
        f"{plan.callsign.text} on {plan.freq_hz / 1e6:.3f} MHz"
    )


def round_description(plan: OperatorPlan, rnd: PlannedRound) -> str:
    """Every key edge of a round (``HH:MM:SSZ``), the frequency and the identification.

    Examples
    --------
    >>> from station.schedule.event import load_event
    >>> from station.schedule.plan import make_plan
    >>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
    >>> print(round_description(plan, plan.rounds[0]).splitlines()[3])
    key-down 1: 18:00:00Z, key-up 18:00:30Z (30 s)
    """
    ev = plan.event
    lines = [
        f"{ev.name} ({ev.id}), round {rnd.round_number} of {len(plan.rounds)}.",
        f"Send {ev.message!r} in {ev.mode} at {ev.dit_s:g} s dits, station {plan.callsign.text}.",
        f"Frequency {plan.freq_hz / 1e6:.6f} MHz ({plan.freq_source}).",
    ]
    lines += [
        f"key-down {k.element_number}: {format_hms(k.start_utc)}, key-up {format_hms(k.end_utc)} "
        f"({k.duration_s:g} s)"
        for k in rnd.key_downs
    ]
    if rnd.ident_utc is not None:
        lines.append(
            f"identify at {format_hms(rnd.ident_utc)}: {plan.ident_text!r} at "
            f"{ev.identification.wpm:g} WPM"
        )
    else:
        lines.append("no identification scheduled after this round")
    if ev.reconstruction and plan.freq_source.startswith("table"):
        lines.append("The event's frequency table is a reconstruction, not the original.")
    lines.append("All times UTC. Written by hi-station.")
    return "\n".join(lines)


def plan_to_ics(plan: OperatorPlan, *, created_utc: datetime) -> bytes:
    """Render a plan as an iCalendar file.

    Parameters
    ----------
    plan : OperatorPlan
        The operator's plan (:func:`~station.schedule.plan.make_plan`).
    created_utc : datetime
        When the file is made (aware); becomes every ``DTSTAMP``.  Passed in so
        the output depends only on the arguments.

    Returns
    -------
    bytes
        The calendar, UTF-8, CRLF line ends.

    Raises
    ------
    InputError
        ``created_utc`` without a time zone.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> from station.schedule.event import load_event
    >>> from station.schedule.plan import make_plan
    >>> plan = make_plan(load_event("juno-2013-10-09"), "G4ABC/P")
    >>> cal = icalendar.Calendar.from_ical(
    ...     plan_to_ics(plan, created_utc=datetime(2013, 10, 1, tzinfo=UTC)))
    >>> first = cal.walk("VEVENT")[0]
    >>> str(first["SUMMARY"])
    'Say HI to Juno (Juno Earth flyby): round 1/16, G4ABC/P on 28.080 MHz'
    >>> first.decoded("DTEND").isoformat()
    '2013-10-09T18:06:30+00:00'
    """
    if created_utc.tzinfo is None:
        raise InputError(f"created_utc={created_utc.isoformat()} must be aware (UTC)")
    stamp = created_utc.astimezone(UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{plan.event.name}: {plan.callsign.text}")
    for rnd in plan.rounds:
        ve = icalendar.Event()
        ve.add("uid", f"{plan.event.id}-{plan.callsign.base}-r{rnd.round_number}@hi-station")
        ve.add("dtstamp", stamp)
        ve.add("dtstart", rnd.start_utc.astimezone(UTC))
        ve.add("dtend", rnd.end_utc.astimezone(UTC))
        summary = round_summary(plan, rnd)
        ve.add("summary", summary)
        ve.add("description", round_description(plan, rnd))
        ve.add("location", f"{plan.freq_hz / 1e6:.6f} MHz {plan.event.mode}")
        ve.add("transp", "OPAQUE")
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -ALARM_BEFORE)
        alarm.add("description", f"In {ALARM_BEFORE.seconds // 60} min: {summary}")
        ve.add_component(alarm)
        cal.add_component(ve)
    return cal.to_ical()


def write_plan_ics(
    plan: OperatorPlan, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write the plan as iCalendar (created now) to ``path``; replace only with ``overwrite``."""
    data = plan_to_ics(plan, created_utc=datetime.now(UTC).replace(microsecond=0))
    return write_bytes_atomic(path, data, overwrite=overwrite)
