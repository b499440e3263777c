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

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.fft
import scipy.ndimage

from dsp.detect_geometry import (
    Geometry,
    Round,
    check_rounds,
    geometry,
    grid_offsets,
    timing_offsets,
)
from dsp.detect_result import round_result
from dsp.errors import DspValueError, check_samples, check_search
from dsp.keyed import MAX_KEY_UP_RATIO, region_keying_test
from dsp.noise import blank_impulses
from dsp.pieces import Pieces
from dsp.results import Detection, KeyingTest
from dsp.round_grid import round_grid
from dsp.spectrum import to_baseband
from dsp.stack import family_false_alarm, threshold_for
from dsp.stack_track import StackGrid, stack_sums
from dsp.stack_wander import WanderGrid, wander_false_alarm, wander_sums, wander_track
from dsp.template_refine import Track, offset_cells, refine

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


def _track_sums(powers, geo: Geometry):
    """Per bin, the fine drift with the largest key-down sum: (on, off, drift index)."""
    pieces, coarse, fine, df, rel = geo.pieces, geo.coarse, geo.fine, geo.df, geo.rel
    b = powers.shape[2]
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


def _grid_track(geo: Geometry, powers, k: int, j: int, best_on, best_off,
                offset_s: float = 0.0) -> Track:  # fmt: skip
    d = float(geo.fine[j])
    c = int(np.argmin(np.abs(geo.coarse - d)))
    shifts = np.rint(d * geo.rel[: geo.pieces.n_on] / geo.df).astype(int)
    idx = np.clip(k + shifts, 0, powers.shape[2] - 1)
    values = powers[c, np.arange(geo.pieces.n_on), idx]
    return Track(float(geo.freqs_bb[k]), d, float(best_on[k]), float(best_off[k]), values,
                 offset_s)  # fmt: skip


#: Grid cells refined (frequency, drift and timing between grid points) per search.
N_REFINED = 5


def _keying(track: Track, thr, pieces: Pieces, dof: int, pfa: float) -> KeyingTest:
    return _keying_of(track.s_on, track.s_off, thr, pieces, dof, pfa)


def _keying_of(s_on: float, s_off: float, thr, pieces: Pieces, dof: int,
               pfa: float) -> KeyingTest:  # fmt: skip
    """Key-down sum ``s_on`` against key-up sum ``s_off`` (:func:`dsp.keyed.region_keying_test`)."""
    lengths = pieces.lengths_s
    if pieces.n_off == 0:
        return KeyingTest(1.0, 1.0, 0.0, 0.0, False)
    return region_keying_test(
        s_on, s_off, float(thr), pieces.n_on * dof, pieces.n_off * dof,
        float(lengths[: pieces.n_on].sum()) * dof, float(lengths[pieces.n_on :].sum()) * dof,
        pfa=pfa,
    )  # fmt: skip


def _peaks(best_on: np.ndarray) -> np.ndarray:
    """Local maxima of the per-bin sums, strongest first."""
    peaks = np.flatnonzero(best_on == scipy.ndimage.maximum_filter1d(best_on, 5, mode="nearest"))
    return peaks[np.argsort(best_on[peaks])[::-1]]


def _first_keyed(tracks: list[Track], thr: float, pieces: Pieces, dof: int, pfa: float):
    """Return the strongest keyed track over ``thr`` (else the strongest), and its test."""
    tracks = sorted(tracks, key=lambda t: t.s_on, reverse=True)
    fallback = None
    for t in tracks:
        if t.s_on < thr:
            break
        test = _keying(t, thr, pieces, dof, pfa)
        if test.keyed:
            return t, test
        fallback = fallback or (t, test)
    return fallback or (tracks[0], _keying(tracks[0], thr, pieces, dof, pfa))


def _choose(x, geo: Geometry, rounds: list[Round], powers, dof: int, cells: int, pfa: float,
            offsets_s: np.ndarray):  # fmt: skip
    """One round: the strongest keyed track of the grid, refined.

    ``powers``: ``(offset_s, piece powers)`` pairs, the grid at each timing offset of
    :func:`dsp.detect_geometry.grid_offsets`.
    """
    pieces = geo.pieces
    best_on, best_off, best_j = _track_sums(powers[0][1], geo)
    best_o = np.zeros(best_on.size, np.int32)
    for o in range(1, len(powers)):  # one offset's powers alive at a time (an OffsetGrid)
        on, off, j = _track_sums(powers[o][1], geo)
        better = on > best_on
        best_on[better], best_off[better], best_j[better], best_o[better] = (
            on[better], off[better], j[better], o)
    thr = threshold_for(pfa, pieces.n_on * dof, cells)
    peaks = _peaks(best_on)
    tracks = [refine(x, geo, rounds, float(geo.freqs_bb[k]), float(geo.fine[best_j[k]]),
                     offsets_s) for k in peaks[:N_REFINED]]  # fmt: skip
    rest = [k for k in peaks[N_REFINED:MAX_TRIED] if best_on[k] >= thr]
    tracks += [_grid_track(geo, powers[best_o[k]][1], k, best_j[k], best_on, best_off,
                           powers[best_o[k]][0]) for k in rest]  # fmt: skip
    return _first_keyed(tracks, thr, pieces, dof, pfa)


