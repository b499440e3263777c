"""What the searches of :mod:`dsp.detect` share: the rounds, their pieces, the grids.

A round's template is cut into pieces (:mod:`dsp.pieces`: its key-down elements,
then the key-up gaps, with room before and after for the timing search); every
piece is integrated with one FFT length (twice the longest piece, so bins are half
a Rayleigh width); drifts are searched on two grids: ``coarse`` inside a piece
(a residual ``eps`` costs under 0.2 dB while ``eps L**2 <= 1``) and ``fine`` across
the round (a step moves a piece by at most half a bin).

Examples
--------
>>> from dsp.morse import key_intervals
>>> iv = key_intervals("HI", 10.0, start_s=5.0)
>>> geo = geometry([iv], 140.0, 2000.0, 0.0, 1000.0, 1 / 60)
>>> geo.pieces.n_on, round(geo.df, 4), geo.mid_s
(6, 0.05, 65.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft

from dsp.errors import DspValueError
from dsp.pieces import Pieces, round_pieces
from dsp.template_refine import offsets_for

__all__ = ["Geometry", "Round", "check_rounds", "geometry", "grid_offsets", "timing_offsets"]


def check_rounds(rounds_s: Sequence[np.ndarray], duration_s: float) -> list[np.ndarray]:
    """Return the rounds as (n, 2) arrays, or raise if they are not one valid pattern."""
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


def _rel(pieces: Pieces) -> np.ndarray:
    """Piece centres relative to the middle of the key-down pieces, s."""
    centres = pieces.intervals_s.mean(axis=1)
    on_c = centres[: pieces.n_on]
    return centres - 0.5 * (on_c.min() + on_c.max())


@dataclass(frozen=True)
class Geometry:
    """What every round shares: pieces, FFT grid, drift grids."""

    pieces: Pieces
    rate: float
    n_fft: int
    df: float
    freqs_bb: np.ndarray  # kept bin frequencies, baseband
    center_hz: float
    coarse: np.ndarray
    fine: np.ndarray
    rel: np.ndarray  # piece centres relative to the key-down middle, s
    mid_s: float  # the key-down middle, s from the round's start

    @property
    def zero(self) -> int:
        """Index of the zero in-piece drift in ``coarse``."""
        return int(np.argmin(np.abs(self.coarse)))


@dataclass
class Round:
    """One round's normalised piece powers and what refinement needs of it."""

    start_s: float
    powers: np.ndarray | None  # (coarse drifts, pieces, bins), masked; None once used
    floors: np.ndarray | None  # (pieces, bins) noise floor at zero in-piece drift
    mask: np.ndarray | None  # (bins,) steady-carrier bins


def timing_offsets(geo: Geometry, rounds: list[Round], duration_s: float, max_offset_s: float):
    """Return the timing offsets every round's pieces can move by and stay inside."""
    iv = geo.pieces.intervals_s
    earliest = min(r.start_s + float(iv[:, 0].min()) for r in rounds)
    latest = min(duration_s - (r.start_s + float(iv[:, 1].max())) for r in rounds)
    return offsets_for(max_offset_s, earliest, latest)


def geometry(rounds, duration_s, rate, center_hz, search_hz, max_drift_hz_per_s,
             max_offset_s=0.0) -> Geometry:  # fmt: skip
    """Return the pieces, FFT grid and drift grids of ``rounds`` (see the module)."""
    template = rounds[0] - rounds[0][0, 0]
    # Pieces before and after the round leave room for the timing search.
    before = max(min(float(r[0, 0]) for r in rounds) - max_offset_s, 0.0)
    after = max(min(duration_s - float(r[-1, 1]) for r in rounds) - max_offset_s, 0.0)
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
    rel = _rel(pieces)
    mid_s = float(pieces.intervals_s[: pieces.n_on].mean(axis=1)[0] - rel[0])
    return Geometry(pieces, float(rate), n_fft, df, freqs_bb, float(center_hz), coarse, fine,
                    rel, mid_s)  # fmt: skip


def grid_offsets(offsets_s: np.ndarray, shortest_on_s: float) -> np.ndarray:
    """Return the timing offsets at which the grid itself is searched, at most ``2 L / 3`` apart.

    The refinement searches every offset of ``offsets_s`` around a grid candidate,
    but a candidate is only found where the grid's pieces hold most of the mark: at
    most ``L / 3`` (a third of the shortest key-down element) from a grid offset.

    Examples
    --------
    >>> grid_offsets(np.arange(-10.0, 11.0), 30.0)
    array([0.])
    >>> grid_offsets(np.arange(-10.0, 11.0), 10.0)
    array([-7.,  0.,  7.])
    """
    offsets = np.asarray(offsets_s, float)
    step = 2.0 * shortest_on_s / 3.0
    reach = float(np.max(np.abs(offsets))) if offsets.size else 0.0
    n = int(np.ceil(reach / step - 0.5)) if reach > step / 2 else 0
    wanted = np.arange(-n, n + 1) * step
    # The nearest offset the refinement can reach, keeping every piece inside.
    picked = offsets[np.argmin(np.abs(offsets[None, :] - wanted[:, None]), axis=1)]
    return np.unique(picked)
