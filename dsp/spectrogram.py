"""QRSS-style spectrograms: fine frequency bins, slow time, and frames stacked over rounds.

A QRSS grabber shows a few hundred hertz of one channel with 0.1-0.3 Hz bins over
10 minutes, so a 30 s dit is a short bright dash.  :func:`qrss_spectrogram` computes
that with :class:`scipy.signal.ShortTimeFFT` (Hann window, half overlap);
:func:`stack_frames` averages the frames that start at each round's start, so a
message repeated in every round stands out of the noise by the square root of the
number of rounds.

Examples
--------
>>> import numpy as np
>>> fs = 200.0
>>> t = np.arange(int(60 * fs)) / fs
>>> x = np.exp(2j * np.pi * 12.5 * t).astype(np.complex64)
>>> s = qrss_spectrogram(x, fs, bin_hz=0.5, span_hz=50.0)
>>> float(s.freqs_hz[np.argmax(s.power.mean(axis=1))])
12.5
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import ShortTimeFFT
from scipy.signal.windows import hann

from dsp.errors import DspValueError

__all__ = ["Spectrogram", "qrss_spectrogram", "stack_frames"]


@dataclass(frozen=True, eq=False)
class Spectrogram:
    """Power over time and frequency.

    Attributes
    ----------
    times_s : ndarray, shape (n_times,)
        Centre of each column, seconds from the first sample.
    freqs_hz : ndarray, shape (n_freqs,)
        Baseband frequency of each row, ascending, Hz.
    power : ndarray, shape (n_freqs, n_times)
        Mean power per bin (linear, float32).
    bin_hz : float
        Frequency resolution.
    """

    times_s: np.ndarray
    freqs_hz: np.ndarray
    power: np.ndarray
    bin_hz: float

    @property
    def column_s(self) -> float:
        """Time step between columns, s."""
        return float(self.times_s[1] - self.times_s[0]) if self.times_s.size > 1 else 0.0


def qrss_spectrogram(
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    bin_hz: float = 0.2,
    span_hz: float | None = None,
    center_hz: float = 0.0,
) -> Spectrogram:
    """Spectrogram of complex baseband with ``bin_hz`` resolution, rows within a span.

    Parameters
    ----------
    samples : ndarray of complex
    sample_rate_hz : float
    bin_hz : float, optional
        Frequency resolution (window length ``sample_rate_hz / bin_hz`` samples).
    span_hz : float, optional
        Keep rows within ``center_hz +- span_hz / 2`` (default: the whole band).
    center_hz : float, optional
        Centre of the kept rows, Hz.

    Raises
    ------
    DspValueError
        Non-positive rate or bin, a window longer than the signal, or a span outside
        the band.
    """
    x = np.asarray(samples)
    fs = float(sample_rate_hz)
    if not (np.isfinite(fs) and fs > 0 and np.isfinite(bin_hz) and bin_hz > 0):
        raise DspValueError(f"sample_rate_hz={fs} and bin_hz={bin_hz} must be finite and > 0")
    n_win = int(round(fs / bin_hz))
    if n_win < 4 or n_win > x.size:
        raise DspValueError(
            f"bin_hz={bin_hz} needs a {n_win}-sample window; the signal has {x.size} samples "
            f"at {fs:g} S/s"
        )
    sft = ShortTimeFFT(hann(n_win, sym=False), hop=n_win // 2, fs=fs, fft_mode="centered")
    power = np.abs(sft.stft(x.astype(np.complex64, copy=False))) ** 2
    freqs = sft.f
    if span_hz is not None:
        lo, hi = center_hz - span_hz / 2, center_hz + span_hz / 2
        if lo < -fs / 2 or hi > fs / 2 or span_hz <= 0:
            raise DspValueError(
                f"span {lo:g}..{hi:g} Hz must lie inside +-{fs / 2:g} Hz (half the sample rate)"
            )
        keep = (freqs >= lo) & (freqs <= hi)
        power, freqs = power[keep], freqs[keep]
    # Keep whole columns only: the window lies inside the signal.
    times = sft.t(x.size)
    inside = (times - n_win / 2 / fs >= -1e-9) & (times + n_win / 2 / fs <= x.size / fs + 1e-9)
    return Spectrogram(
        times_s=times[inside],
        freqs_hz=freqs,
        power=power[:, inside].astype(np.float32),
        bin_hz=fs / n_win,
    )


def stack_frames(
    spec: Spectrogram, starts_s: np.ndarray, frame_s: float, shifts_hz: np.ndarray | None = None
) -> Spectrogram:
    """Average the frames ``[start, start + frame_s)`` of a spectrogram, one per start.

    Columns are aligned to each start (nearest column); frames that do not fit wholly
    are left out.  With ``shifts_hz`` (one per start: where a drifting carrier is in
    each frame, relative to the first), every frame is moved back by its shift
    (nearest bin; bins moved in from outside take the frame's median) so that the
    carrier stacks in one line.

    Raises
    ------
    DspValueError
        No frame fits.

    Examples
    --------
    >>> s = Spectrogram(np.arange(10.0), np.zeros(1), np.arange(10.0)[None, :], 1.0)
    >>> stack_frames(s, np.array([0.0, 5.0]), 3.0).power.tolist()
    [[2.5, 3.5, 4.5]]
    """
    step = spec.column_s
    if step <= 0:
        raise DspValueError("the spectrogram needs at least two columns to stack")
    n = int(round(frame_s / step))
    starts = np.asarray(starts_s, dtype=float)
    shifts = np.zeros(starts.size) if shifts_hz is None else np.asarray(shifts_hz, float)
    frames = []
    for start, shift in zip(starts, shifts, strict=True):
        i = int(np.argmin(np.abs(spec.times_s - start)))
        if i + n <= spec.times_s.size:
            frames.append(_shifted(spec.power[:, i : i + n], int(round(shift / spec.bin_hz))))
    if not frames:
        raise DspValueError(f"no frame of {frame_s:g} s fits inside the spectrogram")
    t = spec.times_s[:n] - spec.times_s[0]
    stacked = np.asarray(np.mean(frames, axis=0, dtype=np.float32))
    return Spectrogram(t, spec.freqs_hz, stacked, spec.bin_hz)


def _shifted(frame: np.ndarray, k: int) -> np.ndarray:
    """``out[f] = frame[f + k]`` (frequency rows), the frame's median where none."""
    if k == 0:
        return frame
    out = np.full_like(frame, np.median(frame))
    if abs(k) < frame.shape[0]:
        if k > 0:
            out[:-k] = frame[k:]
        else:
            out[-k:] = frame[:k]
    return out
