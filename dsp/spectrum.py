"""Channelizing and spectra: baseband conversion, frame spectra, drift-track sums.

All spectra here use rectangular windows: for a carrier keyed on for a whole frame
the rectangular window *is* the matched filter, and non-overlapping frames keep
frame powers of white noise independent, so their sums have exact Gamma laws that
:mod:`dsp.detect` and :mod:`dsp.decode` use for false-alarm calibration.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from dsp.errors import DspValueError
from dsp.fft import LONG_FFT, release_plans
from dsp.fourstep import Premix, spectrum_band, split_for

__all__ = ["band_of", "best_track", "dechirp", "frame_power", "to_baseband", "track_sums"]

#: Samples transformed per FFT call where a long input is cut into frames.
_CHUNK_SAMPLES = 1 << 20


def to_baseband(
    samples: np.ndarray, sample_rate_hz: float, *, center_hz: float, half_band_hz: float
) -> tuple[np.ndarray, float]:
    """Shift ``center_hz`` to 0 Hz and keep ``+-half_band_hz`` (brick-wall, FFT based).

    Real input is treated as audio (only its positive frequencies are kept); complex
    input as IQ.  When the requested band already spans the input rate and the
    centre is 0, the samples are returned unchanged.

    Returns
    -------
    baseband : ndarray of complex64
    sample_rate_hz : float
        Sample rate of ``baseband``.

    Examples
    --------
    >>> fs = 8000.0
    >>> x = np.cos(2 * np.pi * 1010.0 * np.arange(8000) / fs)
    >>> y, rate = to_baseband(x, fs, center_hz=1000.0, half_band_hz=100.0)
    >>> rate, int(np.argmax(np.abs(np.fft.fft(y)))) * rate / y.size
    (200.0, 10.0)
    """
    return band_of(samples, sample_rate_hz, center_hz=center_hz, half_band_hz=half_band_hz)


def band_of(
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    center_hz: float,
    half_band_hz: float,
    premix: Premix | None = None,
    overwrite_x: bool = False,
) -> tuple[np.ndarray, float]:
    """:func:`to_baseband` of ``premix(samples, index)`` (by pieces when the input is long).

    A recording of at least :data:`~dsp.fft.LONG_FFT` samples is transformed by
    :func:`dsp.fourstep.spectrum_band` (bounded scratch; the premixed signal never
    exists whole); a shorter one by one FFT, exactly as before.  ``overwrite_x``:
    ``samples`` may be destroyed (a long one is then transformed in its own memory).
    """
    x = np.asarray(samples)
    rate = float(sample_rate_hz)
    n = x.size
    if n == 0:
        raise DspValueError("samples is empty; need at least one second of signal")
    is_real = not np.iscomplexobj(x) and premix is None
    nyquist = rate / 2
    if premix is None and not is_real and center_hz == 0 and half_band_hz >= nyquist:
        return x.astype(np.complex64, copy=False), rate
    low_edge_hz = center_hz - half_band_hz if is_real else 0.0
    if abs(center_hz) + half_band_hz > nyquist + 1e-9 or low_edge_hz < -1e-9:
        raise DspValueError(
            f"center_hz={center_hz:g} +- {half_band_hz:g} Hz reaches beyond the Nyquist limit "
            f"{nyquist:g} Hz of sample_rate_hz={rate:g}; narrow the search"
        )
    n_out = int(np.ceil(2 * half_band_hz * n / rate))
    n_out = min(scipy.fft.next_fast_len(max(n_out, 2)), n)
    k0 = int(round(center_hz * n / rate))
    n_pos = (n_out + 1) // 2  # bins 0 .. n_pos - 1 above the centre, then n_out - n_pos below
    if premix is None and not is_real and k0 == 0 and n_out == n:
        return x.astype(np.complex64, copy=False), rate  # every bin kept: the input itself
    n1 = split_for(n, n_out) if n >= LONG_FFT else None
    if n1 is not None:
        kept = _kept_by_pieces(x, n1, k0, n_out, n_pos, is_real, premix, overwrite_x)
    else:
        if premix is not None:
            x = premix(x, np.arange(n))
        kept = _kept_at_once(x, k0, n_out, n_pos, is_real)
    n1_out = split_for(n_out, n_out) if n_out >= LONG_FFT else None
    if n1_out is not None:
        out = np.conjugate(kept, out=kept)  # ifft(y) = conj(fft(conj(y))) / n_out
        out = spectrum_band(out, 0, n_out, n1=n1_out, overwrite_x=True)
        del kept  # its memory held the intermediate rows
        out = np.conjugate(out, out=out)
        out *= 1 / n
    else:
        out = scipy.fft.ifft(kept, overwrite_x=True)
        out *= n_out / n
        release_plans(n_out)
    if is_real:
        out /= np.sqrt(2)  # keep N0 per Hz: cos amplitude A -> baseband amplitude A/sqrt(2)
    return out.astype(np.complex64, copy=False), n_out * rate / n


def _kept_at_once(x: np.ndarray, k0: int, n_out: int, n_pos: int, is_real: bool) -> np.ndarray:
    """Gather the kept bins, in fftfreq order, from one FFT of ``x``, slice by slice."""
    n = x.size
    if is_real:
        spec = scipy.fft.rfft(x.astype(np.float32, copy=False))  # bins 0 .. n // 2
        spec *= 2
    else:
        spec = scipy.fft.fft(x.astype(np.complex64, copy=False))
    kept = np.empty(n_out, np.complex64)
    _circular_copy(spec, n, k0, kept[:n_pos], is_real)
    _circular_copy(spec, n, k0 - (n_out - n_pos), kept[n_pos:], is_real)
    del spec
    release_plans(n)  # the plans of a whole recording are as large as the recording
    return kept


def _kept_by_pieces(
    x: np.ndarray, n1: int, k0: int, n_out: int, n_pos: int, is_real: bool,
    premix: Premix | None, overwrite_x: bool,
) -> np.ndarray:
    """:func:`_kept_at_once` by :func:`dsp.fourstep.spectrum_band` (bounded scratch)."""
    n = x.size
    below = n_out - n_pos
    kept = spectrum_band(x, k0 - below, n_out, n1=n1, premix=premix,
                         out=np.empty(n_out, np.complex64), out_offset=n_pos,
                         overwrite_x=overwrite_x)  # fmt: skip
    if is_real:  # the rfft's half spectrum: bins above n // 2 are 0, the others doubled
        kept *= 2
        for lo, hi in ((n // 2 + 1, n), (n // 2 + 1 - n, 0)):  # as k, and as k - n
            a, b = max(lo, k0 - below), min(hi, k0 + n_pos)
            if a < b:
                offsets = np.arange(a, b) - k0  # -below .. n_pos - 1
                kept[offsets % n_out] = 0
    return kept


def _circular_copy(
    spec: np.ndarray, n: int, start: int, out: np.ndarray, half_spectrum: bool
) -> None:
    """``out[i] = spectrum[(start + i) % n]``; a half (rfft) spectrum is 0 above ``n // 2``."""
    i = 0
    while i < out.size:
        j = (start + i) % n
        count = min(out.size - i, n - j)
        if half_spectrum:
            have = max(0, min(count, spec.size - j))  # bins past n // 2 are negative: 0
            out[i : i + have] = spec[j : j + have]
            out[i + have : i + count] = 0
        else:
            out[i : i + count] = spec[j : j + count]
        i += count


