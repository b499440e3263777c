"""``hi-station replay``: channelize a recording, decode and detect every channel, draw grabs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from station.channels import DEFAULT_CHANNEL_RATE_HZ
from station.cli._common import bounded, spinner
from station.cli.render import print_json_or
from station.cli.render_replay import print_replay
from station.errors import InputError
from station.qrss.settings import DEFAULT_PALETTE, grab_settings
from station.recording.sigmf_meta import RATE_LIMITS_HZ
from station.replay import replay
from station.schedule import load_event
from station.sideband import check_sideband

__all__ = ["check_replay_options", "replay_command"]


def check_replay_options(
    *,
    sample_rate_hz: float | None,
    channel_rate_hz: float,
    center_mhz: float | None,
    pfa: float,
    sideband: str,
    dial_mhz: float | None = None,
    freq_mhz: list[float] | None = None,
) -> str:
    """Refuse the options replay refuses before it reads a file; return the sideband.

    ``batch`` checks its options with this too, so that a bad one is one error line
    before any task, not one refusal per recording.

    Raises
    ------
    InputError
        Naming the option, its value and the rule.

    Examples
    --------
    >>> check_replay_options(sample_rate_hz=None, channel_rate_hz=2000.0, center_mhz=None,
    ...                      pfa=1e-3, sideband="USB")
    'usb'
    >>> check_replay_options(sample_rate_hz=None, channel_rate_hz=2000.0, center_mhz=None,
    ...                      pfa=2.0, sideband="usb")
    Traceback (most recent call last):
    ...
    station.errors.InputError: --pfa=2 must be a false-alarm probability between 0 and 1
    """
    bounded("--sample-rate-hz", sample_rate_hz, *RATE_LIMITS_HZ, " S/s")
    bounded("--channel-rate-hz", channel_rate_hz, *RATE_LIMITS_HZ, " S/s")
    bounded("--center-mhz", center_mhz, 0.0, 1e5, " MHz")
    bounded("--dial-mhz", dial_mhz, 0.0, 1e5, " MHz")
    for f in freq_mhz or []:
        bounded("--freq-mhz", f, 0.0, 1e5, " MHz")
    if not 0 < pfa < 1:
        raise InputError(f"--pfa={pfa:g} must be a false-alarm probability between 0 and 1")
    return check_sideband(sideband)


def replay_command(
    path: Annotated[
        Path,
        typer.Argument(help="SigMF (cu8, ci16, cf32, audio rf32, ri16), .cu8, I/Q or mono WAV."),
    ],
    schedule: Annotated[
        str | None, typer.Option(help="Event file or id: its frequencies and rounds.")
    ] = None,
    freq_mhz: Annotated[
        list[float] | None, typer.Option(help="Channel centre, MHz (repeatable).")
    ] = None,
    sample_rate_hz: Annotated[
        float | None, typer.Option(help="Sample rate of a raw .cu8 file (rtl_sdr -s), S/s.")
    ] = None,
    center_mhz: Annotated[
        float | None, typer.Option(help="Tuned frequency of a raw .cu8 file (rtl_sdr -f), MHz.")
    ] = None,
    channel_rate_hz: Annotated[
        float, typer.Option(help="Sample rate of each channel.")
    ] = DEFAULT_CHANNEL_RATE_HZ,
    png: Annotated[
        Path | None, typer.Option(help="Write QRSS grabs into this directory (created if missing).")
    ] = None,
    callsign: Annotated[str, typer.Option(help="Your callsign, stamped on the grabs.")] = "",
    grid: Annotated[str, typer.Option(help="Your locator, stamped on the grabs.")] = "",
    pfa: Annotated[float, typer.Option(help="False-alarm probability.")] = 1e-3,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON only.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing grabs.")] = False,
    dial_mhz: Annotated[
        float | None, typer.Option(help="Mono audio (WAV or SigMF): the SSB receiver's dial, MHz.")
    ] = None,
    sideband: Annotated[str, typer.Option(help="Mono audio: usb or lsb.")] = "usb",
    dit_s: Annotated[
        float | None, typer.Option(help="Grabs: draw for this dit, s (default: event, decoded).")
    ] = None,
    db_min: Annotated[
        float | None, typer.Option(help="Grabs: colour scale low end, dB over the noise floor.")
    ] = None,
    db_max: Annotated[
        float | None, typer.Option(help="Grabs: colour scale high end (default: automatic).")
    ] = None,
    palette: Annotated[str, typer.Option(help="Grabs: a matplotlib colormap.")] = DEFAULT_PALETTE,
    receiver: Annotated[str, typer.Option(help="Receiver named on the grabs.")] = "",
    antenna: Annotated[str, typer.Option(help="Antenna named on the grabs.")] = "",
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
