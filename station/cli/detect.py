"""``hi-station detect``: known-template detection of scheduled rounds in a recording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from station.band_input import RoundSchedule, choose_rounds, detect_file
from station.cli._common import MAX_DRIFT_HZ_PER_MIN, bounded, out_console, spinner
from station.cli.render import print_detection
from station.utc import parse_utc

__all__ = ["detect"]


def _check(
    search_hz: float | None, max_drift_hz_per_min: float, start_offset_s: float | None,
    dit_s: float, period_s: float, timing_offset_s: float,
) -> None:  # fmt: skip
    """Refuse absurd magnitudes of the options (:func:`~station.cli._common.bounded`)."""
    bounded("--search-hz", search_hz, 0.01, 1e7, " Hz")
    bounded("--max-drift-hz-per-min", max_drift_hz_per_min, 0.0, MAX_DRIFT_HZ_PER_MIN, " Hz/min")
    bounded("--start-offset-s", start_offset_s, -1e8, 1e8, " s")
    bounded("--dit-s", dit_s, 1e-3, 3600.0, " s")
    bounded("--period-s", period_s, 1e-3, 7 * 86400.0, " s")
    bounded("--timing-offset-s", timing_offset_s, 0.0, 3600.0, " s")


def detect(
    file: Annotated[Path, typer.Argument(help="Recording: SigMF (.sigmf-meta, .sigmf) or WAV.")],
    schedule: Annotated[
        str | None,
        typer.Option(
            help="Event file or shipped event id: its rounds inside the recording are "
            "tested (replaces --start-utc, --text, --dit-s, --rounds, --period-s)."
        ),
    ] = None,
    start_utc: Annotated[
        str | None,
        typer.Option(help="UTC of round 1's first key-down, ISO 8601 with Z."),
    ] = None,
    start_offset_s: Annotated[
        float | None,
        typer.Option(
            help="Round 1's first key-down in seconds from the first sample "
            "(for recordings without a start time, e.g. WAV)."
        ),
    ] = None,
    text: Annotated[str, typer.Option(help="Message sent each round.")] = "HI",
    dit_s: Annotated[float, typer.Option(help="Dit length, s.")] = 30.0,
    rounds: Annotated[int, typer.Option(help="Number of rounds.")] = 1,
    period_s: Annotated[float, typer.Option(help="Time between round starts, s.")] = 600.0,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    offset_hz: Annotated[
        float | None,
        typer.Option(help="Centre of the searched band, Hz: offset from the tuned frequency "
                     "for I/Q, the tone for audio."),
    ] = None,
    search_hz: Annotated[
        float | None, typer.Option(help="Half-width of the searched band, Hz (default: 1000).")
    ] = None,
    max_drift_hz_per_min: Annotated[
        float, typer.Option(help="Largest carrier drift searched, Hz/min.")
    ] = 1.0,
    pfa: Annotated[float, typer.Option(help="False-alarm probability per test.")] = 1e-3,
    timing_offset_s: Annotated[
        float,
        typer.Option(help="Largest offset of the keying from the schedule searched, s "
                     "(an operator's clock; 0 keys exactly on schedule)."),
    ] = 10.0,
    stack_drift_hz_per_min: Annotated[
        float,
        typer.Option(help="Largest drift of the carrier across all the rounds that the "
                     "stack follows, Hz/min (0: every round on one frequency)."),
    ] = 0.05,
    stack_wander_hz: Annotated[
        float,
        typer.Option(help="RMS wander of the carrier from round to round that the stack "
                     "also follows, Hz (0: a straight track only)."),
    ] = 0.2,
) -> None:
    """Detect the scheduled rounds of TEXT in FILE, one by one and stacked."""
    _check(search_hz, max_drift_hz_per_min, start_offset_s, dit_s, period_s, timing_offset_s)
    start = None if start_utc is None else parse_utc(start_utc, name="--start-utc")
    hand = RoundSchedule(text, dit_s, start, start_offset_s, rounds, period_s)
    with spinner(f"reading {file}") as say:
        recording, detection = detect_file(
            file, choose_rounds(schedule, hand), center_hz=offset_hz, search_hz=search_hz,
            step=say, max_drift_hz_per_s=max_drift_hz_per_min / 60.0, pfa=pfa,
            max_timing_offset_s=timing_offset_s, stack_wander_hz=stack_wander_hz,
            max_stack_drift_hz_per_s=stack_drift_hz_per_min / 60.0)  # fmt: skip
    if json_:
        print(json.dumps(detection.to_dict(), indent=2))
        return
    print_detection(out_console(), recording, detection)
