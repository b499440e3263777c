"""``hi-station schedule``: an operator's plan, practice events, event files.

``plan`` prints the frequency and every key edge (UTC, optionally local time) and
writes an iCalendar file; ``new`` writes a practice event; ``show`` (alias
``validate``) summarizes an event file.  The logic is in :mod:`station.schedule`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from station._atomic import write_bytes_atomic
from station.cli._common import ReportingGroup, out_console
from station.errors import InputError
from station.schedule.calendar import plan_to_ics
from station.schedule.event import Event, load_event
from station.schedule.plan import OperatorPlan, make_plan
from station.schedule.practice import next_mark_utc, practice_event_toml
from station.utc import parse_utc

__all__ = ["app", "new", "plan", "show"]

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


def _z(t: datetime) -> str:
    return f"{t.astimezone(UTC):%H:%M:%S}Z"


def _local_converter(tz: str) -> tuple[str, Callable[[datetime], datetime]]:
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


def _local_dict(data: dict[str, Any], plan: OperatorPlan, tz: str, conv: Callable) -> None:
    """Add ``*_local`` times (ISO 8601 with offset) to :meth:`OperatorPlan.to_dict`."""
    data["tz"] = tz
    for rnd, out in zip(plan.rounds, data["rounds"], strict=True):
        out["start_local"] = conv(rnd.start_utc).isoformat()
        out["end_local"] = conv(rnd.end_utc).isoformat()
        out["ident_local"] = None if rnd.ident_utc is None else conv(rnd.ident_utc).isoformat()
        for kd, kout in zip(rnd.key_downs, out["key_downs"], strict=True):
            kout["down_local"] = conv(kd.start_utc).isoformat()
            kout["up_local"] = conv(kd.end_utc).isoformat()


def _print_plan(console: Console, plan: OperatorPlan, tz: str | None, conv: Callable) -> None:
    ev, call = plan.event, plan.callsign
    say = lambda text: console.print(text, markup=False)  # noqa: E731
    say(f"{ev.name} ({ev.id}, {ev.source})")
    say(f"station {call.text} (base call {call.base}, last letter {plan.letter})")
    say(f"frequency {plan.freq_hz / 1e6:.6f} MHz {ev.mode}: {plan.freq_source}")
    if ev.reconstruction and plan.freq_source.startswith("table"):
        say(
            "NOTE: this frequency table is a RECONSTRUCTION, not the event's original table "
            f"(see `hi-station schedule show {ev.id}`); give --freq-mhz to use another."
        )
    say(
        f"{len(plan.rounds)} rounds of {ev.message!r} at {ev.dit_s:g} s dits, one every "
        f"{ev.round_period_s:g} s; {len(ev.key_down_s)} key-downs per round"
    )
    if plan.ident_text:
        say(f"identify with {plan.ident_text!r} at {ev.identification.wpm:g} WPM")
    table = Table(show_lines=True)
    table.add_column("Round", justify="right", no_wrap=True)
    table.add_column("Key-down - key-up (UTC)", no_wrap=True)
    if tz is not None:
        table.add_column(f"Local ({tz})", no_wrap=True)
    table.add_column("Ident (UTC)", no_wrap=True)
    for rnd in plan.rounds:
        cells = [
            f"{rnd.number}/{len(plan.rounds)}",
            "\n".join(f"{_z(k.start_utc)}-{_z(k.end_utc)}" for k in rnd.key_downs),
        ]
        if tz is not None:
            cells.append(
                "\n".join(
                    f"{conv(k.start_utc):%H:%M:%S}-{conv(k.end_utc):%H:%M:%S %Z}"
                    for k in rnd.key_downs
                )
            )
        cells.append("-" if rnd.ident_utc is None else _z(rnd.ident_utc))
        table.add_row(*cells)
    console.print(table)
    say(f"last key-up {plan.rounds[-1].end_utc:%Y-%m-%d %H:%M:%S}Z")


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
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --ics file.")] = False,
    tz: Annotated[
        str | None,
        typer.Option(help="Also show local times: an IANA zone (Europe/London) or 'local'."),
    ] = None,
) -> None:
    """Print your frequency and every key-down/key-up time (UTC) for an event."""
    event = load_event(schedule)
    the_plan = make_plan(
        event,
        callsign,  # type: ignore[arg-type]  # None is reported as a missing --callsign
        grid=grid,
        freq_hz=None if freq_mhz is None else freq_mhz * 1e6,
    )
    tz_name, conv = (None, None) if tz is None else _local_converter(tz)
    wrote = None
    if ics is not None:
        data = plan_to_ics(the_plan, created_utc=datetime.now(UTC).replace(microsecond=0))
        wrote = write_bytes_atomic(ics, data, overwrite=overwrite)
    if json_:
        out = the_plan.to_dict()
        if tz_name is not None:
            _local_dict(out, the_plan, tz_name, conv)
        print(json.dumps(out, indent=2))
    else:
        _print_plan(out_console(), the_plan, tz_name, conv)  # type: ignore[arg-type]
    if wrote is not None:
        note = f"wrote {wrote}: {len(the_plan.rounds)} calendar events (reminders 5 min before)"
        print(note, file=sys.stderr if json_ else sys.stdout)


@app.command("new")
def new(
    out: Annotated[Path, typer.Option("--out", "-o", help="Event file to write (.toml).")],
    start: Annotated[
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
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write a practice event file (by default starting at the next 10-minute mark)."""
    now = datetime.now(UTC)
    start_utc = next_mark_utc(now) if start is None else parse_utc(start, name="--start")
    text = practice_event_toml(
        start_utc=start_utc,
        name=name if name is not None else f"Practice: say {message}",
        message=message,
        dit_s=dit_s,
        round_period_s=period_s,
        rounds=rounds,
        freq_hz=round(freq_mhz * 1e6, 3),
        ident_rule=ident,
        ident_wpm=ident_wpm,
        target=target,
        event_id=out.name.removesuffix(".toml") or "practice",
    )
    path = write_bytes_atomic(out, text.encode("utf-8"), overwrite=overwrite)
    wait_s = int((start_utc - now).total_seconds())
    when = f"in {wait_s // 60} min {wait_s % 60} s" if wait_s >= 0 else "in the past"
    console = out_console()
    console.print(
        f"wrote {path}: {rounds} round(s) of {message!r} at {dit_s:g} s dits every "
        f"{period_s:g} s on {freq_mhz:.6f} MHz",
        markup=False,
    )
    console.print(f"first key-down {start_utc:%Y-%m-%dT%H:%M:%S}Z ({when})", markup=False)
    console.print(f"next: hi-station schedule plan {path} --callsign YOURCALL", markup=False)