#: Candidates of the drifting stack refined (no grid fall-backs: its per-piece
#: values need the refinement).
N_STACK_REFINED = 8


def _choose_stacked(x, geo: Geometry, rounds: list[Round], grid: StackGrid, dof: int,
                    cells: int, pfa: float, offsets_s: np.ndarray):  # fmt: skip
    """Return the stack's strongest keyed track across rounds (:mod:`dsp.stack_track`)."""
    pieces = geo.pieces
    thr = threshold_for(pfa, pieces.n_on * dof, cells)
    step = float(grid.drifts[1] - grid.drifts[0]) if grid.drifts.size > 1 else 0.0
    tracks = [refine(x, geo, rounds, float(geo.freqs_bb[k]), float(grid.drifts[grid.best_d[k]]),
                     offsets_s, t_ref=grid.t_ref, drift_step_hz_per_s=step)
              for k in _peaks(grid.best_on)[:N_STACK_REFINED]]  # fmt: skip
    return _first_keyed(tracks, thr, pieces, dof, pfa)


def _cells(geo: Geometry, offsets: np.ndarray, grid: StackGrid | None) -> int:
    """Cells a search counts: frequency x drift, refinement, timing offsets."""
    shortest = float(geo.pieces.lengths_s[: geo.pieces.n_on].min())
    drift_cells = len(geo.fine) if grid is None else grid.drifts.size
    return int(drift_cells * geo.freqs_bb.size * REFINED_CELLS * offset_cells(offsets, shortest))


def _search(x, geo: Geometry, rounds: list[Round], powers, pfa, dof, index, max_offset_s,
            stack: StackGrid | None = None, across: bool = False,
            families: int = 1):  # fmt: skip
    """Search one round, or the stack of ``rounds``.

    ``stack``: the track sums across the rounds (:mod:`dsp.stack_track`); given, the
    rounds are stacked both ways and both searches' cells are counted.  ``across``:
    read the track across the rounds from it, else position by position (``powers``).
    ``families``: searches of the stack with their own laws (a union bound).
    """
    pieces = geo.pieces
    offsets = timing_offsets(geo, rounds, x.size / geo.rate, max_offset_s)
    cells = _cells(geo, offsets, None) + (0 if stack is None else _cells(geo, offsets, stack))
    cells *= families
    grid = stack if across else None
    # The false-alarm budget is split between the two ways a round can be faked:
    # noise (presence) and a steady carrier (keying); a union bound adds them.
    if grid is None:
        track, keying = _choose(x, geo, rounds, powers, dof, cells, pfa / 2, offsets)
    else:
        track, keying = _choose_stacked(x, geo, rounds, grid, dof, cells, pfa / 2, offsets)
    presence = family_false_alarm(track.s_on, pieces.n_on * dof, cells)
    if grid is None:  # at the round's first key-down
        starts_hz = [track.freq_hz - track.drift_hz_per_s * geo.mid_s]
    else:  # the track across rounds, at each round's first key-down
        starts_hz = [track.freq_hz + track.drift_hz_per_s * (r.start_s - grid.t_ref)
                     for r in rounds]  # fmt: skip
    result = round_result(geo, rounds, index, track.on_values, track.s_on, dof, presence,
                          keying, pfa, starts_hz, track.drift_hz_per_s, track.offset_s,
                          grid is not None)  # fmt: skip
    return result, cells


