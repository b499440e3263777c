"""Noise as it is: impulse blanking and noise floors local in frequency and time.

A real band's noise is not white and not stationary (``reference/real-band.md``):

- **Impulses** (ignition, power lines, static) are broadband bursts of milliseconds,
  tens of dB above the floor.  :func:`blank_impulses` finds them by the *lower
  quartile across frequency* of short Hann-windowed frames: a burst lifts every bin of
  its frame, while a carrier, however strong (and the spread of its keying edges),
  lifts only some, so keyed or steady signals are not blanked.  Flagged frames (and
  one on each side) are set to zero; the cost is the blanked time (about 0.5 % for a
  burst every 8 s).
- **Colour and AGC**: an SSB receiver's passband and ripple shape the floor across
  frequency; band noise and the receiver's AGC move it in time.
  :func:`normalize_power` divides a frames-by-bins power array by a two-way floor: a
  per-bin level (median over time, median-smoothed across frequency so a carrier does
  not lift its own floor) times a per-frame level (median over frequency, so a strong
  signal does not move it).  :func:`local_floor` is the per-spectrum version used for
  long coherent spectra (medians of blocks of bins, interpolated).

Medians rather than means everywhere, so neither a burst nor a signal can drive the
noise estimate.  Noise normalised this way is exponential with mean 1 in every bin,
the law the false-alarm probabilities of :mod:`dsp.detect` and :mod:`dsp.decode`
assume; ``bench/realism.py`` measures that they hold on each of these noises.

Hand-written: scipy provides the medians and filters used here, but no noise blanker
or two-way floor for frames-by-bins power.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal

__all__ = [
    "BLANK_FRAME_S",
    "blank_impulses",
    "local_floor",
    "normalize_power",
    "two_way_floor",
]

#: Length of the frames the impulse blanker judges, s (bursts last 5-50 ms).
BLANK_FRAME_S = 0.008
#: A frame is a burst when its lower-quartile power across frequency exceeds the
#: running median of that level by this factor (9 dB).  Noise alone: none in 2.5e5
#: frames (2e-5 at a factor of 6), with or without a strong carrier.
BLANK_FACTOR = 8.0
#: Window of the running median of frame levels, s.
_BLANK_WINDOW_S = 4.0
_CHUNK_SAMPLES = 1 << 18


def blank_impulses(x: np.ndarray, sample_rate_hz: float) -> tuple[np.ndarray, float]:
    """Zero broadband bursts in complex baseband ``x``; return it and the blanked fraction.

    Frames of :data:`BLANK_FRAME_S` (at least 16 samples) are judged by the lower
    quartile of their power spectrum across frequency against its running median over
    ``4 s``; frames above :data:`BLANK_FACTOR` times it, and their neighbours, are set
    to 0.  Narrowband signals of any level leave the median alone.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = (rng.normal(size=40_000) + 1j * rng.normal(size=40_000)).astype(np.complex64)
    >>> x += 30 * np.exp(2j * np.pi * 0.1 * np.arange(x.size))      # a strong carrier
    >>> x[20_000:20_040] += 40 * rng.normal(size=40)                # a 20 ms burst
    >>> y, fraction = blank_impulses(x, 2000.0)
    >>> bool(np.all(y[20_000:20_040] == 0)), round(fraction, 4), bool(np.any(y[:19_000] == 0))
    (True, 0.002, False)
    """
    n_frame = max(int(round(BLANK_FRAME_S * sample_rate_hz)), 16)
    m = x.size // n_frame
    if m < 16:
        return x, 0.0
    frames = np.asarray(x[: m * n_frame]).reshape(m, n_frame)
    window = scipy.signal.windows.hann(n_frame, sym=False)
    k = n_frame // 4
    level = np.empty(m)
    step = max(1, _CHUNK_SAMPLES // n_frame)  # frames per FFT: bounded scratch memory
    for a in range(0, m, step):
        spec = scipy.fft.fft(frames[a : a + step] * window, axis=1)
        level[a : a + step] = np.partition(spec.real**2 + spec.imag**2, k, axis=1)[:, k]
    width = int(min(max(_BLANK_WINDOW_S * sample_rate_hz / n_frame, 15), m)) | 1
    ref = scipy.ndimage.median_filter(level, size=width, mode="nearest")
    # Impulses are rare: never more than a fifth of the frames.  The floor keeps a
    # (nearly) noiseless keyed tone, whose key-down frames carry only its own window
    # leakage, from reading as a train of bursts.
    ref = np.maximum(ref, np.percentile(level, 80))
    bad = level > BLANK_FACTOR * np.maximum(ref, np.finfo(np.float32).tiny)
    if not bad.any():
        return x, 0.0
    bad = bad | np.roll(bad, 1) | np.roll(bad, -1)
    bad[0] |= bad[1] and level[0] > ref[0]
    y = np.array(x, copy=True)
    y[: m * n_frame].reshape(m, n_frame)[bad] = 0
    return y, float(bad.sum() * n_frame / x.size)


def normalize_power(power: np.ndarray, *, smooth_bins: int = 257) -> np.ndarray:
    """Divide frames-by-bins power by a two-way noise floor (float32, noise ~ Exp(1)).

    The floor is ``f[bin] * g[frame]``: ``f`` the per-bin median over frames (``/ ln 2``
    for the mean of an exponential), median-smoothed over ``smooth_bins`` bins;
    ``g`` the per-frame median over bins of ``power / f``.  With fewer than 8 frames
    the per-bin level cannot be estimated and one median over time is used instead.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> tilt = np.linspace(1, 4, 600)[None, :] * np.linspace(1, 2, 40)[:, None]
    >>> p = rng.exponential(size=(40, 600)) * tilt
    >>> z = normalize_power(p)
    >>> round(float(np.mean(z[:, :100])), 1), round(float(np.mean(z[:, -100:])), 1)
    (1.0, 1.0)
    """
    p = np.asarray(power, dtype=np.float32)
    f, g = two_way_floor(p, smooth_bins=smooth_bins)
    return (p / (f[None, :] * g[:, None])).astype(np.float32)


def two_way_floor(power: np.ndarray, *, smooth_bins: int = 257) -> tuple[np.ndarray, np.ndarray]:
    """Return the per-bin and per-frame factors of :func:`normalize_power`'s floor.

    Returns
    -------
    per_bin : ndarray, shape (bins,)
        Mean noise power of each bin over the frames.
    per_frame : ndarray, shape (frames,)
        Relative noise level of each frame (median 1).
    """
    p = np.asarray(power, dtype=np.float32)
    m, b = p.shape
    tiny = np.finfo(np.float32).tiny
    if m >= 8:
        f = _smooth_floor(_column_medians(p) / np.log(2), smooth_bins)
    else:
        f = np.full(b, np.median(p) / np.log(2))
    f = np.maximum(f, tiny)
    # Every 4th bin of a wide band is plenty for a frame's median (a quarter of the work).
    step = max(min(4, b // 2000), 1)
    g = np.median(p[:, ::step] / f[::step], axis=1) / np.log(2) if b >= 16 else np.ones(m)
    g = np.maximum(g, tiny)
    scale = float(np.median(g))
    return (f * scale).astype(np.float64), (g / scale).astype(np.float64)


def _column_medians(p: np.ndarray, block: int = 1024) -> np.ndarray:
    """``np.median(p, axis=0)`` a block of columns at a time (its copy stays small)."""
    return np.concatenate([np.median(p[:, a : a + block], axis=0)
                           for a in range(0, p.shape[1], block)])  # fmt: skip


def _smooth_floor(per_bin: np.ndarray, width: int) -> np.ndarray:
    """Median-smooth a per-bin level across frequency without bias at the band edges.

    A cubic fitted to the log level (on a lightly median-filtered copy, so carriers
    barely pull it) takes out the slope of a passband; the residual is median-filtered
    in mirror mode (unbiased at the edges once it has no trend) and the cubic put back.
    """
    b = per_bin.size
    logp = np.log(np.maximum(per_bin, np.finfo(np.float32).tiny))
    width = max(min(width, b - (1 - b % 2)), 1)
    if b < 64:
        return np.exp(scipy.ndimage.median_filter(logp, size=width, mode="mirror"))
    x = np.linspace(-1.0, 1.0, b)
    coarse = scipy.ndimage.median_filter(logp, size=min(31, width), mode="mirror")
    trend = np.polynomial.polynomial.polyval(x, np.polynomial.polynomial.polyfit(x, coarse, 3))
    resid = scipy.ndimage.median_filter(logp - trend, size=width, mode="mirror")
    # Median of log values of an exponential is ln(median); the per-bin values were
    # already scaled to a mean, so exp() of the smoothed log is the floor.
    return np.exp(trend + resid)


#: Bins per block of :func:`local_floor` (about 34 Hz for 30 s elements).
FLOOR_BLOCK_BINS = 1024


def local_floor(p: np.ndarray) -> np.ndarray:
    """Mean noise power per bin of each spectrum (rows): block medians, interpolated.

    A coloured floor (a channel filter's roll-off, a receiver's ripple) is followed,
    so normalised noise stays exponential with mean 1 in every bin; a carrier fills a
    few bins of a block and does not move its median.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> p = rng.exponential(size=(3, 8192)) * np.linspace(1, 3, 8192)
    >>> round(float(np.mean(p / local_floor(p))), 2)
    1.0
    """
    n = p.shape[1]
    blocks = n // FLOOR_BLOCK_BINS
    if blocks < 2:
        return np.median(p, axis=1, keepdims=True) / np.log(2)
    edges = np.linspace(0, n, blocks + 1).astype(int)
    med = np.stack(
        [np.median(p[:, a:b], axis=1) for a, b in zip(edges[:-1], edges[1:], strict=True)], 1
    ) / np.log(2)
    centers = 0.5 * (edges[:-1] + edges[1:] - 1)
    bins = np.arange(n)
    return np.stack([np.interp(bins, centers, row) for row in med]).astype(np.float32)
