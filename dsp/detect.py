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

Each gets half of ``pfa``; the reported false-alarm probability is their sum (a
union bound over the two ways of faking a round).  Tracks are tried in
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
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage

from dsp.errors import DspValueError, check_samples, check_search
from dsp.keyed import region_keying_test
from dsp.noise import blank_impulses
from dsp.pieces import Pieces, piece_powers, round_pieces, steady_mask
from dsp.results import Detection, DitResult, KeyingTest, RoundResult
from dsp.spectrum import to_baseband
from dsp.stack import family_false_alarm, threshold_for

__all__ = ["detect"]

#: Candidate tracks given the keying test at most, strongest presence first.
MAX_TRIED = 200
#: Factor on the frequency x drift cells counted for the false-alarm probability,
#: for the refinement of the strongest grid cells between grid points.  Measured on
#: noise alone (the best track's key-down sum in 200 recordings of 400 s, +-1 kHz,
#: +-0.5 Hz/min): the Gamma law with cells x 1.1 fits the grid search alone, cells x
#: 1.5 (maximum likelihood) to 2.0 (median and 90th percentile) the refined search,
#: x 3.3 at a reported 0.1 (13 % of 200) and about x 6 at 0.005 (6 of 800 recordings
#: with cells x 4): the tail of a random field's maximum grows with the threshold.
REFINED_CELLS = 6.0


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
    rel = _rel(pieces)
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
    return best_on, best_off, best_j


def _rel(pieces: Pieces) -> np.ndarray:
    """Piece centres relative to the middle of the key-down pieces, s."""
    centres = pieces.intervals_s.mean(axis=1)
    on_c = centres[: pieces.n_on]
    return centres - 0.5 * (on_c.min() + on_c.max())


@dataclass(frozen=True)
class _Geometry:
    """What every round shares: pieces, FFT grid, drift grids."""

    pieces: Pieces
    rate: float
    n_fft: int
    df: float
    freqs_bb: np.ndarray  # kept bin frequencies, baseband
    center_hz: float
    coarse: np.ndarray
    fine: np.ndarray


@dataclass
class _Round:
    """One round's normalised piece powers and what refinement needs of it."""

    start_s: float
    powers: np.ndarray  # (coarse drifts, pieces, bins), masked
    floors: np.ndarray  # (pieces, bins) noise floor at zero in-piece drift
    mask: np.ndarray  # (bins,) steady-carrier bins


@dataclass(frozen=True)
class _Track:
    """A candidate track: baseband frequency at the key-down middle, drift, sums."""

    freq_hz: float
    drift_hz_per_s: float
    s_on: float
    s_off: float
    on_values: np.ndarray


#: Grid cells refined (frequency and drift between grid points) per search.
N_REFINED = 5
_DF_STEPS = np.linspace(-0.5, 0.5, 5)
_DRIFT_STEPS = np.array([-0.5, 0.0, 0.5])


#: Rate to which a piece is brought (mixed to the candidate, box-car decimated)
#: before refinement: the offsets tried are a hundredth of a hertz.
_REFINE_RATE_HZ = 20.0


