"""File-level Waves jobs behind the CLI: analyze a file or folder, inspect a file.

Examples
--------
>>> from station.schedule import load_event
>>> event_window_unix_s(load_event("juno-2013-10-09"), 600.0)
(1381341000.0, 1381351590.0)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from station._atomic import check_free, make_output_dir, write_bytes_atomic
from station.errors import InputError
from station.schedule import Event
from station.utc import utc_from_unix_s
from station.waves.analyze import DEFAULT_CHANNEL_HZ, DEFAULT_PFA, WavesAnalysis, analyze_series
from station.waves.inspect import WavesInspection, inspect_series
from station.waves.load import load_waves, sniff_format
from station.waves.pds_csv import write_pds_csv
from station.waves.plot import render_waves_png
from station.waves.simulate import Prediction, Simulation, SimulationConfig, predict, simulate

__all__ = [
    "BAND_HZ",
    "INSPECT_CHANNELS_HZ",
    "AnalyzedFile",
    "analyze_path",
    "event_window_unix_s",
    "inspect_path",
    "simulate_to",
    "simulation_name",
    "write_simulation",
]

BAND_HZ = (3.0e6, 45.0e6)
"""Channels kept for the figure: the HFRH receiver band (3.5-40.5 MHz centres)."""
INSPECT_CHANNELS_HZ = (27.5e6, 28.5e6, 29.5e6)
"""Channels whose noise `inspect` reports by default: the event channel and neighbours."""


@dataclass(frozen=True)
class AnalyzedFile:
    """An analysis and the figure written for it (None without ``png``)."""

    analysis: WavesAnalysis
    png: Path | None


def event_window_unix_s(event: Event, margin_s: float) -> tuple[float, float]:
    """First key-down minus `margin_s` and last key-up plus `margin_s`, UTC unix seconds."""
    first = event.round_start_utc(0).timestamp() + event.key_down_s[0][0]
    last = event.round_start_utc(event.rounds - 1).timestamp() + event.key_down_s[-1][1]
    return first - margin_s, last + margin_s


def analyze_path(
    path: str | os.PathLike[str],
    event: Event,
    *,
    channel_hz: float | None = None,
    pfa: float = DEFAULT_PFA,
    background_knot_s: float = 600.0,
    edge_guard_s: float = 0.0,
    png: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> AnalyzedFile:
    """Read `path` (file or PDS folder) around `event`, analyze it, optionally draw it.

    Only the event window (plus two background knots either side) and only the
    receiver band are kept in memory, so a whole day streams through in a few MB.
    The PNG target is checked before anything is read.
    """
    if png is not None:
        check_free([Path(png)], overwrite=overwrite)
    channel = channel_hz or (event.receiver.channel_hz if event.receiver else DEFAULT_CHANNEL_HZ)
    start, stop = event_window_unix_s(event, 2 * background_knot_s)
    series = load_waves(path, channels_hz=[channel], keep_hz=BAND_HZ,
                        start_unix_s=start, stop_unix_s=stop)
    analysis = analyze_series(series, event, channel_hz=channel, pfa=pfa,
                              background_knot_s=background_knot_s, edge_guard_s=edge_guard_s)
    written = None
    if png is not None:
        written = render_waves_png(series, analysis, png, overwrite=overwrite)
    return AnalyzedFile(analysis, written)


def inspect_path(
    path: str | os.PathLike[str], channels_hz: tuple[float, ...] = INSPECT_CHANNELS_HZ
) -> WavesInspection:
    """Layout and noise statistics of a Waves file (every channel read, all rows)."""
    if sniff_format(Path(path)) == "das2":
        from station.waves.das2 import read_das2

        return inspect_series(read_das2(path), channels_hz)
    return inspect_series(load_waves(path), channels_hz)


def simulation_name(sim: Simulation, *, gz: bool = False) -> str:
    """PDS-style name of a simulated survey: ``WAV_<yyyyddd>T<hhmmss>_E_V02.CSV``.

    The start is the first row's second, as PDS names files that begin mid-day.
    """
    start = utc_from_unix_s(float(sim.series.time_unix_s[0]))
    stem = f"WAV_{start:%Y}{start.timetuple().tm_yday:03d}T{start:%H%M%S}_E_V02"
    return stem + (".CSV.gz" if gz else ".CSV")


def write_simulation(
    sim: Simulation,
    out_dir: str | os.PathLike[str],
    *,
    gz: bool = False,
    bands: tuple[str, ...] = (),
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Write the survey CSV and its truth JSON (``..._truth.json``) into `out_dir`.

    `bands` (e.g. ``("HFRH",)``) keeps only those receiver bands' values; the other
    channels are written empty (missing), which keeps the 154-field layout and makes
    small files.  `out_dir` is created if missing.  Both targets are checked before
    either is written; neither is replaced unless `overwrite`.
    """
    out = Path(out_dir)
    csv_path = out / simulation_name(sim, gz=gz)
    truth_path = out / (simulation_name(sim).removesuffix(".CSV") + "_truth.json")
    s = sim.series
    unknown = sorted(set(bands) - set(s.band))
    if unknown:
        raise InputError(f"band {', '.join(unknown)}: not a receiver band; known: "
                         f"{', '.join(dict.fromkeys(s.band))}")
    if not (out.exists() or out.is_symlink()):
        make_output_dir(out)
    check_free([csv_path, truth_path], overwrite=overwrite)
    power = s.power
    if bands:
        power = np.where(np.isin(np.array(s.band), bands)[None, :], s.power, np.nan)
    write_pds_csv(csv_path, s.time_unix_s, s.freq_hz, s.bandwidth_hz, power,
                  title=f"Juno Waves survey, SIMULATED by hi-station ({sim.truth.event_id})",
                  overwrite=overwrite)
    truth = sim.truth.to_dict() | {"csv": csv_path.name}
    try:
        write_bytes_atomic(truth_path, (json.dumps(truth, indent=2) + "\n").encode(),
                           overwrite=overwrite)
    except BaseException:  # never leave the CSV without its truth (a full disk)
        csv_path.unlink(missing_ok=True)
        raise
    return csv_path, truth_path


def simulate_to(
    event: Event,
    config: SimulationConfig,
    *,
    pfa: float = DEFAULT_PFA,
    out_dir: str | os.PathLike[str] | None = None,
    gz: bool = False,
    bands: tuple[str, ...] = (),
    overwrite: bool = False,
) -> tuple[Prediction, tuple[Path, Path] | None]:
    """Predict the event's detectability; with `out_dir`, also simulate and write the survey.

    Without `out_dir` only the prediction is computed (:func:`predict`, fast); with it
    the survey is simulated and written by :func:`write_simulation` (its options),
    and the prediction is the simulation's truth.

    Returns
    -------
    prediction : Prediction
    paths : (csv, truth json) or None
    """
    if out_dir is None:
        return predict(event, config, pfa=pfa), None
    sim = simulate(event, config, pfa=pfa)
    paths = write_simulation(sim, out_dir, gz=gz, bands=bands, overwrite=overwrite)
    return sim.truth, paths
