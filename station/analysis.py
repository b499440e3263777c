"""Decode and detect Morse in a :class:`~station.recording.Recording`.

Glue between recordings and :mod:`dsp`: picks the searched band for audio
recordings, turns a schedule (text, dit, first key-down, rounds, period) into the
per-round key-down intervals :func:`dsp.detect.detect` wants, and checks that every
scheduled round lies inside the recording.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from dsp.decode import decode
from dsp.detect import detect
from dsp.morse import key_intervals
from dsp.results import Decoded, Detection
from station.errors import InputError
from station.recording import Recording, format_utc
from station.schedule.event import Event

__all__ = [
    "DEFAULT_AUDIO_CENTER_HZ",
    "DEFAULT_SEARCH_HZ",
    "Band",
    "decode_recording",
    "detect_recording",
    "event_rounds",
    "parse_utc",
    "search_band",
    "schedule_rounds",
]

logger = logging.getLogger(__name__)

#: Half-width of the searched band when none is given, Hz.
DEFAULT_SEARCH_HZ = 1000.0
#: Centre of the searched audio band when none is given (a usual CW tone), Hz.
DEFAULT_AUDIO_CENTER_HZ = 1000.0


@dataclass(frozen=True, slots=True)
class Band:
    """Frequencies searched: ``center_hz +- search_hz`` (as :func:`dsp.decode.decode`).

    Attributes
    ----------
    center_hz : float
        Baseband offset (I/Q) or audio frequency (audio) of the band centre, Hz.
    search_hz : float
        Half-width of the band, Hz.
    """

    center_hz: float
    search_hz: float


def parse_utc(text: str, *, name: str = "time") -> datetime:
    """Parse an ISO 8601 time with a zone (``Z`` or ``+hh:mm``) into aware UTC.

    Examples
    --------
    >>> parse_utc("2013-10-09T18:00:00Z")
    datetime.datetime(2013, 10, 9, 18, 0, tzinfo=datetime.timezone.utc)
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InputError(
            f"{name}={text!r} must be an ISO 8601 time with a zone, e.g. 2013-10-09T18:00:00Z"
        )
    return when.astimezone(UTC)


def search_band(
    recording: Recording, *, center_hz: float | None = None, search_hz: float | None = None
) -> Band:
    """Choose the band to search, with defaults that fit the recording.

    The default half-width is :data:`DEFAULT_SEARCH_HZ`, narrowed to what the
    recording holds: the whole +-Nyquist band for I/Q, 45 % of the 0..Nyquist band for
    audio.  The default centre is 0 Hz for I/Q, and for audio
    :data:`DEFAULT_AUDIO_CENTER_HZ` moved just enough for the band to fit between 0 Hz
    and Nyquist with a 5 % margin.

    Examples
    --------
    >>> audio = Recording(np.zeros(10, np.float32), 2000.0, None, None, "audio")
    >>> search_band(audio)
    Band(center_hz=500.0, search_hz=450.0)
    >>> search_band(audio, center_hz=700.0, search_hz=200.0)
    Band(center_hz=700.0, search_hz=200.0)
    """
    nyquist = recording.sample_rate_hz / 2
    if search_hz is None:
        search_hz = min(DEFAULT_SEARCH_HZ, nyquist if recording.is_iq else 0.45 * nyquist)
    if not (math.isfinite(search_hz) and search_hz > 0):
        raise InputError(f"search_hz={search_hz} must be a finite width > 0 Hz")
    if center_hz is None:
        if recording.is_iq:
            center_hz = 0.0
        else:
            if search_hz > nyquist / 2:
                raise InputError(
                    f"search_hz={search_hz:g} is a half-width: an audio band of 0..{nyquist:g} Hz "
                    f"allows at most {nyquist / 2:g} Hz"
                )
            margin = min(0.05 * nyquist, nyquist / 2 - search_hz)  # keep off 0 Hz and Nyquist
            lowest, highest = search_hz + margin, nyquist - search_hz - margin
            center_hz = min(max(DEFAULT_AUDIO_CENTER_HZ, lowest), highest)
    if not math.isfinite(center_hz):
        raise InputError(f"center_hz={center_hz} must be finite")
    return Band(float(center_hz), float(search_hz))


def _check_pfa(pfa: float) -> None:
    if not (0 < pfa < 1):
        raise InputError(f"pfa={pfa} must be a false-alarm probability between 0 and 1")


