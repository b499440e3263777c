"""Following a carrier whose frequency is not a straight line: a rig warming up.

After switching on, a rig's oscillator moves by tens of hertz over minutes, fastest
at first, then settles (``reference/real-band.md``).  A straight drift line then
fits only part of the message, and coherent unit energies along it lose the rest.
:func:`follow` finds such a move in three steps:

1. **Frames**: the carrier's neighbourhood (``+-HALF_BAND_HZ`` around its straight
   track) in frames of :data:`FRAME_S` (0.5 Hz bins; a move of up to
   ``1 / FRAME_S**2`` Hz/s stays in one bin per frame), each normalised by its
   median bin.
2. **Dynamic programming**: the path through the frames that maximises the sum of
   soft-thresholded frame powers, moving at most one bin per frame (Viterbi);
   key-up frames add nothing whichever bin they are in.
3. **A settling model**: ``f(t) = c + b t + A exp(-t / tau)`` fitted to the path by
   weighted least squares (weights: the frame's power above the noise) for each
   ``tau`` of a grid; the best fit is kept when its exponential part moves the
   carrier by more than a bin.

The decoder removes the move (:func:`settling_phase`), refines the remaining straight
line coherently, and keeps whichever of the two readings, straight or settling, holds
more coherent energy (one more hypothesis in its union bound).

Hand-written: the Viterbi here is a few lines of NumPy over a banded transition, and
no maintained library tracks a frequency in a spectrogram this way (SciPy has none;
WSJT-X and QrssPiG assume straight lines).

Examples
--------
>>> rng = np.random.default_rng(3)
>>> rate, n = 200.0, 80_000                            # 400 s at 200 S/s
>>> t = np.arange(n) / rate
>>> f = 5.0 - 20.0 * np.exp(-t / 90.0)                 # settles 20 Hz, tau 90 s
>>> x = np.exp(2j * np.pi * np.cumsum(f) / rate) * 0.1    # -31 dB SNR2500
>>> x += (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
>>> s = follow(x, rate, freq_hz=0.0, drift_hz_per_s=0.0)
>>> round(s.settle_hz), 80 <= s.tau_s <= 100
(-20, True)
"""

from __future__ import annotations

import numpy as np
import scipy.optimize

from dsp.acquire import narrowband
from dsp.results import Settling

__all__ = ["FRAME_S", "HALF_BAND_HZ", "STAGES", "TAUS_S", "follow", "settling_phase"]

#: Frame length of the tracker's first stage, s (bins of 1 / FRAME_S Hz, hop half a
#: frame); a move of up to ``1 / FRAME_S**2`` Hz/s stays in one bin per frame.
FRAME_S = 2.0
#: (frame s, half-width Hz) of each stage: each measures what the track so far
#: left, in longer frames and finer bins (a 30 s unit needs the track to ~0.01 Hz).
STAGES = ((FRAME_S, 40.0), (8.0, 2.0), (32.0, 0.5))
#: Half-width searched around the straight track, Hz.
HALF_BAND_HZ = 40.0
#: Time constants fitted, s.
TAUS_S = tuple(float(v) for v in np.geomspace(20.0, 600.0, 64))
#: Frame power (in noise units) below which a frame says nothing about the path.
_THRESHOLD = 3.0


def _frames(z: np.ndarray, rate: float, frame_s: float):
    """Normalised powers (frames, bins; 0 Hz in the middle), frame centre times, bin width."""
    n = max(int(round(frame_s * rate)), 4)
    hop = n // 2
    m = (z.size - n) // hop + 1
    if m < 8:
        return np.zeros((0, 0)), np.zeros(0), 1.0
    idx = np.arange(m)[:, None] * hop + np.arange(n)[None, :]
    spec = np.fft.fftshift(np.fft.fft(z[idx] * np.hanning(n), axis=1), axes=1)
    p = spec.real**2 + spec.imag**2
    p /= np.median(p, axis=1, keepdims=True) / np.log(2)  # exponential noise: mean 1
    times = (np.arange(m) * hop + n / 2) / rate
    return p, times, rate / n


