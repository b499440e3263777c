"""``hi-station decode``: blind decoding of a recording."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from station.band_input import decode_file
from station.cli._common import MAX_DRIFT_HZ_PER_MIN, bounded, out_console, spinner
from station.cli.render import print_decoded

__all__ = ["decode"]


def decode(
    file: Annotated[Path, typer.Argument(help="Recording: SigMF (.sigmf-meta, .sigmf) or WAV.")],
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    offset_hz: Annotated[
        float | None,
        typer.Option(help="Centre of the searched band, Hz: offset from the tuned frequency "
                     "for I/Q, the tone for audio."),
    ] = None,
    search_hz: Annotated[
        float | None, typer.Option(help="Half-width of the searched band, Hz (default: 1000).")
    ] = None,
    min_dit_s: Annotated[float, typer.Option(help="Shortest dit considered, s.")] = 0.04,
    max_dit_s: Annotated[float, typer.Option(help="Longest dit considered, s.")] = 130.0,
    max_drift_hz_per_min: Annotated[
        float, typer.Option(help="Largest carrier drift searched, Hz/min.")
    ] = 1.0,
    pfa: Annotated[float, typer.Option(help="False-alarm probability of the search.")] = 1e-3,
) -> None:
    """Decode Morse of unknown text, speed, frequency and drift in FILE."""
    bounded("--search-hz", search_hz, 0.01, 1e7, " Hz")
    bounded("--max-drift-hz-per-min", max_drift_hz_per_min, 0.0, MAX_DRIFT_HZ_PER_MIN, " Hz/min")
    with spinner(f"reading {file}") as say:
        recording, decoded = decode_file(
            file, center_hz=offset_hz, search_hz=search_hz, step=say, min_dit_s=min_dit_s,
            max_dit_s=max_dit_s, max_drift_hz_per_s=max_drift_hz_per_min / 60.0, pfa=pfa)
    if json_:
        print(json.dumps(decoded.to_dict(), indent=2))
        return
    print_decoded(out_console(), recording, decoded)
