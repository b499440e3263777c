"""``hi-station waves``: analyze, inspect and simulate Juno Waves survey data.

The logic is in :mod:`station.waves`; this module parses options, calls it and prints
(:mod:`station.cli.render_waves`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import ReportingGroup, out_console, spinner
from station.cli.render_waves import print_analysis, print_inspection, print_prediction
from station.errors import InputError
from station.schedule import load_event
from station.waves.analyze import DEFAULT_PFA
from station.waves.simulate import SimulationConfig
from station.waves.workflow import INSPECT_CHANNELS_HZ, analyze_path, inspect_path, simulate_to

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


@app.command()
def analyze(
    path: FileArg,
    schedule: Annotated[str, typer.Option(help="Event file or shipped id, e.g. juno-2013-10-09.")],
    channel_mhz: Annotated[
        float | None, typer.Option(help="Channel to test (default: the event's receiver).")
    ] = None,
    pfa: Annotated[
        float, typer.Option(help="Family-wise false-alarm probability per level.")
    ] = DEFAULT_PFA,
    background_knot_s: Annotated[
        float, typer.Option(help="Knot spacing of the background spline, s.")
    ] = 600.0,
    edge_guard_s: Annotated[
        float, typer.Option(help="Leave out samples this close to a key edge, s.")
    ] = 0.0,
    png: Annotated[Path | None, typer.Option(help="Write the spectrogram figure here.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing PNG.")
    ] = False,
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


def _config(
    operators: int, power_w: float, gain_dbi: float | None, active_fraction: float | None,
    clock_error_s: float, seed: int, full_day: bool, safe_mode_utc: str | None,
) -> SimulationConfig:  # fmt: skip
    """Build the simulation's knobs from the options (None: the model's default)."""
    defaults = SimulationConfig()
    return SimulationConfig(
        n_operators=operators, power_w=power_w,
        antenna_gain_dbi=defaults.antenna_gain_dbi if gain_dbi is None else gain_dbi,
        active_fraction=defaults.active_fraction if active_fraction is None else active_fraction,
        clock_error_s=clock_error_s, seed=seed, full_day=full_day,
        safe_mode_utc=("default" if safe_mode_utc is None
                       else None if safe_mode_utc.lower() == "none" else safe_mode_utc))


@app.command("simulate")
def simulate_command(
    schedule: Annotated[str, typer.Option(help="Event file or shipped id, e.g. juno-2013-10-09.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Write the survey CSV and its truth JSON into this folder "
                     "(created if missing)."),
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
    pfa: Annotated[
        float, typer.Option(help="False-alarm probability for the prediction.")
    ] = DEFAULT_PFA,
    json_: Annotated[
        bool, typer.Option("--json", help="Print the prediction as JSON only.")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing files.")] = False,
) -> None:
    """Simulate the survey of an event from a flyby model; predict what can be detected."""
    if out is None and not (report or json_):
        raise InputError("nothing to do: give --out DIR to write files, or --report/--json")
    config = _config(operators, power_w, gain_dbi, active_fraction, clock_error_s, seed,
                     full_day, safe_mode_utc)  # fmt: skip
    with spinner("simulating"):
        prediction, paths = simulate_to(load_event(schedule), config, pfa=pfa, out_dir=out, gz=gz,
                                        bands=tuple(band or ()), overwrite=overwrite)  # fmt: skip
    if json_:
        print(json.dumps(prediction.to_dict(), indent=2))
        return
    if report:
        print_prediction(prediction)
    if paths is not None:
        out_console().print(f"wrote {paths[0]} and {paths[1]}", markup=False)
