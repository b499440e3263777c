"""The pieces of a scheduled round: key-down elements, key-up gaps, and their spectra.

Known-template detection (:mod:`dsp.detect`) integrates the baseband coherently over
exactly each scheduled key-down element (the matched filter of a constant carrier of
unknown frequency) *and* over the key-up gaps between them, cut into pieces no longer
than the longest element (so one in-piece drift grid serves all).  Each piece's power
spectrum is normalised by its own local floor (:func:`dsp.noise.local_floor`: noise
bins exponential with mean 1, in every piece whatever the colour or level of the
noise at that time).

A steady carrier fills key-up pieces as much as key-down ones.  A strong one would
also give a drifting track that crosses it during one key-down piece a large,
"keyed"-looking sum, so :func:`steady_mask` finds bins whose key-up energy (at the
drift of a slow birdie) is a good fraction of their key-down energy and sets them,
with their side lobes, to the noise mean in every piece.  Weaker steady carriers are
left to the keying test of :mod:`dsp.keyed`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.stats

from dsp.keyed import MAX_KEY_UP_RATIO
from dsp.noise import local_floor

__all__ = ["Pieces", "piece_powers", "round_pieces", "steady_mask"]


@dataclass(frozen=True, slots=True)
class Pieces:
    """Key-down and key-up pieces of one round, s from the round's first key-down.

    Attributes
    ----------
    intervals_s : ndarray, shape (n, 2)
        Every piece, key-down ones first (in schedule order), then key-up ones.
    n_on : int
        Number of key-down pieces (the first ``n_on`` rows).
    """

    intervals_s: np.ndarray
    n_on: int

    @property
    def n_off(self) -> int:
        """Number of key-up pieces."""
        return len(self.intervals_s) - self.n_on

    @property
    def lengths_s(self) -> np.ndarray:
        """Length of every piece, s."""
        return self.intervals_s[:, 1] - self.intervals_s[:, 0]


def round_pieces(template_s: np.ndarray, before_s: float, after_s: float) -> Pieces:
    """Key-down elements and key-up pieces of a round's ``template_s`` (from 0).

    Key-up pieces are the gaps between elements, each cut into equal pieces no longer
    than the longest element, and up to two longest-element lengths before the round
    as far as ``before_s`` (the quiet recording before it) allows.  The time after a
    round is used only when the round has fewer than two key-up pieces (a single
    element, say): operators send their identification right after a round.

    Examples
    --------
    >>> from dsp.morse import key_intervals
    >>> p = round_pieces(key_intervals("HI", 30.0), 5.0, 5.0)
    >>> p.n_on, p.n_off, p.intervals_s[p.n_on:].tolist()[:4]
    (6, 7, [[30.0, 60.0], [90.0, 120.0], [150.0, 180.0], [210.0, 240.0]])
    >>> round_pieces(key_intervals("HI", 30.0), 80.0, 5.0).intervals_s[-2:].tolist()
    [[-30.0, 0.0], [-60.0, -30.0]]
    """
    on = np.asarray(template_s, dtype=float).reshape(-1, 2)
    longest = float(np.max(on[:, 1] - on[:, 0]))
    off: list[tuple[float, float]] = []
    for a, b in zip(on[:-1, 1], on[1:, 0], strict=True):
        if b - a >= 0.25 * longest:
            k = int(np.ceil((b - a) / longest - 1e-9))
            edges = np.linspace(a, b, k + 1)
            off.extend(zip(edges[:-1], edges[1:], strict=True))
    lead = min(2 * longest, max(before_s, 0.0))
    for k in range(int(lead // longest) + 1):
        a, b = on[0, 0] - min(lead, (k + 1) * longest), on[0, 0] - k * longest
        if b - a >= 0.25 * longest:
            off.append((a, b))
    if len(off) < 2:
        tail = min(longest, max(after_s, 0.0))
        if tail >= 0.25 * longest:
            off.append((on[-1, 1], on[-1, 1] + tail))
    rows = np.vstack([on, np.asarray(off, dtype=float).reshape(-1, 2)])
    return Pieces(rows, len(on))


def piece_powers(x, rate, intervals, drifts, n_fft, keep, *, floor_row: int = 0):
    """Normalised power spectra, shape (drifts, pieces, kept bins), and noise floors.

    Each piece is dechirped by every trial in-piece drift around its centre and
    transformed (``n_fft`` points, fftshifted, bins ``keep``).  Every spectrum of a
    piece is divided by the :func:`dsp.noise.local_floor` of its spectrum at drift
    ``floor_row`` (a dechirp moves a carrier's energy, not the noise's level); those
    floors are returned too, shape (pieces, kept bins), float32.
    """
    starts = np.rint(intervals[:, 0] * rate).astype(int)
    stops = np.rint(intervals[:, 1] * rate).astype(int)
    out = np.empty((len(drifts), len(intervals), int(keep.sum())), np.float32)
    floors = np.empty((len(intervals), int(keep.sum())), np.float32)
    order = [floor_row] + [i for i in range(len(drifts)) if i != floor_row]
    # Pieces of one length are transformed together, a few at a time (bounded scratch).
    group = max(1, _PIECE_POINTS // int(n_fft))
    for length in np.unique(stops - starts):
        same = np.flatnonzero(stops - starts == length)
        t = np.arange(length) / rate - length / rate / 2
        for g in range(0, same.size, group):
            idx = same[g : g + group]
            seg = np.stack([x[a : a + length] for a in starts[idx]])
            for i in order:
                chirped = seg * np.exp(-1j * np.pi * drifts[i] * t**2).astype(np.complex64)
                spec = scipy.fft.fftshift(scipy.fft.fft(chirped, n=n_fft, axis=1), axes=1)
                p = spec[:, keep]
                p = p.real**2 + p.imag**2
                if i == floor_row:
                    floors[idx] = np.maximum(local_floor(p), np.finfo(np.float32).tiny)
                out[i, idx] = p / floors[idx]
    return out, floors


#: Samples per FFT batch in :func:`piece_powers` (pieces of one length go together).
_PIECE_POINTS = 1 << 19


#: Key-up energy (summed over the key-up pieces) this improbable for noise marks a
#: bin as holding a steady carrier, before the side lobes are added.
_MASK_PFA = 1e-6
#: Bins either side over which a slow birdie may wander between pieces.
_WANDER_BINS = 3


def steady_mask(
    powers0: np.ndarray, pieces: Pieces, df_hz: float, extra_hz: float,
    key_up_ratio: float = MAX_KEY_UP_RATIO,
) -> tuple[np.ndarray, list[float]]:  # fmt: skip
    """Bins of a steady carrier (and its side lobes) in one round's zero-drift powers.

    Parameters
    ----------
    powers0 : ndarray, shape (pieces, bins)
        Normalised powers at zero in-piece drift.
    pieces : Pieces
    df_hz : float
        Bin spacing.
    extra_hz : float
        Added to each side of a masked carrier (the spread of an in-piece dechirp).
    key_up_ratio : float, optional
        A carrier is steady when its key-up level is at least this fraction of its
        key-down level (raise it when the keying may be late or early: a keyed
        carrier then spills into the key-up pieces).

    Returns
    -------
    mask : ndarray of bool, shape (bins,)
    centres_bins : list of float
        Bin index of each masked carrier's peak.
    """
    n_on, n_off = pieces.n_on, pieces.n_off
    b = powers0.shape[1]
    mask = np.zeros(b, bool)
    if n_off == 0:
        return mask, []
    size = 2 * _WANDER_BINS + 1
    s_on = scipy.ndimage.maximum_filter1d(powers0[:n_on].sum(axis=0), size, mode="nearest")
    s_off = scipy.ndimage.maximum_filter1d(powers0[n_on:].sum(axis=0), size, mode="nearest")
    lengths = pieces.lengths_s
    t_on, t_off = float(lengths[:n_on].sum()), float(lengths[n_on:].sum())
    level_on = np.maximum(s_on - n_on, 0.0) / t_on
    level_off = np.maximum(s_off - n_off, 0.0) / t_off
    thr = scipy.stats.gamma.isf(_MASK_PFA / size, n_off)
    steady = (s_off >= thr) & (level_off >= key_up_ratio * level_on)
    if not steady.any():
        return mask, []
    labels, count = scipy.ndimage.label(steady)
    longest = float(lengths.max())
    for k in range(1, count + 1):
        idx = np.flatnonzero(labels == k)
        peak = int(idx[np.argmax(s_off[idx])])
        per_piece = float(s_off[peak]) / n_off
        # Side lobes of a rectangular piece fall as peak / (pi k)**2 at k matched bins.
        lobe_hz = max(np.sqrt(per_piece / 0.25) / np.pi, 2.0) / longest
        half = int(np.ceil((lobe_hz + extra_hz) / df_hz))
        mask[max(idx[0] - half, 0) : idx[-1] + half + 1] = True
    # One carrier per masked stretch (its side lobes may have qualified apart), at
    # the peak of its (unfiltered) key-up energy.
    raw = powers0[n_on:].sum(axis=0)
    regions, count = scipy.ndimage.label(mask)
    centres = [float(np.flatnonzero(regions == k)[np.argmax(raw[regions == k])])
               for k in range(1, count + 1)]  # fmt: skip
    return mask, centres
