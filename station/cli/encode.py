"""``hi-station encode``: synthesize keyed Morse into a WAV or SigMF file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import bounded, in_years, out_console, spinner
from station.cli.render import print_encoded
from station.synth import encode_to_file
from station.utc import parse_utc

__all__ = ["encode"]


def encode(
    text: Annotated[str, typer.Argument(help="Message, e.g. HI or 'CQ DE N0CALL'.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="NAME.wav (audio tone) or NAME / NAME.sigmf-meta / NAME.sigmf (SigMF I/Q).",
        ),
    ],
    dit_s: Annotated[
        float | None, typer.Option(help="Dit length in seconds (default: 30, QRSS30).")
    ] = None,
    wpm: Annotated[float | None, typer.Option(help="Speed in words per minute (PARIS).")] = None,
    sample_rate_hz: Annotated[
        float | None, typer.Option(help="Sample rate (default: 8000 for WAV, 2000 for SigMF).")
    ] = None,
    snr2500_db: Annotated[
        float | None, typer.Option(help="Carrier SNR in 2500 Hz, dB (default: no noise).")
    ] = None,
    offset_hz: Annotated[
        float, typer.Option(help="Carrier offset, Hz (audio: from the tone).")
    ] = 0.0,
    drift_hz_per_min: Annotated[float, typer.Option(help="Linear carrier drift, Hz/min.")] = 0.0,
    seed: Annotated[int | None, typer.Option(help="Noise seed (default: random, printed).")] = None,
    tone_hz: Annotated[float, typer.Option(help="Audio tone for WAV output, Hz.")] = 1000.0,
    lead_s: Annotated[float, typer.Option(help="Key-up time before the first key-down, s.")] = 5.0,
    tail_s: Annotated[float, typer.Option(help="Key-up time after the last key-up, s.")] = 5.0,
    freq_mhz: Annotated[
        float, typer.Option(help="RF frequency of 0 Hz baseband for SigMF, MHz.")
    ] = 0.0,
    start_utc: Annotated[
        str | None,
        typer.Option(help="UTC of the first key-down, ISO 8601 with Z (SigMF) (default: now)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace existing output files.")
    ] = False,
) -> None:
    """Synthesize TEXT as slow Morse into a WAV audio tone or SigMF I/Q recording."""
    bounded("--dit-s", dit_s, 1e-3, 3600.0, " s")
    bounded("--wpm", wpm, 1e-3, 1000.0, " WPM")
    key_start = (
        in_years(parse_utc(start_utc, name="--start-utc"), "--start-utc")
        if start_utc is not None
        else datetime.now(UTC).replace(microsecond=0)
    )
    with spinner("synthesizing"):
        done = encode_to_file(
            out, text, dit_s=dit_s, wpm=wpm, sample_rate_hz=sample_rate_hz,
            snr2500_db=snr2500_db, offset_hz=offset_hz, drift_hz_per_s=drift_hz_per_min / 60.0,
            seed=seed, tone_hz=tone_hz, lead_s=lead_s, tail_s=tail_s,
            center_freq_hz=freq_mhz * 1e6, key_start_utc=key_start, overwrite=overwrite,
        )  # fmt: skip
    print_encoded(out_console(), done, key_start)