def _search_wander(geo: Geometry, rounds: list[Round], zero_rows, mids: np.ndarray, pfa: float,
                   grid: WanderGrid, families: int, linear_cells: int):  # fmt: skip
    """Search the stack along a track that wanders from round to round (:mod:`dsp.stack_wander`)."""
    pieces, dof = geo.pieces, len(rounds)
    cells = grid.best.size * grid.drifts.size * families
    # Presence is decided by the marginalised statistic; the keying test asks of the
    # track's key-down sum what it asks of the straight tracks'.
    thr = threshold_for(pfa / 2, pieces.n_on * dof, linear_cells)
    found: tuple[Any, Any, float] | None = None
    for k in _peaks(grid.best)[:N_STACK_REFINED]:
        presence = wander_false_alarm(float(grid.best[k]), pieces.n_on, dof, grid.sigma_bins,
                                      cells)  # fmt: skip
        if found is not None and presence > pfa / 2:
            break
        t = wander_track(zero_rows, pieces.n_on, geo.rel, mids, geo.fine, geo.df, grid, int(k))
        test = _keying_of(t.keying_on, t.s_off, min(thr, t.keying_on), pieces, dof, pfa / 2)
        if found is None or test.keyed:
            found = (t, test, presence)
        if test.keyed:
            break
    assert found is not None  # _peaks returns at least the grid's maximum
    t, keying, presence = found
    starts_hz = [float(geo.freqs_bb[b]) - t.drift_hz_per_s * geo.mid_s for b in t.bins]
    return round_result(geo, rounds, 0, t.on_values, t.s_on, dof, presence, keying, pfa,
                        starts_hz, t.drift_hz_per_s, 0.0, True)  # fmt: skip


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
    max_timing_offset_s: float = 10.0,
    max_stack_drift_hz_per_s: float = 0.05 / 60,
    stack_wander_hz: float = 0.2,
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
    max_timing_offset_s : float, optional
        Largest offset of the operator's keying from the schedule searched, s (a
        clock that is off; the same for every round of the stack).  Counted in the
        false-alarm probability; the offset found is ``RoundResult.timing_offset_s``.
    max_stack_drift_hz_per_s : float, optional
        Largest drift of the carrier across the whole event searched by the stack
        (:mod:`dsp.stack_track`; default 0.05 Hz/min, 8 Hz over 2.7 h); it is also
        the stack's drift inside every round.  0 stacks position by position.
    stack_wander_hz : float, optional
        RMS wander of the carrier from round to round, off its drift, that the stack
        also follows (:mod:`dsp.stack_wander`; default 0.2 Hz).  0: no wander search.

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
    _check_limits(pfa, max_drift_hz_per_s, max_timing_offset_s, max_stack_drift_hz_per_s,
                  stack_wander_hz)  # fmt: skip
    baseband, rate = to_baseband(x, sample_rate_hz, center_hz=center_hz, half_band_hz=search_hz)
    baseband, _ = blank_impulses(baseband, rate)
    rounds = check_rounds(rounds_s, baseband.size / rate)
    geo = geometry(rounds, baseband.size / rate, rate, center_hz, search_hz,
                   max_drift_hz_per_s, max_timing_offset_s)  # fmt: skip
    seen = _search_rounds(baseband, geo, rounds, pfa, per_round, max_timing_offset_s,
                          max_drift_hz_per_s, search_hz)  # fmt: skip
    stacked, cells = None, seen.cells
    if len(rounds) > 1:  # the stacks
        stacked, cells = _search_stacks(baseband, geo, seen, pfa, max_timing_offset_s,
                                        max_stack_drift_hz_per_s, stack_wander_hz)  # fmt: skip
    main = stacked if stacked is not None else seen.results[0]
    return Detection(
        pfa=pfa, search_cells=cells, rounds=tuple(seen.results), stacked=stacked,
        detected=main.detected, steady_carriers_hz=tuple(sorted(seen.steady)),
    )  # fmt: skip


def _check_limits(pfa: float, max_drift_hz_per_s: float, max_timing_offset_s: float,
                  max_stack_drift_hz_per_s: float, stack_wander_hz: float) -> None:  # fmt: skip
    """Raise :class:`DspValueError` naming the first search limit out of range."""
    check_search(pfa, max_drift_hz_per_s)
    if not (np.isfinite(max_timing_offset_s) and max_timing_offset_s >= 0):
        raise DspValueError(f"max_timing_offset_s={max_timing_offset_s} must be >= 0 s")
    if not (np.isfinite(max_stack_drift_hz_per_s) and max_stack_drift_hz_per_s >= 0):
        raise DspValueError(
            f"max_stack_drift_hz_per_s={max_stack_drift_hz_per_s} must be >= 0 Hz/s"
        )
    if not (np.isfinite(stack_wander_hz) and stack_wander_hz >= 0):
        raise DspValueError(f"stack_wander_hz={stack_wander_hz} must be >= 0 Hz")


@dataclasses.dataclass
class _Seen:
    """What the pass over the rounds leaves for the stack."""

    results: list = dataclasses.field(default_factory=list)  # each round's own result
    data: list[Round] = dataclasses.field(default_factory=list)
    steady: set[float] = dataclasses.field(default_factory=set)  # steady carriers, Hz
    zero_rows: list = dataclasses.field(default_factory=list)  # zero-drift powers per round
    mids: list[float] = dataclasses.field(default_factory=list)  # round mid-points, s
    stacked_powers: np.ndarray | None = None  # the position-by-position sum so far
    deferred: list = dataclasses.field(default_factory=list)  # powers to recompute and sum
    cells: int = 1

    def add(self, powers: np.ndarray, *, copy: bool) -> None:
        """Sum ``powers`` into the stack (in place: one stack's worth of memory)."""
        if self.stacked_powers is None:
            self.stacked_powers = powers.copy() if copy else powers
        else:
            self.stacked_powers += powers


