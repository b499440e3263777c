"""QRSS grabs: the PNG frames listeners post during slow-Morse events.

Conventions of QRSS grabbers (Argo, QRSS VD, QRSS Plus; ``reference/sdr-and-rig.md``
section 6): a frame aligned to the UTC clock, frequency vertical, time horizontal,
fine bins, the callsign, locator, receiver, antenna, dial frequency and UTC in small
text in a corner, and a file name like ``CALL_10m_YYYYMMDD_HHMMZ.png``.  With a
schedule, the expected key-downs are outlined; a stacked frame averages every round
and is ticked in time into the round.

The colour scale is dB over the frame's median noise floor after a 3-bin smoothing in
frequency (:func:`dsp.spectrogram.noise_relative_db`), from ``db_min`` to ``db_max``
or automatic percentiles (:func:`grab_levels`); the plot area is ``width_px`` pixels
wide (:func:`dsp.spectrogram.qrss_resolution`).

Examples
--------
>>> from datetime import UTC, datetime
>>> grab_name("VE3/N0CALL", datetime(2013, 10, 9, 18, 0, tzinfo=UTC))
'VE3-N0CALL_10m_20131009_1800Z.png'
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dsp.spectrogram import GRAB_MARGIN_PX, Spectrogram, noise_relative_db
from station._atomic import write_bytes_atomic
from station.qrss.settings import GrabSettings
from station.utc import format_day_time, format_file_stamp, format_hm, format_hms

__all__ = [
    "EPOCH_UTC", "GrabFrame", "Outline", "fit_rows", "frame_starts_utc", "grab_levels", "grab_name",
    "render_grab", "time_label",
]  # fmt: skip


#: Origin of clock-aligned frames.
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_HEIGHT_PX = 400
#: Frequency rows drawn at most (about half the plot's height in pixels).
_PLOT_ROWS = 165


@dataclass(frozen=True, slots=True)
class Outline:
    """An expected key-down to outline on a grab.

    Attributes
    ----------
    start_s, end_s : float
        Seconds from the frame's start.
    color : str
        Matplotlib colour (e.g. green for detected, red for not).
    """

    start_s: float
    end_s: float
    color: str = "white"


@dataclass(frozen=True, slots=True)
class GrabFrame:
    """Where a grab sits in time.

    Attributes
    ----------
    start_utc : datetime or None
        Left edge (None: the recording has no start time).
    frame_s : float
        Width of the frame, s (the x axis always shows the whole frame).
    elapsed_s : float
        Left edge, s from the recording's start (ticks when ``start_utc`` is None).
    into_round : bool
        A stacked frame: ticked in time into the round.
    """

    start_utc: datetime | None
    frame_s: float
    elapsed_s: float = 0.0
    into_round: bool = False


def grab_name(callsign: str, frame_utc: datetime, band: str = "10m") -> str:
    """File name of a grab: ``CALL_BAND_YYYYMMDD_HHMMZ.png`` (``/`` becomes ``-``).

    A frame that does not start on a whole minute is named to the second
    (``..._HHMMSSZ.png``).

    Examples
    --------
    >>> grab_name("N0CALL", datetime(2026, 12, 5, 0, 1, 30, tzinfo=UTC))
    'N0CALL_10m_20261205_000130Z.png'
    """
    call = callsign.upper().replace("/", "-") or "NOCALL"
    stamp = format_file_stamp(frame_utc.astimezone(UTC))
    if frame_utc.second or frame_utc.microsecond:
        stamp = stamp.replace("Z", f"{frame_utc.second:02d}Z")
    return f"{call}_{band}_{stamp}.png"


def frame_starts_utc(
    start_utc: datetime, duration_s: float, frame_s: float = 600.0, origin: datetime = EPOCH_UTC
) -> list[datetime]:
    """UTC starts of the frames (aligned to ``origin``) that overlap ``[start, start + duration)``.

    Examples
    --------
    >>> t0 = datetime(2013, 10, 9, 17, 59, 55, tzinfo=UTC)
    >>> [f"{format_hm(t)}" for t in frame_starts_utc(t0, 400.0)]
    ['17:50', '18:00']
    """
    first = int((start_utc - origin).total_seconds() // frame_s)
    end_s = (start_utc - origin).total_seconds() + duration_s
    out = []
    k = first
    while k * frame_s < end_s:
        out.append(origin + timedelta(seconds=k * frame_s))
        k += 1
    return out


def time_label(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``) of a duration, for ticks.

    Examples
    --------
    >>> time_label(0), time_label(75), time_label(3725)
    ('0:00', '1:15', '1:02:05')
    """
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def grab_levels(
    power: np.ndarray, db_min: float | None = None, db_max: float | None = None
) -> tuple[np.ndarray, float, float]:
    """Return dB over the noise floor (3-bin smoothed) and the colour range.

    Automatic limits: the 30th percentile (just under the floor, so the noise is
    dark) and the 99.5th (at least 8 dB above the low end).

    Examples
    --------
    >>> p = np.random.default_rng(0).exponential(size=(50, 40))
    >>> db, lo, hi = grab_levels(p, db_min=-3.0)
    >>> lo, hi >= 5.0
    (-3.0, True)
    """
    db = noise_relative_db(power)
    if db.size:
        auto_lo, auto_hi = (float(v) for v in np.percentile(db, [30, 99.5]))
    else:
        auto_lo, auto_hi = 0.0, 10.0
    lo = auto_lo if db_min is None else float(db_min)
    hi = max(auto_hi, lo + 8.0) if db_max is None else float(db_max)
    return db, lo, max(hi, lo + 1e-3)


