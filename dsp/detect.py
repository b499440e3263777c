"""Known-template detection: scheduled key-down elements, unknown frequency and drift.

For every scheduled element (a 30 s dit, say) the baseband is integrated
coherently over exactly the element: an FFT of the element's samples after
removing a trial drift around its centre.  That is the matched filter of a
constant carrier of unknown frequency.  Each element spectrum is normalised by its
own noise level (median of blocks of bins, so a coloured floor is followed; noise
bins become exponential, mean 1), and the spectra of
a round are summed along straight frequency tracks ``f + drift * (t_i - t_ref)``
for every frequency and drift in the search.  The best track's sum is compared with
the Gamma law of :mod:`dsp.stack` with a Bonferroni correction for the number of
cells searched; the threshold follows from the requested false-alarm probability.

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

from dsp.errors import DspValueError, check_samples, check_search
from dsp.results import Detection, DitResult, RoundResult
from dsp.spectrum import to_baseband
from dsp.stack import family_false_alarm

__all__ = ["detect"]


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


def _element_powers(x, rate, intervals, drifts, n_fft, keep):
    """Normalised power spectra, shape (drifts, elements, kept bins)."""
    starts = np.rint(intervals[:, 0] * rate).astype(int)
    stops = np.rint(intervals[:, 1] * rate).astype(int)
    out = np.empty((len(drifts), len(intervals), int(keep.sum())), np.float32)
    for length in np.unique(stops - starts):
        idx = np.flatnonzero(stops - starts == length)
        seg = np.stack([x[a : a + length] for a in starts[idx]])
        t = np.arange(length) / rate - length / rate / 2
        for i, d in enumerate(drifts):
            chirped = seg * np.exp(-1j * np.pi * d * t**2).astype(np.complex64)
            spec = scipy.fft.fftshift(scipy.fft.fft(chirped, n=n_fft, axis=1), axes=1)[:, keep]
            p = spec.real**2 + spec.imag**2
            out[i, idx] = p / _local_floor(p)
    return out


#: Bins per block of the noise-floor estimate (about 34 Hz for 30 s elements).
FLOOR_BLOCK_BINS = 1024


def _local_floor(p: np.ndarray) -> np.ndarray:
    """Mean noise power per bin: medians of blocks of bins, interpolated across frequency.

    A coloured noise floor (a channel filter's roll-off, a receiver's slope) is
    followed, so normalised noise stays exponential with mean 1 in every bin; a
    carrier fills a few bins of a block and does not move its median.
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
    return np.stack([np.interp(bins, centers, m) for m in med]).astype(np.float32)


def _track_search(powers, centers_s, coarse, fine, df):
    """Best (statistic, bin, fine drift index) over tracks; powers (coarse, el, bins)."""
    b = powers.shape[2]
    rel = centers_s - 0.5 * (centers_s.min() + centers_s.max())
    best = (-np.inf, 0, 0)
    acc = np.empty(b, np.float32)
    for j, d in enumerate(fine):
        c = int(np.argmin(np.abs(coarse - d)))
        shifts = np.rint(d * rel / df).astype(int)
        acc[:] = 0
        for i, s in enumerate(shifts):
            row = powers[c, i]
            if s >= 0:
                acc[: b - s] += row[s:]
            else:
                acc[-s:] += row[: b + s]
        k = int(np.argmax(acc))
        if acc[k] > best[0]:
            best = (float(acc[k]), k, j)
    return best, rel


def _search(powers, intervals, coarse, fine, df, freqs, pfa, dof_per_element, index, offset_s):
    centers = intervals.mean(axis=1)
    (stat, k, j), rel = _track_search(powers, centers, coarse, fine, df)
    n_el = powers.shape[1]
    cells = int(len(fine) * powers.shape[2])
    fap = family_false_alarm(stat, n_el * dof_per_element, cells)
    drift = float(fine[j])
    c = int(np.argmin(np.abs(coarse - drift)))
    shifts = np.rint(drift * rel / df).astype(int)
    lengths = intervals[:, 1] - intervals[:, 0]
    dits = []
    for i, s in enumerate(shifts):
        kk = k + s
        value = float(powers[c, i, kk]) if 0 <= kk < powers.shape[2] else 0.0
        rho = value / dof_per_element - 1.0  # Es/N0 of the element, averaged over rounds
        p_value = family_false_alarm(value, dof_per_element, 1)
        dits.append(
            DitResult(
                start_s=float(intervals[i, 0] + offset_s),
                stop_s=float(intervals[i, 1] + offset_s),
                statistic=value,
                snr2500_db=_snr(rho, lengths[i]),
                false_alarm_probability=p_value,
                detected=p_value <= pfa,
            )
        )
    rho_total = (stat - n_el * dof_per_element) / dof_per_element
    mid_s = 0.5 * (centers.min() + centers.max())
    return RoundResult(
        index=index,
        start_s=float(intervals[0, 0] + offset_s),
        statistic=stat,
        false_alarm_probability=fap,
        detected=fap <= pfa,
        freq_hz=float(freqs[k] - drift * mid_s),
        drift_hz_per_s=drift,
        snr2500_db=_snr(rho_total, float(lengths.sum())),
        dits=tuple(dits),
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
    rounds = _check_rounds(rounds_s, baseband.size / rate)
    template = rounds[0] - rounds[0][0, 0]
    lengths = template[:, 1] - template[:, 0]
    n_fft = scipy.fft.next_fast_len(int(np.ceil(2 * lengths.max() * rate)))
    df = rate / n_fft
    freqs = scipy.fft.fftshift(scipy.fft.fftfreq(n_fft, 1 / rate))
    keep = np.abs(freqs) <= search_hz
    freqs = freqs[keep] + center_hz
    # In-element drift: a residual eps costs < 0.2 dB while eps * L**2 <= 1.
    step = 2.0 / lengths.max() ** 2
    n_c = int(np.ceil(max_drift_hz_per_s / step))
    coarse = np.linspace(-max_drift_hz_per_s, max_drift_hz_per_s, 2 * n_c + 1)
    centers = template.mean(axis=1)
    span = max(float(np.ptp(centers)) / 2, lengths.max())
    fine_step = df / span
    n_f = int(np.ceil(max_drift_hz_per_s / fine_step))
    fine = np.linspace(-n_f * fine_step, n_f * fine_step, 2 * n_f + 1)
    results, stacked_powers = [], None
    cells = 1
    for r, iv in enumerate(rounds):
        p = _element_powers(baseband, rate, iv, coarse, n_fft, keep)
        stacked_powers = p.copy() if stacked_powers is None else stacked_powers + p
        if per_round or len(rounds) == 1:
            res, cells = _search(p, iv - iv[0, 0], coarse, fine, df, freqs, pfa, 1, r + 1, iv[0, 0])
            results.append(res)
    stacked = None
    if len(rounds) > 1:
        stacked, cells = _search(
            stacked_powers, template, coarse, fine, df, freqs, pfa, len(rounds), 0, rounds[0][0, 0]
        )
    main = stacked if stacked is not None else results[0]
    return Detection(
        pfa=pfa, search_cells=cells, rounds=tuple(results), stacked=stacked, detected=main.detected
    )
