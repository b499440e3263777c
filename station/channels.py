"""Channels of a band: which narrow channels capture and replay extract, and how wide.

Capture (:mod:`station.capture`) and replay (:mod:`station.replay`) both cut a
recorded or received band into narrow channels with the whole-band
:class:`~dsp.channelize.Channelizer`; this module is where both decide which
channels, at what rate, and how much of each channel is searched.

Channels: the ``freqs_hz`` given (labelled ``f1``, ``f2``...), else every frequency of
the event's table inside the band (labelled by their table letters), else (a
recording of at most :data:`NARROW_RATE_HZ`) the band itself as one channel
(``all``).  A channel is usable when it lies wholly inside the band: within
``sample_rate / 2 - channel_rate / 2`` of the centre.

Examples
--------
>>> from station.schedule import load_event
>>> info = SourceInfo(240e3, 28.3e6, None, "test")
>>> rate = nearest_channel_rate_hz(info.sample_rate_hz)
>>> rate, [c.label for c in plan_channels(info, event=load_event("juno-2013-10-09"))]
(2000.0, ['G', 'H', 'I', 'J', 'K', 'L'])
>>> search_hz(rate)
750.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dsp.channelize import nearest_out_rate_hz
from station.errors import InputError
from station.schedule.event import Event
from station.sdr.base import SourceInfo

__all__ = [
    "DEFAULT_CHANNEL_RATE_HZ",
    "MAX_SEARCH_HZ",
    "NARROW_RATE_HZ",
    "SEARCH_FRACTION",
    "Channel",
    "channel_offsets_hz",
    "event_freqs_hz",
    "nearest_channel_rate_hz",
    "plan_channels",
    "search_hz",
]

#: Output rate of each channel: +-1 kHz, room for a dongle's ppm error at 28 MHz.
DEFAULT_CHANNEL_RATE_HZ = 2000.0
#: Recordings this narrow are analysed as one channel, without channelizing.
NARROW_RATE_HZ = 16_000.0
#: Half-width of the searched band as a fraction of the channel rate (inside the
#: channel filter's flat passband of 80 %: +-750 Hz of a 2 kS/s channel).
SEARCH_FRACTION = 0.375
#: Widest band searched in one channel, each side of its centre, Hz.
MAX_SEARCH_HZ = 1000.0


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel to extract.

    Attributes
    ----------
    label : str
        Table letter(s) (``"L"``), ``"f1"``.. for given frequencies, or ``"all"``.
    freq_hz : float
        RF centre of the channel, Hz.
    """

    label: str
    freq_hz: float


def nearest_channel_rate_hz(
    sample_rate_hz: float, wanted_hz: float = DEFAULT_CHANNEL_RATE_HZ
) -> float:
    """Rate of each channel: the nearest to ``wanted_hz`` that divides the input rate.

    Never above the input rate (a narrow input is its own channel).

    Examples
    --------
    >>> nearest_channel_rate_hz(2.4e6, 2000.0), nearest_channel_rate_hz(1000.0, 2000.0)
    (2000.0, 1000.0)
    """
    return min(nearest_out_rate_hz(sample_rate_hz, wanted_hz), sample_rate_hz)


def search_hz(channel_rate_hz: float) -> float:
    """Half-width searched in a channel of ``channel_rate_hz``, Hz (:data:`SEARCH_FRACTION`)."""
    return min(MAX_SEARCH_HZ, SEARCH_FRACTION * channel_rate_hz)


def channel_offsets_hz(channels: Sequence[Channel], center_freq_hz: float) -> list[float]:
    """Baseband offset of each channel from the band's centre, Hz (the channelizer's)."""
    return [c.freq_hz - center_freq_hz for c in channels]


def event_freqs_hz(event: Event | None) -> list[float]:
    """Return the distinct frequencies of an event's table, ascending (none without one)."""
    return sorted(set(event.table_hz.values())) if event is not None else []


def _given(freqs_hz: Sequence[float], fc: float, reach: float, band: str) -> list[Channel]:
    out = []
    for i, f in enumerate(freqs_hz):
        if not (math.isfinite(f) and abs(f - fc) <= reach):
            raise InputError(
                f"--freq-mhz={f / 1e6:.6f} is outside the recording's usable band {band}"
            )
        out.append(Channel(f"f{i + 1}", float(f)))
    return out


def _from_table(event: Event, fc: float, reach: float, band: str) -> list[Channel]:
    by_freq: dict[float, list[str]] = {}
    for letter, f in event.table_hz.items():
        if abs(f - fc) <= reach:
            by_freq.setdefault(f, []).append("event" if letter == "*" else letter)
    if not by_freq:
        raise InputError(
            f"no frequency of {event.id} lies in the recording's usable band {band}; "
            "give --freq-mhz"
        )
    return [Channel("".join(v), f) for f, v in sorted(by_freq.items())]


def plan_channels(
    info: SourceInfo,
    *,
    freqs_hz: Sequence[float] | None = None,
    event: Event | None = None,
    channel_rate_hz: float = DEFAULT_CHANNEL_RATE_HZ,
) -> list[Channel]:
    """Choose the channels of a band (see the module docstring).

    Raises
    ------
    InputError
        A given frequency outside the band, an event with no frequency inside it,
        or a wide band with neither.

    Examples
    --------
    >>> info = SourceInfo(240e3, 28.3e6, None, "test")
    >>> plan_channels(info, freqs_hz=[28.31e6])
    [Channel(label='f1', freq_hz=28310000.0)]
    """
    fs, fc = info.sample_rate_hz, info.center_freq_hz
    reach = fs / 2 - channel_rate_hz / 2
    band = f"{(fc - reach) / 1e6:.6f}-{(fc + reach) / 1e6:.6f} MHz"
    if freqs_hz:
        return _given(freqs_hz, fc, reach, band)
    if event is not None:
        return _from_table(event, fc, reach, band)
    if fs <= NARROW_RATE_HZ:
        return [Channel("all", fc)]
    raise InputError(
        f"the recording is {fs / 1e3:g} kS/s wide: say which channels to analyse with "
        "--freq-mhz (repeatable) or --schedule"
    )