def dechirp(
    x: np.ndarray, sample_rate_hz: float, drift_hz_per_s: float, t0_s: float = 0.0
) -> np.ndarray:
    """Remove a linear drift: multiply by ``exp(-i pi drift (t - t0)**2)``.

    Examples
    --------
    >>> t = np.arange(1000) / 100.0
    >>> x = np.exp(1j * np.pi * 0.5 * t**2)          # 0.5 Hz/s chirp from 0 Hz
    >>> float(np.round(np.abs(np.mean(dechirp(x, 100.0, 0.5))), 6))
    1.0
    """
    if drift_hz_per_s == 0:
        return x
    t = np.arange(x.size) / sample_rate_hz - t0_s
    return (x * np.exp(-1j * np.pi * drift_hz_per_s * t**2)).astype(x.dtype, copy=False)


def frame_power(
    x: np.ndarray, sample_rate_hz: float, frame_s: float, *, pad: int = 2
) -> np.ndarray:
    """Power spectra of consecutive rectangular frames, fftshifted, shape (frames, bins).

    Bin spacing is ``1 / (pad * frame_s)`` Hz and bin ``bins // 2`` is 0 Hz.
    """
    n_frame = max(int(round(frame_s * sample_rate_hz)), 1)
    m = x.size // n_frame
    if m == 0:
        raise DspValueError(
            f"recording of {x.size / sample_rate_hz:g} s is shorter than one {frame_s:g} s frame"
        )
    n_fft = pad * n_frame
    frames = x[: m * n_frame].reshape(m, n_frame)
    out = np.empty((m, n_fft), np.float32)
    step = max(1, _CHUNK_SAMPLES // n_fft)  # frames per FFT call: bounded scratch memory
    half = n_fft // 2  # fftshift: bin n_fft // 2 of the output is 0 Hz
    for a in range(0, m, step):
        spec = scipy.fft.fft(frames[a : a + step], n=n_fft, axis=1)
        p = spec.real**2 + spec.imag**2
        out[a : a + step, half:] = p[:, : n_fft - half]
        out[a : a + step, :half] = p[:, n_fft - half :]
    return out


def _taylor(power: np.ndarray, max_shift: int) -> np.ndarray:
    """Taylor-tree sums along tracks drifting 0..max_shift bins over M frames (M = 2**k).

    Returns shape (max_shift + 1, B); row ``j`` starts in bin ``k`` of frame 0 and
    reaches bin ``k + j`` in the last frame, rising by 0 or 1 bin per frame.
    """
    m, b = power.shape
    cur = power[:, None, :]  # (blocks, drifts, bins)
    n = 1
    while n < m:
        n2 = 2 * n
        n_j = min(n2, int(np.ceil(max_shift * n2 / m)) + 2)
        left, right = cur[0::2], cur[1::2]
        new = np.empty((left.shape[0], n_j, b), np.float32)
        for j in range(n_j):
            jc = min(j // 2, cur.shape[1] - 1)
            s = (j + 1) // 2
            new[:, j, :] = left[:, jc, :]
            if s < b:
                new[:, j, : b - s] += right[:, jc, s:]
        cur, n = new, n2
    return cur[0, : max_shift + 1, :]


def track_sums(power: np.ndarray, max_shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum frame powers along drift tracks, for every start bin and drift, in O(M log M).

    Track ``(D, k)`` starts in bin ``k`` of frame 0 and ends ``D`` bins away in the last
    frame (a Taylor tree, as used in radio SETI de-Doppler searches: tracks are
    straight to within one bin).  Bins shifted outside the spectrum contribute
    nothing.  ``max_shift`` may not exceed the number of frames.

    Parameters
    ----------
    power : ndarray, shape (M, B)
        Normalised frame powers.
    max_shift : int
        Largest ``|D|`` searched, in bins.

    Returns
    -------
    sums : ndarray, shape (2 * max_shift + 1, B)
    shifts : ndarray of int
        ``D`` of each row, from ``-max_shift`` to ``max_shift``.

    Examples
    --------
    >>> p = np.zeros((4, 8), np.float32); p[0, 2] = p[1, 3] = p[2, 4] = p[3, 5] = 1
    >>> sums, shifts = track_sums(p, 3)
    >>> int(shifts[np.argmax(sums.max(axis=1))]), int(np.argmax(sums.max(axis=0))), sums.max()
    (3, 2, np.float32(4.0))
    """
    down, up, shifts = _track_halves(power, max_shift)
    return np.concatenate((down, up)), shifts


def _track_halves(power: np.ndarray, max_shift: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`track_sums` as its rows of negative drift (a view) and the rest, and the shifts."""
    m, b = power.shape
    m2, j_max, shifts = _drift_grid(m, max_shift)
    padded = np.zeros((m2, b), np.float32)
    padded[:m] = power
    up = _taylor(padded, j_max)
    down = _taylor(padded[:, ::-1], j_max)[:, ::-1]
    del padded
    return down[:0:-1], up, shifts


def _drift_grid(m: int, max_shift: int) -> tuple[int, int, np.ndarray]:
    """Return the padded frame count, the largest drift row ``j_max`` and each row's ``D``."""
    m2 = 1 << max(int(np.ceil(np.log2(max(m, 1)))), 0)
    # Express the drift over the padded length: D bins over m frames ~ D*m2/m over m2.
    scale = (m2 - 1) / max(m - 1, 1)
    j_max = int(min(np.ceil(min(max_shift, m2 - 1) * scale), m2 - 1))
    shifts = np.arange(-j_max, j_max + 1) / max(scale, 1.0)  # one frame: scale 0, shift 0
    return m2, j_max, shifts


#: Start bins per piece of :func:`best_track` (each piece also reads ``max_shift``
#: bins either side).
TRACK_CHUNK_BINS = 2048


def best_track(
    power: np.ndarray, max_shift: int, *, chunk_bins: int = TRACK_CHUNK_BINS
) -> tuple[float, float, int, int]:
    """Find the largest of :func:`track_sums`, piece by piece over the start bins.

    The same value and track as ``track_sums(power, max_shift)`` and its argmax
    (ties: the first in row-major order of that array), but the Taylor trees run over
    ``chunk_bins`` start bins at a time (plus the ``max_shift`` bins either side that
    their tracks reach), so scratch memory does not grow with the number of bins.

    Returns
    -------
    statistic : float
        The largest track sum.
    shift : float
        Its drift ``D`` in bins over the frames (a value of ``track_sums``'s shifts).
    start_bin : int
        Its bin in frame 0.
    cells : int
        Number of tracks searched (``sums.size`` of :func:`track_sums`).

    Examples
    --------
    >>> p = np.zeros((4, 8), np.float32); p[0, 2] = p[1, 3] = p[2, 4] = p[3, 5] = 1
    >>> best_track(p, 3, chunk_bins=3)
    (4.0, 3.0, 2, 56)
    """
    m, b = power.shape
    _, j_max, shifts = _drift_grid(m, max_shift)
    best = (-np.inf, 0, 0)  # (value, row of sums, start bin)
    for a in range(0, b, chunk_bins):
        z = min(a + chunk_bins, b)
        lo, hi = max(0, a - j_max), min(b, z + j_max)
        down, up, _ = _track_halves(power[:, lo:hi], max_shift)
        for first_row, part in ((0, down), (down.shape[0], up)):  # the rows of track_sums
            inner = part[:, a - lo : z - lo]
            if not inner.size:
                continue
            i, k = divmod(int(np.argmax(inner)), inner.shape[1])
            # Row-major first maximum over the whole array: a higher value, or an equal
            # one in an earlier row (pieces are visited by bin, not by row).
            value, row = float(inner[i, k]), first_row + i
            if value > best[0] or (value == best[0] and row < best[1]):
                best = (value, row, a + k)
    return best[0], float(shifts[best[1]]), best[2], int(shifts.size * b)