def decode_recording(
    recording: Recording,
    *,
    center_hz: float | None = None,
    search_hz: float | None = None,
    min_dit_s: float = 0.04,
    max_dit_s: float = 130.0,
    max_drift_hz_per_s: float = 1 / 60,
    pfa: float = 1e-3,
    image_center_hz: float | None = 0.0,
) -> Decoded:
    """Blind-decode a recording with :func:`dsp.decode.decode` (band from :func:`search_band`).

    ``image_center_hz`` is where, in the recording's baseband, an I/Q imbalance
    mirrors signals: 0 (its own centre) for a recording as received, the capture's
    centre for a channel cut out of a wider one.
    """
    _check_pfa(pfa)
    band = search_band(recording, center_hz=center_hz, search_hz=search_hz)
    logger.info("decoding: %s", band)
    return decode(
        recording.samples,
        recording.sample_rate_hz,
        center_hz=band.center_hz,
        search_hz=band.search_hz,
        min_dit_s=min_dit_s,
        max_dit_s=max_dit_s,
        max_drift_hz_per_s=max_drift_hz_per_s,
        pfa=pfa,
        image_center_hz=image_center_hz,
    )


def _span(recording: Recording, a_s: float, b_s: float) -> str:
    """``a..b s`` plus the UTC times when the recording has a start time."""
    text = f"{a_s:.1f}..{b_s:.1f} s"
    if recording.start_utc is not None:
        t0 = recording.start_utc
        a, b = t0 + timedelta(seconds=a_s), t0 + timedelta(seconds=b_s)
        text += f" ({format_utc(a)[:19]}Z..{format_utc(b)[:19]}Z)"
    return text


def schedule_rounds(
    recording: Recording,
    text: str,
    dit_s: float,
    *,
    start_utc: datetime | None = None,
    start_offset_s: float | None = None,
    rounds: int = 1,
    period_s: float = 600.0,
) -> list[np.ndarray]:
    """Key-down intervals of each scheduled round, in seconds from the recording's first sample.

    Round ``k`` (from 0) sends ``text`` at ``dit_s`` with its first key-down at
    ``start + k * period_s``, where ``start`` is ``start_utc`` (minus the recording's
    start time) or ``start_offset_s``.

    Parameters
    ----------
    recording : Recording
        The recording searched; its time span bounds the rounds.
    text : str
        Message sent each round.
    dit_s : float
        Dit length in seconds.
    start_utc : datetime, optional
        First key-down of round 1 (needs a recording with a start time).
    start_offset_s : float, optional
        First key-down of round 1 in seconds from the first sample (instead of
        ``start_utc``).
    rounds : int, optional
        Number of rounds.
    period_s : float, optional
        Time between the starts of consecutive rounds, seconds.

    Returns
    -------
    list of ndarray, shape (n, 2)

    Raises
    ------
    InputError
        Bad parameter, or a round lying outside the recording (both spans are named).

    Examples
    --------
    >>> rec = Recording(np.zeros(2000 * 400, np.complex64), 2000.0, 0.0, None, "iq")
    >>> schedule_rounds(rec, "HI", 30, start_offset_s=5)[0][[0, -1]].tolist()
    [[5.0, 35.0], [365.0, 395.0]]
    """
    if (start_utc is None) == (start_offset_s is None):
        raise InputError("give exactly one of start_utc (--start) and start_offset_s")
    if start_utc is not None:
        if start_utc.tzinfo is None:
            raise InputError(f"start_utc={start_utc} must be timezone-aware (UTC)")
        if recording.start_utc is None:
            raise InputError(
                f"recording {recording.path or ''} has no start time (e.g. WAV), so "
                f"start={format_utc(start_utc)} cannot be placed; give --start-offset-s instead"
            )
        offset_s = (start_utc - recording.start_utc).total_seconds()
    else:
        offset_s = float(start_offset_s)  # type: ignore[arg-type]
        if not math.isfinite(offset_s):
            raise InputError(f"start_offset_s={start_offset_s} must be finite")
    if rounds < 1:
        raise InputError(f"rounds={rounds} must be >= 1")
    template = key_intervals(text, dit_s)
    length_s = float(template[-1, 1])
    if rounds > 1 and not (math.isfinite(period_s) and period_s >= length_s):
        raise InputError(
            f"period_s={period_s} must be >= the round length {length_s:g} s "
            f"({text!r} at dit {dit_s:g} s) so rounds do not overlap"
        )
    out = []
    duration = recording.duration_s
    for k in range(rounds):
        iv = template + offset_s + k * period_s
        a, b = float(iv[0, 0]), float(iv[-1, 1])
        if a < 0 or b > duration:
            raise InputError(
                f"round {k + 1} is scheduled at {_span(recording, a, b)}, outside the "
                f"recording's {_span(recording, 0.0, duration)}; check --start, --rounds "
                "and --period-s"
            )
        out.append(iv)
    return out