def render_grab(
    spec: Spectrogram,
    path: str | os.PathLike[str],
    *,
    frame: GrabFrame,
    look: GrabSettings,
    dial_freq_hz: float | None,
    width_px: int = 800,
    title: str = "",
    outlines: Sequence[Outline] = (),
    overwrite: bool = False,
    line_hz: float | None = None,
) -> Path:
    """Draw one grab and write it crash-safely (never overwriting unless asked).

    Parameters
    ----------
    spec : Spectrogram
        Its ``times_s`` are seconds from the frame's start; its ``freqs_hz`` are
        offsets from ``dial_freq_hz``.
    path : str or os.PathLike
        The PNG to write.
    frame : GrabFrame
        Its start (or none), width and how it is ticked.
    look : GrabSettings
        Colour scale, palette and header text (callsign, grid, receiver, antenna).
    dial_freq_hz : float or None
        RF frequency of 0 Hz on the y axis (None: baseband only).
    width_px : int, optional
        Width of the plot area, pixels.
    title : str
        Title line.
    outlines : sequence of Outline
        Expected key-downs, drawn as unfilled boxes over the whole frequency span.
    overwrite : bool
        Replace an existing file (atomically).
    line_hz : float, optional
        A carrier's track to draw across the frame (a dashed line), Hz on the y axis.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    left, bottom, top = 70, 45, 25
    w_px, h_px = width_px + GRAB_MARGIN_PX, _HEIGHT_PX
    fig = plt.figure(figsize=(w_px / 100, h_px / 100), dpi=100)
    try:
        ax = fig.add_axes((left / w_px, bottom / h_px, width_px / w_px, 1 - (bottom + top) / h_px))
        _draw_power(ax, spec, look)
        _draw_outlines(ax, spec, outlines)
        if line_hz is not None:
            ax.axhline(line_hz, color="orange", linestyle="--", linewidth=0.8)
        ref = "baseband" if dial_freq_hz is None else f"{dial_freq_hz / 1e6:.6f} MHz"
        _draw_axes(ax, frame, ref)
        _draw_stamp(ax, look, ref, frame)
        ax.set_title(title or f"QRSS grab, {spec.bin_hz:.3g} Hz bins", fontsize=9)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return write_bytes_atomic(path, buf.getvalue(), overwrite=overwrite)


def fit_rows(spec: Spectrogram, max_rows: int) -> Spectrogram:
    """Average adjacent frequency bins (power) so that at most ``max_rows`` remain.

    A grab is a few hundred pixels high: more bins than pixels would be dropped when
    drawn, and a trace one bin wide with them; averaged, the trace keeps its power
    while the noise's spread shrinks.

    Examples
    --------
    >>> s = Spectrogram(np.arange(2.0), np.arange(6.0), np.ones((6, 2)), 1.0)
    >>> r = fit_rows(s, 3)
    >>> r.freqs_hz.tolist(), r.bin_hz
    ([0.5, 2.5, 4.5], 2.0)
    """
    n = spec.freqs_hz.size
    k = -(-n // max(1, max_rows))
    if k <= 1:
        return spec
    m = n // k
    power = spec.power[: m * k].reshape(m, k, -1).mean(axis=1)
    freqs = spec.freqs_hz[: m * k].reshape(m, k).mean(axis=1)
    return Spectrogram(spec.times_s, freqs, power.astype(np.float32), spec.bin_hz * k)


def _draw_power(ax: Any, spec: Spectrogram, look: GrabSettings) -> None:
    """Draw dB over the noise floor, ``look``'s range (or automatic) in its palette."""
    shown = fit_rows(spec, _PLOT_ROWS)
    db, lo, hi = grab_levels(shown.power, look.db_min, look.db_max)
    ax.pcolormesh(
        shown.times_s, shown.freqs_hz, db, shading="nearest", cmap=look.palette,
        vmin=lo, vmax=hi, rasterized=True,
    )  # fmt: skip


