"""QRSS grabs: the PNG frames listeners post during slow-Morse events.

Conventions of QRSS grabbers (Argo, QRSS VD, QRSS Plus; ``reference/sdr-and-rig.md``
section 6): a 10-minute frame aligned to the UTC clock, frequency vertical, time
horizontal, 0.1-0.3 Hz bins, the callsign, locator, dial frequency and UTC in small
text in a corner, and a file name like ``CALL_10m_YYYYMMDD_HHMMZ.png``.  With a
schedule, the expected key-downs are outlined; a stacked frame averages every round.

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

from dsp.spectrogram import Spectrogram
from station._atomic import write_bytes_atomic
from station.utc import format_day_time, format_file_stamp, format_hm

__all__ = ["EPOCH_UTC", "Outline", "frame_starts_utc", "grab_name", "render_grab"]


#: Origin of clock-aligned frames (and the stamp of a recording without a start time).
EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)


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


def grab_name(callsign: str, frame_utc: datetime, band: str = "10m") -> str:
    """File name of a grab: ``CALL_BAND_YYYYMMDD_HHMMZ.png`` (``/`` becomes ``-``)."""
    call = callsign.upper().replace("/", "-") or "NOCALL"
    return f"{call}_{band}_{format_file_stamp(frame_utc.astimezone(UTC))}.png"


def frame_starts_utc(start_utc: datetime, duration_s: float, frame_s: float = 600.0):
    """UTC starts of the clock-aligned frames that overlap ``[start, start + duration)``.

    Examples
    --------
    >>> t0 = datetime(2013, 10, 9, 17, 59, 55, tzinfo=UTC)
    >>> [f"{format_hm(t)}" for t in frame_starts_utc(t0, 400.0)]
    ['17:50', '18:00']
    """
    epoch = EPOCH_UTC
    first = int((start_utc - epoch).total_seconds() // frame_s)
    end_s = (start_utc - epoch).total_seconds() + duration_s
    out = []
    k = first
    while k * frame_s < end_s:
        out.append(epoch + timedelta(seconds=k * frame_s))
        k += 1
    return out


def render_grab(
    spec: Spectrogram,
    path: str | os.PathLike[str],
    *,
    frame_start_utc: datetime,
    frame_s: float,
    dial_freq_hz: float | None,
    callsign: str = "",
    grid: str = "",
    title: str = "",
    outlines: Sequence[Outline] = (),
    overwrite: bool = False,
    line_hz: float | None = None,
) -> Path:
    """Draw one grab and write it crash-safely (never overwriting unless asked).

    Parameters
    ----------
    spec : Spectrogram
        Its ``times_s`` are seconds from ``frame_start_utc``; its ``freqs_hz`` are
        offsets from ``dial_freq_hz``.
    path : str or os.PathLike
        The PNG to write.
    frame_start_utc : datetime
        Left edge of the frame.
    frame_s : float
        Width of the frame, s (the x axis always shows the whole frame).
    dial_freq_hz : float or None
        RF frequency of 0 Hz on the y axis (None: baseband only).
    callsign, grid, title : str
        Corner stamp and title.
    outlines : sequence of Outline
        Expected key-downs, drawn as unfilled boxes over the whole frequency span.
    overwrite : bool
        Replace an existing file.
    line_hz : float, optional
        A carrier's track to draw across the frame (a dashed line), Hz on the y axis.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    try:
        _draw_power(ax, spec)
        _draw_outlines(ax, spec, outlines)
        if line_hz is not None:
            ax.axhline(line_hz, color="orange", linestyle="--", linewidth=0.8)
        ref = "baseband" if dial_freq_hz is None else f"{dial_freq_hz / 1e6:.6f} MHz"
        _draw_axes(ax, frame_start_utc, frame_s, ref)
        _draw_stamp(ax, callsign, grid, ref, frame_start_utc)
        ax.set_title(title or f"QRSS grab, {spec.bin_hz:.3g} Hz bins", fontsize=9)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    finally:
        plt.close(fig)
    return write_bytes_atomic(path, buf.getvalue(), overwrite=overwrite)


def _draw_power(ax: Any, spec: Spectrogram) -> None:
    """Draw the power in dB, coloured from its 20th to its 99.5th percentile."""
    db = 10 * np.log10(np.maximum(spec.power, np.finfo(np.float32).tiny))
    lo, hi = np.percentile(db, [20, 99.5]) if db.size else (0.0, 1.0)
    ax.pcolormesh(
        spec.times_s, spec.freqs_hz, db, shading="nearest", cmap="viridis",
        vmin=lo, vmax=max(hi, lo + 1e-3), rasterized=True,
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


def _draw_axes(ax: Any, frame_start_utc: datetime, frame_s: float, ref: str) -> None:
    """Show the whole frame on the x axis, ticked in UTC, and offsets from ``ref`` on y."""
    ax.set_xlim(0, frame_s)
    ticks = np.arange(0, frame_s + 1, 60.0 if frame_s <= 1200 else 300.0)
    ax.set_xticks(ticks)
    ax.set_xticklabels([format_hm(frame_start_utc + timedelta(seconds=float(t))) for t in ticks])
    ax.set_xlabel("UTC")
    ax.set_ylabel(f"Hz from {ref}")


def _draw_stamp(ax: Any, callsign: str, grid: str, ref: str, frame_start_utc: datetime) -> None:
    """Stamp callsign, locator, dial frequency and UTC in small text, top left."""
    when = format_day_time(frame_start_utc, seconds=False)
    stamp = " ".join(s for s in (callsign.upper(), grid, ref, when) if s)
    ax.text(
        0.005, 0.985, stamp, transform=ax.transAxes, fontsize=7, color="white",
        va="top", ha="left", family="monospace",
        bbox={"facecolor": "black", "alpha": 0.6, "pad": 1.5, "edgecolor": "none"},
    )  # fmt: skip
