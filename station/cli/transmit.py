"""``hi-station transmit``: key the rig on time for an event, with a live countdown."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from station.cli._common import LiveLines, err_console
from station.clock import SystemClock, clock_status
from station.errors import RigError
from station.keyer.rigctld_client import check_mode
from station.keyer.runner import Action, RunStatus
from station.keyer.session import (
    Backend,
    check_rig,
    check_session,
    default_log_path,
    make_backend,
    transmit_plan,
)
from station.schedule import OperatorPlan, load_event, make_plan
from station.signals import Interrupted

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
    left_s = max(0.0, status.seconds_to_next)
    grid.add_row("next", f"{what} at {act.at_utc:%H:%M:%S}Z in {left_s:6.1f} s")
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
    mode = check_mode(mode if mode is not None else event.mode)
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
    display = _Display(plan, backend.name, warning, console, live=console.is_terminal and not quiet)
    try:
        summary = transmit_plan(
            plan,
            backend,
            clock,
            log_path,
            margin_s=watchdog_margin_s,
            mode=mode,
            tick=display.tick,
            on_action=display.action,
        )
    except Interrupted as exc:
        display.stop()
        if exc.unkeyed is False:
            console.print(
                f"[bold red]stopped by {exc}: THE KEY MAY STILL BE DOWN[/]: switch the "
                f"transmitter off (a guard process keeps trying); log {log_path}"
            )
        else:
            console.print(f"stopped by {exc}: key released; log {log_path}")
        raise typer.Exit(exc.exit_code) from None
    finally:
        display.stop()
    if summary.reason != "completed":
        state = (
            "THE KEY MAY STILL BE DOWN: switch the transmitter off (a guard process keeps trying)"
            if summary.unkeyed is False
            else "key released"
        )
        raise RigError(f"{summary.message}; {state}; log {log_path}")
    console.print(
        f"done: {summary.edges} edges, {summary.idents} identifications, "
        f"max |edge error| {summary.max_abs_error_ms or 0:.1f} ms; log {log_path}"
    )


class _Display:
    """Countdown and per-edge lines (drawn by :class:`~station.cli._common.LiveLines`)."""

    def __init__(
        self, plan: OperatorPlan, backend: str, warning: str, console: Console, *, live: bool
    ) -> None:
        self._plan, self._backend, self._warning = plan, backend, warning
        self._status: RunStatus | None = None
        self._key_down = False
        self._view = LiveLines(console, self._panel, live=live, name="countdown")

    def tick(self, status: RunStatus) -> None:
        self._status = status
        self._key_down = status.key_down

    def action(self, act: Action, record: dict[str, Any]) -> None:
        if record["type"] == "edge":
            self._key_down = act.kind == "down"
        if act.kind == "ident":
            what, err = f"identified {record['text']!r}", ""
        elif record["type"] == "skip":
            what, err = (
                f"key-down {act.element_number} SKIPPED",
                f" ({record['late_ms']:.0f} ms late)",
            )
        else:
            what, err = f"key {act.kind}", f" {record['error_ms']:+.1f} ms"
        when = record.get("sent_utc") or record.get("actual_utc") or record["planned_utc"]
        reply = f" ({record['reply']})" if "reply" in record else ""
        self._view.line(
            f"{when} round {act.round_number}/{self._plan.event.rounds} {what}{err}{reply}"
        )

    def _panel(self) -> Panel | None:
        if self._status is None:
            return None
        # Count down on the wall clock: the loop's ticks pause near each edge.
        status = dataclasses.replace(
            self._status, now_utc=datetime.now(UTC), key_down=self._key_down
        )
        return _countdown(self._plan, self._backend, status, self._warning)

    def stop(self) -> None:
        self._view.stop()