def _draw_outlines(ax: Any, spec: Spectrogram, outlines: Sequence[Outline]) -> None:
    """Outline each expected key-down: an unfilled box over the whole frequency span."""
    from matplotlib.patches import Rectangle

    f_lo, f_hi = float(spec.freqs_hz[0]), float(spec.freqs_hz[-1])
    for o in outlines:
        ax.add_patch(
            Rectangle(
                (o.start_s, f_lo + 0.04 * (f_hi - f_lo)), o.end_s - o.start_s,
                0.92 * (f_hi - f_lo), fill=False, edgecolor=o.color, linewidth=1.2,
            )
        )  # fmt: skip


def _tick_step(frame_s: float) -> float:
    for step in (5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0):
        if frame_s / step <= 12:
            return step
    return 7200.0


def _draw_axes(ax: Any, frame: GrabFrame, ref: str) -> None:
    """Show the whole frame on x (UTC, time into the round, or from the start) and Hz on y."""
    ax.set_xlim(0, frame.frame_s)
    ticks = np.arange(0, frame.frame_s + 1e-9, _tick_step(frame.frame_s))
    ax.set_xticks(ticks)
    if frame.into_round:
        labels, xlabel = [time_label(t) for t in ticks], "time into round (m:ss)"
    elif frame.start_utc is None:
        labels = [time_label(frame.elapsed_s + t) for t in ticks]
        xlabel = "time from the recording's start (m:ss; no start time)"
    else:
        start = frame.start_utc
        fmt = format_hm if _tick_step(frame.frame_s) >= 60 else _hms
        labels, xlabel = [fmt(start + timedelta(seconds=float(t))) for t in ticks], "UTC"
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(f"Hz from {ref}", fontsize=8)


def _hms(when: datetime) -> str:
    return format_hms(when, zone=False)


def _draw_stamp(ax: Any, look: GrabSettings, ref: str, frame: GrabFrame) -> None:
    """Stamp callsign, locator, receiver, antenna, dial frequency and UTC, top left."""
    if frame.start_utc is None:
        when = "no start time"
    else:
        when = format_day_time(frame.start_utc, seconds=frame.start_utc.second != 0)
    rx = f"RX {look.receiver}" if look.receiver else ""
    ant = f"ANT {look.antenna}" if look.antenna else ""
    parts = (look.callsign.upper(), look.grid, rx, ant, ref, when)
    ax.text(
        0.005, 0.985, " ".join(s for s in parts if s), transform=ax.transAxes, fontsize=7,
        color="white", va="top", ha="left", family="monospace",
        bbox={"facecolor": "black", "alpha": 0.6, "pad": 1.5, "edgecolor": "none"},
    )  # fmt: skip
