"""Find an unknown keyed carrier: frequency and drift, with a calibrated false-alarm rate.

Acquisition splits the baseband into non-overlapping rectangular frames (a few
seconds long, short enough that the largest searched drift stays inside one
resolution cell per frame), normalises every bin by the local noise level and sums
frame powers along every straight drift track.  For white noise each normalised
bin is exponential with mean 1 and independent between frames, so a track sum over
M frames is Gamma(M, 1); the probability that *any* of the searched cells beats the
best one by chance is bounded by ``cells * Gamma(M).sf(best)`` (Bonferroni, i.e.
conservative: neighbouring cells are correlated).

Refinement then measures frequency and drift to a small fraction of a 30 s dit's
matched bandwidth with a coherent FFT over the whole recording, searched over a
fine drift grid.  That assumes a phase-continuous carrier (a transmitter's
oscillator keeps running while the key is up), which is how slow-Morse beacons and
event transmitters work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.ndimage

from dsp.spectrum import dechirp, frame_power, to_baseband, track_sums
from dsp.stack import family_false_alarm

__all__ = ["Acquisition", "acquire", "narrowband", "refine"]


@dataclass(frozen=True, slots=True)
class Acquisition:
    """Best carrier track found by :func:`acquire`.

    Attributes
    ----------
    freq_hz : float
        Carrier frequency at t = 0 relative to the baseband centre, Hz.
    drift_hz_per_s : float
        Linear drift, Hz/s.
    statistic : float
        Sum of normalised frame powers along the track (noise: Gamma(frames, 1)).
    frames : int
        Number of frames summed.
    cells : int
        Number of frequency x drift tracks searched.
    false_alarm_probability : float
        Bonferroni bound on noise giving a track at least this strong.
    noise_psd : float
        Noise power spectral density at the carrier, in (sample units)^2 per Hz.
    freq_step_hz : float
        Bin spacing of the acquisition spectra, Hz.
    drift_step_hz_per_s : float
        Spacing of the searched drifts, Hz/s.
    """

    freq_hz: float
    drift_hz_per_s: float
    statistic: float
    frames: int
    cells: int
    false_alarm_probability: float
    noise_psd: float
    freq_step_hz: float
    drift_step_hz_per_s: float


def _noise_floor(power: np.ndarray) -> np.ndarray:
    """Per-bin mean noise power: median over frames, smoothed across frequency."""
    m, b = power.shape
    if m >= 8:
        per_bin = np.median(power, axis=0) / np.log(2)
        width = min(513, b - (1 - b % 2))
        floor = scipy.ndimage.median_filter(per_bin, size=max(width, 1), mode="mirror")
    else:
        floor = np.full(b, np.median(power) / np.log(2))
    return np.maximum(floor, np.finfo(np.float32).tiny)


def acquire(
    baseband: np.ndarray,
    rate_hz: float,
    *,
    search_hz: float,
    max_drift_hz_per_s: float,
    frame_s: float | None = None,
) -> Acquisition:
    """Search ``+-search_hz`` and ``+-max_drift_hz_per_s`` for the strongest carrier track.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(200_000) / 2000.0
    >>> x = np.exp(2j * np.pi * 123.4 * t) * 0.1 + [1, 1j] @ rng.normal(0, 1, (2, t.size))
    >>> acq = acquire(x, 2000.0, search_hz=1000.0, max_drift_hz_per_s=0.01)
    >>> round(acq.freq_hz, 1), acq.false_alarm_probability < 1e-6
    (123.4, True)
    """
    duration_s = baseband.size / rate_hz
    if frame_s is None:
        # 2 * drift * frame**2 <= 1: the track moves at most one (half-width) bin per frame.
        frame_s = 0.7 / np.sqrt(max_drift_hz_per_s) if max_drift_hz_per_s > 0 else 10.0
        frame_s = float(np.clip(frame_s, 0.25, 10.0))
    frame_s = min(frame_s, duration_s / 4) if duration_s >= 1.0 else duration_s
    pad = 2
    power = frame_power(baseband, rate_hz, frame_s, pad=pad)
    m, b = power.shape
    n_frame = max(int(round(frame_s * rate_hz)), 1)
    frame_s = n_frame / rate_hz
    df = 1.0 / (pad * frame_s)
    freqs = (np.arange(b) - b // 2) * df
    keep = np.abs(freqs) <= search_hz
    power, freqs = power[:, keep], freqs[keep]
    floor = _noise_floor(power)
    norm = power / floor
    span_s = (m - 1) * frame_s
    max_shift = int(np.ceil(max_drift_hz_per_s * span_s / df)) if m > 1 else 0
    sums, shifts = track_sums(norm, max_shift)
    flat = int(np.argmax(sums))
    i, k = divmod(flat, sums.shape[1])
    stat = float(sums[i, k])
    cells = int(sums.size)
    fap = family_false_alarm(stat, m, cells)
    drift = float(shifts[i] * df / span_s) if m > 1 else 0.0
    f0 = float(freqs[k] - drift * 0.5 * frame_s)
    n0 = float(floor[k] / n_frame / rate_hz)
    return Acquisition(
        freq_hz=f0,
        drift_hz_per_s=drift,
        statistic=stat,
        frames=m,
        cells=cells,
        false_alarm_probability=fap,
        noise_psd=n0,
        freq_step_hz=df,
        drift_step_hz_per_s=df / span_s if m > 1 else 0.0,
    )


def narrowband(
    baseband: np.ndarray,
    rate_hz: float,
    *,
    freq_hz: float,
    drift_hz_per_s: float,
    half_band_hz: float,
) -> tuple[np.ndarray, float]:
    """Mix the track ``freq_hz + drift_hz_per_s * t`` to 0 Hz and keep ``+-half_band_hz``."""
    t = np.arange(baseband.size) / rate_hz
    phase = 2 * np.pi * (freq_hz * t + 0.5 * drift_hz_per_s * t**2)
    mixed = baseband * np.exp(-1j * phase)
    half = min(half_band_hz, rate_hz / 2)
    return to_baseband(mixed.astype(np.complex64), rate_hz, center_hz=0.0, half_band_hz=half)


#: Acquisition drift cells searched on each side by :func:`refine`.
REFINE_DRIFT_STEPS = 3


def refine(
    baseband: np.ndarray, rate_hz: float, acq: Acquisition
) -> tuple[float, float]:
    """Refine frequency and drift by a coherent whole-recording FFT over a fine drift grid.

    Returns
    -------
    freq_hz, drift_hz_per_s : float
        Carrier frequency at t = 0 (relative to the baseband centre) and drift.
    """
    # At low SNR the acquisition grid can pick a neighbouring drift cell: search
    # +-REFINE_DRIFT_STEPS cells (a drift left over by one cell costs the coherent
    # unit integration of the decoder most of the energy at the ends of a long record).
    span = max(REFINE_DRIFT_STEPS * acq.drift_step_hz_per_s, 1e-12)
    half = 2.0 * acq.freq_step_hz + 0.5 * span * baseband.size / rate_hz
    z, rate_z = narrowband(
        baseband, rate_hz, freq_hz=acq.freq_hz, drift_hz_per_s=acq.drift_hz_per_s,
        half_band_hz=max(half, 0.25),
    )
    duration_s = z.size / rate_z
    t_mid = duration_s / 2
    step = 0.5 / duration_s**2
    n_drift = int(min(np.ceil(span / step), 400))
    drifts = np.linspace(-span, span, 2 * n_drift + 1)
    n_fft = scipy.fft.next_fast_len(8 * z.size)
    best = (-1.0, 0.0, 0.0)
    for d in drifts:
        spec = scipy.fft.fft(dechirp(z, rate_z, d, t_mid), n=n_fft)
        p = spec.real**2 + spec.imag**2
        j = int(np.argmax(p))
        if p[j] > best[0]:
            # Parabolic interpolation of the peak on the log power.
            a, b_, c = (np.log(p[(j + o) % n_fft] + 1e-300) for o in (-1, 0, 1))
            den = a - 2 * b_ + c
            delta = 0.5 * (a - c) / den if den < 0 else 0.0
            f = ((j + delta + n_fft / 2) % n_fft - n_fft / 2) * rate_z / n_fft
            best = (float(p[j]), f, float(d))
    _, f_mid, d_drift = best
    drift = acq.drift_hz_per_s + d_drift
    freq = acq.freq_hz + f_mid - d_drift * t_mid
    return float(freq), float(drift)
