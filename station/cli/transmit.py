"""``hi-station transmit``: key the rig on time for an event, with a live countdown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from station.cli._common import err_console
from station.clock import SystemClock, clock_status
from station.errors import RigError
from station.keyer.runner import Action, RunStatus
from station.keyer.safety import KeyingInterrupted
from station.keyer.session import (
    Backend,
    check_rig,
    check_session,
    default_log_path,
    make_backend,
    transmit_plan,
)
from station.schedule import OperatorPlan, load_event, make_plan

__all__ = ["transmit"]


def _countdown(plan: OperatorPlan, backend_name: str, status: RunStatus, warning: str) -> Panel:
    act = status.next_action
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", style="dim")
    grid.add_column()
    state = (
        Text(" KEY DOWN ", style="bold white on red")
        if status.key_down
        else Text(" key up ", style="bold green")
    )
    grid.add_row("now", f"{status.now_utc:%H:%M:%S}Z")
    grid.add_row("round", f"{act.round_number} of {status.rounds_total}")
    grid.add_row("key", state)
    what = {"down": "key down", "up": "key up", "ident": f"identify ({plan.ident_text})"}[act.kind]
    grid.add_row("next", f"{what} at {act.at_utc:%H:%M:%S}Z in {status.seconds_to_next:6.1f} s")
    grid.add_row("frequency", f"{plan.freq_hz / 1e6:.6f} MHz {plan.event.mode}")
    grid.add_row("backend", backend_name)
    if warning:
        grid.add_row("clock", Text(warning, style="yellow"))
    title = f"{plan.event.name}: {plan.callsign.text}"
    return Panel(grid, title=title, border_style="red" if status.key_down else "blue")


def transmit(
    schedule: Annotated[str, typer.Argument(help="Event file, or a shipped event id.")],
    callsign: Annotated[str, typer.Option(help="Your callsign (e.g. N0CALL, VE3/N0CALL).")],
    rig: Annotated[
        str | None, typer.Option(help="rigctld address HOST:PORT (e.g. localhost:4532).")
    ] = None,
    serial: Annotated[
        str | None, typer.Option(help="Key a serial line instead (device or pyserial URL).")
    ] = None,
    serial_line: Annotated[str, typer.Option(help="Serial line that keys: dtr or rts.")] = "dtr",
    transmit_: Annotated[
        bool,
        typer.Option("--transmit", help="Really key the transmitter (default: dry run)."),
    ] = False,
    grid: Annotated[str | None, typer.Option(help="Maidenhead locator, for the log.")] = None,
    freq_mhz: Annotated[
        float | None, typer.Option(help="Override the event's frequency, MHz.")
    ] = None,
    mode: Annotated[str | None, typer.Option(help="Rig mode (default: the event's).")] = None,
    ptt_data: Annotated[
        bool, typer.Option(help="Key down with T 3 (TX data) instead of T 1.")
    ] = False,
    log: Annotated[
        Path | None, typer.Option(help="TX log, JSON Lines (default: tx-EVENT-CALL.jsonl).")
    ] = None,
    watchdog_margin_s: Annotated[
        float, typer.Option(help="Watchdog: longest element plus this, s.")
    ] = 3.0,
    rig_timeout_s: Annotated[float, typer.Option(help="Rig reply timeout, s.")] = 2.0,
    quiet: Annotated[bool, typer.Option(help="No countdown; one line per edge.")] = False,
) -> None:
    """Key SCHEDULE's plan for CALLSIGN on time (dry run unless --transmit)."""
    event = load_event(schedule)
    freq_hz = None if freq_mhz is None else freq_mhz * 1e6
    plan = make_plan(event, callsign, grid=grid, freq_hz=freq_hz)
    spec = Backend(rig, serial, serial_line, ptt_data, transmit_, rig_timeout_s)
    backend = make_backend(spec)
    clock = SystemClock()
    check_session(plan, clock.now(), margin_s=watchdog_margin_s)
    console = err_console()
    warning = clock_status().warning
    if warning:
        console.print(f"[yellow]warning:[/] {warning}")
    rig_note = check_rig(spec)
    if rig_note:
        console.print(rig_note)
    log_path = log if log is not None else default_log_path(plan)
    how = "TRANSMITTING" if backend.transmits else "dry run (nothing keyed; add --transmit)"
    console.print(
        f"{plan.callsign.text} on {plan.freq_hz / 1e6:.6f} MHz ({plan.freq_source}); "
        f"{backend.name}: {how}; log {log_path}"
    )
    live = (
        Live(console=console, refresh_per_second=8, transient=True)
        if console.is_terminal and not quiet
        else None
    )

    def tick(status: RunStatus) -> None:
        if live is not None:
            live.update(_countdown(plan, backend.name, status, warning))

    def on_action(act: Action, record: dict[str, Any]) -> None:
        what = f"key {act.kind}" if act.kind != "ident" else f"identified {record['text']!r}"
        err = f" {record['error_ms']:+.1f} ms" if "error_ms" in record else ""
        console.print(
            f"{record.get('sent_utc', record.get('actual_utc'))} round {act.round_number}/"
            f"{plan.event.rounds} {what}{err} ({record['reply']})",
            highlight=False,
        )

    try:
        if live is not None:
            live.start()
        summary = transmit_plan(
            plan,
            backend,
            clock,
            log_path,
            margin_s=watchdog_margin_s,
            mode=mode,
            tick=tick,
            on_action=on_action,
        )
    except KeyingInterrupted as exc:
        if live is not None:
            live.stop()
        console.print(f"stopped by {exc}: key released; log {log_path}")
        sys.stdout.flush()
        raise typer.Exit(exc.exit_code) from None
    finally:
        if live is not None:
            live.stop()
    if summary.reason != "completed":
        raise RigError(f"{summary.message} (key released: {summary.unkeyed}; log {log_path})")
    console.print(
        f"done: {summary.edges} edges, {summary.idents} identifications, "
        f"max |edge error| {summary.max_abs_error_ms or 0:.1f} ms; log {log_path}"
    )
