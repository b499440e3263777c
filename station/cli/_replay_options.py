"""The analysis options ``replay`` and ``batch`` share: declared once, checked once.

``batch`` analyses each recording as ``replay`` does, so both take the same options
with the same help and the same rules; a bad one is refused before any file is read.

Examples
--------
>>> check_replay_options(sample_rate_hz=None, channel_rate_hz=2000.0, center_mhz=None,
...                      pfa=1e-3, sideband="USB")
'usb'
"""

from __future__ import annotations

from typing import Annotated

import typer

from station.cli._common import bounded
from station.errors import InputError
from station.recording.sigmf_meta import RATE_LIMITS_HZ
from station.sideband import check_sideband

__all__ = ["CenterMhz", "ChannelRateHz", "DialMhz", "FreqMhz", "Pfa", "SampleRateHz", "Schedule",
           "Sideband", "check_replay_options"]  # fmt: skip

Schedule = Annotated[
    str | None, typer.Option(help="Event file or id: its frequencies and rounds.")
]
FreqMhz = Annotated[list[float] | None, typer.Option(help="Channel centre, MHz (repeatable).")]
SampleRateHz = Annotated[
    float | None, typer.Option(help="Sample rate of a raw .cu8 file (rtl_sdr -s), S/s.")
]
CenterMhz = Annotated[
    float | None, typer.Option(help="Tuned frequency of a raw .cu8 file (rtl_sdr -f), MHz.")
]
ChannelRateHz = Annotated[float, typer.Option(help="Sample rate of each channel.")]
Pfa = Annotated[float, typer.Option(help="False-alarm probability.")]
DialMhz = Annotated[
    float | None, typer.Option(help="Mono audio (WAV or SigMF): the SSB receiver's dial, MHz.")
]
Sideband = Annotated[str, typer.Option(help="Mono audio: usb or lsb.")]


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