def _print_event(console: Console, ev: Event) -> None:
    say = lambda text: console.print(text, markup=False)  # noqa: E731
    say(f"{ev.name} ({ev.id}): {ev.source} is valid")
    say(f"start {ev.start_utc:%Y-%m-%d %H:%M:%S}Z, last key-up {ev.end_utc:%Y-%m-%d %H:%M:%S}Z")
    say(
        f"{ev.rounds} rounds of {ev.message!r} in {ev.mode}, dit {ev.dit_s:g} s, "
        f"one round every {ev.round_period_s:g} s"
    )
    edges = ", ".join(f"{a:g}-{b:g}" for a, b in ev.key_down_s)
    say(f"key-downs of a round (s from its start): {edges}")
    say(f"band {ev.band_hz[0] / 1e6:.6f}-{ev.band_hz[1] / 1e6:.6f} MHz")
    if ev.frequency_rule == "single":
        say(f"frequency rule: single, {ev.table_hz['*'] / 1e6:.6f} MHz for every station")
    else:
        kind = "RECONSTRUCTION (not the original table)" if ev.reconstruction else "original"
        say(f"frequency rule: last letter of the base call; table: {kind}")
        table = Table(title="Frequency table" + (" (reconstruction)" if ev.reconstruction else ""))
        items = list(ev.table_hz.items())
        half = (len(items) + 1) // 2
        for _ in range(2):
            table.add_column("Letter", justify="center")
            table.add_column("MHz", justify="right")
        for left, right in zip(items[:half], items[half:] + [("", None)], strict=False):
            cells = [left[0], f"{left[1] / 1e6:.6f}", right[0]]
            cells.append("" if right[1] is None else f"{right[1] / 1e6:.6f}")
            table.add_row(*cells)
        console.print(table)
    if ev.frequency_note:
        say("frequency note: " + " ".join(ev.frequency_note.split()))
    idt = ev.identification
    if idt.rule == "none":
        say("identification: none")
    else:
        say(f"identification: {idt.rule}, {idt.text!r} at {idt.wpm:g} WPM")
    if ev.target:
        say(f"target (log CALL): {ev.target}")
    if ev.notes:
        say("notes: " + " ".join(ev.notes.split()))
    for src in ev.sources:
        say(f"source: {src}")


@app.command("show")
def show(schedule: ScheduleArg) -> None:
    """Check an event file and summarize it (exit code 0 when it is valid)."""
    _print_event(out_console(), load_event(schedule))


app.command("validate", help="Same as show: check an event file and summarize it.")(show)
