"""``hi-station waves``: analyze, inspect and simulate Juno Waves survey data.

The logic is in :mod:`station.waves`; this module parses options and prints.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from station.cli._common import ReportingGroup, out_console, spinner
from station.errors import InputError
from station.schedule import load_event
from station.waves.analyze import WavesAnalysis
from station.waves.inspect import WavesInspection
from station.waves.series import parse_unix_s
from station.waves.simulate import Prediction, SimulationConfig, predict, simulate
from station.waves.workflow import (
    INSPECT_CHANNELS_HZ,
    analyze_path,
    inspect_path,
    write_simulation,
)

__all__ = ["analyze", "app", "inspect", "simulate_command"]

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


def _round_table(a: WavesAnalysis) -> Table:
    """One row per round; "(veto)" where the references decided (see the lines below it)."""
    table = Table(show_edge=False)
    for col in ("round", "UTC", "range km", "z", "p", "detected", "dits", "ref z"):
        table.add_column(col, justify="right")
    for r in a.rounds:
        dits = sum(1 for d in a.dits if d.round == r.number and d.detected is not None)
        table.add_row(
            str(r.number), r.start_utc[11:19], _f(r.range_km, ",.0f"), _f(r.z, ".2f"),
            _f(r.p_value, ".1e"), _yes(r.detected) + (" (veto)" if r.vetoed else ""),
            f"{r.dits_detected}/{dits}", " ".join(_f(z, ".1f") for z in r.reference_z) or "-")
    return table


def _veto_lines(a: WavesAnalysis) -> list[str]:
    """Per vetoed round: the event channel's own z, the references' z and the reason."""
    return [f"round {r.number} veto: {r.veto_reason}; z above is the excess beyond the "
            f"references, own z {_f(r.event_z, '.2f')}, references' mean z "
            f"{_f(r.reference_mean_z, '.1f')}" for r in a.rounds if r.vetoed]


def _masked_line(a: WavesAnalysis) -> str:
    """How much the broadband-burst mask and the outlier cut left out of the fit."""
    seconds = sum(parse_unix_s(stop) - parse_unix_s(start) for start, stop in a.masked_utc)
    samples = round(seconds / a.cadence_s) if a.cadence_s > 0 else 0
    vetoed = sum(1 for d in a.dits if d.vetoed)
    return (f"left out of the fit: {len(a.masked_utc)} interval(s), {samples} sample(s) masked "
            f"as broadband bursts in the references, {a.n_outliers} outlier(s); "
            f"{vetoed} dit(s) vetoed")


def print_analysis(a: WavesAnalysis, png: Path | None = None) -> None:
    """Print the round table and a summary of `a`."""
    console = out_console()
    refs = ", ".join(f"{f / 1e6:g}" for f in a.reference_channels_hz) or "none"
    console.print(
        f"{a.source} ({a.file_format}): {a.span_start_utc} to {a.span_stop_utc}, cadence "
        f"{a.cadence_s:.3g} s; event {a.event_id}; channel {a.channel_hz / 1e6:g} MHz "
        f"(references {refs} MHz)", markup=False)
    console.print(_round_table(a))
    for line in _veto_lines(a):
        console.print(line, markup=False)
    verdict = "detected" if a.stack_detected else "not detected"
    refs_z = " ".join(_f(z, ".1f") for z in a.reference_stack_z) or "-"
    strongest = "" if a.stack_z_strongest is None else \
        f" (strongest round z {a.stack_z_strongest:.2f})"
    stack = "no data" if a.stack_z is None else (
        f"z {a.stack_z:.2f}{strongest}, p {a.stack_p_value:.1e}, {verdict} "
        f"(references {refs_z})")
    console.print(f"stacked over rounds: {stack}", markup=False)
    console.print(
        f"thresholds at family-wise Pfa {a.pfa:g}: dit z>{a.z_threshold_dit:.2f}, round "
        f"z>{a.z_threshold_round:.2f}, stack z>{a.z_threshold_stack:.2f}; noise "
        f"{100 * a.noise_relative_std:.0f} % of level per sample, variance inflation "
        f"{a.variance_inflation:.2f}, {a.n_spikes} spike(s) removed", markup=False)
    console.print(_masked_line(a), markup=False)
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


def print_prediction(p: Prediction) -> None:
    """Print the planning table: expected z, Pd and operators needed per round."""
    console = out_console()
    c = p.config
    console.print(
        f"{p.event_id}: {c['n_operators']} operators x {c['power_w']:g} W at "
        f"{c['antenna_gain_dbi']:g} dBi toward the spacecraft, {100 * c['active_fraction']:.0f} % "
        f"keying each round, clocks +/-{c['clock_error_s']:g} s; trajectory {p.trajectory}; "
        f"round threshold z>{p.z_threshold_round:.2f} (Pfa {p.pfa:g} over the rounds)",
        markup=False)
    table = Table(show_edge=False)
    for col in ("round", "UTC", "range km", "keying", "S/N dB", "z", "Pd",
                "ops Pd 0.9", "dit z"):
        table.add_column(col, justify="right")
    for r in p.rounds:
        sn = "-"
        if r.signal_psd > 0 and r.background_psd > 0:
            sn = f"{10 * math.log10(r.signal_psd / r.background_psd):.1f}"
        zs = [z for z in r.dit_expected_z if z is not None]
        dits = f"{min(zs):.1f}-{max(zs):.1f}" if zs else "-"
        table.add_row(
            str(r.number), r.start_utc[11:19], f"{r.range_km:,.0f}", str(r.n_active), sn,
            _f(r.expected_z, ".1f") if r.has_data else "-", _f(r.pd, ".2f"),
            _f(r.operators_for_pd90, ",.0f"), dits if r.has_data else "-")
    console.print(table)
    console.print("S/N: mean signal over background during key-down, per 1-s sample; z: "
                  "expected round statistic; ops Pd 0.9: operators (same mix) for a 90 % "
                  "chance of detecting that round; dit z: expected range over its dits",
                  markup=False)


def simulate_command(
    schedule: Annotated[str, typer.Option(help="Event file or shipped id, e.g. juno-2013-10-09.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the survey CSV and its truth JSON into this folder.")
    ] = None,
    report: Annotated[bool, typer.Option(help="Print the predicted detectability table.")] = False,
    operators: Annotated[int, typer.Option(help="Operators registered.")] = 1400,
    power_w: Annotated[float, typer.Option(help="Transmitter power, W.")] = 100.0,
    gain_dbi: Annotated[
        float | None, typer.Option(help="Antenna gain toward the spacecraft, dBi.")
    ] = None,
    active_fraction: Annotated[
        float | None, typer.Option(help="Share of operators keying in each round.")
    ] = None,
    clock_error_s: Annotated[float, typer.Option(help="Spread of operators' key edges, s.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed (operators and noise).")] = 0,
    full_day: Annotated[
        bool, typer.Option(help="Simulate the whole UTC day (86,400 rows).")
    ] = False,
    safe_mode_utc: Annotated[
        str | None, typer.Option(help="Data end here (default: the trajectory's; 'none').")
    ] = None,
    gz: Annotated[bool, typer.Option("--gzip", help="Write .CSV.gz.")] = False,
    band: Annotated[
        list[str] | None, typer.Option(help="Write only this band, e.g. HFRH (repeatable).")
    ] = None,
    pfa: Annotated[float, typer.Option(help="False-alarm probability for the prediction.")] = 1e-3,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the prediction as JSON only.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing files.")] = False,
) -> None:
    """Simulate the survey of an event from a flyby model; predict what can be detected."""
    event = load_event(schedule)
    defaults = SimulationConfig()
    config = SimulationConfig(
        n_operators=operators, power_w=power_w,
        antenna_gain_dbi=defaults.antenna_gain_dbi if gain_dbi is None else gain_dbi,
        active_fraction=defaults.active_fraction if active_fraction is None else active_fraction,
        clock_error_s=clock_error_s, seed=seed, full_day=full_day,
        safe_mode_utc=("default" if safe_mode_utc is None
                       else None if safe_mode_utc.lower() == "none" else safe_mode_utc))
    if out is None and not (report or json_):
        raise InputError("nothing to do: give --out DIR to write files, or --report/--json")
    if out is None:
        prediction = predict(event, config, pfa=pfa)
        paths = None
    else:
        with spinner("simulating"):
            sim = simulate(event, config, pfa=pfa)
            paths = write_simulation(sim, out, gz=gz, bands=tuple(band or ()),
                                     overwrite=overwrite)
        prediction = sim.truth
    if json_:
        print(json.dumps(prediction.to_dict(), indent=2))
        return
    if report:
        print_prediction(prediction)
    if paths is not None:
        out_console().print(f"wrote {paths[0]} and {paths[1]}", markup=False)
