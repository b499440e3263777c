"""``hi-station capture``: record the band as narrow SigMF channels, with a live view."""

from __future__ import annotations

import atexit
import gc
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from station.capture import (
    CapturePlan,
    CaptureResult,
    CaptureStatus,
    ChannelRound,
    RoundDetection,
    plan_capture,
    run_capture,
)
from station.channels import DEFAULT_CHANNEL_RATE_HZ
from station.cli._common import LiveLines, err_console, out_console
from station.schedule import load_event
from station.sdr.base import SourceInfo
from station.sdr.spec import SOURCE_FORMS
from station.signals import StopRequest, stop_on_signals
from station.utc import parse_utc

__all__ = ["capture", "render_status"]


def _hms(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def render_status(
    plan: CapturePlan, status: CaptureStatus, rounds: dict[str, ChannelRound]
) -> Panel:
    """Draw the live view: time, samples, losses, and per channel its level and last round."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", style="dim")
    grid.add_column()
    grid.add_row("into", str(plan.out_dir))
    grid.add_row(
        "tuned",
        f"{plan.center_freq_hz / 1e6:.6f} MHz at {plan.sample_rate_hz:g} S/s; "
        f"{len(plan.channels)} channel(s) at {plan.channel_rate_hz:g} S/s",
    )
    left = "" if status.remaining_s is None else f", {_hms(status.remaining_s)} to go"
    grid.add_row("time", f"{_hms(status.elapsed_s)} recorded{left}; stops {plan.stop_text}")
    grid.add_row(
        "samples",
        f"{status.samples:,}; {status.samples_dropped:,} lost in {status.gaps} gap(s), "
        f"{status.reconnects} reconnect(s)",
    )
    table = Table(show_edge=False, pad_edge=False)
    for col in ("ch", "MHz", "dBFS (1 s)", *(("last round",) if plan.event else ())):
        table.add_column(col, justify="left" if col in ("ch", "last round") else "right")
    for ch, level in zip(plan.channels, status.levels_dbfs, strict=True):
        row = [ch.label, f"{ch.freq_hz / 1e6:.6f}", "-" if level is None else f"{level:.1f}"]
        if plan.event:
            r = rounds.get(ch.label)
            heard = "" if r is None or not r.heard() else f"; heard {r.heard()}"
            row.append(
                "-" if r is None
                else f"[bold green]HI[/] {r.offset_hz:+.1f} Hz{heard}" if r.detected
                else f"not detected{heard}"
            )  # fmt: skip
        table.add_row(*row)
    return Panel(Group(grid, table), title=f"capture from {plan.spec}", border_style="blue")


class _Display:
    """Live view and note lines (drawn by :class:`~station.cli._common.LiveLines`)."""

    def __init__(self, plan: CapturePlan, console: Console, *, live: bool, lines: bool) -> None:
        self._plan, self._lines_on = plan, lines
        self._status: CaptureStatus | None = None
        self._rounds: dict[str, ChannelRound] = {}
        self._view = LiveLines(console, self._panel, live=live, refresh_s=0.25, name="capture-view")

    def status(self, status: CaptureStatus) -> None:
        self._status = status

    def note(self, text: str) -> None:
        if self._lines_on:
            self._view.line(text)

    def round(self, result: RoundDetection) -> None:
        self._rounds.update({c.label: c for c in result.channels})
        self.note(result.summary())

    def _panel(self) -> Panel | None:
        if self._status is None:
            return None
        return render_status(self._plan, self._status, dict(self._rounds))

    def stop(self) -> None:
        self._view.stop()


def _print(result: CaptureResult) -> None:
    console = out_console()
    console.print(f"wrote {len(result.files)} recording(s) in {result.out_dir}:", markup=False)
    for f in (*result.channels, *([result.raw] if result.raw else [])):
        console.print(
            f"  {f.label:<6} {f.freq_hz / 1e6:11.6f} MHz  {f.samples:>12,} samples  {f.path.name}",
            markup=False,
        )
    start = "" if result.start_utc is None else f" from {result.start_utc:%Y-%m-%d %H:%M:%S}Z"
    console.print(
        f"captured {result.duration_s:.1f} s{start} ({result.samples:,} samples at "
        f"{result.sample_rate_hz:g} S/s from {result.hardware}); {result.gaps} gap(s), "
        f"{result.samples_dropped:,} samples lost, {result.reconnects} reconnect(s); "
        f"stopped: {result.stop_reason}",
        markup=False,
    )
    for text in result.warnings:
        console.print(f"warning: {text}", markup=False)
    for r in result.rounds:
        console.print(r.summary(), markup=False)


def capture(
    source: Annotated[str, typer.Option(help=f"I/Q source: {SOURCE_FORMS}.")],
    out: Annotated[
        Path,
        typer.Option(help="Directory for the recordings; created, must be empty (or --overwrite)."),
    ],
    freq_mhz: Annotated[
        list[float] | None, typer.Option(help="Channel centre, MHz (repeatable).")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(help="Event file or id: its channels, key-down annotations, rounds, end."),
    ] = None,
    center_mhz: Annotated[
        float | None, typer.Option(help="Tuned frequency, MHz (default: middle of the channels).")
    ] = None,
    rate_hz: Annotated[
        float | None,
        typer.Option(help="Sample rate, S/s (default: 240000, or 2400000 when needed)."),
    ] = None,
    gain_db: Annotated[
        float | None, typer.Option(help="Tuner gain, dB (default: automatic).")
    ] = None,
    ppm: Annotated[float, typer.Option(help="Tuner frequency correction, whole ppm.")] = 0,
    raw: Annotated[
        bool, typer.Option("--raw", help="Also record the stream as received (cu8).")
    ] = False,
    channel_rate_hz: Annotated[
        float, typer.Option(help="Sample rate of each channel recording, S/s.")
    ] = DEFAULT_CHANNEL_RATE_HZ,
    duration_s: Annotated[float | None, typer.Option(help="Stop after this long, s.")] = None,
    until: Annotated[
        str | None, typer.Option(help="Stop at this UTC time (ISO 8601, e.g. 2013-10-09T20:40Z).")
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="file: and synthetic sources as fast as possible.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace recordings of the same names in --out.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No live view and no notes.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON only.")] = False,
) -> None:
    """Record --source as one narrow SigMF recording per channel (--raw: the stream too).

    Stops at --duration-s, --until, 30 s after a --schedule's last key-up, the end of a
    file: source, or Ctrl-C / SIGTERM, which close every file cleanly (exit 0).
    """
    plan = plan_capture(
        source, out,
        freqs_hz=[f * 1e6 for f in freq_mhz] if freq_mhz else None,
        event=None if schedule is None else load_event(schedule),
        center_freq_hz=None if center_mhz is None else center_mhz * 1e6,
        sample_rate_hz=rate_hz, gain_db=gain_db, freq_correction_ppm=ppm,
        channel_rate_hz=channel_rate_hz, raw=raw, duration_s=duration_s,
        until_utc=None if until is None else parse_utc(until, name="--until"),
        fast=fast, overwrite=overwrite,
    )  # fmt: skip
    console = err_console()

    def opened(info: SourceInfo) -> None:
        if not quiet:
            console.print(
                f"capturing {info.hardware}: {info.center_freq_hz / 1e6:.6f} MHz at "
                f"{info.sample_rate_hz:g} S/s, {len(plan.channels)} channel(s) at "
                f"{plan.channel_rate_hz:g} S/s{' and the raw stream' if raw else ''} into "
                f"{plan.out_dir}; stops {plan.stop_text}",
                markup=False,
            )

    display = _Display(plan, console, live=console.is_terminal and not quiet, lines=not quiet)
    # Once the capture is over the process ends: skip the interpreter's final garbage
    # collections over numpy's and scipy's objects (0.4 s), so a Ctrl-C ends it well
    # within 1 s.  Every file is closed explicitly before; atexit hooks still run.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    try:
        with stop_on_signals(StopRequest()) as stop:
            result = run_capture(
                plan, stop=stop, on_status=display.status, on_note=display.note,
                on_round=display.round, on_open=opened,
            )  # fmt: skip
    finally:
        display.stop()
    if result.signal_name:
        console.print(f"stopped by {result.stop_reason}; files closed", markup=False)
    if json_:
        print(json.dumps(result.to_dict(), indent=2))
        return
    _print(result)
