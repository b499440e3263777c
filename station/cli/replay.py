"""``hi-station replay``: channelize a recording, decode and detect every channel, draw grabs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from station.channels import DEFAULT_CHANNEL_RATE_HZ
from station.cli._common import spinner
from station.cli._grabs import Antenna, DbMax, DbMin, Palette, Receiver
from station.cli._replay_options import (
    CenterMhz,
    ChannelRateHz,
    DialMhz,
    FreqMhz,
    Pfa,
    SampleRateHz,
    Schedule,
    Sideband,
    check_replay_options,
)
from station.cli.render import print_json_or
from station.cli.render_replay import print_replay
from station.qrss.settings import DEFAULT_PALETTE, grab_settings
from station.replay import replay
from station.schedule import load_event

__all__ = ["replay_command"]


def replay_command(
    path: Annotated[
        Path,
        typer.Argument(help="SigMF (cu8, ci16, cf32, audio rf32, ri16), .cu8, I/Q or mono WAV."),
    ],
    schedule: Schedule = None,
    freq_mhz: FreqMhz = None,
    sample_rate_hz: SampleRateHz = None,
    center_mhz: CenterMhz = None,
    channel_rate_hz: ChannelRateHz = DEFAULT_CHANNEL_RATE_HZ,
    png: Annotated[
        Path | None, typer.Option(help="Write QRSS grabs into this directory (created if missing).")
    ] = None,
    callsign: Annotated[str, typer.Option(help="Your callsign, stamped on the grabs.")] = "",
    grid: Annotated[str, typer.Option(help="Your locator, stamped on the grabs.")] = "",
    pfa: Pfa = 1e-3,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing grabs.")] = False,
    dial_mhz: DialMhz = None,
    sideband: Sideband = "usb",
    dit_s: Annotated[
        float | None, typer.Option(help="Grabs: draw for this dit, s (default: event, decoded).")
    ] = None,
    db_min: DbMin = None,
    db_max: DbMax = None,
    palette: Palette = DEFAULT_PALETTE,
    receiver: Receiver = "",
    antenna: Antenna = "",
) -> None:
    """Channelize PATH, decode (and with --schedule detect) every channel, draw QRSS grabs."""
    check_replay_options(sample_rate_hz=sample_rate_hz, channel_rate_hz=channel_rate_hz,
                         center_mhz=center_mhz, pfa=pfa, sideband=sideband, dial_mhz=dial_mhz,
                         freq_mhz=freq_mhz)  # fmt: skip
    look = grab_settings(Path(), dit_s=dit_s, db_min=db_min, db_max=db_max, palette=palette,
                         receiver=receiver, antenna=antenna)  # fmt: skip
    with spinner(f"replaying {path}") as say:
        result = replay(
            path, sample_rate_hz=sample_rate_hz, freqs_hz=[f * 1e6 for f in freq_mhz or []] or None,
            center_freq_hz=None if center_mhz is None else center_mhz * 1e6,
            event=None if schedule is None else load_event(schedule),
            channel_rate_hz=channel_rate_hz, pfa=pfa, png_dir=png, callsign=callsign, grid=grid,
            overwrite=overwrite, progress=lambda stage, frac: say(f"{stage} {100 * frac:.0f} %"),
            dial_hz=None if dial_mhz is None else dial_mhz * 1e6, sideband=sideband, look=look,
        )  # fmt: skip
    print_json_or(result, json_, print_replay)
