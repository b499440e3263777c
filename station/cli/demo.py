"""``hi-station demo``: the whole chain on synthesized data, no hardware."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import out_console, spinner
from station.cli.render import print_detection
from station.demo import DEMO_DIT_S, DEMO_SNR2500_DB, DEMO_TEXT, run_demo

__all__ = ["demo"]


def demo(
    out: Annotated[
        Path | None,
        typer.Option(help="Directory for the demo recording (default: a new temporary directory)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a demo recording in --out.")] = False,
) -> None:
    """Synthesize a QRSS30 'HI' round at SNR2500 -30 dB, write it as SigMF, decode and detect it."""
    with spinner("demo") as say:
        result = run_demo(out, overwrite=overwrite, step=say)
    console = out_console()
    e = result.encoded
    ch = e.synth.channel
    console.print(
        f"synthesized {DEMO_TEXT!r} at dit {DEMO_DIT_S:g} s, SNR2500 {DEMO_SNR2500_DB:g} dB, "
        f"offset {ch.offset_hz:+.2f} Hz, drift {ch.drift_hz_per_s * 60:+.3f} Hz/min"
    )
    console.print(f"wrote {e.path}")
    d = result.decoded
    if d.detected and d.text:
        freq = "-" if d.freq_hz is None else f"{d.freq_hz:+.2f} Hz"
        dit = "-" if d.dit_s is None else f"{d.dit_s:.3g} s"
        snr = "-" if d.snr2500_db is None else f"{d.snr2500_db:.1f}"
        console.print(
            f"decoded: {d.text} (dit {dit}, carrier {freq}, SNR2500 {snr} dB, "
            f"false-alarm probability {d.false_alarm_probability:.3g})"
        )
    else:
        console.print(f"decode: no Morse found: {d.reason}")
    print_detection(console, result.recording, result.detection)
    ok = d.text == DEMO_TEXT and result.detection.detected
    console.print("demo: OK" if ok else "demo: the chain did not recover the message")
