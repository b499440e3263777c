"""``hi-station transmit``: key the rig on time for an event, with a live countdown."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from station.cli._common import LiveLines, err_console
from station.keyer.actions import Action, RunStatus
from station.keyer.records import EdgeRecord, IdentRecord, SkipRecord, TxRecord
from station.keyer.session import Backend, TransmitRequest, run_transmit
from station.schedule import OperatorPlan
from station.sntp import DEFAULT_SERVERS, ClockLimits
from station.utc import format_hms, utc_z

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
    grid.add_row("now", format_hms(status.now_utc))
    grid.add_row("round", f"{act.round_number} of {status.rounds_total}")
    grid.add_row("key", state)
    what = {"down": "key down", "up": "key up", "ident": f"identify ({plan.ident_text})"}[act.kind]
    left_s = max(0.0, status.seconds_to_next)
    grid.add_row("next", f"{what} at {format_hms(act.at_utc)} in {left_s:6.1f} s")
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
    audio: Annotated[
        str | None,
        typer.Option(help="Key a tone on this sound-card output (PTT: --rig, --serial or VOX)."),
    ] = None,
    tone_hz: Annotated[float, typer.Option(help="Audio tone, Hz (with --audio).")] = 1500.0,
    sideband: Annotated[
        str, typer.Option(help="Rig sideband with --audio: usb (RF = dial + tone) or lsb.")
    ] = "usb",
    vox: Annotated[
        bool, typer.Option("--vox", help="With --audio: the rig's VOX keys it (no --rig/--serial).")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No countdown; one line per edge.")] = False,
    ntp_server: Annotated[
        list[str] | None,
        typer.Option(help="NTP server HOST[:PORT] to measure the clock against (repeatable)."),
    ] = None,
    max_clock_offset_s: Annotated[
        float, typer.Option(help="--transmit refuses when the clock is off by more, s.")
    ] = 0.5,
    warn_clock_offset_s: Annotated[
        float, typer.Option(help="Warn when the clock is off by more, s.")
    ] = 0.1,
    ignore_clock: Annotated[
        bool, typer.Option("--ignore-clock", help="Do not measure the clock; key anyway.")
    ] = False,
) -> None:
    """Key SCHEDULE's plan for CALLSIGN on time (dry run unless --transmit)."""
    console = err_console()
    request = TransmitRequest(
        schedule, callsign, Backend(rig, serial, serial_line, ptt_data, transmit_, rig_timeout_s,
                                    audio, tone_hz, sideband, vox),
        grid=grid, freq_hz=None if freq_mhz is None else freq_mhz * 1e6, mode=mode, log=log,
        watchdog_margin_s=watchdog_margin_s, ntp_servers=tuple(ntp_server or DEFAULT_SERVERS),
        clock_limits=ClockLimits(max_clock_offset_s, warn_clock_offset_s, ignore=ignore_clock),
    )  # fmt: skip
    outcome = run_transmit(request, _Display(console, live=console.is_terminal and not quiet))
    console.print(outcome.text, style="bold red" if outcome.alarm else None, markup=False)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


class _Display:
    """Notes, the countdown and per-edge lines (drawn by :class:`~station.cli._common.LiveLines`).

    A :class:`~station.keyer.session.TransmitView`.
    """

    def __init__(self, console: Console, *, live: bool) -> None:
        self._console, self._live = console, live
        self._plan: OperatorPlan | None = None
        self._backend = self._warning = ""
        self._status: RunStatus | None = None
        self._key_down = False
        self._view: LiveLines | None = None

    def note(self, text: str) -> None:
        self._console.print(text)

    def warn(self, text: str) -> None:
        self._console.print(f"[yellow]warning:[/] {text}")

    def start(self, plan: OperatorPlan, backend_name: str, clock_warning: str) -> None:
        self._plan, self._backend, self._warning = plan, backend_name, clock_warning
        self._view = LiveLines(self._console, self._panel, live=self._live, name="countdown")

    def tick(self, status: RunStatus) -> None:
        self._status = status
        self._key_down = status.key_down

    def action(self, act: Action, record: TxRecord) -> None:
        assert self._plan is not None and self._view is not None
        if isinstance(record, EdgeRecord):
            self._key_down = act.kind == "down"
        self._view.line(
            f"{_when(record)} round {act.round_number}/{self._plan.event.rounds} "
            f"{_what(act, record)}"
        )

    def _panel(self) -> Panel | None:
        if self._status is None or self._plan is None:
            return None
        # Count down on the wall clock: the loop's ticks pause near each edge.
        status = dataclasses.replace(
            self._status, now_utc=datetime.now(UTC), key_down=self._key_down
        )
        return _countdown(self._plan, self._backend, status, self._warning)

    def stop(self) -> None:
        if self._view is not None:
            self._view.stop()


def _when(record: TxRecord) -> str:
    """Return when an action was sent, else acknowledged, else planned (for its line)."""
    sent = record.sent_utc if isinstance(record, EdgeRecord) else None
    done = record.actual_utc if isinstance(record, EdgeRecord | IdentRecord) else None
    planned = getattr(record, "planned_utc", None)
    when = sent or done or planned
    return "" if when is None else utc_z(when)


def _what(act: Action, record: TxRecord) -> str:
    """Say what was done, its timing error and the backend's reply."""
    if isinstance(record, IdentRecord):
        return f"identified {record.text!r} ({record.reply})"
    if isinstance(record, SkipRecord):
        return f"key-down {act.element_number} SKIPPED ({record.late_ms or 0:.0f} ms late)"
    assert isinstance(record, EdgeRecord)
    return f"key {act.kind} {record.error_ms or 0:+.1f} ms ({record.reply})"
