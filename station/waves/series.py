"""One in-memory shape for every Waves-like input: times, channels, power.

Every reader (PDS survey CSV, das2 text stream, generic CSV/NPZ) returns a
:class:`WavesSeries`; the analyzer, the inspector and the plots only see this.

Times are UTC seconds since 1970-01-01 (POSIX, no leap seconds) as float64, strictly
increasing.  Power is float64 with NaN where the file has no value (empty fields and
values <= 0, the convention of every public Waves reader).

Examples
--------
>>> import numpy as np
>>> s = WavesSeries(
...     time_unix_s=np.array([0.0, 1.0]), freq_hz=np.array([27.5e6, 28.5e6]),
...     bandwidth_hz=np.array([1e6, 1e6]), power=np.array([[1.0, 2.0], [3.0, np.nan]]),
...     source="doc", file_format="generic-csv")
>>> s.channel_index(28.4e6)
1
>>> s.column(28.5e6).tolist()
[2.0, nan]
>>> parse_scet("2013-282T18:00:00.500") - parse_unix_s("2013-10-09T18:00:00Z")
0.5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from station.errors import InputError, WavesFormatError
from station.utc import format_unix_s, iso_to_unix_s, parse_scet, utc_from_unix_s

__all__ = [
    "MAX_POWER",
    "PSD_UNITS",
    "TIME_RANGE_UNIX_S",
    "WavesSeries",
    "check_times",
    "parse_unix_s",
]

PSD_UNITS = "V**2 m**-2 Hz**-1"
"""Units of the calibrated Waves electric spectral densities (das2 ``zUnits``)."""



@dataclass(frozen=True, eq=False)
class WavesSeries:
    """Power in one or more channels against UTC time.

    Attributes
    ----------
    time_unix_s : numpy.ndarray
        float64 (n,), UTC seconds since 1970-01-01, strictly increasing.
    freq_hz : numpy.ndarray
        float64 (m,), channel centre frequencies in file order (not sorted).
    bandwidth_hz : numpy.ndarray
        float64 (m,), noise bandwidth of each channel; NaN where the file does not say.
    power : numpy.ndarray
        float64 (n, m); NaN = missing.  Units in :attr:`units`.
    source : str
        The file it came from (or a description).
    file_format : str
        ``"pds-csv"``, ``"das2"``, ``"generic-csv"`` or ``"npz"``.
    units : str
        Units of :attr:`power`; :data:`PSD_UNITS` for calibrated Waves data.
    band : tuple of str
        Receiver band name per channel (e.g. ``"HFRH"``); empty strings if unknown.
    freq_scale : str
        The frequency-axis scale the file asks for: ``"log"`` or ``"linear"`` (a das2
        stream's ``yScaleType``), ``""`` where it does not say.
    """

    time_unix_s: np.ndarray
    freq_hz: np.ndarray
    bandwidth_hz: np.ndarray
    power: np.ndarray
    source: str
    file_format: str
    units: str = PSD_UNITS
    band: tuple[str, ...] = field(default=())
    freq_scale: str = ""

    def __post_init__(self) -> None:
        n, m = len(self.time_unix_s), len(self.freq_hz)
        if self.power.shape != (n, m) or len(self.bandwidth_hz) != m:
            raise ValueError(
                f"inconsistent shapes: {n} times, {m} channels, power {self.power.shape}"
            )
        if not self.band:
            object.__setattr__(self, "band", ("",) * m)

    @property
    def start_utc(self) -> datetime:
        """UTC time of the first row."""
        return utc_from_unix_s(float(self.time_unix_s[0]))

    @property
    def stop_utc(self) -> datetime:
        """UTC time of the last row."""
        return utc_from_unix_s(float(self.time_unix_s[-1]))

    @property
    def cadence_s(self) -> float:
        """Median spacing of the rows in seconds (NaN for fewer than two rows)."""
        if len(self.time_unix_s) < 2:
            return float("nan")
        return float(np.median(np.diff(self.time_unix_s)))

    def channel_index(self, freq_hz: float) -> int:
        """Index of the channel whose centre is nearest `freq_hz`.

        Raises
        ------
        InputError
            When the nearest channel is further than its half bandwidth (or, if the
            bandwidth is unknown, half the spacing to its neighbour) from `freq_hz`.
        """
        distance = np.abs(self.freq_hz - freq_hz)
        if not np.isfinite(distance).any():
            raise InputError(
                f"channel {freq_hz / 1e6:g} MHz: the channels of {self.source} have no "
                "frequencies; pick one by name or index")
        k = int(np.nanargmin(distance))
        half = self.bandwidth_hz[k] / 2 if np.isfinite(self.bandwidth_hz[k]) else None
        if half is None:
            others = np.delete(self.freq_hz, k)
            others = others[np.isfinite(others)]
            half = float(np.min(np.abs(others - self.freq_hz[k]))) / 2 if others.size else np.inf
        if distance[k] > half * (1 + 1e-9):
            raise InputError(
                f"channel {freq_hz / 1e6:g} MHz: no channel of {self.source} covers it "
                f"(nearest is {self.freq_hz[k] / 1e6:g} MHz)"
            )
        return k

    def column(self, freq_hz: float) -> np.ndarray:
        """Return the power column of the channel nearest `freq_hz` (see :meth:`channel_index`)."""
        return self.power[:, self.channel_index(freq_hz)]

    def select(self, freqs_hz: Sequence[float]) -> WavesSeries:
        """Return a series with only the channels nearest `freqs_hz`, in that order."""
        idx = [self.channel_index(f) for f in freqs_hz]
        return replace(
            self,
            freq_hz=self.freq_hz[idx],
            bandwidth_hz=self.bandwidth_hz[idx],
            power=self.power[:, idx],
            band=tuple(self.band[k] for k in idx),
        )

    def between(self, start_unix_s: float, stop_unix_s: float) -> WavesSeries:
        """Rows with ``start_unix_s <= t < stop_unix_s``."""
        keep = (self.time_unix_s >= start_unix_s) & (self.time_unix_s < stop_unix_s)
        return replace(self, time_unix_s=self.time_unix_s[keep], power=self.power[keep])


#: Largest value read as a power: beyond it squares overflow, so it is missing (NaN).
MAX_POWER = 1e100

#: Times a Waves file may hold, unix seconds: the years 1900-2999 (later ones cannot be dated).
TIME_RANGE_UNIX_S = (-2208988800.0, 32503680000.0)


def check_times(
    time_unix_s: np.ndarray, path: str, lines: np.ndarray | Sequence[int] | None = None
) -> None:
    """Raise if times are not strictly increasing, naming the first offending line.

    Parameters
    ----------
    time_unix_s : numpy.ndarray
        Times of the rows in file order.
    path : str
        The file, for the message.
    lines : array-like of int, optional
        1-based line number of each row; row numbers are used when omitted.

    Raises
    ------
    WavesFormatError
        On a duplicate or decreasing time.

    Examples
    --------
    >>> check_times(np.array([0.0, 1.0, 1.0]), "f.csv", [6, 7, 8])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    station.errors.WavesFormatError: f.csv: line 8: duplicate time ... (same as line 7)
    """
    if len(time_unix_s) == 0:
        raise WavesFormatError(path, "no data rows")
    where = (lambda r: int(lines[r])) if lines is not None else (lambda r: r + 1)
    t = np.asarray(time_unix_s, dtype=float)
    outside = np.flatnonzero(~((t >= TIME_RANGE_UNIX_S[0]) & (t <= TIME_RANGE_UNIX_S[1])))
    if outside.size:
        raise WavesFormatError(path, f"time {t[outside[0]]!r} s (unix) is not in the years "
                               "1900-2999", line=where(int(outside[0])))  # fmt: skip
    step = np.diff(time_unix_s)
    bad = np.flatnonzero(~(step > 0))
    if bad.size == 0:
        return
    i = int(bad[0]) + 1
    kind = "duplicate" if step[i - 1] == 0 else "non-increasing"
    raise WavesFormatError(
        path,
        f"{kind} time {format_unix_s(float(time_unix_s[i]))} "
        f"({'same as' if kind == 'duplicate' else 'after'} line {where(i - 1)})",
        line=where(i),
    )


def parse_unix_s(text: str) -> float:
    """Parse ISO 8601 UTC (``YYYY-MM-DDTHH:MM:SS[.s][Z]``) or a SCET to unix seconds.

    The forms are :func:`station.utc.iso_to_unix_s` and :func:`station.utc.parse_scet`.

    Raises
    ------
    ValueError
        If `text` is neither form (other time zones are refused, not guessed).
    """
    t = text.strip().strip('"')
    seconds = iso_to_unix_s(t)
    return parse_scet(t) if seconds is None else seconds
