"""A band of a long signal's DFT in bounded memory (the four-step FFT, computed by pieces).

:func:`dsp.spectrum.to_baseband` keeps a band of a whole recording's DFT (a
brick-wall filter that is exact for the frame statistics downstream).  One
:func:`scipy.fft.fft` of ``n`` points holds its input, its output and about two
more ``n``-point buffers of scratch and twiddles (measured: 4 x 58 MB for an hour at
2,000 S/s), which is what made an hour-long decode peak above 600 MB.  Neither
pocketfft nor FFTW offers a DFT restricted to some bins or computed out of core, so
this module writes the classic four-step (Bailey) factorisation over small
:func:`scipy.fft.fft` calls.

With ``n = n1 * n2``, input ``x[n2 * a + b]`` and output bin ``k = k1 + n1 * k2``::

    X[k] = sum_b  W_n^(b k1)  W_n2^(b k2)  sum_a x[n2 a + b] W_n1^(a k1)

the inner sums are ``n1``-point FFTs of the columns of ``x.reshape(n1, n2)``,
computed a few columns at a time (and only the rows ``k1`` the band needs are
kept); after the twiddle ``W_n^(b k1)`` the outer sums are ``n2``-point FFTs of those
rows, from which the requested bins are copied out.  Live memory is the input,
the kept rows (at most ``n`` points, far fewer for a narrow band), the output, and
scratch of :data:`PIECE_POINTS` points.  A column block can be transformed on its
way in (``premix``), so a signal mixed to 0 Hz first never exists whole.

The results equal :func:`scipy.fft.fft`'s to single-precision rounding (twiddles
are computed in double precision from exact integer phases).  A length with no
divisor between 16 and ``n / 16`` (a prime, say) has no split: :func:`split_for`
returns None and callers use the one-call FFT.

Examples
--------
>>> x = (np.arange(3000.0) % 7 + 1j).astype(np.complex64)
>>> band = spectrum_band(x, start=-5, count=11)
>>> ref = np.fft.fft(x)[np.arange(-5, 6) % 3000]
>>> bool(np.allclose(band, ref, rtol=1e-5, atol=1e-2))
True
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft

__all__ = ["PIECE_POINTS", "spectrum_band", "split_for"]

#: Points transformed per piece (2 MB of complex64; float64 scratch of a premix 4x that).
PIECE_POINTS = 1 << 18
_MIN_FACTOR = 16

Premix = Callable[[np.ndarray, np.ndarray], np.ndarray]


def split_for(n: int, count: int) -> int | None:
    """Choose the row count ``n1`` (a divisor of ``n``) for a band of ``count`` bins, or None.

    A narrow band wants ``n1`` at least ``count`` (few kept rows, short outer
    FFTs); a wide one the divisor nearest ``sqrt(n)``.  Both factors are at least 16.

    Examples
    --------
    >>> split_for(7_200_000, 7_200_000), split_for(7_200_000, 5_000), split_for(1_000_003, 9)
    (2880, 20000, None)
    """
    divisors = [d for d in _divisors(n) if d >= _MIN_FACTOR and n // d >= _MIN_FACTOR]
    if not divisors:
        return None
    target = max(np.sqrt(n), 4.0 * count) if 4 * count < n // _MIN_FACTOR else np.sqrt(n)
    return min(divisors, key=lambda d: abs(np.log(d / target)))


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(np.sqrt(n)) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def spectrum_band(
    x: np.ndarray,
    start: int,
    count: int,
    *,
    n1: int | None = None,
    premix: Premix | None = None,
    out: np.ndarray | None = None,
    out_offset: int = 0,
    overwrite_x: bool = False,
) -> np.ndarray:
    """Bins ``start .. start + count - 1`` (modulo ``n``) of the DFT of ``x``, by pieces.

    Parameters
    ----------
    x : ndarray, shape (n,)
        The signal (complex, or real: then the DFT of it as complex).
    start, count : int
        The first bin (any integer, taken modulo ``n``) and the number of bins
        (``1 .. n``).
    n1 : int, optional
        Rows of the split (a divisor of ``n``); default :func:`split_for`.
    premix : callable, optional
        ``premix(block, index)`` returns the block (complex64) to transform in place
        of ``x[index]``; ``index`` holds the sample numbers of ``block``.
    out : ndarray of complex64, shape (count,), optional
        Where to write: bin ``start + i`` goes to ``out[(out_offset + i) % count]``.
    out_offset : int
        See ``out``.
    overwrite_x : bool
        ``x`` (complex64, contiguous) may be destroyed: a wide band's intermediate
        rows are then kept in its memory (no second ``n``-point array).

    Returns
    -------
    ndarray of complex64, shape (count,)

    Raises
    ------
    ValueError
        If ``n`` has no split (:func:`split_for` is None) or ``count`` is out of range.
    """
    n = x.size
    if not 1 <= count <= n:
        raise ValueError(f"count={count} must be within 1..{n}")
    n1 = n1 if n1 is not None else split_for(n, count)
    if n1 is None or n % n1:
        raise ValueError(f"n={n} has no four-step split")
    n2 = n // n1
    start %= n
    result = np.empty(count, np.complex64) if out is None else out
    rows = _rows_needed(start, count, n, n1)
    in_place = (overwrite_x and premix is None and rows.size == n1
                and x.dtype == np.complex64 and x.flags.c_contiguous)  # fmt: skip
    kept = _inner(x.reshape(n1, n2), rows, n, premix, in_place)
    step = max(1, PIECE_POINTS // n2)
    for r0 in range(0, rows.size, step):
        block = scipy.fft.fft(kept[r0 : r0 + step], axis=1, overwrite_x=True)
        _scatter(block, rows[r0 : r0 + step], start, count, n, n1, result, out_offset)
    return result


def _rows_needed(start: int, count: int, n: int, n1: int) -> np.ndarray:
    """Return the distinct ``k1 = k % n1`` of the band's bins, sorted."""
    if count >= n1:
        return np.arange(n1)
    return np.unique((start + np.arange(count)) % n % n1)


