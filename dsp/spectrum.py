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

__all__ = ["dechirp", "frame_power", "to_baseband", "track_sums"]


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
    rate_hz : float
        Sample rate of ``baseband``.

    Examples
    --------
    >>> fs = 8000.0
    >>> x = np.cos(2 * np.pi * 1010.0 * np.arange(8000) / fs)
    >>> y, rate = to_baseband(x, fs, center_hz=1000.0, half_band_hz=100.0)
    >>> rate, int(np.argmax(np.abs(np.fft.fft(y)))) * rate / y.size
    (200.0, 10.0)
    """
    x = np.asarray(samples)
    rate = float(sample_rate_hz)
    n = x.size
    if n == 0:
        raise DspValueError("samples is empty; need at least one second of signal")
    is_real = not np.iscomplexobj(x)
    nyquist = rate / 2
    if not is_real and center_hz == 0 and half_band_hz >= nyquist:
        return x.astype(np.complex64, copy=False), rate
    low_edge_hz = center_hz - half_band_hz if is_real else 0.0
    if abs(center_hz) + half_band_hz > nyquist + 1e-9 or low_edge_hz < -1e-9:
        raise DspValueError(
            f"center_hz={center_hz:g} +- {half_band_hz:g} Hz reaches beyond the Nyquist limit "
            f"{nyquist:g} Hz of sample_rate_hz={rate:g}; narrow the search"
        )
    n_out = int(np.ceil(2 * half_band_hz * n / rate))
    n_out = min(scipy.fft.next_fast_len(max(n_out, 2)), n)
    spec = scipy.fft.fft(x.astype(np.complex64 if not is_real else np.float32, copy=False))
    freqs = scipy.fft.fftfreq(n, 1 / rate)
    if is_real:
        spec[freqs < 0] = 0
        spec *= 2
    k0 = int(round(center_hz * n / rate))
    idx = (k0 + scipy.fft.fftfreq(n_out, 1 / n_out).astype(int)) % n
    out = scipy.fft.ifft(spec[idx]) * (n_out / n)
    if is_real:
        out /= np.sqrt(2)  # keep N0 per Hz: cos amplitude A -> baseband amplitude A/sqrt(2)
    return out.astype(np.complex64), n_out * rate / n


def dechirp(x: np.ndarray, rate_hz: float, drift_hz_per_s: float, t0_s: float = 0.0) -> np.ndarray:
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
    t = np.arange(x.size) / rate_hz - t0_s
    return (x * np.exp(-1j * np.pi * drift_hz_per_s * t**2)).astype(x.dtype, copy=False)


def frame_power(x: np.ndarray, rate_hz: float, frame_s: float, *, pad: int = 2) -> np.ndarray:
    """Power spectra of consecutive rectangular frames, fftshifted, shape (frames, bins).

    Bin spacing is ``1 / (pad * frame_s)`` Hz and bin ``bins // 2`` is 0 Hz.
    """
    n_frame = max(int(round(frame_s * rate_hz)), 1)
    m = x.size // n_frame
    if m == 0:
        raise DspValueError(
            f"recording of {x.size / rate_hz:g} s is shorter than one {frame_s:g} s frame"
        )
    frames = x[: m * n_frame].reshape(m, n_frame)
    spec = scipy.fft.fft(frames, n=pad * n_frame, axis=1)
    p = (spec.real**2 + spec.imag**2).astype(np.float32)
    return scipy.fft.fftshift(p, axes=1)


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
    m, b = power.shape
    m2 = 1 << max(int(np.ceil(np.log2(max(m, 1)))), 0)
    max_shift = int(min(max_shift, m2 - 1))
    padded = np.zeros((m2, b), np.float32)
    padded[:m] = power
    # Express the drift over the padded length: D bins over m frames ~ D*m2/m over m2.
    scale = (m2 - 1) / max(m - 1, 1)
    j_max = int(min(np.ceil(max_shift * scale), m2 - 1))
    up = _taylor(padded, j_max)
    down = _taylor(padded[:, ::-1], j_max)[:, ::-1]
    sums = np.concatenate((down[:0:-1], up))
    shifts = np.arange(-j_max, j_max + 1) / scale
    return sums, shifts