def _refine(x, geo: _Geometry, rounds: list[_Round], f0: float, d0: float) -> _Track:
    """Best track near (f0, d0), every piece's energy computed at its exact frequency.

    The grid search rounds each piece's frequency to a bin and its drift to the
    coarse in-piece grid, losing up to a quarter of a dB on average; this puts the
    candidate between the grid points (the extra cells this searches are counted in
    the false-alarm probability, :data:`REFINED_CELLS`).  Each piece is mixed to the
    candidate's frequency and decimated to :data:`_REFINE_RATE_HZ` first.
    """
    pieces = geo.pieces
    rel = _rel(pieces)
    step_d = float(geo.fine[1] - geo.fine[0]) if geo.fine.size > 1 else 0.0
    q = max(int(geo.rate // _REFINE_RATE_HZ), 1)
    total = np.zeros((_DRIFT_STEPS.size, _DF_STEPS.size, len(pieces.intervals_s)))
    drifts = d0 + _DRIFT_STEPS * step_d
    for r in rounds:
        a_all = np.rint((pieces.intervals_s[:, 0] + r.start_s) * geo.rate).astype(int)
        b_all = np.rint((pieces.intervals_s[:, 1] + r.start_s) * geo.rate).astype(int)
        for i, (a, b) in enumerate(zip(a_all, b_all, strict=True)):
            n = b - a
            phi0 = f0 + d0 * rel[i]
            mixed = x[a:b] * np.exp(-2j * np.pi * phi0 * np.arange(n) / geo.rate)
            m = n // q
            # Box-car decimation, keeping the sum (a matched filter's scale).
            z = mixed[: m * q].reshape(m, q).sum(axis=1)
            if m * q < n:
                z = np.append(z, mixed[m * q :].sum())
            t = (np.arange(z.size) + 0.5) * q / geo.rate
            tc = t - n / geo.rate / 2
            for u, d in enumerate(drifts):
                shift = (d - d0) * rel[i]  # the piece's frequency moves with the drift
                phase = np.pi * d * tc**2 + 2 * np.pi * np.outer(_DF_STEPS * geo.df + shift, t)
                v = np.exp(-1j * phase) @ z
                phi = phi0 + _DF_STEPS * geo.df + shift
                k = np.clip(np.rint((phi - geo.freqs_bb[0]) / geo.df).astype(int), 0,
                            geo.freqs_bb.size - 1)  # fmt: skip
                value = (v.real**2 + v.imag**2) / r.floors[i, k]
                total[u, :, i] += np.where(r.mask[k], 1.0, value)
    on = total[:, :, : pieces.n_on].sum(axis=2)
    u, v = np.unravel_index(int(np.argmax(on)), on.shape)
    return _Track(
        freq_hz=float(f0 + _DF_STEPS[v] * geo.df),
        drift_hz_per_s=float(drifts[u]),
        s_on=float(on[u, v]), s_off=float(total[u, v, pieces.n_on :].sum()),
        on_values=total[u, v, : pieces.n_on].copy(),
    )  # fmt: skip


def _grid_track(geo: _Geometry, powers, k: int, j: int, best_on, best_off) -> _Track:
    d = float(geo.fine[j])
    c = int(np.argmin(np.abs(geo.coarse - d)))
    shifts = np.rint(d * _rel(geo.pieces)[: geo.pieces.n_on] / geo.df).astype(int)
    idx = np.clip(k + shifts, 0, powers.shape[2] - 1)
    values = powers[c, np.arange(geo.pieces.n_on), idx]
    return _Track(float(geo.freqs_bb[k]), d, float(best_on[k]), float(best_off[k]), values)


def _keying(track: _Track, thr, pieces: Pieces, dof: int, pfa: float) -> KeyingTest:
    lengths = pieces.lengths_s
    if pieces.n_off == 0:
        return KeyingTest(1.0, 1.0, 0.0, 0.0, False)
    return region_keying_test(
        track.s_on, track.s_off, float(thr), pieces.n_on * dof, pieces.n_off * dof,
        float(lengths[: pieces.n_on].sum()) * dof, float(lengths[pieces.n_on :].sum()) * dof,
        pfa=pfa,
    )  # fmt: skip


def _choose(x, geo: _Geometry, rounds: list[_Round], powers, dof: int, cells: int, pfa: float):
    """Pick the strongest keyed track (else the strongest track); return it and its test."""
    pieces = geo.pieces
    best_on, best_off, best_j = _track_sums(powers, pieces, geo.coarse, geo.fine, geo.df)
    thr = threshold_for(pfa, pieces.n_on * dof, cells)
    peaks = np.flatnonzero(best_on == scipy.ndimage.maximum_filter1d(best_on, 5, mode="nearest"))
    peaks = peaks[np.argsort(best_on[peaks])[::-1]]
    tracks = [_refine(x, geo, rounds, float(geo.freqs_bb[k]), float(geo.fine[best_j[k]]))
              for k in peaks[:N_REFINED]]  # fmt: skip
    rest = [k for k in peaks[N_REFINED:MAX_TRIED] if best_on[k] >= thr]
    tracks += [_grid_track(geo, powers, k, best_j[k], best_on, best_off) for k in rest]
    tracks.sort(key=lambda t: t.s_on, reverse=True)
    fallback = None
    for t in tracks:
        if t.s_on < thr:
            break
        test = _keying(t, thr, pieces, dof, pfa)
        if test.keyed:
            return t, test
        fallback = fallback or (t, test)
    return fallback or (tracks[0], _keying(tracks[0], thr, pieces, dof, pfa))


def _search(x, geo: _Geometry, rounds: list[_Round], powers, pfa, dof, index):
    pieces = geo.pieces
    cells = int(len(geo.fine) * powers.shape[2] * REFINED_CELLS)
    # The false-alarm budget is split between the two ways a round can be faked:
    # noise (presence) and a steady carrier (keying); a union bound adds them.
    track, keying = _choose(x, geo, rounds, powers, dof, cells, pfa / 2)
    presence = family_false_alarm(track.s_on, pieces.n_on * dof, cells)
    offset_s = rounds[0].start_s
    on = pieces.intervals_s[: pieces.n_on]
    lengths = on[:, 1] - on[:, 0]
    dits = []
    for i in range(pieces.n_on):
        value = float(track.on_values[i])
        rho = value / dof - 1.0  # Es/N0 of the element, averaged over rounds
        p_value = family_false_alarm(value, dof, 1)
        dits.append(DitResult(
            start_s=float(on[i, 0] + offset_s), stop_s=float(on[i, 1] + offset_s),
            statistic=value, snr2500_db=_snr(rho, lengths[i]),
            false_alarm_probability=p_value, detected=p_value <= pfa,
        ))  # fmt: skip
    rho_total = (track.s_on - pieces.n_on * dof) / dof
    centres = on.mean(axis=1)
    mid_s = 0.5 * (centres.min() + centres.max())
    return RoundResult(
        index=index,
        start_s=float(on[0, 0] + offset_s),
        statistic=track.s_on,
        false_alarm_probability=min(1.0, presence + keying.false_alarm_probability),
        detected=bool(presence <= pfa / 2 and keying.keyed),
        freq_hz=float(geo.center_hz + track.freq_hz - track.drift_hz_per_s * mid_s),
        drift_hz_per_s=track.drift_hz_per_s,
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
    geo = _geometry(rounds, duration_s, rate, center_hz, search_hz, max_drift_hz_per_s)
    keep = np.abs(scipy.fft.fftshift(scipy.fft.fftfreq(geo.n_fft, 1 / rate))) <= search_hz
    zero = int(np.argmin(np.abs(geo.coarse)))
    spread_hz = max_drift_hz_per_s * float(geo.pieces.lengths_s.max()) / 2
    results, data, steady = [], [], set()
    stacked_powers = None
    cells = 1
    for r, iv in enumerate(rounds):
        start = float(iv[0, 0])
        p, floors = piece_powers(baseband, rate, geo.pieces.intervals_s + start, geo.coarse,
                                 geo.n_fft, keep, floor_row=zero)  # fmt: skip
        mask, centres_bins = steady_mask(p[zero], geo.pieces, geo.df, spread_hz)
        p[:, :, mask] = 1.0
        steady.update(round(float(geo.freqs_bb[int(c)] + center_hz), 2) for c in centres_bins)
        one = _Round(start, p, floors, mask)
        data.append(one)
        stacked_powers = p.copy() if stacked_powers is None else stacked_powers + p
        if per_round or len(rounds) == 1:
            res, cells = _search(baseband, geo, [one], p, pfa, 1, r + 1)
            results.append(res)
        one.powers = None  # the stack keeps the sum; refinement needs floors and masks
    stacked = None
    if len(rounds) > 1:
        stacked, cells = _search(baseband, geo, data, stacked_powers, pfa, len(rounds), 0)
    main = stacked if stacked is not None else results[0]
    return Detection(
        pfa=pfa, search_cells=cells, rounds=tuple(results), stacked=stacked,
        detected=main.detected, steady_carriers_hz=tuple(sorted(steady)),
    )  # fmt: skip


def _geometry(rounds, duration_s, rate, center_hz, search_hz, max_drift_hz_per_s) -> _Geometry:
    template = rounds[0] - rounds[0][0, 0]
    before = min(float(r[0, 0]) for r in rounds)
    after = min(duration_s - float(r[-1, 1]) for r in rounds)
    pieces = round_pieces(template, before, after)
    lengths = pieces.lengths_s
    longest = float(lengths.max())
    n_fft = scipy.fft.next_fast_len(int(np.ceil(2 * longest * rate)))
    df = rate / n_fft
    freqs = scipy.fft.fftshift(scipy.fft.fftfreq(n_fft, 1 / rate))
    freqs_bb = freqs[np.abs(freqs) <= search_hz]
    # In-element drift: a residual eps costs < 0.2 dB while eps * L**2 <= 1.
    step = 2.0 / longest**2
    n_c = int(np.ceil(max_drift_hz_per_s / step))
    coarse = np.linspace(-max_drift_hz_per_s, max_drift_hz_per_s, 2 * n_c + 1)
    centres = template.mean(axis=1)
    span = max(float(np.ptp(centres)) / 2, float(lengths[: pieces.n_on].max()))
    fine_step = df / span
    n_f = int(np.ceil(max_drift_hz_per_s / fine_step))
    fine = np.linspace(-n_f * fine_step, n_f * fine_step, 2 * n_f + 1)
    return _Geometry(pieces, float(rate), n_fft, df, freqs_bb, float(center_hz), coarse, fine)
