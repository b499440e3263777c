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

import numpy as np
import scipy.fft

from dsp.candidates import Acquisition, TrackSearch
from dsp.spectrum import band_of, dechirp

__all__ = ["Acquisition", "acquire", "narrowband", "refine"]


def acquire(
    baseband: np.ndarray,
    sample_rate_hz: float,
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
    return TrackSearch(
        baseband, sample_rate_hz, search_hz=search_hz, max_drift_hz_per_s=max_drift_hz_per_s,
        frame_s=frame_s,
    ).best()  # fmt: skip


#: Samples mixed at a time by :func:`narrowband` (bounds its float64 temporaries).
_MIX_CHUNK = 1 << 16


def narrowband(
    baseband: np.ndarray,
    sample_rate_hz: float,
    *,
    freq_hz: float,
    drift_hz_per_s: float,
    half_band_hz: float,
) -> tuple[np.ndarray, float]:
    """Mix the track ``freq_hz + drift_hz_per_s * t`` to 0 Hz and keep ``+-half_band_hz``."""
    def mix(block: np.ndarray, index: np.ndarray) -> np.ndarray:
        out = np.empty(block.shape, np.complex64)
        for a in range(0, block.size, _MIX_CHUNK):  # float64 phase, complex128 temporaries
            t = index[a : a + _MIX_CHUNK] / sample_rate_hz
            phase = 2 * np.pi * (freq_hz * t + 0.5 * drift_hz_per_s * t**2)
            out[a : a + _MIX_CHUNK] = block[a : a + _MIX_CHUNK] * np.exp(-1j * phase)
        return out

    half = min(half_band_hz, sample_rate_hz / 2)
    return band_of(baseband, sample_rate_hz, center_hz=0.0, half_band_hz=half, premix=mix)


#: Acquisition drift cells searched on each side by :func:`refine`.
REFINE_DRIFT_STEPS = 3


def refine(
    baseband: np.ndarray, sample_rate_hz: float, acq: Acquisition
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
    half = 2.0 * acq.freq_step_hz + 0.5 * span * baseband.size / sample_rate_hz
    z, rate_z = narrowband(
        baseband, sample_rate_hz, freq_hz=acq.freq_hz, drift_hz_per_s=acq.drift_hz_per_s,
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
