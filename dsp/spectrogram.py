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

__all__ = [
    "GRAB_MARGIN_PX", "QrssResolution", "Spectrogram", "noise_relative_db", "qrss_resolution",
    "qrss_spectrogram", "stack_frames", "StreamingSpectrogram",
]


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


#: Narrowest plot area of a grab, pixels (grabbers draw about 800 for 10 minutes).
_MIN_WIDTH_PX = 800
#: Pixels around a grab's plot area (axis labels, ticks), added to its width.
GRAB_MARGIN_PX = 100
_MIN_COLUMNS_PER_DIT = 4
_MIN_PX_PER_DIT = 4


@dataclass(frozen=True, slots=True)
class QrssResolution:
    """Bins, columns and width of a grab chosen from the dit (see :func:`qrss_resolution`).

    Attributes
    ----------
    bin_hz : float
        Frequency resolution (window ``1 / bin_hz`` s).
    column_s : float
        Time step between spectrogram columns (half the window), s.
    width_px : int
        Width of the plot area of a frame, pixels.
    """

    bin_hz: float
    column_s: float
    width_px: int

    def columns_per_dit(self, dit_s: float) -> float:
        """Spectrogram columns one dit spans."""
        return dit_s / self.column_s

    def pixels_per_dit(self, dit_s: float, frame_s: float) -> float:
        """Image pixels one dit spans in a frame of ``frame_s``."""
        return dit_s * self.width_px / frame_s


def qrss_resolution(dit_s: float, frame_s: float) -> QrssResolution:
    """Choose bin width, column step and frame width so that a dit is clearly drawn.

    A dit spans at least 4 spectrogram columns (the window is half a dit or shorter:
    ``bin_hz = 2 / dit_s``, between 0.1 and 4 Hz, columns half a window apart) and at
    least 4 pixels of the frame (``width_px >= 4 * frame_s / dit_s``, at least 800).

    Raises
    ------
    DspValueError
        A dit or frame that is not finite and > 0.

    Examples
    --------
    >>> r = qrss_resolution(30.0, 600.0)
    >>> round(r.bin_hz, 4), round(r.column_s, 3), r.width_px
    (0.1, 5.0, 800)
    >>> r = qrss_resolution(2.0, 60.0)
    >>> r.bin_hz, r.column_s, r.width_px, r.columns_per_dit(2.0)
    (1.0, 0.5, 800, 4.0)
    """
    if not (np.isfinite(dit_s) and dit_s > 0 and np.isfinite(frame_s) and frame_s > 0):
        raise DspValueError(f"dit_s={dit_s} and frame_s={frame_s} must be finite and > 0")
    bin_hz = float(np.clip(_MIN_COLUMNS_PER_DIT / (2.0 * dit_s), 0.1, 4.0))
    width = max(_MIN_WIDTH_PX, int(np.ceil(_MIN_PX_PER_DIT * frame_s / dit_s)))
    return QrssResolution(bin_hz, 0.5 / bin_hz, width)


def noise_relative_db(power: np.ndarray, smooth_bins: int = 3) -> np.ndarray:
    """Power in dB over the frame's median noise floor, smoothed across frequency bins.

    Each column is averaged over ``smooth_bins`` adjacent bins (a moving average in
    frequency, as QRSS grabbers smooth), then divided by the median of the whole
    frame: 0 dB is the noise floor, a trace stands above it.

    Examples
    --------
    >>> p = np.ones((5, 4), np.float32)
    >>> p[2, 1] = 31.0
    >>> db = noise_relative_db(p)
    >>> float(db[0, 0]), round(float(db[2, 1]), 2)
    (0.0, 10.41)
    """
    p = np.asarray(power, dtype=np.float64)
    if p.size == 0:
        return p.astype(np.float32)
    if smooth_bins > 1 and p.shape[0] >= smooth_bins:
        kernel = np.ones(smooth_bins) / smooth_bins
        pad = smooth_bins // 2
        padded = np.pad(p, ((pad, smooth_bins - 1 - pad), (0, 0)), mode="edge")
        c = np.cumsum(padded, axis=0)
        c = np.vstack([np.zeros((1, p.shape[1])), c])
        p = (c[smooth_bins:] - c[:-smooth_bins]) * kernel[0]
    floor = float(np.median(p))
    tiny = np.finfo(np.float32).tiny
    return (10 * np.log10(np.maximum(p, tiny) / max(floor, tiny))).astype(np.float32)


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


