"""Known-template detection: scheduled key-down elements, unknown frequency and drift.

For every scheduled element (a 30 s dit, say) the baseband is integrated
coherently over exactly the element: an FFT of the element's samples after
removing a trial drift around its centre.  That is the matched filter of a
constant carrier of unknown frequency.  The key-up gaps of the round are integrated
the same way (:mod:`dsp.pieces`).  Every piece's spectrum is normalised by its own
local noise floor (noise bins exponential, mean 1, whatever the colour of the noise
or its level at that time); impulses are blanked first (:mod:`dsp.noise`); bins that
hold a strong steady carrier are masked.  Spectra are summed along straight tracks
``f + drift * (t_i - t_ref)`` for every frequency and drift in the search, key-down
pieces and key-up pieces separately.

A round is detected when its best *keyed* track passes two tests:

- **presence**: the key-down sum against the Gamma law of :mod:`dsp.stack`, with a
  Bonferroni correction for the cells searched (the false-alarm probability of
  noise);
- **keying**: key-down against key-up on the same track (:func:`dsp.keyed.keying_test`),
  whose null is a steady carrier of *any* level, corrected for the cells one steady
  carrier can reach (:data:`dsp.keyed.STEADY_CELLS`), and key-up at most a fifth of
  key-down.

The reported false-alarm probability is the larger of the two.  Tracks are tried in
order of presence, so a steady carrier elsewhere in the band (or a stronger one
nearby) does not hide a keyed one.

The cost of searching a +-1 kHz band is real: about 6e4 independent frequency
cells per 30 s element, which puts the best possible one-round "HI" detection at
Pd 0.9 / Pfa 1e-3 near -41 dB SNR2500 instead of the -43.9 dB of a known frequency
(``bench/sensitivity.py`` prints both).  Narrow ``search_hz`` when the frequency is
known.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
import scipy.ndimage

from dsp.errors import DspValueError, check_samples, check_search
from dsp.keyed import STEADY_CELLS, keying_test
from dsp.noise import blank_impulses
from dsp.pieces import Pieces, piece_powers, round_pieces, steady_mask
from dsp.results import Detection, DitResult, KeyingTest, RoundResult
from dsp.spectrum import to_baseband
from dsp.stack import family_false_alarm, threshold_for

__all__ = ["detect"]

#: Candidate tracks given the keying test at most, strongest presence first.
MAX_TRIED = 200


def _check_rounds(rounds_s: Sequence[np.ndarray], duration_s: float) -> list[np.ndarray]:
    rounds = [np.asarray(r, dtype=float).reshape(-1, 2) for r in rounds_s]
    if not rounds or any(r.size == 0 for r in rounds):
        raise DspValueError("rounds_s must hold at least one round with one key-down interval")
    for k, r in enumerate(rounds, 1):
        if np.any(r[:, 1] <= r[:, 0]) or np.any(r[1:, 0] < r[:-1, 1]):
            raise DspValueError(
                f"round {k}: key-down intervals must be [start, stop] pairs with stop > start, "
                "in time order, without overlap"
            )
        if r[0, 0] < 0 or r[-1, 1] > duration_s + 1e-6:
            raise DspValueError(
                f"round {k} spans {r[0, 0]:g}-{r[-1, 1]:g} s but the recording spans "
                f"0-{duration_s:g} s"
            )
    shape = rounds[0] - rounds[0][0, 0]
    same = all(r.shape == shape.shape and np.allclose(r - r[0, 0], shape) for r in rounds)
    if not same:
        raise DspValueError("all rounds must key the same pattern (same element timing)")
    return rounds


def _track_sums(powers, pieces: Pieces, coarse, fine, df):
    """Per bin, the fine drift with the largest key-down sum: (on, off, drift index)."""
    b = powers.shape[2]
    centres = pieces.intervals_s.mean(axis=1)
    on_c = centres[: pieces.n_on]
    rel = centres - 0.5 * (on_c.min() + on_c.max())
    best_on = np.full(b, -np.inf, np.float32)
    best_off = np.zeros(b, np.float32)
    best_j = np.zeros(b, np.int32)
    acc = np.empty((2, b), np.float32)
    for j, d in enumerate(fine):
        c = int(np.argmin(np.abs(coarse - d)))
        shifts = np.rint(d * rel / df).astype(int)
        acc[:] = 0
        for i, s in enumerate(shifts):
            row, out = powers[c, i], acc[0 if i < pieces.n_on else 1]
            if s >= 0:
                out[: b - s] += row[s:]
            else:
                out[-s:] += row[: b + s]
        better = acc[0] > best_on
        best_on[better], best_off[better], best_j[better] = acc[0][better], acc[1][better], j
    return best_on, best_off, best_j, rel


def _keying(stat_on, stat_off, pieces: Pieces, dof: int, pfa: float) -> KeyingTest:
    lengths = pieces.lengths_s
    if pieces.n_off == 0:
        return KeyingTest(1.0, 1.0, 0.0, 0.0, False)
    return keying_test(
        float(stat_on), float(stat_off), pieces.n_on * dof, pieces.n_off * dof,
        float(lengths[: pieces.n_on].sum()) * dof, float(lengths[pieces.n_on :].sum()) * dof,
        log_search_factor=float(np.log(STEADY_CELLS)), pfa=pfa,
    )  # fmt: skip


def _choose(best_on, best_off, pieces, dof, cells, pfa):
    """Bin of the strongest keyed track (or the strongest track) and its keying test."""
    thr = threshold_for(pfa, pieces.n_on * dof, cells)
    peaks = best_on == scipy.ndimage.maximum_filter1d(best_on, 5, mode="nearest")
    order = np.flatnonzero(peaks & (best_on >= thr))
    order = order[np.argsort(best_on[order])[::-1]][:MAX_TRIED]
    first = int(np.argmax(best_on))
    fallback = None
    for k in order:
        test = _keying(best_on[k], best_off[k], pieces, dof, pfa)
        if test.keyed:
            return int(k), test
        fallback = fallback or (int(k), test)
    return fallback or (first, _keying(best_on[first], best_off[first], pieces, dof, pfa))


def _search(powers, pieces, coarse, fine, df, freqs, pfa, dof, index, offset_s):
    best_on, best_off, best_j, rel = _track_sums(powers, pieces, coarse, fine, df)
    cells = int(len(fine) * powers.shape[2])
    k, keying = _choose(best_on, best_off, pieces, dof, cells, pfa)
    stat = float(best_on[k])
    presence = family_false_alarm(stat, pieces.n_on * dof, cells)
    drift = float(fine[best_j[k]])
    c = int(np.argmin(np.abs(coarse - drift)))
    shifts = np.rint(drift * rel / df).astype(int)
    on = pieces.intervals_s[: pieces.n_on]
    lengths = on[:, 1] - on[:, 0]
    dits = []
    for i in range(pieces.n_on):
        kk = k + shifts[i]
        value = float(powers[c, i, kk]) if 0 <= kk < powers.shape[2] else 0.0
        rho = value / dof - 1.0  # Es/N0 of the element, averaged over rounds
        p_value = family_false_alarm(value, dof, 1)
        dits.append(DitResult(
            start_s=float(on[i, 0] + offset_s), stop_s=float(on[i, 1] + offset_s),
            statistic=value, snr2500_db=_snr(rho, lengths[i]),
            false_alarm_probability=p_value, detected=p_value <= pfa,
        ))  # fmt: skip
    rho_total = (stat - pieces.n_on * dof) / dof
    centres = on.mean(axis=1)
    mid_s = 0.5 * (centres.min() + centres.max())
    fap = max(presence, keying.false_alarm_probability)
    return RoundResult(
        index=index,
        start_s=float(on[0, 0] + offset_s),
        statistic=stat,
        false_alarm_probability=fap,
        detected=bool(presence <= pfa and keying.keyed),
        freq_hz=float(freqs[k] - drift * mid_s),
        drift_hz_per_s=drift,
        snr2500_db=_snr(rho_total, float(lengths.sum())),
        dits=tuple(dits),
        presence_false_alarm_probability=presence,
        keying=keying,
    ), cells


def _snr(es_n0: float, keydown_s: float) -> float | None:
    if es_n0 <= 0:
        return None
    return float(10 * np.log10(es_n0 / (keydown_s * 2500.0)))


def detect(
    samples: np.ndarray,
    sample_rate_hz: float,
    rounds_s: Sequence[np.ndarray],
    *,
    center_hz: float = 0.0,
    search_hz: float = 1000.0,
    max_drift_hz_per_s: float = 1 / 60,
    pfa: float = 1e-3,
    per_round: bool = True,
) -> Detection:
    """Detect scheduled key-down elements of one or more rounds.

    Parameters
    ----------
    samples : ndarray
        Complex IQ, or real audio with the tone near ``center_hz``.
    sample_rate_hz : float
        Sample rate in Hz.
    rounds_s : sequence of ndarray, each shape (n, 2)
        Key-down ``[start_s, stop_s]`` of every round, seconds from the first sample.
        All rounds key the same pattern.
    center_hz, search_hz : float, optional
        Centre and half-width of the frequency search, Hz.
    max_drift_hz_per_s : float, optional
        Largest linear drift searched, Hz/s.
    pfa : float, optional
        False-alarm probability of each test (each round, and the stack).
    per_round : bool, optional
        Search every round on its own too (the stack is always searched).

    Returns
    -------
    Detection

    Examples
    --------
    >>> from dsp.keying import keyed_baseband
    >>> from dsp.morse import key_intervals
    >>> from dsp.channel import Channel, apply_channel
    >>> iv = key_intervals("HI", 10.0, start_s=5.0)
    >>> x = keyed_baseband(iv, 2000.0, duration_s=140.0)
    >>> y = apply_channel(x, 2000.0, Channel(-30.0, offset_hz=250.0), np.random.default_rng(2))
    >>> det = detect(y, 2000.0, [iv])
    >>> det.detected, round(det.rounds[0].freq_hz, 1), [d.detected for d in det.rounds[0].dits]
    (True, 250.0, [True, True, True, True, True, True])
    """
    x = check_samples(samples, sample_rate_hz, search_hz=search_hz)
    check_search(pfa, max_drift_hz_per_s)
    baseband, rate = to_baseband(x, sample_rate_hz, center_hz=center_hz, half_band_hz=search_hz)
    baseband, _ = blank_impulses(baseband, rate)
    duration_s = baseband.size / rate
    rounds = _check_rounds(rounds_s, duration_s)
    template = rounds[0] - rounds[0][0, 0]
    before = min(float(r[0, 0]) for r in rounds)
    after = min(duration_s - float(r[-1, 1]) for r in rounds)
    pieces = round_pieces(template, before, after)
    lengths = pieces.lengths_s
    longest = float(lengths.max())
    n_fft = scipy.fft.next_fast_len(int(np.ceil(2 * longest * rate)))
    df = rate / n_fft
    freqs = scipy.fft.fftshift(scipy.fft.fftfreq(n_fft, 1 / rate))
    keep = np.abs(freqs) <= search_hz
    freqs = freqs[keep] + center_hz
    # In-element drift: a residual eps costs < 0.2 dB while eps * L**2 <= 1.
    step = 2.0 / longest**2
    n_c = int(np.ceil(max_drift_hz_per_s / step))
    coarse = np.linspace(-max_drift_hz_per_s, max_drift_hz_per_s, 2 * n_c + 1)
    zero = int(np.argmin(np.abs(coarse)))
    centres = template.mean(axis=1)
    span = max(float(np.ptp(centres)) / 2, float(lengths[: pieces.n_on].max()))
    fine_step = df / span
    n_f = int(np.ceil(max_drift_hz_per_s / fine_step))
    fine = np.linspace(-n_f * fine_step, n_f * fine_step, 2 * n_f + 1)
    spread_hz = max_drift_hz_per_s * longest / 2
    results, stacked_powers, steady = [], None, set()
    cells = 1
    for r, iv in enumerate(rounds):
        start = iv[0, 0]
        p = piece_powers(baseband, rate, pieces.intervals_s + start, coarse, n_fft, keep)
        mask, centres_bins = steady_mask(p[zero], pieces, df, spread_hz)
        p[:, :, mask] = 1.0
        steady.update(round(float(freqs[int(c)]), 2) for c in centres_bins)
        stacked_powers = p.copy() if stacked_powers is None else stacked_powers + p
        if per_round or len(rounds) == 1:
            res, cells = _search(p, pieces, coarse, fine, df, freqs, pfa, 1, r + 1, start)
            results.append(res)
    stacked = None
    if len(rounds) > 1:
        stacked, cells = _search(stacked_powers, pieces, coarse, fine, df, freqs, pfa,
                                 len(rounds), 0, rounds[0][0, 0])  # fmt: skip
    main = stacked if stacked is not None else results[0]
    return Detection(
        pfa=pfa, search_cells=cells, rounds=tuple(results), stacked=stacked,
        detected=main.detected, steady_carriers_hz=tuple(sorted(steady)),
    )  # fmt: skip
