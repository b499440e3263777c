"""QRSS grabs of one replayed channel: clock-aligned 10-minute frames and a stacked frame.

Each frame shows ``SPAN_HZ`` around the decoded carrier (or the channel centre), with
0.2 Hz bins; with a schedule, every expected key-down in the frame is outlined, and
one more grab averages the frames of all the event's rounds in the recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from dsp.errors import DspValueError
from dsp.results import Decoded, Detection
from dsp.spectrogram import Spectrogram, qrss_spectrogram, stack_frames
from station.analysis import event_rounds
from station.errors import InputError
from station.recording import Recording
from station.replay.qrss import EPOCH_UTC, Outline, frame_starts_utc, grab_name, render_grab
from station.schedule.event import Event

__all__ = ["BIN_HZ", "FRAME_S", "SPAN_HZ", "channel_grabs"]

#: Frame length (QRSS grabber convention), s.
FRAME_S = 600.0
#: Frequency resolution, Hz.
BIN_HZ = 0.2
#: Height of a grab, Hz.
SPAN_HZ = 100.0


def _crop(spec: Spectrogram, t0_s: float, t1_s: float) -> Spectrogram:
    keep = (spec.times_s >= t0_s) & (spec.times_s < t1_s)
    return Spectrogram(spec.times_s[keep] - t0_s, spec.freqs_hz, spec.power[:, keep], spec.bin_hz)


def channel_grabs(
    rec: Recording,
    out_dir: Path,
    *,
    label: str,
    decoded: Decoded | None = None,
    detection: Detection | None = None,
    event: Event | None = None,
    callsign: str = "",
    grid: str = "",
    overwrite: bool = False,
) -> tuple[Path, ...]:
    """Write the grabs of one channel; returns their paths.

    Files are named ``CALL_10m_YYYYMMDD_HHMMZ_<label>.png`` (``..._stack_<label>.png``
    for the stacked frame); a recording without a start time gets frames counted from
    its first sample.  When ``detection``'s stack found a carrier drifting across the
    rounds, the stacked frame follows it (each round moved back by its drift) and the
    track is drawn.
    """
    spec = _spectrogram(rec, decoded, label)
    key_downs, round_starts = _scheduled(rec, event)
    stamp = _Stamp(out_dir, label, callsign, grid, rec.center_freq_hz, overwrite)
    paths = _frames(spec, rec, key_downs, stamp)
    if len(round_starts) > 1 and event is not None and rec.start_utc is not None:
        paths.append(_stacked(spec, rec.start_utc, round_starts, event, detection, stamp))
    return tuple(paths)


@dataclass(frozen=True)
class _Stamp:
    """Where a channel's grabs go and what they say about the station."""

    out_dir: Path
    label: str
    callsign: str
    grid: str
    dial_freq_hz: float | None
    overwrite: bool


def _spectrogram(rec: Recording, decoded: Decoded | None, label: str) -> Spectrogram:
    """``SPAN_HZ`` around the decoded carrier (or the channel centre), in ``BIN_HZ`` bins."""
    center = 0.0
    if decoded is not None and decoded.detected and decoded.freq_hz is not None:
        center = float(decoded.freq_hz)
    half = min(SPAN_HZ / 2, 0.45 * rec.sample_rate_hz)
    center = float(
        np.clip(center, -0.5 * rec.sample_rate_hz + half, 0.5 * rec.sample_rate_hz - half)
    )
    try:
        return qrss_spectrogram(
            rec.samples, rec.sample_rate_hz, bin_hz=BIN_HZ, span_hz=2 * half, center_hz=center
        )
    except DspValueError as exc:
        raise InputError(f"channel {label}: no grab possible ({exc})") from None


def _scheduled(
    rec: Recording, event: Event | None
) -> tuple[list[tuple[float, float]], list[float]]:
    """Return the event's key-downs and round starts in the recording, s from its start."""
    if event is None or rec.start_utc is None:
        return [], []
    try:
        _, rounds_s = event_rounds(rec, event)
    except InputError:
        return [], []
    key_downs = [(float(a), float(b)) for r in rounds_s for a, b in r]
    return key_downs, [float(r[0, 0]) for r in rounds_s]


def _frames(
    spec: Spectrogram, rec: Recording, key_downs: list[tuple[float, float]], stamp: _Stamp
) -> list[Path]:
    """One grab per clock-aligned frame, the key-downs in it outlined."""
    start = rec.start_utc
    paths: list[Path] = []
    frames = frame_starts_utc(start, rec.duration_s, FRAME_S) if start is not None else [None]
    for f0 in frames:
        offset_s = 0.0 if f0 is None or start is None else (f0 - start).total_seconds()
        part = _crop(spec, offset_s, offset_s + FRAME_S)
        if part.times_s.size < 2:
            continue
        outlines = [
            Outline(a - offset_s, b - offset_s, "white")
            for a, b in key_downs
            if b > offset_s and a < offset_s + FRAME_S
        ]
        stamp_utc = f0 if f0 is not None else start
        label = stamp.label
        name = grab_name(stamp.callsign or "NOCALL", stamp_utc) if stamp_utc else f"{label}.png"
        paths.append(
            render_grab(
                part,
                stamp.out_dir / name.replace(".png", f"_{label}.png"),
                frame_start_utc=stamp_utc or EPOCH_UTC,
                frame_s=FRAME_S,
                dial_freq_hz=stamp.dial_freq_hz,
                callsign=stamp.callsign,
                grid=stamp.grid,
                title=f"channel {label}: {BIN_HZ:g} Hz bins",
                outlines=outlines,
                overwrite=stamp.overwrite,
            )  # fmt: skip
        )
    return paths


def _stacked(
    spec: Spectrogram, start: datetime, round_starts: list[float], event: Event,
    detection: Detection | None, stamp: _Stamp,
) -> Path:  # fmt: skip
    """Draw every round's frame averaged, along the stack's drift track when it found one."""
    best = detection.stacked if detection is not None else None
    track = best.track_hz if best is not None and best.detected else ()
    shifts = np.array(track) - track[0] if len(track) == len(round_starts) else None
    stacked = stack_frames(spec, np.array(round_starts), event.round_period_s, shifts)
    outlines = [Outline(a, b, "white") for a, b in event.key_down_s]
    along = ""
    if shifts is not None and best is not None:  # shifts come from best's track
        along = f" along the track ({best.drift_hz_per_s * 60:+.3f} Hz/min)"
    first = start + timedelta(seconds=round_starts[0])
    label = stamp.label
    name = grab_name(stamp.callsign or "NOCALL", first).replace(".png", f"_stack_{label}.png")
    return render_grab(
        stacked,
        stamp.out_dir / name,
        frame_start_utc=first,
        frame_s=min(FRAME_S, event.round_period_s),
        dial_freq_hz=stamp.dial_freq_hz,
        callsign=stamp.callsign,
        grid=stamp.grid,
        title=f"channel {label}: {len(round_starts)} rounds stacked{along}",
        outlines=outlines,
        line_hz=None if shifts is None else float(track[0]),
        overwrite=stamp.overwrite,
    )  # fmt: skip
