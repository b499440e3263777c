"""``hi-station waves``: analyze, inspect and simulate Juno Waves survey data.

The logic is in :mod:`station.waves`; this module parses options and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from station.cli._common import ReportingGroup, out_console, spinner
from station.schedule import load_event
from station.waves.analyze import WavesAnalysis
from station.waves.inspect import WavesInspection
from station.waves.workflow import INSPECT_CHANNELS_HZ, analyze_path, inspect_path

__all__ = ["analyze", "app", "inspect"]

app = typer.Typer(
    cls=ReportingGroup,
    name="waves",
    help="Juno Waves survey files: find the HI, inspect noise, simulate a flyby.",
    no_args_is_help=True,
    add_completion=False,
)

FileArg = Annotated[
    Path,
    typer.Argument(help="PDS survey CSV (.CSV/.CSV.gz), das2 stream (.d2t), generic CSV/NPZ, "
                   "or a folder of PDS files."),
]


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _yes(value: bool | None) -> str:
    return "no data" if value is None else ("yes" if value else "no")


def print_analysis(a: WavesAnalysis, png: Path | None = None) -> None:
    """Print the round table and a summary of `a`."""
    console = out_console()
    refs = ", ".join(f"{f / 1e6:g}" for f in a.reference_channels_hz) or "none"
    console.print(
        f"{a.source} ({a.file_format}): {a.span_start_utc} to {a.span_stop_utc}, cadence "
        f"{a.cadence_s:.3g} s; event {a.event_id}; channel {a.channel_hz / 1e6:g} MHz "
        f"(references {refs} MHz)", markup=False)
    table = Table(show_edge=False)
    for col in ("round", "UTC", "range km", "z", "p", "detected", "dits", "ref z"):
        table.add_column(col, justify="right")
    for r in a.rounds:
        dits = sum(1 for d in a.dits if d.round == r.number and d.detected is not None)
        table.add_row(
            str(r.number), r.start_utc[11:19], _f(r.range_km, ",.0f"), _f(r.z, ".2f"),
            _f(r.p_value, ".1e"), _yes(r.detected), f"{r.dits_detected}/{dits}",
            " ".join(_f(z, ".1f") for z in r.reference_z) or "-")
    console.print(table)
    verdict = "detected" if a.stack_detected else "not detected"
    refs_z = " ".join(_f(z, ".1f") for z in a.reference_stack_z) or "-"
    stack = "no data" if a.stack_z is None else (
        f"z {a.stack_z:.2f}, p {a.stack_p_value:.1e}, {verdict} (references {refs_z})")
    console.print(f"stacked over rounds: {stack}", markup=False)
    console.print(
        f"thresholds at family-wise Pfa {a.pfa:g}: dit z>{a.z_threshold_dit:.2f}, round "
        f"z>{a.z_threshold_round:.2f}, stack z>{a.z_threshold_stack:.2f}; noise "
        f"{100 * a.noise_relative_std:.0f} % of level per sample, variance inflation "
        f"{a.variance_inflation:.2f}, {a.n_spikes} spike(s) removed", markup=False)
    if png is not None:
        console.print(f"wrote {png}", markup=False)


@app.command()
def analyze(
    path: FileArg,
    schedule: Annotated[str, typer.Option(help="Event file or shipped id, e.g. juno-2013-10-09.")],
    channel_mhz: Annotated[
        float | None, typer.Option(help="Channel to test (default: the event's receiver).")
    ] = None,
    pfa: Annotated[
        float, typer.Option(help="Family-wise false-alarm probability per level.")
    ] = 1e-3,
    background_knot_s: Annotated[
        float, typer.Option(help="Knot spacing of the background spline, s.")
    ] = 600.0,
    edge_guard_s: Annotated[
        float, typer.Option(help="Leave out samples this close to a key edge, s.")
    ] = 0.0,
    png: Annotated[Path | None, typer.Option(help="Write the spectrogram figure here.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing PNG.")] = False,
) -> None:
    """Find the event's keying in PATH per dit, per round and stacked over rounds."""
    event = load_event(schedule)
    with spinner(f"analyzing {path}"):
        result = analyze_path(
            path, event, channel_hz=None if channel_mhz is None else channel_mhz * 1e6, pfa=pfa,
            background_knot_s=background_knot_s, edge_guard_s=edge_guard_s, png=png,
            overwrite=overwrite)
    if json_:
        data = result.analysis.to_dict()
        data["png"] = None if result.png is None else str(result.png)
        print(json.dumps(data, indent=2))
        return
    print_analysis(result.analysis, result.png)


def print_inspection(i: WavesInspection) -> None:
    """Print the layout and the channel noise table of `i`."""
    console = out_console()
    console.print(
        f"{i.source} ({i.file_format}): {i.n_rows} rows, {i.start_utc} to {i.stop_utc}; cadence "
        f"{i.cadence_s:.3g} s (steps {i.min_step_s:.3g}-{i.max_step_s:.3g} s, {i.n_gaps} gap(s)); "
        f"{i.n_channels} channels {i.freq_min_hz / 1e6:.4g}-{i.freq_max_hz / 1e6:.4g} MHz"
        + (f" in bands {', '.join(i.bands)}" if i.bands else "") + f"; units {i.units}",
        markup=False)
    table = Table(show_edge=False)
    table.add_column("channel MHz")
    for c in i.channels:
        table.add_column(f"{c.freq_hz / 1e6:g}", justify="right")
    rows = [
        ("valid samples", lambda c: f"{c.n_valid}/{c.n_valid + c.n_missing}"),
        ("median", lambda c: f"{c.median:.4g}"),
        ("mean", lambda c: f"{c.mean:.4g}"),
        ("std / mean", lambda c: f"{c.relative_std:.3f}"),
        ("MAD (x1.4826)", lambda c: f"{c.mad:.4g}"),
        ("5 % / 95 %", lambda c: f"{c.p05:.3g} / {c.p95:.3g}"),
        ("distinct values", lambda c: str(c.n_distinct)),
        ("sqrt(value) step", lambda c: _f(c.amplitude_step, ".4g")),
        ("levels (x step)", lambda c: ",".join(map(str, c.amplitude_levels)) or "-"),
        ("spikes", lambda c: str(c.n_spikes)),
        ("lag-1 / lag-2 corr", lambda c: f"{c.lag1_corr:+.2f} / {c.lag2_corr:+.2f}"),
        ("30-s scatter", lambda c: f"{c.block30_std_ratio:.2f}"),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(c) for c in i.channels))
    console.print(table)
    console.print("30-s scatter: std of 30-sample means over std/sqrt(30) (1 = white noise)",
                  markup=False)


@app.command()
def inspect(
    path: FileArg,
    channel_mhz: Annotated[
        list[float] | None, typer.Option(help="Channel to report (repeatable).")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
) -> None:
    """Channels, time span, cadence and noise statistics of a Waves file."""
    channels = tuple(f * 1e6 for f in channel_mhz) if channel_mhz else INSPECT_CHANNELS_HZ
    result = inspect_path(path, channels)
    if json_:
        print(json.dumps(result.to_dict(), indent=2))
        return
    print_inspection(result)
