"""A capture as its user sees it: status and levels while running, the stop, the result.

The capture loop (:mod:`station.capture.loop`) hands a :class:`CaptureStatus`
snapshot to whoever draws it after every block (a cheap, immutable object: the drawing
thread reads it at leisure), feeds every channel's output to a :class:`LevelMeter`
(the level over the last second, dBFS: mean ``|x|**2`` relative to a full-scale
complex sample of magnitude 1), and returns a :class:`CaptureResult`.  Per-round
detections are :mod:`station.capture.rounds`; stopping is
:class:`station.signals.StopRequest`.

Examples
--------
>>> import numpy as np
>>> meter = LevelMeter(2, sample_rate_hz=1000.0)
>>> meter.update(np.array([np.full(2000, 0.1 + 0j), np.zeros(2000)], np.complex64))
>>> [None if v is None else round(v, 1) for v in meter.dbfs()]
[-20.0, None]
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from station.capture.rounds import RoundDetection
from station.utc import format_utc

__all__ = [
    "CaptureResult",
    "CaptureStatus",
    "ChannelFile",
    "LevelMeter",
    "rate_warning",
]

#: Levels below this are shown as silence (None), dBFS.
_FLOOR_DBFS = -200.0


@dataclass(frozen=True, slots=True)
class CaptureStatus:
    """A snapshot of a running capture.

    Attributes
    ----------
    elapsed_s : float
        Signal time captured so far (lost samples included), s.
    remaining_s : float or None
        Signal time left until the planned stop, s; None when open-ended.
    samples : int
        Input samples so far (lost samples included).
    samples_dropped : int
        Input samples lost (zero-filled) so far.
    gaps : int
        Number of zero-filled gaps.
    reconnects : int
        Connections the source re-established.
    levels_dbfs : tuple of (float or None)
        Per channel, level over the last second; None before the first output.
    """

    elapsed_s: float
    remaining_s: float | None
    samples: int
    samples_dropped: int
    gaps: int
    reconnects: int
    levels_dbfs: tuple[float | None, ...]


class LevelMeter:
    """Per-channel level over the last ``window_s`` of channel output.

    Parameters
    ----------
    n_channels : int
    sample_rate_hz : float
        Output rate of the channels, Hz.
    window_s : float, optional
    """

    def __init__(self, n_channels: int, sample_rate_hz: float, window_s: float = 1.0) -> None:
        self._n = int(n_channels)
        self._window = max(1, int(round(window_s * sample_rate_hz)))
        self._parts: deque[tuple[int, np.ndarray]] = deque()
        self._count = 0

    def update(self, rows: np.ndarray) -> None:
        """Add the next outputs, shape ``(n_channels, m)``."""
        m = rows.shape[1]
        if m == 0:
            return
        if m > self._window:
            rows, m = rows[:, -self._window :], self._window
        power = (rows.real.astype(np.float64) ** 2 + rows.imag.astype(np.float64) ** 2).sum(axis=1)
        self._parts.append((m, power))
        self._count += m
        while self._count - self._parts[0][0] >= self._window:
            self._count -= self._parts.popleft()[0]

    def dbfs(self) -> tuple[float | None, ...]:
        """Level of each channel, dBFS; None before any output or for digital silence."""
        if not self._count:
            return (None,) * self._n
        mean = sum(p for _, p in self._parts) / self._count
        with np.errstate(divide="ignore"):
            db = 10 * np.log10(mean)
        return tuple(float(v) if v > _FLOOR_DBFS else None for v in db)


def rate_warning(signal_s: float, wall_s: float, planned_s: float | None = None) -> str | None:
    """Return a warning when a live source delivered ``signal_s`` of signal in ``wall_s``.

    A receiver delivers signal as fast as it happens: far faster is not a live
    receiver (a start-up burst of buffered samples is allowed: 1 s, plus 20 %); far
    slower means samples were lost before they reached the capture (a server
    dropping buffers for a slow network), which the stream does not show, so the
    recording's time runs slow.  ``planned_s`` is given when the capture stopped at its
    planned end (wall clock) with only ``signal_s`` of the ``planned_s`` received.

    Examples
    --------
    >>> rate_warning(4.0, 0.3)
    'source delivered samples 13.3x faster than the sample rate: not a live receiver \
(4.0 s of signal in 0.30 s)'
    >>> rate_warning(4.0, 3.9) is None
    True
    >>> rate_warning(3.0, 7.0, planned_s=4.0).split("; ")[-1]
    'stopped at the planned end with 3.0 s of 4.0 s'
    """
    what = f"({signal_s:.1f} s of signal in {wall_s:.2f} s)"
    if signal_s > 1.2 * wall_s + 1.0:
        return (f"source delivered samples {signal_s / max(wall_s, 1e-3):.3g}x faster than "
                f"the sample rate: not a live receiver {what}")  # fmt: skip
    if wall_s > 1.2 * signal_s + 2.0 or planned_s is not None:
        short = ""
        if planned_s is not None:
            short = f"; stopped at the planned end with {signal_s:.1f} s of {planned_s:.1f} s"
        return (f"source delivered samples {wall_s / max(signal_s, 1e-3):.3g}x slower than "
                f"the sample rate: samples were lost upstream, unseen, and the recording's "
                f"time runs slow {what}{short}")  # fmt: skip
    return None


@dataclass(frozen=True, slots=True)
class ChannelFile:
    """One recording written: ``label`` (``"raw"`` for the raw stream), RF centre, path, samples."""

    label: str
    freq_hz: float
    path: Path
    samples: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"label": self.label, "freq_hz": self.freq_hz, "path": str(self.path),
                "samples": self.samples}  # fmt: skip


@dataclass(frozen=True, eq=False)
class CaptureResult:
    """What a capture wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
    source, hardware : str
        The ``--source`` string and the source's own description.
    start_utc : datetime or None
    center_freq_hz, sample_rate_hz, channel_rate_hz : float
    channels : tuple of ChannelFile
        The channel recordings (those with at least one sample).
    raw : ChannelFile or None
    samples : int
        Input samples covered, lost ones included.
    samples_dropped, gaps, reconnects : int
    stop_reason : str
        ``"duration"``, ``"until"``, ``"event end"``, ``"end of source"``, or the
        signal (``"SIGINT"``; ``"SIGINT (forced)"`` after a second one).
    rounds : tuple of RoundDetection
    warnings : tuple of str
        What the capture found wrong with the source (a live source delivering
        samples faster than its rate); also annotated in every recording.
    grabs : tuple of pathlib.Path
        The QRSS grab PNGs written (the stacked frame once), in order.
    """

    out_dir: Path
    source: str
    hardware: str
    start_utc: datetime | None
    center_freq_hz: float
    sample_rate_hz: float
    channel_rate_hz: float
    channels: tuple[ChannelFile, ...]
    raw: ChannelFile | None
    samples: int
    samples_dropped: int
    gaps: int
    reconnects: int
    stop_reason: str
    rounds: tuple[RoundDetection, ...] = ()
    warnings: tuple[str, ...] = ()
    grabs: tuple[Path, ...] = ()

    @property
    def duration_s(self) -> float:
        """Signal time covered, s."""
        return self.samples / self.sample_rate_hz

    @property
    def signal_name(self) -> str | None:
        """The signal that stopped the capture, if one did."""
        return self.stop_reason.split()[0] if self.stop_reason.startswith("SIG") else None

    @property
    def files(self) -> tuple[Path, ...]:
        """Metadata file of every recording written."""
        return tuple(f.path for f in (*self.channels, *([self.raw] if self.raw else [])))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(
            out_dir=str(self.out_dir), duration_s=self.duration_s,
            start_utc=None if self.start_utc is None else format_utc(self.start_utc),
            channels=[c.to_dict() for c in self.channels],
            raw=None if self.raw is None else self.raw.to_dict(),
            files=[str(p) for p in self.files], rounds=[r.to_dict() for r in self.rounds],
            warnings=list(self.warnings), grabs=[str(p) for p in self.grabs],
        )  # fmt: skip
        return out