def _search_rounds(baseband: np.ndarray, geo: Geometry, rounds: list[np.ndarray], pfa: float,
                   per_round: bool, max_timing_offset_s: float, max_drift_hz_per_s: float,
                   search_hz: float) -> _Seen:  # fmt: skip
    """Search every round on its own (if asked) and gather what the stack needs."""
    rate, duration_s = geo.rate, baseband.size / geo.rate
    keep = np.abs(scipy.fft.fftshift(scipy.fft.fftfreq(geo.n_fft, 1 / rate))) <= search_hz
    spread_hz = max_drift_hz_per_s * float(geo.pieces.lengths_s.max()) / 2
    # Keying up to max_timing_offset_s late or early spills that much of every mark
    # into the key-up pieces: not a steady carrier (the keying test runs at the
    # offset found, where the key-up is clean).
    shortest = float(geo.pieces.lengths_s[: geo.pieces.n_on].min())
    spill = min(0.8, MAX_KEY_UP_RATIO + max_timing_offset_s / shortest)
    seen = _Seen()
    for r, iv in enumerate(rounds):
        start = float(iv[0, 0])
        alone = per_round or len(rounds) == 1
        offsets = [0.0]
        if alone:  # the grid again where an offset would hide the marks
            allowed = timing_offsets(geo, [Round(start, None, None, None)], duration_s,
                                     max_timing_offset_s)  # fmt: skip
            offsets = sorted({0.0, *map(float, grid_offsets(allowed, shortest))}, key=abs)
        grid_at, floors, mask, centres_bins = round_grid(
            baseband, geo, keep, start, offsets, spread_hz, spill)
        p = grid_at.zero
        seen.steady.update(round(float(geo.freqs_bb[int(c)] + geo.center_hz), 2)
                           for c in centres_bins)  # fmt: skip
        one = Round(start, p, floors, mask)
        seen.data.append(one)
        if len(rounds) > 1:  # zero-drift powers for the track across rounds, and the sum
            seen.zero_rows.append(p[geo.zero].copy())
            seen.mids.append(start + geo.mid_s)
            if alone:  # summed after the loop: no stack beside a round's search grid
                seen.deferred.append(grid_at.compute)
            else:
                seen.add(p, copy=True)
        if alone:
            res, seen.cells = _search(baseband, geo, [one], grid_at, pfa, 1, r + 1,
                                      max_timing_offset_s)  # fmt: skip
            seen.results.append(res)
        one.powers = None  # refinement needs only floors and masks
        del p, grid_at
    return seen


def _search_stacks(baseband: np.ndarray, geo: Geometry, seen: _Seen, pfa: float,
                   max_timing_offset_s: float, max_stack_drift_hz_per_s: float,
                   stack_wander_hz: float):  # fmt: skip
    """Search the stacks of two or more rounds; the most significant and the cell count.

    Two stacks: along a track across the rounds (one oscillator drifting over the
    event), and position by position (every round drifting alike inside itself, e.g.
    a rig that warms during each transmission); each counts the other's cells, the
    more significant is reported.  A second family follows a track that also wanders
    from round to round; a union bound over the two families.
    """
    for again in seen.deferred:  # each round's zero-offset powers, recomputed
        seen.add(again(0.0), copy=False)
    seen.deferred.clear()
    data, n = seen.data, len(seen.data)
    families = 2 if stack_wander_hz > 0 else 1
    mids_s = np.array(seen.mids)
    grid = stack_sums(seen.zero_rows, geo.pieces.n_on, geo.rel, mids_s, geo.fine, geo.df,
                      max_stack_drift_hz_per_s)  # fmt: skip
    across, _ = _search(baseband, geo, data, None, pfa, n, 0,
                        max_timing_offset_s, grid, across=True, families=families)
    alike, cells = _search(baseband, geo, data, [(0.0, seen.stacked_powers)], pfa, n, 0,
                           max_timing_offset_s, grid, families=families)
    wander = None
    if families == 2:
        wgrid = wander_sums(seen.zero_rows, geo.pieces.n_on, geo.rel, mids_s, geo.fine, geo.df,
                            max_stack_drift_hz_per_s, stack_wander_hz / geo.df)  # fmt: skip
        wander = _search_wander(geo, data, seen.zero_rows, mids_s, pfa, wgrid, families, cells)
    seen.zero_rows.clear()
    found = [r for r in (across, alike, wander) if r is not None]
    return min(found, key=lambda r: (not r.detected, r.false_alarm_probability)), cells


