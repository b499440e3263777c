"""What the Waves figure draws, as data: coverage, gap rows, axis scale, file names.

Kept apart from :mod:`station.waves.plot` (which only draws) so each piece can be
checked without matplotlib.

Examples
--------
>>> import numpy as np
>>> covered_unix_s(np.array([0.0, 1, 2, 10, 11]), np.array([1.0, 1, np.nan, 1, 1]))
[(0.0, 1.5), (9.5, 11.0)]
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from station.waves.series import PSD_UNITS, WavesSeries

__all__ = ["covered_unix_s", "display_source", "freq_axis_scale", "with_gaps"]


def display_source(source: str) -> str:
    """Return the file name(s) of `source` for a label: never a folder (an install path).

    Examples
    --------
    >>> display_source("/a/b/WAV_1.CSV + /a/b/WAV_2.CSV"), display_source("simulated x")
    ('WAV_1.CSV + WAV_2.CSV', 'simulated x')
    """
    return " + ".join(part if not ("/" in part or os.sep in part) else Path(part).name
                      for part in source.split(" + "))


def freq_axis_scale(series: WavesSeries) -> str:
    """Return ``"log"`` or ``"linear"``: what the file asks, else log for Waves survey data.

    Examples
    --------
    >>> s = WavesSeries(np.zeros(1), np.array([28.5e6]), np.ones(1), np.ones((1, 1)), "x",
    ...                 "generic-csv", units="counts")
    >>> freq_axis_scale(s)
    'linear'
    """
    if not (series.freq_hz > 0).all():
        return "linear"
    if series.freq_scale:
        return series.freq_scale
    waves = series.file_format in ("pds-csv", "das2") or series.units == PSD_UNITS
    return "log" if waves else "linear"


def covered_unix_s(t: np.ndarray, x: np.ndarray) -> list[tuple[float, float]]:
    """Intervals (unix s) with data in `x`: runs of finite samples, split at time gaps.

    A run reaches half a cadence past its samples, never past the first or last row.
    """
    ok = np.flatnonzero(np.isfinite(x))
    if ok.size == 0:
        return []
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    breaks = np.flatnonzero((np.diff(ok) > 1) | (np.diff(t[ok]) > 1.5 * step))
    starts, stops = np.r_[ok[0], ok[breaks + 1]], np.r_[ok[breaks], ok[-1]]
    return [(float(max(t[0], t[i] - step / 2)), float(min(t[-1], t[j] + step / 2)))
            for i, j in zip(starts, stops, strict=True)]


def with_gaps(t: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ma.MaskedArray]:
    """Rows with masked (blank) rows one cadence inside each end of every time gap.

    With ``shading="nearest"`` the cells either side of a gap then keep their width:
    the gap shows blank, not as the neighbouring rows stretched across it.
    """
    step = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    gaps = np.flatnonzero(np.diff(t) > 1.5 * step)
    wide = gaps[np.diff(t)[gaps] > 2.5 * step]
    times = np.r_[t, t[gaps] + step, t[wide + 1] - step]
    order = np.argsort(times, kind="stable")
    rows = np.r_[values, np.zeros((gaps.size + wide.size, values.shape[1]))][order]
    blank = np.r_[np.zeros(t.size, bool), np.ones(gaps.size + wide.size, bool)][order]
    return times[order], np.ma.masked_array(rows, np.repeat(blank[:, None], values.shape[1], 1))
