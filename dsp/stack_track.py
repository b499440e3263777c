"""Stacking rounds along a carrier that drifts over the whole event.

Over a 2.7 h event an oscillator drifts by a fraction of a hertz to a few hertz:
adding the rounds' element spectra position by position (bin k of round 1 to bin k
of round 16) smears the carrier over as many bins of 1/60 Hz.  The stack here sums
along straight tracks across the rounds instead: a track is its frequency ``f`` at a
reference time ``t_ref`` (the middle of the rounds' key-downs) and one drift ``D``
for the whole event, which is also the drift inside every round (the same
oscillator).  Piece ``i`` of round ``r`` is then read at
``f + D (mid_r + rel_i - t_ref)``.

Two levels keep it cheap: for each in-round drift of the detector's fine grid (steps
keep a piece within half a bin), every round's key-down and key-up pieces are summed
along it; then, for every ``D`` of the across-round grid (step ``df / max |mid_r -
t_ref|``: half a bin at the extreme rounds) that this in-round drift is nearest to,
the rounds' sums are shifted by ``D (mid_r - t_ref)`` and added.  Noise in the sum
of ``n R`` normalised powers is Gamma(nR, 1) as before; the ``D`` grid multiplies the
cells searched (Bonferroni).

Hand-written: shift-and-add over a small grid, as in a drift search of SETI's
``turboSETI`` but for a known keying template.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> bins, df = 400, 1 / 60
>>> mids = np.array([0.0, 600.0, 1200.0])
>>> rows = [rng.exponential(1.0, (2, bins)) for _ in mids]      # 1 key-down, 1 key-up
>>> d = 0.5 / 600                                               # 0.5 Hz per round
>>> for r, m in enumerate(mids):
...     rows[r][0, 200 + round(d * (m - 600.0) / df)] += 40.0   # the carrier
>>> g = stack_sums(rows, 1, np.array([0.0, 30.0]), mids, np.array([0.0]), df, 1e-3)
>>> k = int(np.argmax(g.best_on)); k, round(float(g.drifts[g.best_d[k]]) * 600, 2)
(200, 0.5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StackGrid", "add_shifted", "stack_drifts", "stack_sums"]


@dataclass(frozen=True)
class StackGrid:
    """Per reference bin, the across-round drift with the largest key-down sum.

    Attributes
    ----------
    drifts : ndarray
        The across-round drift grid, Hz/s.
    best_on, best_off : ndarray, shape (bins,)
        Key-down and key-up sums along the best drift of each bin.
    best_d : ndarray of int, shape (bins,)
        Index into ``drifts``.
    t_ref : float
        Reference time of the bins' frequencies, s.
    """

    drifts: np.ndarray
    best_on: np.ndarray
    best_off: np.ndarray
    best_d: np.ndarray
    t_ref: float


def stack_drifts(mids_s: np.ndarray, df: float, max_drift_hz_per_s: float) -> np.ndarray:
    """Across-round drift grid: half a bin of error at the extreme rounds.

    Examples
    --------
    >>> stack_drifts(np.array([0.0, 600.0]), 1 / 60, 1e-4).size
    5
    """
    span = float(np.max(np.abs(mids_s - np.mean(mids_s)))) if np.size(mids_s) > 1 else 0.0
    if span == 0 or max_drift_hz_per_s == 0:
        return np.zeros(1)
    step = df / span
    n = int(np.ceil(max_drift_hz_per_s / step))
    return np.arange(-n, n + 1) * step


def add_shifted(out: np.ndarray, row: np.ndarray, shift: int) -> None:
    """``out[k] += row[k + shift]`` where both exist."""
    b = row.size
    if shift >= 0:
        out[: b - shift] += row[shift:]
    else:
        out[-shift:] += row[: b + shift]


def stack_sums(
    zero_powers: list[np.ndarray],
    n_on: int,
    rel_s: np.ndarray,
    mids_s: np.ndarray,
    fine: np.ndarray,
    df: float,
    max_drift_hz_per_s: float,
) -> StackGrid:
    """Sum every round's pieces along straight tracks across the whole event.

    Parameters
    ----------
    zero_powers : list of ndarray, each (pieces, bins)
        Per round, the normalised piece powers at zero in-piece drift (masked); the
        key-down pieces first (``n_on`` of them).
    n_on : int
        Key-down pieces per round.
    rel_s : ndarray
        Piece centres relative to a round's key-down middle, s.
    mids_s : ndarray
        Each round's key-down middle, s.
    fine : ndarray
        In-round drift grid (a drift step moves a piece by at most half a bin).
    df : float
        Bin width, Hz.
    max_drift_hz_per_s : float
        Largest drift across the event searched.

    Returns
    -------
    StackGrid
    """
    mids = np.asarray(mids_s, float)
    t_ref = float(np.mean(mids))
    drifts = stack_drifts(mids, df, max_drift_hz_per_s)
    bins = zero_powers[0].shape[1]
    best_on = np.full(bins, -np.inf, np.float32)
    best_off = np.zeros(bins, np.float32)
    best_d = np.zeros(bins, np.int32)
    nearest = np.argmin(np.abs(fine[None, :] - drifts[:, None]), axis=1)
    acc = np.empty((2, bins), np.float32)
    for j in np.unique(nearest):
        shifts = np.rint(fine[j] * rel_s / df).astype(int)
        rows = np.zeros((len(zero_powers), 2, bins), np.float32)
        for r, p in enumerate(zero_powers):
            for i, s in enumerate(shifts):
                add_shifted(rows[r, 0 if i < n_on else 1], p[i], int(s))
        for u in np.flatnonzero(nearest == j):
            acc[:] = 0
            for r, m in enumerate(mids):
                s = int(np.rint(drifts[u] * (m - t_ref) / df))
                add_shifted(acc[0], rows[r, 0], s)
                add_shifted(acc[1], rows[r, 1], s)
            better = acc[0] > best_on
            best_on[better], best_off[better], best_d[better] = acc[0][better], acc[1][better], u
    return StackGrid(drifts, best_on, best_off, best_d, t_ref)
