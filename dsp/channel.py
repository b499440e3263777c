"""Channel simulation: carrier offset, linear drift, phase wander, slow fading, white noise.

Noise is set by the amateur SNR convention used throughout hi-station:

    SNR2500 = C / (N0 * 2500 Hz)

with C the carrier power during key-down and N0 the one-sided noise power spectral
density.  For complex baseband sampled at ``fs`` the complex noise variance is
``N0 * fs``; for real audio it is ``N0 * fs / 2`` and a cosine of amplitude A has
C = A**2 / 2.  Every random draw comes from the ``rng`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dsp.errors import DspValueError

__all__ = ["Channel", "apply_channel", "noise_sigma"]


@dataclass(frozen=True, slots=True)
class Channel:
    """What the path between transmitter and receiver does to a keyed carrier.

    Attributes
    ----------
    snr2500_db : float or None
        Carrier-to-noise ratio in 2500 Hz, in dB; None adds no noise.
    offset_hz : float
        Carrier frequency offset at t = 0, in Hz.
    drift_hz_per_s : float
        Linear frequency drift in Hz per second (1 Hz/min = 1/60 Hz/s).
    phase_wander_hz : float
        Lorentzian linewidth of a random-walk phase (Wiener phase noise), in Hz.
    fading_rate_hz : float
        Doppler spread of slow Rayleigh fading in Hz; 0 disables fading.
    """

    snr2500_db: float | None = None
    offset_hz: float = 0.0
    drift_hz_per_s: float = 0.0
    phase_wander_hz: float = 0.0
    fading_rate_hz: float = 0.0

    def __post_init__(self) -> None:
        for name in ("offset_hz", "drift_hz_per_s", "phase_wander_hz", "fading_rate_hz"):
            value = getattr(self, name)
            if not np.isfinite(value):
                raise DspValueError(f"{name}={value} must be finite")
        if self.snr2500_db is not None and not np.isfinite(self.snr2500_db):
            raise DspValueError(f"snr2500_db={self.snr2500_db} must be finite (or None)")
        if self.phase_wander_hz < 0 or self.fading_rate_hz < 0:
            raise DspValueError("phase_wander_hz and fading_rate_hz must be >= 0 Hz")


def noise_sigma(
    snr2500_db: float, sample_rate_hz: float, *, carrier_power: float = 1.0, real: bool = False
) -> float:
    """Noise standard deviation giving ``snr2500_db`` for a carrier of ``carrier_power``.

    For complex noise this is the total standard deviation (real and imaginary parts
    each carry half the variance).

    Examples
    --------
    >>> round(noise_sigma(0.0, 2500.0), 6)       # C = N0 * 2500 and variance N0 * fs
    1.0
    >>> round(noise_sigma(-30.0, 2000.0) ** 2, 3)
    800.0
    """
    snr = 10.0 ** (snr2500_db / 10.0)
    n0 = carrier_power / (2500.0 * snr)
    variance = n0 * sample_rate_hz / (2.0 if real else 1.0)
    return float(np.sqrt(variance))


def _fading(
    n: int, sample_rate_hz: float, doppler_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """Unit-mean-power complex Rayleigh gain with Doppler spread ``doppler_hz``."""
    step_s = 0.1 / doppler_hz
    m = int(np.ceil(n / sample_rate_hz / step_s)) + 8
    g = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    # Smooth with a Gaussian kernel whose width matches the Doppler spread.
    k = np.exp(-0.5 * (np.arange(-30, 31) / 10.0) ** 2)
    g = np.convolve(g, k, mode="same")
    g /= np.sqrt(np.mean(np.abs(g) ** 2))
    t_low = np.arange(m) * step_s
    t = np.arange(n) / sample_rate_hz
    return np.interp(t, t_low, g.real) + 1j * np.interp(t, t_low, g.imag)


def apply_channel(
    signal: np.ndarray,
    sample_rate_hz: float,
    channel: Channel,
    rng: np.random.Generator,
    *,
    carrier_power: float | None = None,
    real_output: bool = False,
) -> np.ndarray:
    """Pass a complex keyed signal through ``channel``.

    Parameters
    ----------
    signal : ndarray of complex
        Clean complex signal (baseband, or an analytic audio tone).
    sample_rate_hz : float
        Sample rate in Hz.
    channel : Channel
        Offset, drift, phase wander, fading and SNR2500.
    rng : numpy.random.Generator
        Source of every random draw.
    carrier_power : float, optional
        Key-down carrier power C of the complex ``signal``; defaults to
        ``max(|signal|**2)``.  For ``real_output`` the real carrier power is C / 2.
    real_output : bool, optional
        Return the real part plus real noise (audio) instead of complex samples.

    Returns
    -------
    ndarray
        complex64, or float32 when ``real_output``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.ones(200_000, complex)
    >>> y = apply_channel(x, 2000.0, Channel(snr2500_db=-10.0), rng)
    >>> round(float(np.var(y - 1)), 1)    # N0 * fs = fs / (2500 * 0.1)
    8.0
    """
    rate = float(sample_rate_hz)
    if not (np.isfinite(rate) and rate > 0):
        raise DspValueError(f"sample_rate_hz={sample_rate_hz} must be a finite rate > 0 Hz")
    x = np.asarray(signal).astype(np.complex128)
    if not np.all(np.isfinite(x)):
        raise DspValueError("signal holds NaN or infinite samples")
    span_hz = abs(channel.offset_hz) + abs(channel.drift_hz_per_s) * x.size / rate
    if span_hz >= rate / 2:
        raise DspValueError(
            f"offset_hz={channel.offset_hz} with drift_hz_per_s={channel.drift_hz_per_s} "
            f"reaches {span_hz:g} Hz, beyond the Nyquist limit +-{rate / 2:g} Hz"
        )
    if carrier_power is None:
        carrier_power = float(np.max(np.abs(x) ** 2)) if x.size else 1.0
    t = np.arange(x.size) / rate
    phase = 2 * np.pi * (channel.offset_hz * t + 0.5 * channel.drift_hz_per_s * t**2)
    if channel.phase_wander_hz > 0:
        steps = rng.normal(0.0, np.sqrt(2 * np.pi * channel.phase_wander_hz / rate), x.size)
        phase += np.cumsum(steps)
    x = x * np.exp(1j * phase)
    if channel.fading_rate_hz > 0:
        x = x * _fading(x.size, rate, channel.fading_rate_hz, rng)
    if real_output:
        y = x.real
        if channel.snr2500_db is not None:
            s = noise_sigma(channel.snr2500_db, rate, carrier_power=carrier_power / 2, real=True)
            y = y + rng.normal(0.0, s, x.size)
        return y.astype(np.float32)
    if channel.snr2500_db is not None:
        s = noise_sigma(channel.snr2500_db, rate, carrier_power=carrier_power) / np.sqrt(2)
        x = x + s * (rng.standard_normal(x.size) + 1j * rng.standard_normal(x.size))
    return x.astype(np.complex64)
