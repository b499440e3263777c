"""``hi-station capture``: record the band as narrow SigMF channels, with a live view."""

from __future__ import annotations

import atexit
import gc
from pathlib import Path
from typing import Annotated

import typer

from station.capture import (
    CapturePlan,
    CaptureResult,
    plan_capture,
    run_capture,
)
from station.channels import DEFAULT_CHANNEL_RATE_HZ
from station.cli._common import err_console
from station.cli._grabs import (
    Antenna,
    DbMax,
    DbMin,
    FrameS,
    OnGrab,
    OnGrabTimeoutS,
    Palette,
    Receiver,
)
from station.cli.render import print_json_or
from station.cli.render_capture import CaptureDisplay, opened_line, print_capture
from station.qrss.settings import DEFAULT_PALETTE, grab_settings
from station.schedule import load_event
from station.sdr.base import SourceInfo
from station.sdr.spec import SOURCE_FORMS
from station.signals import StopRequest, stop_on_signals
from station.utc import parse_utc

__all__ = ["capture"]


def _record(plan: CapturePlan, *, quiet: bool) -> CaptureResult:
    """Run ``plan`` with the live view (unless ``quiet``), stopped cleanly by Ctrl-C / SIGTERM."""
    console = err_console()

    def opened(info: SourceInfo) -> None:
        if not quiet:
            console.print(opened_line(plan, info), markup=False)

    display = CaptureDisplay(plan, console, live=console.is_terminal and not quiet,
                             lines=not quiet)  # fmt: skip
    # Once the capture is over the process ends: skip the interpreter's final garbage
    # collections over numpy's and scipy's objects (0.4 s), so a Ctrl-C ends it well
    # within 1 s.  Every file is closed explicitly before; atexit hooks still run.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    try:
        with stop_on_signals(StopRequest()) as stop:
            result = run_capture(
                plan, stop=stop, on_status=display.status, on_note=display.note,
                on_round=display.round, on_open=opened,
                on_grab=lambda path: display.note(f"grab {path.name}"),
            )  # fmt: skip
    finally:
        display.stop()
    if result.signal_name:
        console.print(f"stopped by {result.stop_reason}; files closed", markup=False)
    return result


def capture(
    source: Annotated[str, typer.Option(help=f"I/Q source: {SOURCE_FORMS}.")],
    out: Annotated[
        Path,
        typer.Option(help="Directory for the recordings; created, must be empty (or --overwrite)."),
    ],
    freq_mhz: Annotated[
        list[float] | None, typer.Option(help="Channel centre, MHz (repeatable).")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(help="Event file or id: its channels, key-down annotations, rounds, end."),
    ] = None,
    center_mhz: Annotated[
        float | None, typer.Option(help="Tuned frequency, MHz (default: middle of the channels).")
    ] = None,
    sample_rate_hz: Annotated[
        float | None,
        typer.Option(help="Sample rate, S/s (default: 240000, or 2400000 when needed)."),
    ] = None,
    gain_db: Annotated[
        float | None, typer.Option(help="Tuner gain, dB (default: automatic).")
    ] = None,
    ppm: Annotated[float, typer.Option(help="Tuner frequency correction, whole ppm.")] = 0,
    raw: Annotated[
        bool, typer.Option("--raw", help="Also record the stream as received (cu8).")
    ] = False,
    channel_rate_hz: Annotated[
        float, typer.Option(help="Sample rate of each channel recording, S/s.")
    ] = DEFAULT_CHANNEL_RATE_HZ,
    duration_s: Annotated[float | None, typer.Option(help="Stop after this long, s.")] = None,
    until_utc: Annotated[
        str | None, typer.Option(help="Stop at this UTC time (ISO 8601, e.g. 2013-10-09T20:40Z).")
    ] = None,
    fast: Annotated[
        bool, typer.Option("--fast", help="file: and synthetic sources as fast as possible.")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace recordings of the same names in --out.")
    ] = False,
    dial_mhz: Annotated[
        float | None, typer.Option(help="audio:DEVICE: the SSB receiver's dial frequency, MHz.")
    ] = None,
    sideband: Annotated[
        str, typer.Option(help="audio:DEVICE: the receiver's sideband, usb or lsb.")
    ] = "usb",
    grabs: Annotated[
        Path | None, typer.Option(help="Write QRSS grabs here while capturing (created).")
    ] = None,
    frame_s: FrameS = None,
    db_min: DbMin = None,
    db_max: DbMax = None,
    palette: Palette = DEFAULT_PALETTE,
    on_grab: OnGrab = None,
    on_grab_timeout_s: OnGrabTimeoutS = 60.0,
    callsign: Annotated[str, typer.Option(help="Your callsign, on the grabs.")] = "",
    grid: Annotated[str, typer.Option(help="Your locator, on the grabs.")] = "",
    receiver: Receiver = "",
    antenna: Antenna = "",
    quiet: Annotated[bool, typer.Option("--quiet", help="No live view and no notes.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON only.")] = False,
) -> None:
    """Record --source as one narrow SigMF recording per channel (--raw: the stream too).

    Stops at --duration-s, --until-utc, 30 s after a --schedule's last key-up, the end of
    a file: source, or Ctrl-C / SIGTERM, which close every file cleanly (exit 0).
    With --grabs, writes a QRSS grab per frame of each channel and a stacked frame.
    """
    look = None if grabs is None else grab_settings(
        grabs, frame_s=frame_s, db_min=db_min, db_max=db_max, palette=palette, on_grab=on_grab,
        hook_timeout_s=on_grab_timeout_s, callsign=callsign, grid=grid, receiver=receiver,
        antenna=antenna)  # fmt: skip
    plan = plan_capture(
        source, out, freqs_hz=[f * 1e6 for f in freq_mhz] if freq_mhz else None,
        event=None if schedule is None else load_event(schedule),
        center_freq_hz=None if center_mhz is None else center_mhz * 1e6,
        sample_rate_hz=sample_rate_hz, gain_db=gain_db, freq_correction_ppm=ppm, sideband=sideband,
        channel_rate_hz=channel_rate_hz, raw=raw, duration_s=duration_s, grabs=look,
        until_utc=None if until_utc is None else parse_utc(until_utc, name="--until-utc"),
        fast=fast, overwrite=overwrite, dial_hz=None if dial_mhz is None else dial_mhz * 1e6,
    )  # fmt: skip
    result = _record(plan, quiet=quiet)
    print_json_or(result, json_, print_capture)
