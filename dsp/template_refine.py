"""Refining a known-template candidate: frequency and drift between grid points, and timing.

The grid search of :mod:`dsp.detect` rounds each piece's frequency to an FFT bin, its
drift to a coarse in-piece grid, and keys the template at the schedule's times.
:func:`refine` puts the strongest candidates between the grid points and searches
the operator's timing offset: the recording is mixed along the candidate's track
(frequency and drift), box-car decimated to :data:`REFINE_RATE_HZ` (the offsets
left to try are a hundredth of a hertz), and every piece is integrated coherently
at every frequency step, drift step and timing offset (a whole number of decimated
samples, :data:`OFFSET_STEP_S`).  The extra hypotheses are paid for in the
false-alarm probability (``dsp.detect_search.REFINED_CELLS`` and :func:`offset_cells`).
The grid search itself keys the schedule, so an offset beyond about a third of the
shortest element can drop the true track out of the refined candidates.

Hand-written: a small batch of matched filters on a decimated signal; no library
offers this search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["OFFSET_STEP_S", "REFINE_RATE_HZ", "Track", "offset_cells", "offsets_for", "refine"]

#: Rate to which the candidate is brought before refinement, Hz.
REFINE_RATE_HZ = 20.0
#: Step of the timing offsets searched, s (a 30 s element loses under 0.1 dB at half).
OFFSET_STEP_S = 1.0
#: Frequency steps (in FFT bins) and drift steps (in fine drift steps) tried.
DF_STEPS = np.linspace(-0.5, 0.5, 5)
DRIFT_STEPS = np.array([-0.5, 0.0, 0.5])


@dataclass(frozen=True)
class Track:
    """A candidate track: baseband frequency at the key-down middle, drift, sums."""

    freq_hz: float
    drift_hz_per_s: float
    s_on: float
    s_off: float
    on_values: np.ndarray
    offset_s: float = 0.0


def offsets_for(max_offset_s: float, earliest_s: float, latest_s: float) -> np.ndarray:
    """Return the timing offsets to try: steps of :data:`OFFSET_STEP_S` up to ``max_offset_s``.

    Only offsets that keep every piece inside the recording: ``earliest_s`` and
    ``latest_s`` are how far the pieces may move back and forward.

    Examples
    --------
    >>> offsets_for(3.0, 2.0, 10.0).tolist()
    [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
    """
    lo = -min(max_offset_s, max(earliest_s, 0.0))
    hi = min(max_offset_s, max(latest_s, 0.0))
    k = np.arange(np.ceil(lo / OFFSET_STEP_S - 1e-9), np.floor(hi / OFFSET_STEP_S + 1e-9) + 1)
    return k * OFFSET_STEP_S


#: Independent-looking timing hypotheses per key-down length of offsets spanned.
#: Measured on noise (400 recordings of 400 s, one QRSS30 "HI" round, +-1 kHz, offsets
#: +-10 s): the refined key-down sum with offsets reached the false-alarm levels
#: 0.1 / 0.05 / 0.02 / 0.01 about 2 / 2.5 / 4 / 5 times as often as the count without
#: them said (the tail of a random field's maximum grows with the threshold, as for
#: ``dsp.detect_search.REFINED_CELLS``); 9 per length, i.e. x7 for +-10 s on 30 s dits,
#: leaves room for the deeper tail.
OFFSET_CELLS_PER_LENGTH = 9.0


def offset_cells(offsets_s: np.ndarray, shortest_on_s: float) -> float:
    """Factor on the cells searched for trying ``offsets_s`` (see the constant above).

    Examples
    --------
    >>> offset_cells(np.arange(-10.0, 11.0), 30.0), offset_cells(np.zeros(1), 30.0)
    (7.0, 1.0)
    """
    span = float(np.ptp(offsets_s)) if np.size(offsets_s) else 0.0
    return 1.0 + OFFSET_CELLS_PER_LENGTH * span / shortest_on_s


def _phasor(turns: np.ndarray) -> np.ndarray:
    """``exp(-2 pi i turns)`` in single precision (the turns reduced in double first)."""
    ph = (np.mod(turns, 1.0) * (2 * np.pi)).astype(np.float32)
    out = np.empty(ph.size, np.complex64)
    out.real = np.cos(ph)
    out.imag = -np.sin(ph)
    return out


def _steps(dfs: np.ndarray, length: int, rate_d: float) -> np.ndarray:
    """``exp(-2 pi i df t)`` over a window of ``length`` samples, shape (length, dfs)."""
    t = np.arange(length) / rate_d
    return np.exp(-2j * np.pi * t[:, None] * dfs[None, :])


def refine(
    x: np.ndarray, geo, rounds, f0: float, d0: float, offsets_s: np.ndarray,
    t_ref: float | None = None, drift_step_hz_per_s: float | None = None,
) -> Track:  # fmt: skip
    """Best track near (f0, d0) and timing offset, every piece at its exact frequency.

    Parameters
    ----------
    x : ndarray of complex
        The baseband the pieces were cut from.
    geo : dsp.detect geometry
        Pieces (relative to a round's start), their centres relative to the
        key-down middle (``rel``) and that middle (``mid_s``), sample rate, FFT bin
        width and frequencies, fine drift grid.
    rounds : sequence
        Each with ``start_s``, ``floors`` (pieces, bins) and ``mask`` (bins).
    f0, d0 : float
        Candidate frequency at the key-down middle and drift.
    offsets_s : ndarray
        Timing offsets to try (see :func:`offsets_for`); the same for every round.
    t_ref : float, optional
        For a stack that follows the drift across rounds (:mod:`dsp.stack_track`):
        ``f0`` holds at ``t_ref`` and round ``r`` is at ``f0 + d (mid_r - t_ref)``.
        Default: every round at ``f0`` (position by position).
    drift_step_hz_per_s : float, optional
        Drift grid step refined between (default: the detector's in-round fine step;
        a stack across rounds needs its own, far finer).
    """
    pieces = geo.pieces
    n_pieces = len(pieces.intervals_s)
    step_d = float(geo.fine[1] - geo.fine[0]) if geo.fine.size > 1 else 0.0
    step_d = step_d if drift_step_hz_per_s is None else drift_step_hz_per_s
    drifts = d0 + DRIFT_STEPS * step_d
    q = max(int(geo.rate // REFINE_RATE_HZ), 1)
    rate_d = geo.rate / q
    shifts = np.rint(offsets_s * rate_d).astype(int)
    mid, rel = geo.mid_s, geo.rel
    dfs = DF_STEPS * geo.df
    steps_by_length: dict[int, np.ndarray] = {}  # frequency steps, the same for every piece
    total = np.zeros((offsets_s.size, drifts.size, dfs.size, n_pieces))
    for r in rounds:
        t_mid = r.start_s + mid
        lag = 0.0 if t_ref is None else t_mid - t_ref
        f_r = f0 + d0 * lag  # the round's frequency at its key-down middle
        first = r.start_s + float(pieces.intervals_s[:, 0].min()) + float(offsets_s.min())
        last = r.start_s + float(pieces.intervals_s[:, 1].max()) + float(offsets_s.max())
        a = max(int(np.floor(first * geo.rate)), 0)
        b = min(int(np.ceil(last * geo.rate)) + q, x.size)
        tau = (a + np.arange(b - a)) / geo.rate - t_mid
        mixed = x[a:b] * _phasor(f_r * tau + 0.5 * d0 * tau**2)
        m = (b - a) // q
        z = mixed[: m * q].reshape(m, q).sum(axis=1)
        tz = (a + (np.arange(m) + 0.5) * q) / geo.rate - t_mid
        extra = (drifts - d0) * lag  # a drift step moves the whole round too
        for i, (p0_s, p1_s) in enumerate(pieces.intervals_s):
            length = min(max(int(round((p1_s - p0_s) * rate_d)), 1), m)
            p0 = int(round((r.start_s + p0_s - a / geo.rate) * rate_d))
            starts = np.clip(p0 + shifts, 0, max(m - length, 0))
            win = sliding_window_view(z, length)[starts]  # (offsets, L)
            tp = sliding_window_view(tz, length)[starts]
            # The frequency steps are the same within every window (their phase at
            # the window's start does not change its energy): one (L, dfs) matrix.
            steps = steps_by_length.get(length)
            if steps is None:
                steps = steps_by_length[length] = _steps(dfs, length, rate_d)
            dd = (drifts - d0)[:, None, None]
            chirp = np.exp(-1j * np.pi * (dd * tp[None] ** 2 + 2 * extra[:, None, None] * tp[None]))
            v = (chirp * win[None]) @ steps  # (drifts, offsets, dfs)
            phi = f_r + extra[:, None] + drifts[:, None] * rel[i] + dfs[None, :]  # (drifts, dfs)
            k = np.clip(np.rint((phi - geo.freqs_bb[0]) / geo.df).astype(int), 0,
                        geo.freqs_bb.size - 1)  # fmt: skip
            value = (v.real**2 + v.imag**2) / r.floors[i, k][:, None, :]
            total[:, :, :, i] += np.where(r.mask[k][:, None, :], 1.0, value).transpose(1, 0, 2)
    on = total[..., : pieces.n_on].sum(axis=-1)
    o, u, v = np.unravel_index(int(np.argmax(on)), on.shape)
    return Track(
        freq_hz=float(f0 + dfs[v]), drift_hz_per_s=float(drifts[u]), s_on=float(on[o, u, v]),
        s_off=float(total[o, u, v, pieces.n_on :].sum()),
        on_values=total[o, u, v, : pieces.n_on].copy(), offset_s=float(offsets_s[o]) + 0.0,
    )  # fmt: skip
