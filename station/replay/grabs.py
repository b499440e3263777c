"""QRSS grabs of one replayed channel: clock-aligned frames and a stacked frame.

Each frame shows ``SPAN_HZ`` around the decoded carrier (or the channel centre), with
bins, columns and width chosen from the dit (:func:`dsp.spectrogram.qrss_resolution`:
the event's dit, else ``look.dit_s``, else the decoded speed, else 30 s), drawn by
:func:`station.qrss.render.render_grab` (the renderer of the live grabs too); with a
schedule, every expected key-down in the frame is outlined, and one more grab averages
the frames of all the event's rounds in the recording, ticked in time into the round.
A recording without a start time gets frames counted from its first sample, named
``<stem>_f<n>_<label>.png``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from dsp.errors import DspValueError
from dsp.results import Decoded, Detection
from dsp.spectrogram import (
    QrssResolution,
    Spectrogram,
    qrss_resolution,
    qrss_spectrogram,
    stack_frames,
)
from station.analysis import event_rounds
from station.errors import InputError
from station.qrss.render import GrabFrame, Outline, frame_starts_utc, grab_name, render_grab
from station.qrss.settings import GrabSettings
from station.recording import Recording
from station.schedule.event import Event

__all__ = ["DEFAULT_DIT_S", "SPAN_HZ", "channel_grabs", "grab_dit_s"]

#: Height of a grab, Hz.
SPAN_HZ = 100.0
#: Dit the grabs are drawn for when nothing tells it (QRSS30), s.
DEFAULT_DIT_S = 30.0


def _crop(spec: Spectrogram, t0_s: float, t1_s: float) -> Spectrogram:
    keep = (spec.times_s >= t0_s) & (spec.times_s < t1_s)
    return Spectrogram(spec.times_s[keep] - t0_s, spec.freqs_hz, spec.power[:, keep], spec.bin_hz)


def grab_dit_s(event: Event | None, look: GrabSettings, decoded: Decoded | None) -> float:
    """Return the dit a grab is drawn for: the event's, the typed one, the decoded one, or 30 s."""
    if event is not None:
        return float(event.dit_s)
    if look.dit_s is not None:
        return float(look.dit_s)
    if decoded is not None and decoded.detected and decoded.dit_s:
        return float(decoded.dit_s)
    return DEFAULT_DIT_S


def channel_grabs(
    rec: Recording,
    look: GrabSettings,
    *,
    label: str,
    stem: str = "recording",
    decoded: Decoded | None = None,
    detection: Detection | None = None,
    event: Event | None = None,
    overwrite: bool = False,
) -> tuple[Path, ...]:
    """Write the grabs of one channel into ``look.out_dir``; returns their paths.

    Files are named ``CALL_10m_YYYYMMDD_HHMMZ_<label>.png`` (``..._stack_<label>.png``
    for the stacked frame); a recording without a start time ``<stem>_f<n>_<label>.png``
    (frames counted from its first sample, stamped "no start time").  When
    ``detection``'s stack found a carrier drifting across the rounds, the stacked frame
    follows it (each round moved back by its drift) and the track is drawn.
    """
    frame_s = look.frame_for(None if event is None else event.round_period_s)
    res = qrss_resolution(grab_dit_s(event, look, decoded), frame_s)
    spec = _spectrogram(rec, decoded, label, res)
    key_downs, round_starts = _scheduled(rec, event)
    job = _Job(look, label, stem, rec.center_freq_hz, overwrite, res, frame_s)
    paths = _frames(spec, rec, key_downs, job, event)
    if len(round_starts) > 1 and event is not None and rec.start_utc is not None:
        paths.append(_stacked(spec, rec.start_utc, round_starts, event, detection, job))
    return tuple(paths)


@dataclass(frozen=True)
class _Job:
    """Where a channel's grabs go, how they look and how they are cut."""

    look: GrabSettings
    label: str
    stem: str
    dial_freq_hz: float | None
    overwrite: bool
    res: QrssResolution
    frame_s: float


def _spectrogram(
    rec: Recording, decoded: Decoded | None, label: str, res: QrssResolution
) -> Spectrogram:
    """``SPAN_HZ`` around the decoded carrier (or the channel centre)."""
    center = 0.0
    if decoded is not None and decoded.detected and decoded.freq_hz is not None:
        center = float(decoded.freq_hz)
    half = min(SPAN_HZ / 2, 0.45 * rec.sample_rate_hz)
    center = float(
        np.clip(center, -0.5 * rec.sample_rate_hz + half, 0.5 * rec.sample_rate_hz - half)
    )
    try:
        return qrss_spectrogram(
            rec.samples, rec.sample_rate_hz, bin_hz=res.bin_hz, span_hz=2 * half, center_hz=center
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
    spec: Spectrogram, rec: Recording, key_downs: list[tuple[float, float]], job: _Job,
    event: Event | None,
) -> list[Path]:  # fmt: skip
    """One grab per clock-aligned frame (no start time: from sample 0), key-downs outlined."""
    start, frame_s = rec.start_utc, job.frame_s
    paths: list[Path] = []
    if start is not None:
        origin = event.start_utc if event is not None else None
        kw = {} if origin is None else {"origin": origin}
        offsets = [(f - start).total_seconds() for f in frame_starts_utc(start, rec.duration_s,
                                                                         frame_s, **kw)]
    else:
        offsets = [k * frame_s for k in range(max(1, int(np.ceil(rec.duration_s / frame_s))))]
    for n, offset_s in enumerate(offsets, 1):
        part = _crop(spec, offset_s, offset_s + frame_s)
        if part.times_s.size < 2:
            continue
        outlines = [
            Outline(a - offset_s, b - offset_s, "white")
            for a, b in key_downs
            if b > offset_s and a < offset_s + frame_s
        ]
        f0 = None if start is None else start + timedelta(seconds=offset_s)
        if f0 is None:
            name = f"{job.stem}_f{n}_{job.label}.png"
        else:
            name = grab_name(job.look.callsign or "NOCALL", f0).replace(".png", f"_{job.label}.png")
        paths.append(render_grab(
            part, job.look.out_dir / name, frame=GrabFrame(f0, frame_s, offset_s), look=job.look,
            dial_freq_hz=job.dial_freq_hz, width_px=job.res.width_px,
            title=f"channel {job.label}: {spec.bin_hz:.3g} Hz bins, {spec.column_s:.3g} s columns",
            outlines=outlines, overwrite=job.overwrite,
        ))  # fmt: skip
    return paths


def _stacked(
    spec: Spectrogram, start: datetime, round_starts: list[float], event: Event,
    detection: Detection | None, job: _Job,
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
    name = grab_name(job.look.callsign, first).replace(".png", f"_stack_{job.label}.png")
    period = event.round_period_s
    return render_grab(
        stacked, job.look.out_dir / name, frame=GrabFrame(first, period, into_round=True),
        look=job.look, dial_freq_hz=job.dial_freq_hz,
        width_px=qrss_resolution(event.dit_s, period).width_px,
        title=f"channel {job.label}: {len(round_starts)} rounds stacked{along}",
        outlines=outlines, line_hz=None if shifts is None else float(track[0]),
        overwrite=job.overwrite,
    )  # fmt: skip
