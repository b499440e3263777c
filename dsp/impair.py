"""Seeded recordings of a real 10 m band: the conditions a station really records.

:func:`render_band` builds complex baseband (or, with :func:`ssb_audio`, a receiver's
audio) holding keyed stations and what a real band adds around them
(``reference/real-band.md``):

- **steady carriers** ("birdies", an unkeyed rig), each slowly drifting, with phase
  wander;
- the **RTL-SDR DC offset** (a spike at 0 Hz) and **I/Q gain/phase imbalance** (an
  image of every signal mirrored about 0 Hz), and 8-bit quantization
  (:func:`to_cu8`, :func:`cu8_blocks` for long recordings);
- **impulsive noise**: broadband bursts of milliseconds, tens of dB above the floor;
- **coloured noise**: a gentle passband ripple, an SSB receiver's 300-2700 Hz audio
  passband, band noise that rises and falls, and the receiver's AGC;
- **other stations**: a second operator on the same schedule, another QRSS beacon.

Every SNR is SNR2500 at the carrier: carrier power over the noise power spectral
density *at the carrier's frequency* times 2500 Hz.  The receiver's passband shapes
signal and noise alike, so the ratio set before it holds exactly after it; impulses,
DC and carriers come on top of the noise floor.  Every random draw comes from the
``rng`` passed in, in a fixed order, so a seed names a recording.

Hand-written because no library generates these receiver impairments (GNU Radio's
channel models are not a Python dependency one installs with pip, and cover only
noise, frequency offset and multipath).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.fft

from dsp.channel import noise_sigma
from dsp.errors import DspValueError
from dsp.keying import keying_envelope
from dsp.variation import Fading, Warmup

__all__ = [
    "Agc",
    "Band",
    "Carrier",
    "Impulses",
    "Keyed",
    "cu8_blocks",
    "render_band",
    "ssb_audio",
    "to_cu8",
]


def _finite(**values: float) -> None:
    for name, value in values.items():
        if not np.isfinite(value):
            raise DspValueError(f"{name}={value} must be finite")


@dataclass(frozen=True, slots=True)
class Keyed:
    """A keyed carrier: a station sending Morse.

    Attributes
    ----------
    intervals_s : tuple of (float, float)
        Key-down ``(start_s, stop_s)`` pairs (e.g. ``dsp.morse.key_intervals``).
    snr2500_db : float
        SNR2500 of the carrier during key-down.
    offset_hz : float
        Carrier frequency at t = 0, Hz from the band centre.
    drift_hz_per_s : float
        Linear drift, Hz/s.
    fading : Fading or None
        QSB (:mod:`dsp.variation`); ``snr2500_db`` is then the mean over fades.
    warmup : Warmup or None
        A rig warming up from t = 0: the frequency moves by ``warmup.settle_hz``
        beyond ``offset_hz`` plus the linear drift.
    """

    intervals_s: tuple[tuple[float, float], ...]
    snr2500_db: float
    offset_hz: float
    drift_hz_per_s: float = 0.0
    fading: Fading | None = None
    warmup: Warmup | None = None

    def __post_init__(self) -> None:
        _finite(snr2500_db=self.snr2500_db, offset_hz=self.offset_hz,
                drift_hz_per_s=self.drift_hz_per_s)  # fmt: skip
        iv = np.asarray(self.intervals_s, dtype=float).reshape(-1, 2)
        object.__setattr__(self, "intervals_s", tuple(map(tuple, iv.tolist())))

    @classmethod
    def of(cls, intervals_s: np.ndarray, snr2500_db: float, offset_hz: float,
           drift_hz_per_s: float = 0.0, *, fading: Fading | None = None,
           warmup: Warmup | None = None) -> Keyed:  # fmt: skip
        """Build from an ``(n, 2)`` array of key-down intervals."""
        return cls(tuple(map(tuple, np.asarray(intervals_s, float).tolist())), snr2500_db,
                   offset_hz, drift_hz_per_s, fading, warmup)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Carrier:
    """A steady, unkeyed carrier (a birdie, an unkeyed rig).

    Attributes
    ----------
    snr2500_db : float
        SNR2500 of the carrier.
    offset_hz : float
        Frequency at t = 0, Hz from the band centre.
    drift_hz_per_s : float
        Linear drift, Hz/s (a few mHz/min for a receiver's clock harmonic).
    phase_wander_hz : float
        Lorentzian linewidth of a random-walk phase, Hz.
    """

    snr2500_db: float
    offset_hz: float
    drift_hz_per_s: float = 0.0
    phase_wander_hz: float = 0.0

    def __post_init__(self) -> None:
        _finite(snr2500_db=self.snr2500_db, offset_hz=self.offset_hz,
                drift_hz_per_s=self.drift_hz_per_s, phase_wander_hz=self.phase_wander_hz)
        if self.phase_wander_hz < 0:
            raise DspValueError(f"phase_wander_hz={self.phase_wander_hz} must be >= 0 Hz")


@dataclass(frozen=True, slots=True)
class Impulses:
    """Impulsive noise: broadband bursts at random (Poisson) times.

    Attributes
    ----------
    rate_per_s : float
        Mean number of bursts per second (1/8: one every 8 s).
    width_s : (float, float)
        Range of burst lengths, s (drawn uniformly).
    level_db : (float, float)
        Range of burst power above the noise power of the band, dB (uniform).
    """

    rate_per_s: float = 1 / 8
    width_s: tuple[float, float] = (0.005, 0.05)
    level_db: tuple[float, float] = (20.0, 30.0)

    def __post_init__(self) -> None:
        if not (np.isfinite(self.rate_per_s) and self.rate_per_s >= 0):
            raise DspValueError(f"rate_per_s={self.rate_per_s} must be >= 0")
        lo, hi = self.width_s
        if not (0 < lo <= hi and np.isfinite(hi)):
            raise DspValueError(f"width_s={self.width_s} must be 0 < low <= high seconds")
        if not (np.isfinite(self.level_db[0]) and self.level_db[0] <= self.level_db[1]):
            raise DspValueError(f"level_db={self.level_db} must be a finite range, low <= high")


@dataclass(frozen=True, slots=True)
class Agc:
    """A receiver's automatic gain control (on the audio of :func:`ssb_audio`).

    The gain keeps the smoothed audio power at a target: it falls within
    ``attack_s`` when the power rises (an impulse, a strong signal) and recovers over
    ``decay_s``.

    Attributes
    ----------
    attack_s, decay_s : float
        Time constants of the power detector, s.
    """

    attack_s: float = 0.01
    decay_s: float = 0.5

    def __post_init__(self) -> None:
        if not (self.attack_s > 0 and self.decay_s > 0):
            raise DspValueError(f"attack_s={self.attack_s}, decay_s={self.decay_s} must be > 0 s")


@dataclass(frozen=True, slots=True)
class Band:
    """Everything in one recording of the band.

    Attributes
    ----------
    sample_rate_hz : float
        Complex sample rate, Hz.
    duration_s : float
        Length, s.
    stations : tuple of Keyed
        Keyed carriers.
    carriers : tuple of Carrier
        Steady carriers.
    dc_fraction : float
        Power of a DC offset (a spike at 0 Hz) as a fraction of the noise power in
        the whole band (0.005-0.02 for an RTL-SDR).
    iq_gain_db, iq_phase_deg : float
        I/Q gain and phase imbalance (0.3 dB and 2 degrees give an image 32 dB down).
    impulses : Impulses or None
        Impulsive noise.
    ripple_db : float
        Peak deviation of a sinusoidal passband ripple, dB (2: +-2 dB).
    ripple_period_hz : float
        Period of the ripple across frequency, Hz.
    level_swing_db : float
        Peak swing of the band-noise level over time, dB (noise that rises and falls
        as the band changes; signals stay put).
    level_period_s : float
        Period of that swing, s.
    """

    sample_rate_hz: float
    duration_s: float
    stations: tuple[Keyed, ...] = ()
    carriers: tuple[Carrier, ...] = ()
    dc_fraction: float = 0.0
    iq_gain_db: float = 0.0
    iq_phase_deg: float = 0.0
    impulses: Impulses | None = None
    ripple_db: float = 0.0
    ripple_period_hz: float = 400.0
    level_swing_db: float = 0.0
    level_period_s: float = 300.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.sample_rate_hz) and self.sample_rate_hz > 0):
            raise DspValueError(f"sample_rate_hz={self.sample_rate_hz} must be a rate > 0 Hz")
        if not (np.isfinite(self.duration_s) and self.duration_s > 0):
            raise DspValueError(f"duration_s={self.duration_s} must be > 0 s")
        _finite(iq_gain_db=self.iq_gain_db, iq_phase_deg=self.iq_phase_deg,
                ripple_db=self.ripple_db, level_swing_db=self.level_swing_db)  # fmt: skip
        if not (np.isfinite(self.dc_fraction) and self.dc_fraction >= 0):
            raise DspValueError(f"dc_fraction={self.dc_fraction} must be >= 0")
        if not (self.ripple_period_hz > 0 and self.level_period_s > 0):
            raise DspValueError("ripple_period_hz and level_period_s must be > 0")
        nyq = self.sample_rate_hz / 2
        signals: tuple[Keyed | Carrier, ...] = (*self.stations, *self.carriers)
        for s in signals:
            reach = abs(s.offset_hz) + abs(s.drift_hz_per_s) * self.duration_s
            warm = getattr(s, "warmup", None)
            reach += 0.0 if warm is None else abs(warm.settle_hz)
            if reach >= nyq:
                raise DspValueError(
                    f"a signal at offset_hz={s.offset_hz:g} drifting {s.drift_hz_per_s:g} Hz/s "
                    f"reaches {reach:g} Hz, beyond the Nyquist limit +-{nyq:g} Hz"
                )

    @property
    def n_samples(self) -> int:
        """Number of samples."""
        return int(round(self.duration_s * self.sample_rate_hz))


def _tone(n0: int, n: int, rate: float, offset_hz: float, drift: float,
          phase0: float) -> np.ndarray:  # fmt: skip
    t = (n0 + np.arange(n)) / rate
    return np.exp(1j * (2 * np.pi * (offset_hz * t + 0.5 * drift * t**2) + phase0))


def _amplitude(snr2500_db: float, rate: float) -> float:
    """Carrier amplitude for ``snr2500_db`` over complex noise of unit total variance."""
    # noise_sigma gives the noise for a unit carrier; scale the carrier instead.
    return 1.0 / noise_sigma(snr2500_db, rate)


def _burst_plan(band: Band, rng: np.random.Generator) -> list[tuple[int, int, float]]:
    """(start sample, length, amplitude) of every impulse."""
    imp = band.impulses
    if imp is None or imp.rate_per_s == 0:
        return []
    k = rng.poisson(imp.rate_per_s * band.duration_s)
    starts = np.sort(rng.uniform(0, band.duration_s, k))
    widths = rng.uniform(*imp.width_s, k)
    levels = rng.uniform(*imp.level_db, k)
    rate = band.sample_rate_hz
    return [
        (int(s * rate), max(int(w * rate), 1), float(10 ** (lv / 20)))
        for s, w, lv in zip(starts, widths, levels, strict=True)
    ]


class _Renderer:
    """Draws a band block by block; random draws in a fixed order per block."""

    def __init__(self, band: Band, rng: np.random.Generator, gain: float = 1.0) -> None:
        self.band, self.rng, self.gain = band, rng, gain
        rate = band.sample_rate_hz
        self.carrier_phase = [float(rng.uniform(0, 2 * np.pi)) for _ in band.carriers]
        self.station_phase = [float(rng.uniform(0, 2 * np.pi)) for _ in band.stations]
        self.dc = np.sqrt(band.dc_fraction) * np.exp(1j * rng.uniform(0, 2 * np.pi))
        self.bursts = _burst_plan(band, rng)
        self.envelopes = [
            keying_envelope(np.asarray(s.intervals_s).reshape(-1, 2), rate,
                            duration_s=band.duration_s)  # fmt: skip
            for s in band.stations
        ]
        self.fades = [
            None if s.fading is None else s.fading.gains(band.duration_s, rng)
            for s in band.stations
        ]

    def block(self, n0: int, n: int) -> np.ndarray:
        band, rng, rate = self.band, self.rng, self.band.sample_rate_hz
        noise = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
        if band.level_swing_db:
            t = (n0 + np.arange(n)) / rate
            swing = band.level_swing_db * np.sin(2 * np.pi * t / band.level_period_s)
            noise *= 10 ** (swing / 20)
        x = noise
        for i, (s, env) in enumerate(zip(band.stations, self.envelopes, strict=True)):
            a = self.gain * _amplitude(s.snr2500_db, rate) * env[n0 : n0 + n]
            tone = _tone(n0, n, rate, s.offset_hz, s.drift_hz_per_s, self.station_phase[i])
            t = (n0 + np.arange(n)) / rate
            if s.warmup is not None:
                tone = tone * np.exp(1j * s.warmup.phase_rad(t))
            fade = self.fades[i]
            if fade is not None:
                tone = tone * fade(t)
            x = x + a * tone
        for i, c in enumerate(band.carriers):
            phase: float | np.ndarray = self.carrier_phase[i]
            if c.phase_wander_hz > 0:
                steps = rng.normal(0.0, np.sqrt(2 * np.pi * c.phase_wander_hz / rate), n)
                walk = phase + np.cumsum(steps)
                self.carrier_phase[i] = float(walk[-1])
                phase = walk
            level = self.gain * _amplitude(c.snr2500_db, rate)
            tone = _tone(n0, n, rate, c.offset_hz, c.drift_hz_per_s, 0.0)
            x = x + level * tone * np.exp(1j * phase)
        for start, length, amp in self.bursts:
            lo, hi = max(start, n0), min(start + length, n0 + n)
            if lo < hi:
                k = np.arange(lo - start, hi - start)
                shape = np.sin(np.pi * (k + 0.5) / length)  # smooth on and off
                burst = rng.standard_normal(hi - lo) + 1j * rng.standard_normal(hi - lo)
                x[lo - n0 : hi - n0] += amp * shape * burst / np.sqrt(2)
        x = x + self.dc
        return _iq_imbalance(x, band.iq_gain_db, band.iq_phase_deg)


def _iq_imbalance(x: np.ndarray, gain_db: float, phase_deg: float) -> np.ndarray:
    """``mu x + nu conj(x)``: the image of every signal appears mirrored about 0 Hz."""
    if gain_db == 0 and phase_deg == 0:
        return x
    g, phi = 10 ** (gain_db / 20), np.deg2rad(phase_deg)
    mu = (1 + g * np.exp(-1j * phi)) / 2
    nu = (1 - g * np.exp(1j * phi)) / 2
    return mu * x + nu * np.conj(x)


def _ripple(x: np.ndarray, rate: float, depth_db: float, period_hz: float,
            rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """Zero-phase passband ripple ``+-depth_db`` applied to the whole record."""
    spec = scipy.fft.fft(x)
    f = scipy.fft.fftfreq(x.size, 1 / rate)
    gain_db = depth_db * np.sin(2 * np.pi * f / period_hz + rng.uniform(0, 2 * np.pi))
    return scipy.fft.ifft(spec * 10 ** (gain_db / 20))


def render_band(band: Band, rng: np.random.Generator) -> np.ndarray:
    """Complex baseband of ``band`` with unit-variance noise (complex64).

    Examples
    --------
    >>> from dsp.morse import key_intervals
    >>> hi = Keyed.of(key_intervals("HI", 2.0, start_s=1.0), -10.0, 120.0)
    >>> band = Band(2000.0, 40.0, stations=(hi,), carriers=(Carrier(-5.0, -300.0),),
    ...             dc_fraction=0.01, impulses=Impulses())
    >>> x = render_band(band, np.random.default_rng(1))
    >>> x.dtype, x.size
    (dtype('complex64'), 80000)
    """
    r = _Renderer(band, rng)
    x = r.block(0, band.n_samples)
    if band.ripple_db:
        x = _ripple(x, band.sample_rate_hz, band.ripple_db, band.ripple_period_hz, rng)
    return x.astype(np.complex64)


def to_cu8(x: np.ndarray, noise_counts: float = 8.0) -> np.ndarray:
    """Quantize unit-variance complex samples to RTL-SDR ``cu8`` (interleaved uint8).

    ``noise_counts`` is the total noise standard deviation in ADC counts (an RTL-SDR
    on an antenna shows a few to about 20); values clip at 0 and 255.  Read back
    with ``dsp.channelize.cu8_to_complex64`` (``(u8 - 128) / 128``).

    Examples
    --------
    >>> to_cu8(np.array([0.0, 1.0 + 1.0j]), noise_counts=8.0).tolist()
    [128, 128, 134, 134]
    """
    z = np.asarray(x) * (noise_counts / np.sqrt(2))
    iq = np.empty(2 * z.size)
    iq[0::2], iq[1::2] = z.real, z.imag
    return np.clip(np.rint(iq + 128.0), 0, 255).astype(np.uint8)


def cu8_blocks(band: Band, rng: np.random.Generator, *, block_samples: int = 1 << 20,
               noise_counts: float = 8.0) -> Iterator[np.ndarray]:  # fmt: skip
    """Yield ``band`` as ``cu8`` blocks, so a long wide recording never sits in memory.

    The passband ripple needs the whole record and is refused here.

    Examples
    --------
    >>> band = Band(240e3, 1.0, carriers=(Carrier(-10.0, 5e3),), dc_fraction=0.01)
    >>> sum(b.size for b in cu8_blocks(band, np.random.default_rng(0), block_samples=50_000))
    480000
    """
    if band.ripple_db:
        raise DspValueError("ripple_db needs the whole record: use render_band and to_cu8")
    if block_samples < 1:
        raise DspValueError(f"block_samples={block_samples} must be >= 1")
    r = _Renderer(band, rng)
    for n0 in range(0, band.n_samples, block_samples):
        n = min(block_samples, band.n_samples - n0)
        yield to_cu8(r.block(n0, n), noise_counts)


def ssb_audio(
    band: Band,
    rng: np.random.Generator,
    *,
    passband_hz: tuple[float, float] = (300.0, 2700.0),
    agc: Agc | None = Agc(),
    edge_hz: float = 150.0,
) -> np.ndarray:
    """Render ``band`` as an SSB receiver's audio: real samples, passband, ripple, AGC.

    ``band.sample_rate_hz`` is the audio rate and every offset an audio frequency
    (positive, inside the passband).  The analytic band is rendered, its real part
    taken, shaped by the receiver's passband (raised-cosine skirts ``edge_hz`` wide)
    and ripple, then levelled by the AGC; output is float32 at about unit RMS.

    Examples
    --------
    >>> from dsp.morse import key_intervals
    >>> hi = Keyed.of(key_intervals("HI", 2.0, start_s=1.0), -15.0, 1200.0)
    >>> a = ssb_audio(Band(8000.0, 30.0, stations=(hi,)), np.random.default_rng(3))
    >>> a.dtype, a.size, 0.5 < float(np.std(a)) < 2.0
    (dtype('float32'), 240000, True)
    """
    lo, hi = passband_hz
    rate = band.sample_rate_hz
    if not 0 < lo < hi < rate / 2:
        raise DspValueError(f"passband_hz={passband_hz} must lie inside 0..{rate / 2:g} Hz")
    signals: tuple[Keyed | Carrier, ...] = (*band.stations, *band.carriers)
    for s in signals:
        if not lo <= s.offset_hz <= hi:
            raise DspValueError(f"offset_hz={s.offset_hz:g} is outside passband_hz={passband_hz}")
    # The real part of the analytic band keeps the one-sided noise density but halves
    # a carrier's power: carriers are drawn 3 dB up so that SNR2500 holds.
    r = _Renderer(band, rng, gain=np.sqrt(2.0))
    x = r.block(0, band.n_samples).real
    spec = scipy.fft.rfft(x)
    f = scipy.fft.rfftfreq(x.size, 1 / rate)
    edge = np.clip(np.minimum((f - lo) / edge_hz, (hi - f) / edge_hz) + 0.5, 0.0, 1.0)
    gain = np.sin(0.5 * np.pi * edge) ** 2
    if band.ripple_db:
        phase0 = rng.uniform(0, 2 * np.pi)
        gain = gain * 10 ** (band.ripple_db * np.sin(2 * np.pi * f / band.ripple_period_hz
                                                     + phase0) / 20)  # fmt: skip
    y = scipy.fft.irfft(spec * gain, n=x.size)
    if agc is not None:
        y = y * _agc_gain(y, rate, agc)
    return (y / np.std(y)).astype(np.float32)


def _agc_gain(y: np.ndarray, rate: float, agc: Agc) -> np.ndarray:
    """Gain of a fast-attack, slow-decay power detector (decimated to 1 ms steps)."""
    step = max(int(rate / 1000), 1)
    m = y.size // step
    p = np.mean(y[: m * step].reshape(m, step) ** 2, axis=1)
    up, down = 1 - np.exp(-1e-3 / agc.attack_s), 1 - np.exp(-1e-3 / agc.decay_s)
    level = np.empty(m)
    cur = float(np.median(p[: max(m // 50, 1)]))
    for i, v in enumerate(p):
        cur += (up if v > cur else down) * (v - cur)
        level[i] = cur
    g = 1.0 / np.sqrt(np.maximum(level, 1e-12))
    g = np.repeat(g, step)
    return np.concatenate([g, np.full(y.size - g.size, g[-1] if g.size else 1.0)])
