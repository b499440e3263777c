"""Rendering of ``hi-station report``: the round x channel table (printing only, no logic)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from station.batch.report import Cell, EventReport
from station.cli._common import out_console

__all__ = ["print_report"]

#: Stations named per heard cell before "+N more".
_NAMES = 4


def _cell_text(cell: Cell) -> str:
    if cell.state == "not covered":
        text = "[dim]n/c[/dim]"
    elif cell.best_snr2500_db is None:
        text = str(cell.stations)
    else:
        text = f"[bold]{cell.stations}[/bold] / {cell.best_snr2500_db:.1f}"
    if cell.keyed_by:
        text += f"\n[red]TX {','.join(cell.keyed_by)}[/red]"
    return text


def _names(names: tuple[str, ...]) -> str:
    more = len(names) - _NAMES
    return ", ".join(names[:_NAMES]) + (f" +{more} more" if more > 0 else "")


def _significance(p: float | None, z: float | None) -> str:
    if p is None or z is None:
        return "false alarm -"
    if p == 0:  # underflowed: z is a lower bound
        return f"false alarm < 1e-323, z > {z:.1f}"
    return f"false alarm {p:.2g}, z {z:.1f}"


def _heard_lines(report: EventReport) -> list[str]:
    lines = []
    for cell in report.cells:
        if cell.heard_by:
            when = "stack" if cell.round_number == 0 else f"round {cell.round_number}"
            sig = _significance(cell.best_false_alarm_probability, cell.best_z)
            lines.append(f"  {when} {cell.label}: {_names(cell.heard_by)} ({sig})")
    return lines


def _table(report: EventReport) -> Table:
    table = Table(show_edge=False, show_lines=True)
    table.add_column("round", justify="right")
    for ch in report.channels:
        table.add_column(f"{ch.label}\n{ch.freq_hz / 1e6:.6f}", justify="center")
    for n in report.round_numbers:
        table.add_row(
            "stack" if n == 0 else str(n),
            *(_cell_text(report.cell(n, ch.label)) for ch in report.channels),
        )
    return table


def print_report(report: EventReport, png: Path | None = None) -> None:
    """Print the table (cell: stations that heard it / best SNR2500, dB), who, and the logs."""
    console = out_console()
    console.print(
        f"{report.folder}: {report.event_name} ({report.event_id}), {report.rounds} round(s), "
        f"{len(report.stations)} station(s) analysed, {len(report.refused)} recording(s) refused"
    )
    console.print(_table(report))
    console.print("cell: stations that heard it / best SNR2500 dB; 0: covered, not heard; "
                  "n/c: no recording covered it", style="dim")  # fmt: skip
    heard = _heard_lines(report)
    if heard:
        console.print("heard by:", highlight=False)
        for line in heard:
            console.print(line, highlight=False)
    for r in report.refused:
        console.print(f"refused: {r.station} ({r.path}): {r.error}", highlight=False)
    if report.operators:
        ops = Table(show_edge=False, title="operators (TX logs)")
        for col in ("callsign", "channel", "rounds keyed", "heard", "not covered"):
            ops.add_column(col)
        for o in report.operators:
            chan = ",".join(o.labels) or "outside"
            ops.add_row(o.callsign, chan, _rounds(o.rounds_keyed), _rounds(o.rounds_heard),
                        _rounds(o.rounds_not_covered))  # fmt: skip
        console.print(ops)
    for note in report.notes:
        console.print(f"skipped: {note}", highlight=False)
    if png is not None:
        console.print(f"wrote {png}")


def _rounds(numbers: tuple[int, ...]) -> str:
    return f"{len(numbers)} ({','.join(map(str, numbers))})" if numbers else "0"