def _inner(
    a: np.ndarray, rows: np.ndarray, n: int, premix: Premix | None, in_place: bool
) -> np.ndarray:
    """Column FFTs of ``a`` (n1 x n2), keep ``rows``, times the twiddle ``W_n^(b k1)``.

    ``in_place``: every row is kept and each column block is written back over
    itself (it is not read again).
    """
    n1, n2 = a.shape
    kept = a if in_place else np.empty((rows.size, n2), np.complex64)
    width = max(1, PIECE_POINTS // n1)
    for c in range(0, n2, width):
        cols = np.arange(c, min(c + width, n2))
        block = a[:, c : c + cols.size]
        if premix is not None:
            block = premix(block, n2 * np.arange(n1)[:, None] + cols[None, :])
        spec = scipy.fft.fft(block.astype(np.complex64, copy=False), axis=0)
        for r0 in range(0, rows.size, width):  # twiddles in bounded pieces
            r = rows[r0 : r0 + width]
            phase = (r[:, None] * cols[None, :]) % n  # exact integers
            kept[r0 : r0 + r.size, c : c + cols.size] = spec[r] * np.exp((-2j * np.pi / n) * phase)
    return kept


def _scatter(
    block: np.ndarray,
    rows: np.ndarray,
    start: int,
    count: int,
    n: int,
    n1: int,
    out: np.ndarray,
    out_offset: int,
) -> None:
    """Copy the band's bins out of ``block`` (rows ``rows``, every ``k2``)."""
    n2 = block.shape[1]
    if rows.size == n1 or rows.size == rows[-1] - rows[0] + 1:
        # Consecutive k1: for each k2 the bins are one run of consecutive k.
        first = int(rows[0])
        for k2 in range(n2):
            pos = (first + n1 * k2 - start) % n  # place of the run's first bin in the band
            _put_run(block[:, k2], pos, count, n, out, out_offset)
        return
    k = (start + np.arange(count)) % n
    mine = np.isin(k % n1, rows)
    where = np.searchsorted(rows, k[mine] % n1)
    i = np.flatnonzero(mine)
    out[(out_offset + i) % count] = block[where, k[mine] // n1]


def _put_run(
    values: np.ndarray, pos: int, count: int, n: int, out: np.ndarray, out_offset: int
) -> None:
    """Bins at band positions ``(pos + j) % n`` for ``j < values.size``: those below ``count``."""
    size = values.size
    if pos < count:  # the run starts inside the band
        m = min(size, count - pos)
        _put_circular(out, (out_offset + pos) % count, values[:m])
    if pos + size > n:  # it wraps around the circle to position 0
        j = n - pos
        m = min(size - j, count)
        _put_circular(out, out_offset % count, values[j : j + m])


def _put_circular(out: np.ndarray, at: int, values: np.ndarray) -> None:
    head = min(values.size, out.size - at)
    out[at : at + head] = values[:head]
    out[: values.size - head] = values[head:]
