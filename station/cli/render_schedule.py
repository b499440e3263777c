"""Rendering of ``hi-station schedule``: plans, events, practice files (printing only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from station.schedule.event import Event
from station.schedule.plan import OperatorPlan
from station.utc import format_day_time, format_hms, format_utc

__all__ = ["Local", "plan_json", "print_event", "print_new", "print_plan", "validation_line"]

#: Converts an instant to the local time shown beside UTC (``--tz``).
Local = Callable[[datetime], datetime]


def _z(t: datetime) -> str:
    return f"{format_hms(t.astimezone(UTC))}"


def plan_json(plan: OperatorPlan, tz: str | None, conv: Local | None) -> dict[str, Any]:
    """:meth:`OperatorPlan.to_dict`, with ``*_local`` times (ISO 8601 with offset) for ``tz``."""
    data = plan.to_dict()
    if tz is None or conv is None:
        return data
    data["tz"] = tz
    for rnd, out in zip(plan.rounds, data["rounds"], strict=True):
        out["start_local"] = conv(rnd.start_utc).isoformat()
        out["end_local"] = conv(rnd.end_utc).isoformat()
        out["ident_local"] = None if rnd.ident_utc is None else conv(rnd.ident_utc).isoformat()
        for kd, kout in zip(rnd.key_downs, out["key_downs"], strict=True):
            kout["down_local"] = conv(kd.start_utc).isoformat()
            kout["up_local"] = conv(kd.end_utc).isoformat()
    return data


def print_plan(console: Console, plan: OperatorPlan, tz: str | None, conv: Local | None) -> None:
    """Print the station, its frequency and every round's key-downs (and local times)."""
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
            f"{rnd.round_number}/{len(plan.rounds)}",
            "\n".join(f"{_z(k.start_utc)}-{_z(k.end_utc)}" for k in rnd.key_downs),
        ]
        if tz is not None and conv is not None:
            cells.append(
                "\n".join(
                    f"{conv(k.start_utc):%H:%M:%S}-{conv(k.end_utc):%H:%M:%S %Z}"
                    for k in rnd.key_downs
                )
            )
        cells.append("-" if rnd.ident_utc is None else _z(rnd.ident_utc))
        table.add_row(*cells)
    console.print(table)
    say(f"last key-up {format_day_time(plan.rounds[-1].end_utc)}")


def print_event(console: Console, ev: Event) -> None:
    """Print an event: timing, band, frequency rule and table, identification, notes, rounds."""
    say = lambda text: console.print(text, markup=False)  # noqa: E731
    say(f"{ev.name} ({ev.id}): {ev.source} is valid")
    say(f"start {format_day_time(ev.start_utc)}, last key-up {format_day_time(ev.end_utc)}")
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
    table = Table(title="Rounds")
    for col in ("Round", "First key-down (UTC)", "Last key-up (UTC)"):
        table.add_column(col, justify="right", no_wrap=True)
    for k in range(ev.rounds):
        start = ev.round_start_utc(k)
        table.add_row(f"{k + 1}/{ev.rounds}", _z(start + timedelta(seconds=ev.key_down_s[0][0])),
                      _z(start + timedelta(seconds=ev.key_down_s[-1][1])))  # fmt: skip
    console.print(table)


def validation_line(ev: Event) -> str:
    """One line saying the event file is valid: its rounds, message, span and mode."""
    return (
        f"OK: {ev.source}: {ev.rounds} rounds of {ev.message!r} in {ev.mode} from "
        f"{format_day_time(ev.start_utc)} to {format_day_time(ev.end_utc)}"
    )


def print_new(
    console: Console, path: Path, start_utc: datetime, now: datetime, *, rounds: int,
    message: str, dit_s: float, period_s: float, freq_mhz: float,
) -> None:  # fmt: skip
    """Print the practice event written, when it starts and what to run next."""
    wait_s = int((start_utc - now).total_seconds())
    when = f"in {wait_s // 60} min {wait_s % 60} s" if wait_s >= 0 else "in the past"
    console.print(
        f"wrote {path}: {rounds} round(s) of {message!r} at {dit_s:g} s dits every "
        f"{period_s:g} s on {freq_mhz:.6f} MHz",
        markup=False,
    )
    console.print(f"first key-down {format_utc(start_utc, 'seconds')} ({when})", markup=False)
    console.print(f"next: hi-station schedule plan {path} --callsign YOURCALL", markup=False)
