"""Key-down intervals -> sampled keying envelope, complex baseband or real audio.

Edges are shaped (raised cosine by default) so the keyed carrier has no clicks; the
envelope reaches half amplitude exactly at the nominal edge time, so element energy
equals that of a hard-keyed element of the nominal length.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from dsp.errors import DspValueError

__all__ = ["EdgeShape", "edge_gain", "keyed_audio", "keyed_baseband", "keying_envelope"]

EdgeShape = Literal["raised-cosine", "linear", "hard"]


def _check_rate(sample_rate_hz: float) -> float:
    rate = float(sample_rate_hz)
    if not (np.isfinite(rate) and rate > 0):
        raise DspValueError(f"sample_rate_hz={sample_rate_hz} must be a finite rate > 0 Hz")
    return rate


def _ramp(x: np.ndarray, shape: EdgeShape) -> np.ndarray:
    """Edge profile from 0 to 1 for ``x`` in [-0.5, 0.5] (clipped outside)."""
    x = np.clip(x, -0.5, 0.5) + 0.5
    if shape == "raised-cosine":
        return 0.5 - 0.5 * np.cos(np.pi * x)
    if shape == "linear":
        return x
    return (x >= 0.5).astype(float)


def edge_gain(
    t_s: np.ndarray,
    edge_s: float,
    down: bool,
    *,
    start_level: float = 0.0,
    rise_s: float = 0.005,
    shape: EdgeShape = "raised-cosine",
) -> np.ndarray:
    """Gain in [0, 1] at times ``t_s`` after one edge, for a keyer that renders block by block.

    The edge at ``edge_s`` is centred like :func:`keying_envelope`'s (half way at
    ``edge_s``) and starts from ``start_level`` (the gain when its ramp began), so an
    edge that interrupts another's ramp moves on smoothly instead of jumping.

    Examples
    --------
    >>> edge_gain(np.array([-1.0, 0.0, 1.0]), 0.0, True, rise_s=0.5).round(6).tolist()
    [0.0, 0.5, 1.0]
    >>> edge_gain(np.array([-1.0, 1.0]), 0.0, False, start_level=0.5).tolist()
    [0.5, 0.0]
    """
    x = (np.asarray(t_s, dtype=float) - edge_s) / rise_s if rise_s > 0 else np.asarray(t_s) - edge_s
    r = _ramp(x, shape if rise_s > 0 else "hard")
    return start_level + (1.0 - start_level) * r if down else start_level * (1.0 - r)


def keying_envelope(
    intervals_s: np.ndarray,
    sample_rate_hz: float,
    *,
    duration_s: float,
    rise_s: float = 0.005,
    shape: EdgeShape = "raised-cosine",
) -> np.ndarray:
    """Amplitude envelope in [0, 1] of a keyed carrier, sampled at ``sample_rate_hz``.

    Parameters
    ----------
    intervals_s : ndarray, shape (n, 2)
        Key-down ``[start_s, stop_s]`` pairs, in seconds from the first sample.
    sample_rate_hz : float
        Sample rate in Hz.
    duration_s : float
        Length of the output in seconds.
    rise_s : float, optional
        10-90 %-ish rise time of each edge in seconds (full ramp length).
    shape : {"raised-cosine", "linear", "hard"}, optional
        Edge profile.

    Returns
    -------
    ndarray of float64

    Examples
    --------
    >>> env = keying_envelope([[1.0, 2.0]], 10, duration_s=3, shape="hard")
    >>> env.astype(int).tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    """
    rate = _check_rate(sample_rate_hz)
    if shape not in ("raised-cosine", "linear", "hard"):
        raise DspValueError(f"shape={shape!r} must be 'raised-cosine', 'linear' or 'hard'")
    if not (np.isfinite(duration_s) and duration_s >= 0):
        raise DspValueError(f"duration_s={duration_s} must be >= 0 seconds")
    if not (np.isfinite(rise_s) and rise_s >= 0):
        raise DspValueError(f"rise_s={rise_s} must be >= 0 seconds")
    iv = np.asarray(intervals_s, dtype=float).reshape(-1, 2)
    if np.any(iv[:, 1] < iv[:, 0]) or np.any(iv[1:, 0] < iv[:-1, 1]):
        raise DspValueError("intervals_s must be [start, stop] pairs in time order without overlap")
    n = int(round(duration_s * rate))
    t = np.arange(n) / rate
    env = np.zeros(n)
    rise = max(rise_s, 0.0)
    for start, stop in iv:
        lo = int(np.searchsorted(t, start - rise))
        hi = int(np.searchsorted(t, stop + rise, side="right"))
        if hi <= lo:
            continue
        tt = t[lo:hi]
        if rise == 0 or shape == "hard":
            seg = ((tt >= start) & (tt < stop)).astype(float)
        else:
            up = _ramp((tt - start) / rise, shape)
            down = 1.0 - _ramp((tt - stop) / rise, shape)
            seg = np.minimum(up, down)
        env[lo:hi] = np.maximum(env[lo:hi], seg)
    return env


def keyed_baseband(
    intervals_s: np.ndarray,
    sample_rate_hz: float,
    *,
    duration_s: float,
    offset_hz: float = 0.0,
    amplitude: float = 1.0,
    phase_rad: float = 0.0,
    rise_s: float = 0.005,
    shape: EdgeShape = "raised-cosine",
) -> np.ndarray:
    """Complex baseband of a carrier at ``offset_hz`` keyed by ``intervals_s`` (complex64).

    The carrier is phase-continuous across elements, like a transmitter whose
    oscillator runs while the key is up.

    Examples
    --------
    >>> x = keyed_baseband([[0.0, 1.0]], 100, duration_s=2, offset_hz=10, shape="hard")
    >>> x.dtype, round(float(np.mean(np.abs(x[:100]) ** 2)), 3), float(np.abs(x[150]))
    (dtype('complex64'), 1.0, 0.0)
    """
    rate = _check_rate(sample_rate_hz)
    if abs(offset_hz) >= rate / 2:
        raise DspValueError(
            f"offset_hz={offset_hz} is beyond the Nyquist limit +-{rate / 2:g} Hz "
            f"for sample_rate_hz={rate:g}"
        )
    env = keying_envelope(intervals_s, rate, duration_s=duration_s, rise_s=rise_s, shape=shape)
    t = np.arange(env.size) / rate
    phase = 2 * np.pi * offset_hz * t + phase_rad
    return (amplitude * env * np.exp(1j * phase)).astype(np.complex64)


def keyed_audio(
    intervals_s: np.ndarray,
    sample_rate_hz: float,
    *,
    duration_s: float,
    tone_hz: float = 1000.0,
    amplitude: float = 0.5,
    rise_s: float = 0.005,
    shape: EdgeShape = "raised-cosine",
) -> np.ndarray:
    """Real audio tone at ``tone_hz`` keyed by ``intervals_s`` (float32), as a receiver in CW mode.

    Examples
    --------
    >>> y = keyed_audio([[0.0, 1.0]], 8000, duration_s=1, tone_hz=600, shape="hard")
    >>> y.dtype, round(float(np.max(y)), 3)
    (dtype('float32'), 0.5)
    """
    rate = _check_rate(sample_rate_hz)
    if not 0 < tone_hz < rate / 2:
        raise DspValueError(
            f"tone_hz={tone_hz} must be between 0 and the Nyquist limit {rate / 2:g} Hz"
        )
    env = keying_envelope(intervals_s, rate, duration_s=duration_s, rise_s=rise_s, shape=shape)
    t = np.arange(env.size) / rate
    return (amplitude * env * np.cos(2 * np.pi * tone_hz * t)).astype(np.float32)