def event_rounds(recording: Recording, event: Event) -> tuple[list[int], list[np.ndarray]]:
    """Find the event's rounds lying wholly inside the recording (s from its first sample).

    Uses the same key-down timing as an operator's plan
    (:meth:`station.schedule.plan.OperatorPlan.rounds_s`).

    Returns
    -------
    numbers : list of int
        Event round numbers (from 1).
    rounds_s : list of ndarray, shape (n, 2)

    Raises
    ------
    InputError
        The recording has no start time, or no round lies inside it (both spans named).

    Examples
    --------
    >>> from station.schedule import load_event
    >>> ev = load_event("juno-2013-10-09")
    >>> rec = Recording(np.zeros(8, np.complex64), 0.01, 0.0,
    ...                 ev.round_start_utc(2) - timedelta(seconds=5), "iq")
    >>> numbers, rounds_s = event_rounds(rec, ev)
    >>> numbers, rounds_s[0][[0, -1]].tolist()
    ([3], [[5.0, 35.0], [365.0, 395.0]])
    """
    if recording.start_utc is None:
        raise InputError(
            f"recording {recording.path or ''} has no start time (e.g. WAV), so the rounds of "
            f"{event.id} cannot be placed; give --text/--dit-s/--start-offset-s instead"
        )
    template = np.array(event.key_down_s)
    numbers, out = [], []
    for k in range(event.rounds):
        offset_s = (event.round_start_utc(k) - recording.start_utc).total_seconds()
        iv = template + offset_s
        if iv[0, 0] >= 0 and iv[-1, 1] <= recording.duration_s:
            numbers.append(k + 1)
            out.append(iv)
    if not out:
        first = (event.start_utc - recording.start_utc).total_seconds()
        last = (event.end_utc - recording.start_utc).total_seconds()
        raise InputError(
            f"no round of {event.id} ({_span(recording, first, last)}) lies wholly inside the "
            f"recording's {_span(recording, 0.0, recording.duration_s)}"
        )
    return numbers, out


def detect_recording(
    recording: Recording,
    rounds_s: list[np.ndarray],
    *,
    center_hz: float | None = None,
    search_hz: float | None = None,
    max_drift_hz_per_s: float = 1 / 60,
    pfa: float = 1e-3,
    max_timing_offset_s: float = 10.0,
    max_stack_drift_hz_per_s: float = 0.05 / 60,
    stack_wander_hz: float = 0.2,
) -> Detection:
    """Known-template detection with :func:`dsp.detect.detect` (band from :func:`search_band`)."""
    _check_pfa(pfa)
    if not (math.isfinite(max_timing_offset_s) and max_timing_offset_s >= 0):
        raise InputError(f"timing offset {max_timing_offset_s} s must be a finite span >= 0 s")
    if not (math.isfinite(max_stack_drift_hz_per_s) and max_stack_drift_hz_per_s >= 0):
        raise InputError(
            f"stack drift {max_stack_drift_hz_per_s * 60:g} Hz/min must be finite and >= 0"
        )
    if not (math.isfinite(stack_wander_hz) and stack_wander_hz >= 0):
        raise InputError(f"stack wander {stack_wander_hz:g} Hz must be finite and >= 0")
    band = search_band(recording, center_hz=center_hz, search_hz=search_hz)
    logger.info("detecting %d round(s): %s", len(rounds_s), band)
    return detect(
        recording.samples,
        recording.sample_rate_hz,
        rounds_s,
        center_hz=band.center_hz,
        search_hz=band.search_hz,
        max_drift_hz_per_s=max_drift_hz_per_s,
        pfa=pfa,
        max_timing_offset_s=max_timing_offset_s,
        max_stack_drift_hz_per_s=max_stack_drift_hz_per_s,
        stack_wander_hz=stack_wander_hz,
    )