def _viterbi(score: np.ndarray) -> np.ndarray:
    """Best path (bin per frame) moving at most one bin per frame."""
    m, b = score.shape
    total = score[0].copy()
    back = np.zeros((m, b), np.int8)
    for i in range(1, m):
        stay, down, up = total, np.r_[-np.inf, total[:-1]], np.r_[total[1:], -np.inf]
        choice = np.argmax(np.stack([down, stay, up]), axis=0)
        total = np.choose(choice, [down, stay, up]) + score[i]
        back[i] = choice - 1
    path = np.empty(m, int)
    path[-1] = int(np.argmax(total))
    for i in range(m - 1, 0, -1):
        path[i - 1] = path[i] + back[i, path[i]]
    return path


def _model(times: np.ndarray, tau: float) -> np.ndarray:
    return np.column_stack([np.ones_like(times), times, np.exp(-times / tau)])


def _fit(times: np.ndarray, freqs: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Best (tau, coefficients) of ``c + b t + A exp(-t / tau)`` over :data:`TAUS_S`."""
    sw = np.sqrt(w)
    best = (np.inf, TAUS_S[0], np.zeros(3))
    for tau in TAUS_S:
        a = _model(times, tau)
        coef, *_ = np.linalg.lstsq(a * sw[:, None], freqs * sw, rcond=None)
        res = float(np.sum(w * (freqs - a @ coef) ** 2))
        if res < best[0]:
            best = (res, tau, coef)
    return best[1], best[2]


def _path(z: np.ndarray, rate: float, frame_s: float, half_hz: float):
    """Return times, frequencies and weights of the strongest path within ``+-half_hz``."""
    p, times, bin_hz = _frames(z, rate, frame_s)
    if p.shape[0] == 0:
        return None
    axis = (np.arange(p.shape[1]) - p.shape[1] // 2) * bin_hz
    keep = np.abs(axis) <= half_hz + 1e-9
    p, axis = p[:, keep], axis[keep]
    # Spread over the bin and its neighbours (a Hann frame's main lobe).
    lobe = p + 0.5 * (np.roll(p, 1, axis=1) + np.roll(p, -1, axis=1))
    score = np.maximum(lobe - _THRESHOLD, 0.0)
    path = _viterbi(score)
    w = score[np.arange(path.size), path]
    if np.count_nonzero(w) < 8:
        return None
    return times, axis[path], w, bin_hz


def follow(
    baseband: np.ndarray, sample_rate_hz: float, *, freq_hz: float, drift_hz_per_s: float
) -> Settling | None:
    """Find a settling move of the carrier near the straight track; None if it is straight.

    Parameters
    ----------
    baseband : ndarray of complex
        The band (complex baseband).
    sample_rate_hz : float
        Its sample rate, Hz.
    freq_hz, drift_hz_per_s : float
        The straight track the carrier was found on (frequency at t = 0, drift).

    Returns
    -------
    Settling or None
        Relative to the straight track.
    """
    z, rate = narrowband(baseband, sample_rate_hz, freq_hz=freq_hz, drift_hz_per_s=drift_hz_per_s,
                         half_band_hz=HALF_BAND_HZ)  # fmt: skip
    t = np.arange(z.size) / rate
    tau, coef = TAUS_S[0], np.zeros(3)
    for i, (frame_s, half_hz) in enumerate(STAGES):
        # Frames along the track so far; each stage measures what is left, finer.
        mix = z if i == 0 else z * np.exp(-1j * _phase(t, tau, coef))
        found = _path(mix, rate, frame_s, half_hz)
        if found is None:
            return None
        times, residual, w, bin_hz = found
        before = _model(times, tau) @ coef if i else 0.0
        tau, coef = _fit(times, before + residual, w)
        if i == 0:
            move = abs(coef[2]) * (np.exp(-times[0] / tau) - np.exp(-times[-1] / tau))
            if move <= bin_hz:  # the exponential moves it less than a bin: straight
                return None
    tau, coef, gain, ratio = _polish(z, rate, tau, coef)
    if gain <= MIN_GAIN or ratio <= MIN_RATIO:  # the straight line holds about as much
        return None
    if np.min(np.abs(_model(t[:: max(int(rate), 1)], tau) @ coef)) > TOUCH_HZ:
        return None  # it never meets the track it was found on: another carrier
    return Settling(float(coef[2]), float(tau), float(coef[0]), float(coef[1]))


#: Least gain of the settling reading over the straight one, in noise units of the
#: 30 s segments: the four fitted parameters gain a few units on noise alone, a rig
#: warming up by 10 Hz or more hundreds.
MIN_GAIN = 25.0
#: ... and as a ratio (a strong straight carrier gains many noise units from any
#: small misfit of its line).
MIN_RATIO = 1.1
#: The settling track must come this close to the straight track it was found on
#: (else the frames followed a neighbouring carrier), Hz.
TOUCH_HZ = 1.0
#: Segment lengths of the polishing passes, s: energy summed over segments this long.
POLISH_SEGMENTS_S = (10.0, 30.0)


def _polish(z: np.ndarray, rate: float, tau: float, coef: np.ndarray):
    """Refine (tau, coefficients) by maximising the energy in short coherent segments.

    The fitted path leaves the frequency within a few hundredths of a hertz; a 30 s
    unit needs it to about 0.01 Hz.  The carrier along the model is averaged down to
    4 S/s, then Nelder-Mead maximises the summed energy of segments of 10 s, then
    30 s (basins about 1 / (2 segment) Hz wide).  Also returns how much more energy
    the 30 s segments hold along the result than along the straight track, in units
    of the noise energy of a segment and as a ratio.
    """
    t = np.arange(z.size) / rate
    k = max(int(rate / 4.0), 1)
    m = z.size // k
    base = (z * np.exp(-1j * _phase(t, tau, coef)))[: m * k].reshape(m, k).mean(axis=1)
    plain = z[: m * k].reshape(m, k).mean(axis=1)  # along the straight track
    tb = (np.arange(m) + 0.5) * k / rate
    ref = _phase(tb, tau, coef)
    params = np.zeros(4)
    last = None  # (segment length, usable length, energy) of the last pass
    for seg_s in POLISH_SEGMENTS_S:
        n_seg = max(int(round(seg_s * rate / k)), 1)
        usable = (m // n_seg) * n_seg
        if usable == 0:
            break

        def cost(p: np.ndarray, n_seg: int = n_seg, usable: int = usable) -> float:
            ph = _phase(tb, tau * np.exp(p[3]), coef + p[:3]) - ref
            y = (base * np.exp(-1j * ph))[:usable].reshape(-1, n_seg).sum(axis=1)
            return -float(np.sum(y.real**2 + y.imag**2))

        steps = np.diag([0.5 / seg_s, 0.5 / seg_s / t[-1], 1.0 / seg_s, 0.05])
        found = scipy.optimize.minimize(
            cost, params, method="Nelder-Mead",
            options={"initial_simplex": np.vstack([params, params + steps]),
                     "xatol": 1e-5, "fatol": 1e-3, "maxfev": 400},
        )  # fmt: skip
        params = found.x
        last = (n_seg, usable, -found.fun)
    if last is None:
        return tau, coef, 0.0, 0.0
    n_seg, usable, energy = last
    flat = plain[:usable].reshape(-1, n_seg).sum(axis=1)
    straight = float(np.sum(flat.real**2 + flat.imag**2))
    if not straight > 0:
        return tau, coef, 0.0, 0.0
    unit = n_seg * np.median(np.abs(z) ** 2) / np.log(2) / k  # noise energy of a segment
    gain, ratio = (energy - straight) / unit, energy / straight
    return float(tau * np.exp(params[3])), coef + params[:3], gain, ratio


def _phase(t: np.ndarray, tau: float, coef: np.ndarray) -> np.ndarray:
    """Phase of ``c + b t + A exp(-t / tau)`` from t = 0, radians."""
    c, b, a = coef
    return 2 * np.pi * (c * t + 0.5 * b * t**2 - a * tau * np.expm1(-t / tau))


def settling_phase(settling: Settling, n: int, sample_rate_hz: float) -> np.ndarray:
    """Phase of the exponential part of ``settling`` at every sample, radians.

    Examples
    --------
    >>> ph = settling_phase(Settling(10.0, 50.0), 1000, 10.0)
    >>> round(float(ph[-1] / (2 * np.pi)), 1)  # 10 Hz * 50 s * (1 - exp(-2)) turns
    432.2
    """
    t = np.arange(n) / sample_rate_hz
    return _phase(t, settling.tau_s, np.array([0.0, 0.0, settling.settle_hz]))