class StreamingSpectrogram:
    """Incremental spectrogram of several channels, columns as the samples arrive.

    The same columns as :func:`qrss_spectrogram` (Hann window of ``sample_rate_hz /
    bin_hz`` samples, half overlap, rows within ``center_hz +- span_hz / 2``), computed
    over blocks fed one after another; only the samples of the next window are kept.

    Examples
    --------
    >>> fs = 200.0
    >>> x = np.exp(2j * np.pi * 12.5 * np.arange(int(60 * fs)) / fs).astype(np.complex64)
    >>> s = StreamingSpectrogram(1, fs, bin_hz=0.5, span_hz=50.0)
    >>> parts = [s.feed(x[None, i : i + 333]) for i in range(0, x.size, 333)]
    >>> cols = np.concatenate([p for _, p in parts], axis=2)
    >>> whole = qrss_spectrogram(x, fs, bin_hz=0.5, span_hz=50.0)
    >>> cols.shape[2] == whole.times_s.size, float(s.freqs_hz[np.argmax(cols[0].mean(1))])
    (True, 12.5)
    """

    def __init__(
        self, n_channels: int, sample_rate_hz: float, *, bin_hz: float, span_hz: float,
        center_hz: float = 0.0,
    ) -> None:  # fmt: skip
        fs = float(sample_rate_hz)
        if not (np.isfinite(fs) and fs > 0 and np.isfinite(bin_hz) and bin_hz > 0):
            raise DspValueError(f"sample_rate_hz={fs} and bin_hz={bin_hz} must be finite and > 0")
        self.n_win = int(round(fs / bin_hz))
        if self.n_win < 4:
            raise DspValueError(f"bin_hz={bin_hz} needs a window of at least 4 samples")
        self.hop = self.n_win // 2
        self.sample_rate_hz = fs
        self.bin_hz = fs / self.n_win
        self._window = hann(self.n_win, sym=False).astype(np.float32)
        freqs = np.fft.fftfreq(self.n_win, 1.0 / fs)
        order = np.argsort(freqs, kind="stable")
        lo, hi = center_hz - span_hz / 2, center_hz + span_hz / 2
        self._rows = order[(freqs[order] >= lo) & (freqs[order] <= hi)]
        self.freqs_hz = freqs[self._rows]
        self._buf = np.zeros((n_channels, 0), np.complex64)
        self._buf0 = 0  # sample index of _buf[:, 0]
        self.columns = 0  # columns produced so far

    @property
    def column_s(self) -> float:
        """Time step between columns, s."""
        return self.hop / self.sample_rate_hz

    def column_time_s(self, j: int | np.ndarray) -> np.ndarray:
        """Centre of column ``j``, s from sample 0."""
        return (np.asarray(j) * self.hop + self.n_win / 2) / self.sample_rate_hz

    def feed(self, rows: np.ndarray) -> tuple[int, np.ndarray]:
        """Take the next samples, shape ``(n_channels, m)``.

        Returns the index of the first new column and the new columns' power, shape
        ``(n_channels, n_freqs, n_new)`` (float32, possibly no columns).
        """
        buf = np.concatenate([self._buf, np.asarray(rows, np.complex64)], axis=1)
        start = self.columns * self.hop - self._buf0
        room = buf.shape[1] - start - self.n_win
        n_new = 0 if room < 0 else room // self.hop + 1
        first = self.columns
        if n_new:
            view = np.lib.stride_tricks.sliding_window_view(buf[:, start:], self.n_win, axis=1)
            seg = view[:, : (n_new - 1) * self.hop + 1 : self.hop] * self._window
            spec = np.fft.fft(seg, axis=2)[:, :, self._rows]
            power = (spec.real**2 + spec.imag**2).astype(np.float32).transpose(0, 2, 1)
            self.columns += n_new
        else:
            power = np.zeros((buf.shape[0], self._rows.size, 0), np.float32)
        keep = self.columns * self.hop - self._buf0
        self._buf = buf[:, keep:].copy()
        self._buf0 += keep
        return first, power
