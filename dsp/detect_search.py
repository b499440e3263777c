"""The grid and stack searches behind :func:`dsp.detect.detect`.

:func:`search` tests one round, or the stack of rounds along a track across them or
position by position: the per-bin sums of the key-down pieces over the drift grid
(at each timing offset), the strongest local maxima refined between grid points
(:mod:`dsp.template_refine`), and the first that passes the keying test
(key-down against key-up).  :func:`search_wander` searches the stack along a track
that wanders from round to round (:mod:`dsp.stack_wander`).  The false-alarm
probability counts every cell searched (:data:`REFINED_CELLS`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.ndimage

from dsp.detect_geometry import Geometry, Round, timing_offsets
from dsp.detect_result import round_result
from dsp.keyed import region_keying_test
from dsp.pieces import Pieces
from dsp.results import KeyingTest
from dsp.stack import family_false_alarm, threshold_for
from dsp.stack_track import StackGrid
from dsp.stack_wander import WanderGrid, wander_false_alarm, wander_track
from dsp.template_refine import Track, offset_cells, refine

__all__ = ["MAX_TRIED", "N_REFINED", "N_STACK_REFINED", "REFINED_CELLS", "search",
           "search_wander"]  # fmt: skip

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


def search(x, geo: Geometry, rounds: list[Round], powers, pfa, dof, index, max_offset_s,
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


def search_wander(geo: Geometry, rounds: list[Round], zero_rows, mids: np.ndarray, pfa: float,
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
