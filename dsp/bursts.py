"""Broadband bursts and instrument spikes, found in the reference channels.

:func:`dsp.broadband.broadband_test` leaves these samples out of every channel's fit:

* :func:`burst_mask`: the references' mean relative excess over their running level
  (:func:`running_level`), averaged over 3, 10 and 30 samples, :data:`MASK_Z`
  standard errors high (spikes left out first: one sample is not a burst);
* :func:`common_spikes`: a spike (:data:`COMMON_SPIKE_RATIO` x the running median) in
  every reference at once is the instrument's (pre-amp toggling reaches all channels);
* :func:`near_mask` and :func:`burst_share`: how close to, and how much inside, the
  mask each key-down lies.

Hand-written: windowed threshold tests on a robust level; scipy.ndimage does the
filters.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> r = rng.gamma(17.0, 1 / 17.0, (2, 2000)); r[:, 700] *= 80.0     # the instrument
>>> np.flatnonzero(common_spikes(r)).tolist()
[700]
>>> near_mask(np.arange(2000.0), np.array([[690.0, 698.0], [600.0, 630.0]]),
...           common_spikes(r)).tolist()
[True, False]
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter, uniform_filter1d

from dsp.radiometer_fit import SPIKE_RATIO, find_spikes

__all__ = ["COMMON_SPIKE_RATIO", "MASK_WINDOWS", "MASK_Z", "NEAR_MASK_S", "burst_mask",
           "burst_share", "common_spikes", "near_mask", "running_level"]  # fmt: skip

#: The references' mean excess, averaged over a burst window, this many standard
#: errors high: the samples are interference (Gaussian tail 1e-9 per window; the
#: skewed, quantized square-law noise reaches 5 a few times per file).
MASK_Z = 6.0
#: Windows (samples) over which the references' excess is averaged for the mask.
MASK_WINDOWS = (3, 10, 30)
#: A gated key-down with a masked sample this close is vetoed outright (seconds).
NEAR_MASK_S = 5.0
#: In every reference at once, a spike at this factor is the instrument's.
COMMON_SPIKE_RATIO = 3.0


def running_level(x: np.ndarray, block: int = 60, blocks: int = 11) -> np.ndarray:
    """Return the running median of ``block``-sample means over ``blocks`` blocks, per column.

    Long enough to ignore 30-s dits and short bursts, short enough to follow a
    flyby's rising noise.  Block *means*, not medians: a square-law detector's
    samples are skewed and quantized (5 levels near the Waves floor), and a median
    of them can sit a level below the mean.

    Examples
    --------
    >>> x = np.ones((600, 2)); x[100:130] = 5.0
    >>> float(running_level(x)[110, 0])
    1.0
    """
    import warnings

    x = np.asarray(x, float)
    two_d = x.reshape(x.shape[0], -1)
    n = two_d.shape[0]
    nb = max(1, math.ceil(n / block))
    pad = np.full((nb * block, two_d.shape[1]), np.nan)
    pad[:n] = two_d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks stay NaN
        mean = np.nanmean(pad.reshape(nb, block, -1), axis=1)
        fill = np.nanmedian(mean, axis=0)
    mean = np.where(np.isfinite(mean), mean, fill)
    smooth = median_filter(mean, size=(blocks, 1), mode="nearest")
    return np.repeat(smooth, block, axis=0)[:n].reshape(x.shape)


def burst_mask(refs: np.ndarray) -> np.ndarray:
    """Flag samples where the references' mean relative excess is a burst (see the module).

    ``refs`` is (channels, samples), NaN where missing.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = rng.gamma(17.0, 1 / 17.0, (2, 2000)); r[:, 1000:1020] *= 3.0
    >>> m = burst_mask(r); bool(m[1000:1020].all()), int(m[:900].sum())
    (True, 0)
    """
    refs = np.atleast_2d(np.asarray(refs, float)).copy()
    for y in refs:  # a spike is one sample, not a burst: out before the windows
        ok = np.flatnonzero(np.isfinite(y))
        y[ok[find_spikes(y[ok], SPIKE_RATIO)]] = np.nan
    level = running_level(refs.T).T
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = refs / level - 1.0
    ok = np.isfinite(rel)
    count = ok.sum(axis=0)
    r = np.where(count > 0, np.where(ok, rel, 0.0).sum(axis=0) / np.maximum(count, 1), 0.0)
    have = count > 0
    if have.sum() < 10:
        return np.zeros(refs.shape[1], bool)
    v = r[have]
    med = np.median(v)
    spread = 1.4826 * np.median(np.abs(v - med)) or float(np.std(v)) or 1.0
    typical = v[np.abs(v - med) < 5 * spread]  # bursts and spikes left out
    centre, sigma = float(np.mean(typical)), float(np.std(typical)) or 1.0
    mask = np.zeros(refs.shape[1], bool)
    for w in MASK_WINDOWS:
        n = uniform_filter1d(have.astype(float), w, mode="constant") * w
        s = uniform_filter1d(np.where(have, r - centre, 0.0), w, mode="constant") * w
        with np.errstate(invalid="ignore", divide="ignore"):
            z = s / (sigma * np.sqrt(n))
        hot = (z > MASK_Z) & (n >= w / 2)
        mask |= maximum_filter1d(hot.astype(np.uint8), w + 4) > 0
    return mask


def common_spikes(refs: np.ndarray) -> np.ndarray:
    """Flag samples that spike in every reference (the instrument, not the band)."""
    out = np.ones(refs.shape[1], bool)
    for y in refs:
        ok = np.isfinite(y)
        s = np.zeros(y.size, bool)
        s[ok] = find_spikes(y[ok], COMMON_SPIKE_RATIO)
        out &= s
    return out


def burst_share(t, kd, masked, groups) -> np.ndarray:
    """Share of each group's key-down samples inside the mask (``groups``: bool, kd x g)."""
    inside = ((t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])).astype(float)
    hit = (inside * masked[:, None]).sum(axis=0) @ groups
    return hit / np.maximum(inside.sum(axis=0) @ groups, 1)


def near_mask(t, kd, masked, reach_s: float = NEAR_MASK_S) -> np.ndarray:
    """Key-downs with a masked sample within ``reach_s`` of them."""
    idx = np.flatnonzero(masked)
    if idx.size == 0:
        return np.zeros(len(kd), bool)
    tm = t[idx]
    lo = np.searchsorted(tm, kd[:, 0] - reach_s)
    hi = np.searchsorted(tm, kd[:, 1] + reach_s)
    return hi > lo
