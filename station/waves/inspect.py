"""What a Waves file holds: channels, time span, cadence, and the noise of chosen channels.

The noise statistics are the ones the radiometer test relies on, measured rather than
assumed: level (median, mean), spread relative to the level, quantization (the Waves
HFRH survey is coarse near its floor: amplitudes are whole multiples of a step),
spikes, short-lag correlation, and how much 30-s means really scatter compared with
independent samples.

Examples
--------
>>> import numpy as np
>>> from station.waves.series import WavesSeries
>>> x = (np.random.default_rng(0).integers(6, 11, (600, 1)) * 5.1e-9) ** 2
>>> s = WavesSeries(np.arange(600.0), np.array([28.5e6]), np.array([1e6]), x, "doc", "npz")
>>> n = channel_noise(s, 28.5e6)
>>> n.n_distinct, round(n.amplitude_step / 5.1e-9, 3), n.amplitude_levels
(5, 1.0, (6, 7, 8, 9, 10))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dsp.radiometer import find_spikes
from dsp.results import AsDict
from station.utc import format_unix_s
from station.waves.series import WavesSeries

__all__ = ["ChannelNoise", "WavesInspection", "channel_noise", "inspect_series"]

_MAX_LEVELS = 40


@dataclass(frozen=True, slots=True)
class ChannelNoise(AsDict):
    """Noise statistics of one channel (power in the series' units).

    Attributes
    ----------
    freq_hz, bandwidth_hz : float
        The channel.
    n_valid, n_missing : int
        Samples with a value, and empty or <= 0 ones.
    median, mean, std, mad : float
        Level and spread (MAD scaled by 1.4826 to match a Gaussian's std).
    relative_std : float
        ``std / mean``: the per-sample fluctuation a radiometer sees.
    p05, p95 : float
        5th and 95th percentiles.
    n_distinct : int
        Distinct values.
    amplitude_step : float or None
        Quantization step of sqrt(power) when the values are whole multiples of one
        (at most 40 levels); None otherwise.
    amplitude_levels : tuple of int
        The multiples found (e.g. 6-10 near the Waves floor).
    n_spikes : int
        Isolated outliers (pre-amp toggling), see :func:`dsp.radiometer.find_spikes`.
    lag1_corr, lag2_corr : float
        Autocorrelation of the samples at one and two steps.
    block30_std_ratio : float
        Scatter of 30-sample means over what independent samples would give (1 for
        white noise, < 1 anti-correlated, > 1 correlated).
    """

    freq_hz: float
    bandwidth_hz: float
    n_valid: int
    n_missing: int
    median: float
    mean: float
    std: float
    mad: float
    relative_std: float
    p05: float
    p95: float
    n_distinct: int
    amplitude_step: float | None
    amplitude_levels: tuple[int, ...]
    n_spikes: int
    lag1_corr: float
    lag2_corr: float
    block30_std_ratio: float


@dataclass(frozen=True, slots=True)
class WavesInspection(AsDict):
    """A file's layout and the noise of its chosen channels (``--json`` prints this)."""

    source: str
    file_format: str
    units: str
    n_rows: int
    start_utc: str
    stop_utc: str
    cadence_s: float
    min_step_s: float
    max_step_s: float
    n_gaps: int
    n_channels: int
    freq_min_hz: float
    freq_max_hz: float
    bands: tuple[str, ...]
    channels: tuple[ChannelNoise, ...]


def _quantization(values: np.ndarray) -> tuple[float | None, tuple[int, ...]]:
    levels = np.unique(np.sqrt(values))
    if levels.size > _MAX_LEVELS or levels.size < 2:
        return None, ()
    smallest = float(np.min(np.diff(levels)))
    for divisor in range(1, 5):  # the smallest gap may span several steps
        step = smallest / divisor
        multiples = levels / step
        if np.max(np.abs(multiples - np.round(multiples))) <= 0.02 * divisor:
            step = float(np.mean(levels / np.round(multiples)))  # refine with every level
            return step, tuple(int(round(v)) for v in levels / step)
    return None, ()


def _corr(x: np.ndarray, lag: int) -> float:
    if x.size <= lag + 2 or np.std(x) == 0:
        return float("nan")
    return float(np.corrcoef(x[:-lag], x[lag:])[0, 1])


def channel_noise(series: WavesSeries, freq_hz: float) -> ChannelNoise:
    """Noise statistics of the channel nearest `freq_hz` (see :class:`ChannelNoise`)."""
    k = series.channel_index(freq_hz)
    column = series.power[:, k]
    x = column[np.isfinite(column)]
    nan = float("nan")
    if x.size == 0:
        return ChannelNoise(float(series.freq_hz[k]), float(series.bandwidth_hz[k]), 0,
                            int(column.size), nan, nan, nan, nan, nan, nan, nan, 0, None, (),
                            0, nan, nan, nan)
    med, mean, std = float(np.median(x)), float(np.mean(x)), float(np.std(x))
    step, levels = _quantization(x)
    blocks = x.size // 30
    ratio = nan
    if blocks >= 2 and std > 0:
        means = x[: blocks * 30].reshape(blocks, 30).mean(axis=1)
        ratio = float(np.std(means) / (std / np.sqrt(30)))
    return ChannelNoise(
        freq_hz=float(series.freq_hz[k]), bandwidth_hz=float(series.bandwidth_hz[k]),
        n_valid=int(x.size), n_missing=int(column.size - x.size),
        median=med, mean=mean, std=std,
        mad=float(1.4826 * np.median(np.abs(x - med))),
        relative_std=std / mean if mean else nan,
        p05=float(np.percentile(x, 5)), p95=float(np.percentile(x, 95)),
        n_distinct=int(np.unique(x).size), amplitude_step=step, amplitude_levels=levels,
        n_spikes=int(find_spikes(x).sum()),
        lag1_corr=_corr(x, 1), lag2_corr=_corr(x, 2), block30_std_ratio=ratio,
    )


def inspect_series(
    series: WavesSeries | Sequence[WavesSeries], channels_hz: Sequence[float]
) -> WavesInspection:
    """Describe `series` and the noise of the channels nearest `channels_hz`.

    `series` may be a list of receiver bands (a das2 stream has one per packet type,
    each with its own time stamps): the layout counts every band's channels, the time
    rows are those of the band holding the first chosen channel, and each channel's
    noise comes from the band that covers it.  Channels no band covers are skipped.
    """
    bands = [series] if isinstance(series, WavesSeries) else list(series)
    chosen, home = [], None
    for f in channels_hz:
        for b in bands:
            try:
                chosen.append(channel_noise(b, f))
            except ValueError:  # InputError: this band does not cover f
                continue
            home = home or b
            break
    home = home or bands[0]
    t = home.time_unix_s
    steps = np.diff(t) if t.size > 1 else np.array([np.nan])
    cadence = home.cadence_s
    freqs = np.concatenate([b.freq_hz for b in bands])
    return WavesInspection(
        source=home.source, file_format=home.file_format, units=home.units,
        n_rows=int(t.size), start_utc=format_unix_s(t[0]), stop_utc=format_unix_s(t[-1]),
        cadence_s=cadence, min_step_s=float(np.min(steps)), max_step_s=float(np.max(steps)),
        n_gaps=int(np.sum(steps > 1.5 * cadence)) if np.isfinite(cadence) else 0,
        n_channels=int(freqs.size), freq_min_hz=float(np.min(freqs)),
        freq_max_hz=float(np.max(freqs)),
        bands=tuple(dict.fromkeys(name for b in bands for name in b.band if name)),
        channels=tuple(chosen),
    )
