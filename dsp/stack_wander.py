"""Stacking rounds whose carrier wanders from round to round (track-before-detect).

Between the rounds of a 2.7 h event an oscillator does not only drift: it wanders
by a few tenths of a hertz (temperature, supply), many bins of 1/60 Hz, so a
straight track across the rounds (:mod:`dsp.stack_track`) loses most rounds.  Here
every round may sit off the straight track ``f + D (mid_r - t_ref)`` by its own
``w_r``, with a Gaussian prior of ``sigma`` bins, and the stack marginalises it
instead of choosing it: for round ``r`` with key-down sum ``s_r(k)`` (the in-round
drift ``D`` applied)

    T_r(k) = log sum_w prior(w) exp(a s_r(k + w)),

the log of a likelihood ratio averaged over the round's offset (``a`` is the
exponential tilt that is the exact likelihood ratio of a Rayleigh-faded element at
a per-element Es/N0 of ``a / (1 - a)``; ``a = 0.6`` is about the Es/N0 of 1.5 where
a 16-round stack is decided).  The statistic of a cell (``f``, ``D``) is
``S = sum_r T_r`` along the straight track; maximising over the offsets instead
(a Viterbi track) gives 0.5 to 1 sigma less deflection at the same noise (measured
beside this on synthetic rows).  The prior is applied as three box filters (a
Gaussian to a few per cent), exact sums of positive terms without FFT round-off;
``s - n`` is capped at 40 (``a s`` at 24), which only limits the statistic of
rounds already far above any threshold.

Under noise the ``T_r`` of different rounds are independent: ``S`` is a sum of ``R``
of them, whose law is taken as Pearson type III with the mean, variance and skewness
of the sum; the moments of one ``T_r`` are computed once, deterministically, on
noise spectra made the way :mod:`dsp.pieces` makes them (2x zero-padded, so
neighbouring bins are correlated as they are in a recording).  Neighbouring cells
share most of their rounds' terms, so the cells that count are fewer than the grid:
:data:`WANDER_CELLS` (measured on noise searches, ``bench/wander_null.py``) scales
them.

The per-round track reported is each round's most probable offset,
``argmax_w a s_r(k + w) + log prior(w)``.  Read along it, key-down is lifted over
key-up by the choice itself (a steady carrier would look keyed), so the keying test
(key-down against key-up, a steady carrier of any level as the null) reads
cross-fitted sums instead (:class:`WanderTrack`).

Hand-written: the marginalised track-before-detect over a bounded, smooth prior has
no library implementation; the moments use :mod:`scipy.stats`.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> bins, df = 2000, 1 / 60
>>> mids = np.arange(16) * 600.0
>>> w = np.rint(rng.normal(0, 12, 16)).astype(int)              # 0.2 Hz rms
>>> rows = [rng.exponential(1.0, (2, bins)) for _ in mids]
>>> for r in range(16):
...     rows[r][0, 1000 + w[r]] += 12.0                            # the carrier
>>> g = wander_sums(rows, 1, np.array([0.0, 30.0]), mids, np.array([0.0]), df, 0.0, 12.0)
>>> k = int(np.argmax(g.best)); abs(k - 1000) <= 8
True
>>> t = wander_track(rows, 1, np.array([0.0, 30.0]), mids, np.array([0.0]), df, g, k)
>>> int(np.sum(t.bins == 1000 + w)) >= 14
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.stats

from dsp.stack_track import add_shifted, stack_drifts

__all__ = ["WANDER_CELLS", "WanderGrid", "WanderTrack", "wander_false_alarm", "wander_sf",
           "wander_sums", "wander_track"]  # fmt: skip

#: Exponential tilt of a round's key-down sum (see the module docstring).
TILT = 0.6
#: Cap on a round's key-down sum above its noise mean (``TILT * CAP`` = 24 nepers).
CAP = 40.0
#: Box filters that make the Gaussian prior.
PASSES = 3
#: Factor on the (reference bin x drift) cells for the false-alarm probability,
#: measured on noise (``bench/wander_null.py``, 400 searches of the 2013 event, half
#: with a steady carrier): neighbouring cells share their rounds' terms.  The factor
#: that makes the reported probability honest grows with the threshold, 0.019 at the
#: median, 0.049 at 0.1, 0.073 at 0.05, 0.05-0.06 at 0.02-0.01; twice the largest.
WANDER_CELLS = 0.15


@dataclass(frozen=True)
class WanderGrid:
    """Per reference bin, the drift with the largest marginalised stack.

    Attributes
    ----------
    drifts : ndarray
        Drift grid (across and inside the rounds), Hz/s.
    best : ndarray, shape (bins,)
        ``S`` of the best drift of each bin.
    best_d : ndarray of int
        Index into ``drifts``.
    t_ref : float
        Reference time of the bins, s.
    sigma_bins : float
        Prior standard deviation of a round's offset, bins.
    """

    drifts: np.ndarray
    best: np.ndarray
    best_d: np.ndarray
    t_ref: float
    sigma_bins: float


@dataclass(frozen=True)
class WanderTrack:
    """The most probable per-round track at one cell.

    Attributes
    ----------
    bins : ndarray of int, shape (rounds,)
        Each round's bin at its key-down middle.
    on_values : ndarray, shape (key-down pieces,)
        Each key-down piece's power summed over the rounds along the track.
    s_on, s_off : float
        Key-down and key-up sums along the track.
    drift_hz_per_s : float
        The cell's drift.
    keying_on : float
        Key-down sum for the keying test (against ``s_off``), cross-fitted: each
        key-down piece of a round is read at the bin the round's other key-down
        pieces chose (leave one out); key-up is read on the track, whose choice its
        noise took no part in.  Under noise and a steady carrier no value is read
        where its own noise chose it.
    """

    bins: np.ndarray
    on_values: np.ndarray
    s_on: float
    s_off: float
    drift_hz_per_s: float
    keying_on: float


def _box_widths(sigma_bins: float) -> int:
    """Odd box width whose ``PASSES``-fold convolution has standard deviation ``sigma``."""
    return 2 * max(int(round((np.sqrt(12 * sigma_bins**2 / PASSES + 1) - 1) / 2)), 0) + 1


def _marginal(s: np.ndarray, n_on: int, sigma_bins: float) -> np.ndarray:
    """``T(k) = log sum_w prior(w) exp(a s(k + w))`` along the last axis (minus ``a n``)."""
    e = np.exp(TILT * np.minimum(np.asarray(s, np.float64) - n_on, CAP))
    width = _box_widths(sigma_bins)
    if width > 1:
        for _ in range(PASSES):
            e = scipy.ndimage.uniform_filter1d(e, width, axis=-1, mode="nearest")
    return np.log(e)


def _key_down_sum(p: np.ndarray, n_on: int, shifts: np.ndarray) -> np.ndarray:
    """Key-down sum of one round's pieces along an in-round drift."""
    out = np.zeros(p.shape[1], np.float64)
    for i in range(n_on):
        add_shifted(out, p[i], int(shifts[i]))
    return out


