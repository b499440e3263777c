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
    low_edge_hz = center_hz - half_band_hz if is_real else 0.0
    if abs(center_hz) + half_band_hz > nyquist + 1e-9 or low_edge_hz < -1e-9:
        raise DspValueError(
            f"center_hz={center_hz:g} +- {half_band_hz:g} Hz reaches beyond the Nyquist limit "
            f"{nyquist:g} Hz of sample_rate_hz={rate:g}; narrow the search"
        )
    if not is_real and center_hz == 0 and half_band_hz >= nyquist:
        return x.astype(np.complex64, copy=False), rate
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


def track_sums(power: np.ndarray, max_shift: int, *, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Sum frame powers along straight drift tracks.

    Track ``(D, k)`` starts in bin ``k`` of frame 0 and ends ``D`` bins away in the last
    frame; frame ``m`` contributes bin ``k + round(D * m / (M - 1))``.  Bins shifted
    outside the spectrum contribute nothing.

    Parameters
    ----------
    power : ndarray, shape (M, B)
        Normalised frame powers.
    max_shift : int
        Largest ``|D|`` searched, in bins.
    step : int, optional
        Spacing of the searched ``D`` values.

    Returns
    -------
    sums : ndarray, shape (n_tracks, B)
    shifts : ndarray of int, shape (n_tracks,)
        ``D`` of each row.

    Examples
    --------
    >>> p = np.zeros((3, 8), np.float32); p[0, 2] = p[1, 3] = p[2, 4] = 1
    >>> sums, shifts = track_sums(p, 2)
    >>> int(shifts[np.argmax(sums.max(axis=1))]), int(np.argmax(sums.max(axis=0)))
    (2, 2)
    """
    m, b = power.shape
    shifts = np.arange(-max_shift, max_shift + 1, step)
    sums = np.zeros((shifts.size, b), np.float32)
    if m == 1:
        sums += power[0]
        return sums, shifts
    for frame in range(m):
        offs = np.rint(shifts * frame / (m - 1)).astype(int)
        row = power[frame]
        for i, off in enumerate(offs):
            if off >= 0:
                sums[i, : b - off] += row[off:]
            else:
                sums[i, -off:] += row[: b + off]
    return sums, shifts
