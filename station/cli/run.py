"""``hi-station run``: the unattended service (wait, capture, detect, key, report; resumable)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
from station.qrss.settings import DEFAULT_PALETTE, grab_settings
from station.sdr.spec import SOURCE_FORMS
from station.service import ServiceRequest, TransmitOptions, run_service

__all__ = ["run"]


def run(
    schedule: Annotated[str, typer.Argument(help="Event file, or a shipped event id.")],
    out: Annotated[Path, typer.Option(help="The run folder (new, empty, or this event's run).")],
    callsign: Annotated[str, typer.Option(help="Your callsign (e.g. N0CALL).")],
    source: Annotated[str, typer.Option(help=f"I/Q source: {SOURCE_FORMS}.")],
    grid: Annotated[str | None, typer.Option(help="Maidenhead locator.")] = None,
    freq_mhz: Annotated[
        float | None, typer.Option(help="Override the event's frequency, MHz.")
    ] = None,
    key: Annotated[
        bool, typer.Option("--key", help="Key the plan with a `transmit` child (dry run).")
    ] = False,
    transmit_: Annotated[
        bool, typer.Option("--transmit", help="With --key: really key the transmitter.")
    ] = False,
    rig: Annotated[str | None, typer.Option(help="transmit: rigctld HOST:PORT.")] = None,
    serial: Annotated[str | None, typer.Option(help="transmit: key a serial line.")] = None,
    serial_line: Annotated[str | None, typer.Option(help="transmit: dtr or rts.")] = None,
    ntp_server: Annotated[
        list[str] | None, typer.Option(help="transmit: NTP server HOST[:PORT] (repeatable).")
    ] = None,
    max_clock_offset_s: Annotated[
        float | None, typer.Option(help="transmit: refuse to key above this offset, s.")
    ] = None,
    ignore_clock: Annotated[
        bool, typer.Option("--ignore-clock", help="transmit: do not measure the clock.")
    ] = False,
    gain_db: Annotated[float | None, typer.Option(help="Tuner gain, dB (default: auto).")] = None,
    ppm: Annotated[float, typer.Option(help="Tuner frequency correction, whole ppm.")] = 0,
    lead_s: Annotated[float, typer.Option(help="Start capturing this long before, s.")] = 5.0,
    tail_s: Annotated[float, typer.Option(help="Stop this long after the last key-up, s.")] = 5.0,
    frame_s: FrameS = None,
    db_min: DbMin = None,
    db_max: DbMax = None,
    palette: Palette = DEFAULT_PALETTE,
    on_grab: OnGrab = None,
    on_grab_timeout_s: OnGrabTimeoutS = 60.0,
    receiver: Receiver = "",
    antenna: Antenna = "",
    web: Annotated[bool, typer.Option("--web", help="Serve the dashboard on the run.")] = False,
    host: Annotated[str, typer.Option(help="--web: address (beyond loopback: a token).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="--web: port (0: any free one).")] = 8017,
    seed: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Run the station for SCHEDULE: wait, capture, grab, detect each round, key, report.

    Started again on the same --out it resumes at the current round; SIGTERM or Ctrl-C
    stops it cleanly (exit 0).
    """
    console = err_console()
    tx = TransmitOptions(transmit_, rig, serial, serial_line, grid, freq_mhz,
                         tuple(ntp_server or ()), max_clock_offset_s, ignore_clock)  # fmt: skip
    look = grab_settings(out / "grabs", frame_s=frame_s, db_min=db_min, db_max=db_max,
                         palette=palette, on_grab=on_grab, hook_timeout_s=on_grab_timeout_s,
                         receiver=receiver, antenna=antenna)  # fmt: skip
    request = ServiceRequest(schedule, out, callsign, source, grid, freq_mhz, key, tx, lead_s,
                             tail_s, gain_db, ppm, seed, look,
                             (host, port) if web else None)  # fmt: skip
    outcome = run_service(request, say=lambda text: console.print(text, markup=False))
    console.print(outcome.text, markup=False)