def _shift_of(drift: float, lag_s: float, df: float) -> int:
    return int(np.rint(drift * lag_s / df))


def _drift_grid(mids: np.ndarray, df: float, max_drift: float, sigma_bins: float) -> np.ndarray:
    """Drifts whose straight tracks are at most a quarter of ``sigma`` off at the ends."""
    step_bins = max(sigma_bins / 2, 1.0)
    return stack_drifts(mids, df * step_bins, max_drift)


def wander_sums(zero_powers, n_on: int, rel_s, mids_s, fine, df: float,
                max_drift_hz_per_s: float, sigma_bins: float) -> WanderGrid:  # fmt: skip
    """Marginalised stack ``S`` of every reference bin, best over the drift grid.

    Parameters
    ----------
    zero_powers : list of ndarray, each (pieces, bins)
        Per round, the normalised piece powers at zero in-piece drift (masked);
        key-down pieces first.
    n_on : int
        Key-down pieces per round.
    rel_s, mids_s : ndarray
        Piece centres relative to a round's key-down middle; each round's middle, s.
    fine : ndarray
        In-round drift grid; each drift of the stack uses its nearest.
    df : float
        Bin width, Hz.
    max_drift_hz_per_s : float
        Largest drift searched.
    sigma_bins : float
        Prior standard deviation of a round's offset from the straight track, bins.

    Returns
    -------
    WanderGrid
    """
    mids = np.asarray(mids_s, float)
    t_ref = float(np.mean(mids))
    drifts = _drift_grid(mids, df, max_drift_hz_per_s, sigma_bins)
    bins = zero_powers[0].shape[1]
    best = np.full(bins, -np.inf)
    best_d = np.zeros(bins, np.int32)
    nearest = np.argmin(np.abs(np.asarray(fine)[None, :] - drifts[:, None]), axis=1)
    acc = np.empty(bins)
    for j in np.unique(nearest):
        shifts = np.rint(fine[j] * np.asarray(rel_s) / df).astype(int)
        terms = [_marginal(_key_down_sum(p, n_on, shifts), n_on, sigma_bins)
                 for p in zero_powers]  # fmt: skip
        for u in np.flatnonzero(nearest == j):
            acc[:] = 0.0
            for t, m in zip(terms, mids, strict=True):
                s = _shift_of(drifts[u], m - t_ref, df)
                lo, hi = max(0, -s), min(bins, bins - s)
                acc[lo:hi] += t[lo + s : hi + s]
                acc[:lo] += t[0]  # beyond the band: the edge bin's term
                acc[hi:] += t[-1]
            better = acc > best
            best[better], best_d[better] = acc[better], u
    return WanderGrid(drifts, best, best_d, t_ref, float(sigma_bins))


