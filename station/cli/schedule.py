"""``hi-station schedule``: an operator's plan, practice events, event files.

``plan`` prints the frequency and every key edge (UTC, optionally local time) and
writes an iCalendar file; ``new`` writes a practice event; ``show`` summarizes an
event file and its rounds; ``validate`` checks one and says so in one line.  The logic
is in :mod:`station.schedule`, the printing in :mod:`station.cli.render_schedule`.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from station.cli._common import ReportingGroup, out_console
from station.cli.render_schedule import (
    Local,
    plan_json,
    print_event,
    print_new,
    print_plan,
    validation_line,
)
from station.errors import InputError
from station.schedule.calendar import write_plan_ics
from station.schedule.event import load_event
from station.schedule.plan import make_plan
from station.schedule.practice import next_mark_utc, write_practice_event
from station.utc import parse_utc

__all__ = ["app", "new", "plan", "show", "validate"]

app = typer.Typer(
    cls=ReportingGroup,
    name="schedule",
    help="Plan your part in an event, write practice events, check event files.",
    no_args_is_help=True,
    add_completion=False,
)

ScheduleArg = Annotated[
    str, typer.Argument(help="Event file (TOML) or shipped event id, e.g. juno-2013-10-09.")
]


def _local_converter(tz: str) -> tuple[str, Local]:
    """Name and converter of ``--tz`` (``local``: the system zone, per instant)."""
    if tz.strip().lower() == "local":
        return "local", lambda t: t.astimezone()
    try:
        zone: tzinfo = ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"--tz={tz!r} is not a time zone: give an IANA name like Europe/London, or local"
        ) from None
    return tz.strip(), lambda t: t.astimezone(zone)


@app.command("plan")
def plan(
    schedule: ScheduleArg,
    callsign: Annotated[
        str | None, typer.Option(help="Your callsign, e.g. N0CALL or VE3/N0CALL.")
    ] = None,
    grid: Annotated[str | None, typer.Option(help="Your Maidenhead locator, e.g. FN31.")] = None,
    freq_mhz: Annotated[
        float | None, typer.Option(help="Use this frequency, MHz, instead of the event's rule.")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the plan as JSON only.")] = False,
    ics: Annotated[
        Path | None, typer.Option(help="Also write the rounds as an iCalendar (.ics) file.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing --ics file.")
    ] = False,
    tz: Annotated[
        str | None,
        typer.Option(help="Also show local times: an IANA zone (Europe/London) or 'local'."),
    ] = None,
) -> None:
    """Print your frequency and every key-down/key-up time (UTC) for an event."""
    the_plan = make_plan(
        load_event(schedule),
        callsign,  # type: ignore[arg-type]  # None is reported as a missing --callsign
        grid=grid, freq_hz=None if freq_mhz is None else freq_mhz * 1e6,
    )  # fmt: skip
    tz_name, conv = (None, None) if tz is None else _local_converter(tz)
    wrote = None if ics is None else write_plan_ics(the_plan, ics, overwrite=overwrite)
    if json_:
        print(json.dumps(plan_json(the_plan, tz_name, conv), indent=2))
    else:
        print_plan(out_console(), the_plan, tz_name, conv)
    if wrote is not None:
        note = f"wrote {wrote}: {len(the_plan.rounds)} calendar events (reminders 5 min before)"
        print(note, file=sys.stderr if json_ else sys.stdout)


@app.command("new")
def new(
    out: Annotated[Path, typer.Option("--out", "-o", help="Event file to write (.toml).")],
    start_utc: Annotated[
        str | None,
        typer.Option(help="First key-down, ISO 8601 with Z (default: the next 10-minute mark)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="Event name.")] = None,
    message: Annotated[str, typer.Option(help="Text sent each round.")] = "HI",
    dit_s: Annotated[float, typer.Option(help="Dit length, s.")] = 30.0,
    rounds: Annotated[int, typer.Option(help="Number of rounds.")] = 3,
    period_s: Annotated[float, typer.Option(help="Time between round starts, s.")] = 600.0,
    freq_mhz: Annotated[float, typer.Option(help="The one frequency used, MHz.")] = 28.4,
    ident: Annotated[
        str, typer.Option(help="Identification: none, after-each-round or after-last-round.")
    ] = "after-each-round",
    ident_wpm: Annotated[float, typer.Option(help="Identification speed, WPM.")] = 20.0,
    target: Annotated[str, typer.Option(help="Station worked, for logs (ADIF CALL).")] = "PRACTICE",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing file.")
    ] = False,
) -> None:
    """Write a practice event file (by default starting at the next 10-minute mark)."""
    now = datetime.now(UTC)
    start = next_mark_utc(now) if start_utc is None else parse_utc(start_utc, name="--start-utc")
    path = write_practice_event(
        out, start_utc=start, name=name, message=message, dit_s=dit_s, round_period_s=period_s,
        rounds=rounds, freq_hz=round(freq_mhz * 1e6, 3), ident_rule=ident, ident_wpm=ident_wpm,
        target=target, overwrite=overwrite,
    )  # fmt: skip
    print_new(out_console(), path, start, now, rounds=rounds, message=message, dit_s=dit_s,
              period_s=period_s, freq_mhz=freq_mhz)  # fmt: skip


@app.command("show")
def show(schedule: ScheduleArg) -> None:
    """Summarize an event file and its rounds (exit code 0 when it is valid)."""
    print_event(out_console(), load_event(schedule))


@app.command("validate")
def validate(schedule: ScheduleArg) -> None:
    """Check an event file: one line "OK: ..." (exit code 0), or the error (exit code 2)."""
    out_console().print(validation_line(load_event(schedule)), markup=False)
