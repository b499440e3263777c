"""How a station's signal varies on the way: fading, rigs that warm up, hand keying.

The signal-side impairments of ``reference/real-band.md`` for :mod:`dsp.impair`
(a :class:`~dsp.impair.Keyed` station takes a :class:`Fading` and a :class:`Warmup`;
:func:`hand_keyed` turns a schedule's key intervals into an operator's):

- **QSB fading**: a complex gain, a Gaussian process with a Gaussian-shaped
  autocorrelation (``|R(tau)| = exp(-(tau / correlation_s)**2)``), Rayleigh, or
  Rician with a steady part ``K`` times the scattered power.  Its mean power is 1,
  so a station's SNR2500 is the mean over fades.
- **Warm-up drift**: after switching on, the frequency moves by ``settle_hz`` towards
  its final value as ``1 - exp(-t / tau_s)``: ``settle_hz / tau_s`` Hz/s at first.
- **Hand keying and clocks**: every edge late or early at random (``jitter_s`` rms),
  and the operator's clock ``clock_offset_s`` off.

Hand-written because these are a few lines each and no Python library models them
for slow Morse (channel simulators such as GNU Radio's model fast multipath).

Examples
--------
>>> import numpy as np
>>> g = Fading(k_db=None, correlation_s=120.0).gains(360_000.0, np.random.default_rng(1))
>>> round(float(np.mean(np.abs(g(np.arange(0.0, 360_000.0, 10.0))) ** 2)), 1)
1.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dsp.errors import DspValueError

__all__ = ["Fading", "Warmup", "hand_keyed"]

#: Gain samples per correlation time (the gain is interpolated between them).
_STEPS_PER_CORRELATION = 20


@dataclass(frozen=True, slots=True)
class Fading:
    """QSB: a slowly varying complex gain of mean power 1.

    Attributes
    ----------
    k_db : float or None
        Rician K factor (steady over scattered power), dB; None for Rayleigh.
    correlation_s : float
        Time at which the gain's autocorrelation falls to 1/e, s (60-300 on 10 m).
    """

    k_db: float | None = None
    correlation_s: float = 120.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.correlation_s) and self.correlation_s > 0):
            raise DspValueError(f"correlation_s={self.correlation_s} must be > 0 s")
        if self.k_db is not None and not np.isfinite(self.k_db):
            raise DspValueError(f"k_db={self.k_db} must be finite (None for Rayleigh)")

    def gains(
        self, duration_s: float, rng: np.random.Generator
    ) -> Callable[[np.ndarray], np.ndarray]:
        """Draw one fading history; return ``gain(t_s)`` (complex) for times in the span.

        Two draws from ``rng`` per gain step and one for the steady part's phase.
        """
        step = self.correlation_s / _STEPS_PER_CORRELATION
        sigma = self.correlation_s / 2 / step  # kernel std in steps: R(tau) = exp(-tau²/4σ²)
        half = int(np.ceil(4 * sigma))
        n = int(np.ceil(duration_s / step)) + 2
        white = rng.standard_normal((2, n + 2 * half))
        k = np.arange(-half, half + 1)
        kernel = np.exp(-0.5 * (k / sigma) ** 2)
        kernel /= np.sqrt(np.sum(kernel**2))  # unit power out
        coloured = [np.convolve(w, kernel, mode="valid") for w in white]
        scattered = (coloured[0] + 1j * coloured[1]) / np.sqrt(2.0)
        phase0 = rng.uniform(0, 2 * np.pi)
        if self.k_db is None:
            g = scattered
        else:
            kk = 10 ** (self.k_db / 10)
            g = np.sqrt(kk / (kk + 1)) * np.exp(1j * phase0) + scattered / np.sqrt(kk + 1)
        grid = np.arange(n) * step

        def gain(t_s: np.ndarray) -> np.ndarray:
            t = np.asarray(t_s, dtype=float)
            return np.interp(t, grid, g.real) + 1j * np.interp(t, grid, g.imag)

        return gain


@dataclass(frozen=True, slots=True)
class Warmup:
    """A rig warming up: its frequency settles exponentially by ``settle_hz``.

    Attributes
    ----------
    settle_hz : float
        Total move, Hz (signed; 10-25 on a cold 10 m rig).
    tau_s : float
        Time constant, s (90-200).
    """

    settle_hz: float
    tau_s: float

    def __post_init__(self) -> None:
        if not np.isfinite(self.settle_hz):
            raise DspValueError(f"settle_hz={self.settle_hz} must be finite")
        if not (np.isfinite(self.tau_s) and self.tau_s > 0):
            raise DspValueError(f"tau_s={self.tau_s} must be > 0 s")

    def offset_hz(self, t_s: np.ndarray) -> np.ndarray:
        """Frequency offset at ``t_s`` from switch-on, Hz.

        Examples
        --------
        >>> Warmup(25.0, 90.0).offset_hz(np.array([0.0, 90.0, 1e4])).round(2).tolist()
        [0.0, 15.8, 25.0]
        """
        return self.settle_hz * -np.expm1(-np.asarray(t_s, float) / self.tau_s)

    def phase_rad(self, t_s: np.ndarray) -> np.ndarray:
        """Phase added by the move, radians (the integral of :meth:`offset_hz`)."""
        t = np.asarray(t_s, float)
        return 2 * np.pi * self.settle_hz * (t + self.tau_s * np.expm1(-t / self.tau_s))


def hand_keyed(
    intervals_s: np.ndarray,
    jitter_s: float,
    clock_offset_s: float,
    rng: np.random.Generator,
    *,
    min_length_s: float = 1.0,
) -> np.ndarray:
    """Key intervals as an operator keys them: every edge jittered, the clock off.

    Parameters
    ----------
    intervals_s : ndarray, shape (n, 2)
        Scheduled key-down ``(start_s, stop_s)``, in order.
    jitter_s : float
        Rms error of every edge, s (Gaussian; one draw per edge, in order).
    clock_offset_s : float
        The operator's clock minus UTC, s (positive: keys late).
    rng : numpy.random.Generator
    min_length_s : float, optional
        No key-down or key-up becomes shorter than this.

    Returns
    -------
    ndarray, shape (n, 2)

    Examples
    --------
    >>> iv = np.array([[0.0, 30.0], [60.0, 90.0]])
    >>> hand_keyed(iv, 0.0, 5.0, np.random.default_rng(0)).tolist()
    [[5.0, 35.0], [65.0, 95.0]]
    """
    iv = np.asarray(intervals_s, dtype=float).reshape(-1, 2)
    if not (np.isfinite(jitter_s) and jitter_s >= 0):
        raise DspValueError(f"jitter_s={jitter_s} must be >= 0 s")
    if not np.isfinite(clock_offset_s):
        raise DspValueError(f"clock_offset_s={clock_offset_s} must be finite")
    edges = iv.reshape(-1).copy()
    edges += rng.normal(0.0, jitter_s, edges.size) if jitter_s > 0 else 0.0
    for i in range(1, edges.size):  # keep the order: no element or gap vanishes
        edges[i] = max(edges[i], edges[i - 1] + min_length_s)
    return (edges + clock_offset_s).reshape(-1, 2)