def wander_track(zero_powers, n_on: int, rel_s, mids_s, fine, df: float, grid: WanderGrid,
                 k: int) -> WanderTrack:  # fmt: skip
    """Each round's most probable bin at cell ``k`` of ``grid``, and the sums along it."""
    mids = np.asarray(mids_s, float)
    d = float(grid.drifts[grid.best_d[k]])
    fine = np.asarray(fine)
    shifts = np.rint(fine[int(np.argmin(np.abs(fine - d)))] * np.asarray(rel_s) / df).astype(int)
    bins = zero_powers[0].shape[1]
    reach = int(np.ceil(4 * grid.sigma_bins))
    w = np.arange(-reach, reach + 1)
    log_prior = -0.5 * (w / max(grid.sigma_bins, 1e-9)) ** 2
    chosen = np.empty(len(zero_powers), int)
    on_values = np.zeros(n_on)
    sums_off = crossed_on = 0.0
    for r, (p, m) in enumerate(zip(zero_powers, mids, strict=True)):
        centre = k + _shift_of(d, m - grid.t_ref, df)
        cand = np.clip(centre + w, 0, bins - 1)
        # Every piece at every candidate bin, moved by its in-round drift shift.
        rows = np.asarray(p, np.float64)[np.arange(p.shape[0])[:, None],
                                         np.clip(cand[None, :] + shifts[:, None], 0, bins - 1)]

        def pick(pieces: np.ndarray, rows=rows) -> int:
            total = rows[pieces].sum(axis=0) if pieces.size else 0.0
            return int(np.argmax(TILT * total + log_prior))

        b = pick(np.arange(n_on))
        chosen[r] = cand[b]
        on_values += rows[:n_on, b]
        sums_off += float(rows[n_on:, b].sum())
        # Cross-fitted for the keying test: each key-down piece read where the
        # round's other key-down pieces put it (leave one out); key-up is read on the
        # track itself, whose choice its noise took no part in.
        for i in range(n_on):
            crossed_on += float(rows[i, pick(np.delete(np.arange(n_on), i))])
    return WanderTrack(chosen, on_values, float(on_values.sum()), sums_off, d, crossed_on)


@functools.lru_cache(maxsize=32)
def _term_moments(n_on: int, sigma_bins: float) -> tuple[float, float, float]:
    """Mean, variance and third central moment of one round's ``T`` under noise."""
    rng = np.random.default_rng(20131009)  # a fixed calibration, not a random result
    length, rows = 256, 96
    s = np.zeros((rows, 2 * length))
    for _ in range(n_on):
        z = rng.normal(size=(rows, length)) + 1j * rng.normal(size=(rows, length))
        s += np.abs(scipy.fft.fft(z, 2 * length, axis=-1)) ** 2 / (2 * length)
    t = _marginal(s, n_on, sigma_bins)
    edge = int(np.ceil(4 * sigma_bins)) + 1
    v = t[:, edge:-edge].ravel() if 2 * edge < t.shape[1] else t.ravel()
    mean = float(v.mean())
    c = v - mean
    return mean, float(np.mean(c**2)), float(np.mean(c**3))


def wander_sf(statistic: float, n_on: int, rounds: int, sigma_bins: float) -> float:
    """Probability that noise gives ``statistic`` or more in one cell.

    Examples
    --------
    >>> wander_sf(30.0, 6, 16, 12.0) > wander_sf(60.0, 6, 16, 12.0) > 0
    True
    """
    mean, var, third = _term_moments(int(n_on), float(round(sigma_bins, 3)))
    skew = third / var**1.5 / np.sqrt(rounds)
    return float(scipy.stats.pearson3.sf(statistic, skew, loc=rounds * mean,
                                         scale=np.sqrt(rounds * var)))  # fmt: skip


def wander_false_alarm(statistic: float, n_on: int, rounds: int, sigma_bins: float,
                       cells: float) -> float:  # fmt: skip
    """Probability that noise gives ``statistic`` or more in any of ``cells`` cells.

    ``cells`` is the grid's (reference bins x drifts); :data:`WANDER_CELLS` scales it.

    Examples
    --------
    >>> p = [wander_false_alarm(s, 6, 16, 12.0, 1e5) for s in (30.0, 60.0, 90.0)]
    >>> p[0] == 1.0 and 0 < p[2] < p[1] < 1e-2
    True
    """
    sf = wander_sf(statistic, n_on, rounds, sigma_bins)
    return float(min(1.0, max(cells * WANDER_CELLS, 1.0) * sf))
