"""What replay decodes in each channel: windows of a long recording, I/Q images removed.

A long channel is decoded window by window so memory stays bounded (one window per
scheduled round with an event, else consecutive windows of
:data:`DECODE_WINDOW_S`); every window's :class:`~dsp.results.Decoded` holds every
keyed signal found in it.  An RTL-SDR's I/Q imbalance mirrors a strong signal about
the capture's centre, often into another channel: :func:`station.replay.run.drop_images`
removes such images across channels (inside one channel :func:`dsp.decode.decode` does).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from dsp.results import Decoded
from station.analysis import decode_recording, event_rounds
from station.errors import InputError
from station.recording import Recording
from station.schedule.event import Event

__all__ = ["DECODE_WINDOW_S", "best_window", "decode_windows"]

#: Longest stretch of a channel decoded at once, s (memory stays bounded).
DECODE_WINDOW_S = 600.0


def _merit(d: Decoded) -> tuple[bool, float]:
    """Order decodes: found something first, then the most significant."""
    return (bool(d.detected and d.text), -float(d.false_alarm_probability))


def best_window(windows) -> Decoded:
    """Return the most significant decode of ``(start_s, Decoded)`` windows."""
    return max(windows, key=lambda w: _merit(w[1]))[1]


def _read_window(samples: np.ndarray, i: int, j: int) -> np.ndarray:
    """Read samples ``[i, j)``; a mapped channel file by plain reads (page cache, not RSS)."""
    name = getattr(samples, "filename", None)
    if name is None:
        return np.asarray(samples[i:j])
    itemsize = np.dtype(np.complex64).itemsize
    return np.fromfile(name, dtype=np.complex64, count=j - i, offset=i * itemsize)


def decode_windows(
    rec: Recording, event: Event | None, search_hz: float, pfa: float, image_hz: float
) -> list[tuple[float, Decoded]]:
    """Blind decodes of ``rec`` in windows of at most :data:`DECODE_WINDOW_S`.

    A long channel is decoded piece by piece so memory does not grow with the
    recording: with an event, one window per round inside the recording (the round
    plus a minute each side); otherwise consecutive windows.  Returns
    ``(start_s, decoded)`` pairs, the start in seconds from the channel's first sample.
    """
    def run(r: Recording) -> Decoded:
        return decode_recording(r, search_hz=search_hz, pfa=pfa, image_center_hz=image_hz)

    if rec.duration_s <= DECODE_WINDOW_S:
        return [(0.0, run(rec))]
    spans: list[tuple[float, float]] = []
    if event is not None and rec.start_utc is not None:
        try:
            _, rounds_s = event_rounds(rec, event)
        except InputError:
            rounds_s = []
        spans = [(max(0.0, r[0, 0] - 60.0), min(rec.duration_s, r[-1, 1] + 60.0)) for r in rounds_s]
    if not spans:
        edges = np.arange(0.0, rec.duration_s, DECODE_WINDOW_S)
        spans = [(float(a), min(rec.duration_s, float(a) + DECODE_WINDOW_S)) for a in edges]
    out = []
    for a, b in spans:
        i, j = int(a * rec.sample_rate_hz), int(b * rec.sample_rate_hz)
        start = None if rec.start_utc is None else rec.start_utc + timedelta(seconds=a)
        window = _read_window(rec.samples, i, j)
        part = Recording(window, rec.sample_rate_hz, rec.center_freq_hz, start, "iq")
        if part.duration_s >= 10.0:
            out.append((a, run(part)))
    return out or [(0.0, run(rec))]
