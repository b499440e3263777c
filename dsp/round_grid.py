"""One round's piece powers at every timing offset of the grid, with steady carriers masked.

:func:`round_grid` is the first step of :func:`dsp.detect.detect` for each round:
normalised piece powers (:func:`dsp.pieces.piece_powers`) at the schedule's timing
and at each grid offset, and the steady-carrier mask they share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dsp.detect_geometry import Geometry
from dsp.pieces import piece_powers, steady_mask

__all__ = ["OffsetGrid", "round_grid"]


def round_grid(x, geo: Geometry, keep, start_s: float, offsets_s, spread_hz: float,
                spill: float):  # fmt: skip
    """One round's masked piece powers at each grid timing offset (zero first).

    A bin is masked as a steady carrier only where it looks steady at every offset:
    marks keyed late by most of an element fill the key-up pieces of the schedule's
    timing, and would otherwise be masked as steady.  The mask needs only each
    offset's zero-drift powers; the full powers of an offset other than zero are
    computed when the search reads them (:class:`OffsetGrid`), so one round holds two
    offsets' powers at a time, not every offset's.
    Returns ``(grid, floors at zero offset, mask, steady centres)``.
    """

    def powers(o: float, drifts: np.ndarray, floor_row: int) -> tuple[np.ndarray, np.ndarray]:
        return piece_powers(x, geo.rate, geo.pieces.intervals_s + start_s + o, drifts,
                            geo.n_fft, keep, floor_row=floor_row)  # fmt: skip

    zero, floors = powers(float(offsets_s[0]), geo.coarse, geo.zero)
    masks = [steady_mask(zero[geo.zero], geo.pieces, geo.df, spread_hz, spill)]
    for o in offsets_s[1:]:  # the zero-drift row alone: what the mask reads
        row, _ = powers(float(o), geo.coarse[geo.zero : geo.zero + 1], 0)
        masks.append(steady_mask(row[0], geo.pieces, geo.df, spread_hz, spill))
    mask = np.logical_and.reduce([m for m, _ in masks])
    zero[:, :, mask] = 1.0
    centres = [c for c in masks[0][1] if mask[int(c)]]

    def masked(o: float) -> np.ndarray:
        p, _ = powers(o, geo.coarse, geo.zero)
        p[:, :, mask] = 1.0
        return p

    return OffsetGrid([float(o) for o in offsets_s], zero, masked), floors, mask, centres


class OffsetGrid(Sequence):
    """``(offset_s, powers)`` of each timing offset; only offset zero's are kept."""

    def __init__(
        self, offsets_s: list[float], zero: np.ndarray, compute: Callable[[float], np.ndarray]
    ) -> None:
        self.offsets_s, self.zero, self.compute = offsets_s, zero, compute
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.offsets_s)

    def __getitem__(self, i):  # noqa: ANN001, ANN204 - Sequence protocol
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        o = self.offsets_s[i]
        if i == 0:
            return (o, self.zero)
        if self._last is None or self._last[0] != i:  # the last one read is kept
            self._last = None  # free it before computing the next
            self._last = (i, self.compute(o))
        return (o, self._last[1])
