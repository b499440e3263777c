"""Tuning of a live capture: the centre and rate for the channels wanted, as the tuner takes them.

The centre defaults to the middle of the channels asked for (``freqs_hz``, else the
frequencies of the event's table); the sample rate to :data:`NARROW_RATE_HZ` when
they all lie within :data:`NARROW_REACH_HZ` of it, else :data:`WIDE_RATE_HZ`.

Examples
--------
>>> from station.clock import SimulatedClock
>>> from datetime import UTC, datetime
>>> info, ppm = live_tuning([28.3e6], None, center_freq_hz=None, sample_rate_hz=None,
...                         gain_db=None, freq_correction_ppm=0,
...                         clock=SimulatedClock(datetime(2013, 10, 9, tzinfo=UTC)))
>>> info.center_freq_hz, info.sample_rate_hz, ppm
(28300000.0, 240000.0, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from station.channels import event_freqs_hz
from station.clock import Clock
from station.errors import InputError
from station.schedule.event import Event
from station.sdr.base import SourceInfo
from station.sdr.spec import TUNER_RANGE_HZ, RtlSettings

__all__ = ["NARROW_RATE_HZ", "NARROW_REACH_HZ", "WIDE_RATE_HZ", "choose_tuning", "live_tuning"]

#: Default rates: narrow when every channel lies within NARROW_REACH_HZ of the centre.
NARROW_RATE_HZ, WIDE_RATE_HZ, NARROW_REACH_HZ = 240_000.0, 2_400_000.0, 100_000.0


def choose_tuning(
    freqs_hz: Sequence[float],
    event: Event | None = None,
    *,
    center_freq_hz: float | None = None,
    sample_rate_hz: float | None = None,
) -> tuple[float, float]:
    """Default centre frequency and sample rate for the channels wanted.

    Examples
    --------
    >>> choose_tuning([28.25e6, 28.31e6])
    (28280000.0, 240000.0)
    >>> from station.schedule import load_event
    >>> choose_tuning([], load_event("juno-2013-10-09"))
    (28475000.0, 2400000.0)
    """
    wanted = [float(f) for f in freqs_hz] or event_freqs_hz(event)
    if center_freq_hz is None:
        if not wanted:
            raise InputError("give --freq-mhz (repeatable) or --schedule: which channels to record")
        center_freq_hz = float(round((min(wanted) + max(wanted)) / 2))
    if sample_rate_hz is None:
        narrow = all(abs(f - center_freq_hz) <= NARROW_REACH_HZ for f in wanted)
        sample_rate_hz = NARROW_RATE_HZ if narrow else WIDE_RATE_HZ
    return float(center_freq_hz), float(sample_rate_hz)


def live_tuning(
    freqs: Sequence[float], event: Event | None, *, center_freq_hz: float | None,
    sample_rate_hz: float | None, gain_db: float | None, freq_correction_ppm: float,
    clock: Clock,
) -> tuple[SourceInfo, int]:  # fmt: skip
    """Tuning of a live (or synthetic) source, checked as the tuner would.

    Returns
    -------
    info : SourceInfo
        The tuning, starting now by ``clock``.
    freq_correction_ppm : int
        As the tuner takes it.

    Raises
    ------
    InputError
        A channel outside the tuner's range, a setting the tuner or chip rejects.
    """
    lo, hi = TUNER_RANGE_HZ
    for f in freqs:
        if not (math.isfinite(f) and lo <= f <= hi):
            raise InputError(
                f"--freq-mhz={f / 1e6:g} is outside the R820T tuning range {lo / 1e6:g}-"
                f"{hi / 1e6:g} MHz (direct sampling below it is not supported)"
            )
    center, rate = choose_tuning(freqs, event, center_freq_hz=center_freq_hz,
                                 sample_rate_hz=sample_rate_hz)  # fmt: skip
    settings = RtlSettings.checked(
        center_freq_hz=center, sample_rate_hz=rate, gain_db=gain_db,
        freq_correction_ppm=freq_correction_ppm,
    )  # fmt: skip
    info = SourceInfo(float(settings.sample_rate_hz), float(settings.center_freq_hz),
                      clock.now(), "")  # fmt: skip
    return info, settings.freq_correction_ppm
