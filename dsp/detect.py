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

import numpy as np
import scipy.fft

from dsp.detect_geometry import (
    Geometry,
    Round,
    check_rounds,
    geometry,
    grid_offsets,
    timing_offsets,
)
from dsp.detect_search import search, search_wander
from dsp.errors import DspValueError, check_samples, check_search
from dsp.keyed import MAX_KEY_UP_RATIO
from dsp.noise import blank_impulses
from dsp.results import Detection
from dsp.round_grid import round_grid
from dsp.spectrum import to_baseband
from dsp.stack_track import stack_sums
from dsp.stack_wander import wander_sums

__all__ = ["detect"]


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
            res, seen.cells = search(baseband, geo, [one], grid_at, pfa, 1, r + 1,
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
    across, _ = search(baseband, geo, data, None, pfa, n, 0,
                        max_timing_offset_s, grid, across=True, families=families)
    alike, cells = search(baseband, geo, data, [(0.0, seen.stacked_powers)], pfa, n, 0,
                           max_timing_offset_s, grid, families=families)
    wander = None
    if families == 2:
        wgrid = wander_sums(seen.zero_rows, geo.pieces.n_on, geo.rel, mids_s, geo.fine, geo.df,
                            max_stack_drift_hz_per_s, stack_wander_hz / geo.df)  # fmt: skip
        wander = search_wander(geo, data, seen.zero_rows, mids_s, pfa, wgrid, families, cells)
    seen.zero_rows.clear()
    found = [r for r in (across, alike, wander) if r is not None]
    return min(found, key=lambda r: (not r.detected, r.false_alarm_probability)), cells


