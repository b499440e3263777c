"""Rendering of ``hi-station capture``: the live view, its notes and the summary (no logic)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from station.capture import CapturePlan, CaptureResult
from station.capture.rounds import ChannelRound, RoundDetection
from station.capture.view import CaptureStatus
from station.cli._common import LiveLines, out_console
from station.sdr.base import SourceInfo
from station.utc import format_day_time

__all__ = ["CaptureDisplay", "opened_line", "print_capture", "render_status"]


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


class CaptureDisplay:
    """Live view and note lines (drawn by :class:`~station.cli._common.LiveLines`)."""

    def __init__(self, plan: CapturePlan, console: Console, *, live: bool, lines: bool) -> None:
        self._plan, self._lines_on = plan, lines
        self._status: CaptureStatus | None = None
        self._rounds: dict[str, ChannelRound] = {}
        self._view = LiveLines(console, self._panel, live=live, refresh_s=0.25, name="capture-view")

    def status(self, status: CaptureStatus) -> None:
        """Keep the latest status for the panel."""
        self._status = status

    def note(self, text: str) -> None:
        """Print a note line (unless quiet)."""
        if self._lines_on:
            self._view.line(text)

    def round(self, result: RoundDetection) -> None:
        """Show a round's detection: in the panel, and as a note line."""
        self._rounds.update({c.label: c for c in result.channels})
        self.note(result.summary())

    def _panel(self) -> Panel | None:
        if self._status is None:
            return None
        return render_status(self._plan, self._status, dict(self._rounds))

    def stop(self) -> None:
        """Take the view down."""
        self._view.stop()


def print_capture(result: CaptureResult) -> None:
    """Print the files written, the totals, warnings and every round's detection."""
    console = out_console()
    console.print(f"wrote {len(result.files)} recording(s) in {result.out_dir}:", markup=False)
    for f in (*result.channels, *([result.raw] if result.raw else [])):
        console.print(
            f"  {f.label:<6} {f.freq_hz / 1e6:11.6f} MHz  {f.samples:>12,} samples  {f.path.name}",
            markup=False,
        )
    start = "" if result.start_utc is None else f" from {format_day_time(result.start_utc)}"
    console.print(
        f"captured {result.duration_s:.1f} s{start} ({result.samples:,} samples at "
        f"{result.sample_rate_hz:g} S/s from {result.hardware}); {result.gaps} gap(s), "
        f"{result.samples_dropped:,} samples lost, {result.reconnects} reconnect(s); "
        f"stopped: {result.stop_reason}",
        markup=False,
    )
    for text in result.warnings:
        console.print(f"warning: {text}", markup=False)
    if result.grabs:
        console.print(f"wrote {len(result.grabs)} QRSS grab(s) in {result.grabs[0].parent}",
                      markup=False)  # fmt: skip
    for r in result.rounds:
        console.print(r.summary(), markup=False)


def opened_line(plan: CapturePlan, info: SourceInfo) -> str:
    """Return the line printed when the source is open: what is recorded, where, until when."""
    return (
        f"capturing {info.hardware}: {info.center_freq_hz / 1e6:.6f} MHz at "
        f"{info.sample_rate_hz:g} S/s, {len(plan.channels)} channel(s) at "
        f"{plan.channel_rate_hz:g} S/s{' and the raw stream' if plan.raw_path else ''} into "
        f"{plan.out_dir}; stops {plan.stop_text}"
    )
