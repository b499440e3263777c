"""A synthetic band: Morse-keyed carriers at chosen RF frequencies plus white noise.

Every part of hi-station runs on it without hardware.  Each carrier is keyed by
:func:`dsp.morse.key_intervals` with shaped edges (:func:`dsp.keying.keying_envelope`),
sits at its absolute RF frequency (optionally drifting), and keeps its phase across
blocks: the phase is a function of the absolute sample index.

Levels follow the project's SNR convention (:func:`dsp.channel.noise_sigma`): the
complex noise has total RMS ``noise_rms``, i.e. one-sided PSD ``N0 = noise_rms**2 /
sample_rate_hz``, and a carrier with ``snr2500_db`` has power ``C = 10**(snr/10) *
N0 * 2500 Hz`` during key-down.

Samples are made in fixed frames of 65 536, each from its own generator
``np.random.default_rng([seed, frame_index])``, so the stream is the same whatever
the read sizes, and any stretch can be made directly (:meth:`SyntheticSource.samples_at`)
in constant memory.

Examples
--------
>>> src = SyntheticSource(center_freq_hz=28.2e6, sample_rate_hz=240e3, seed=1,
...                       carriers=[(28.25e6, "E", 1.0, 0.0, 20.0)])
>>> src.open().hardware
'synthetic band (1 carrier, seed 1)'
>>> a = src.read(100_000).samples
>>> b = src.samples_at(0, 100_000)
>>> bool(np.array_equal(a, b)), a.dtype.name
(True, 'complex64')
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from dsp.channel import noise_sigma
from dsp.keying import keying_envelope
from dsp.morse import key_intervals, normalize_text
from station.clock import Clock, SystemClock
from station.errors import InputError
from station.sdr.base import IQBlock, SourceInfo
from station.sdr.rtltcp import complex_to_cu8, cu8_to_complex64

__all__ = ["FRAME_SAMPLES", "Carrier", "SyntheticSource", "default_carriers"]

logger = logging.getLogger(__name__)

#: Samples generated at a time (and the unit of the noise generators).
FRAME_SAMPLES = 1 << 16
_RISE_S = 0.005
_MAX_AMPLITUDE = 0.5


@dataclass(frozen=True, slots=True)
class Carrier:
    """One keyed transmitter of the synthetic band.

    Attributes
    ----------
    freq_hz : float
        Absolute RF frequency at t = 0, Hz.
    text : str
        Message keyed.
    dit_s : float
        Dit length, s.
    start_s : float
        First key-down, seconds after the first sample.
    snr2500_db : float
        Key-down carrier SNR in 2500 Hz, dB.
    drift_hz_per_s : float
        Linear frequency drift, Hz/s.
    period_s : float or None
        Repeat the message every ``period_s`` (e.g. 600 for 10-minute rounds).
    """

    freq_hz: float
    text: str
    dit_s: float
    start_s: float = 0.0
    snr2500_db: float = 0.0
    drift_hz_per_s: float = 0.0
    period_s: float | None = None


def default_carriers(
    center_freq_hz: float, sample_rate_hz: float, *, count: int = 3, snr2500_db: float = 10.0
) -> list[Carrier]:
    """Key "HI" (30 s dits, 10-minute rounds) on up to ``count`` 2013 event frequencies in band.

    Falls back to one carrier a tenth of the sample rate above the centre when no
    event frequency is inside the band.

    Examples
    --------
    >>> [c.freq_hz for c in default_carriers(28.3e6, 240e3)]
    [28250000.0, 28280000.0, 28310000.0]
    """
    from station.schedule.event import load_event

    event = load_event("juno-2013-10-09")
    reach = 0.45 * sample_rate_hz
    freqs = sorted(
        f for f in set(event.table_hz.values()) if 1e3 < abs(f - center_freq_hz) < reach
    )[:count]
    if not freqs:
        freqs = [float(round(center_freq_hz + sample_rate_hz / 10))]
    return [
        Carrier(f, event.message, event.dit_s, 5.0, snr2500_db, period_s=event.round_period_s)
        for f in freqs
    ]


def _as_carrier(item: Carrier | Sequence) -> Carrier:
    if isinstance(item, Carrier):
        return item
    if not 3 <= len(item) <= 7:
        raise InputError(
            f"carrier {item!r} must be (freq_hz, text, dit_s[, start_s, snr2500_db, "
            "drift_hz_per_s, period_s])"
        )
    return Carrier(*item)


class SyntheticSource:
    """An :class:`~station.sdr.base.IQSource` of keyed carriers in white noise.

    Parameters
    ----------
    center_freq_hz, sample_rate_hz : float
    carriers : sequence of Carrier or tuple, optional
        ``(freq_hz, text, dit_s, start_s, snr2500_db[, drift_hz_per_s, period_s])``;
        default :func:`default_carriers`.
    noise : bool, optional
        Add the white noise (carrier levels are the same either way).
    noise_rms : float, optional
        Total RMS of the complex noise (full scale is 1).
    seed : int, optional
        Noise seed; drawn at random (and kept in :attr:`seed`) when None.
    start_utc : datetime, optional
        UTC of sample 0; the clock's time at :meth:`open` when None.
    duration_s : float, optional
        End of the stream; endless when None.
    cu8 : bool, optional
        Quantize like a dongle and deliver the u8 bytes as ``raw`` (datatype ``cu8``).
    realtime : bool, optional
        Deliver blocks no faster than real time (on ``clock``).
    clock : Clock, optional
    """

    def __init__(
        self,
        *,
        center_freq_hz: float,
        sample_rate_hz: float,
        carriers: Sequence[Carrier | Sequence] | None = None,
        noise: bool = True,
        noise_rms: float = 0.05,
        seed: int | None = None,
        start_utc: datetime | None = None,
        duration_s: float | None = None,
        cu8: bool = False,
        realtime: bool = False,
        clock: Clock | None = None,
    ) -> None:
        rate, center = float(sample_rate_hz), float(center_freq_hz)
        if not (math.isfinite(rate) and rate > 0):
            raise InputError(f"sample_rate_hz={sample_rate_hz} must be a finite rate > 0 S/s")
        if not math.isfinite(center):
            raise InputError(f"center_freq_hz={center_freq_hz} must be finite")
        if not (math.isfinite(noise_rms) and 0 < noise_rms <= 0.3):
            raise InputError(f"noise_rms={noise_rms} must be within (0, 0.3] of full scale")
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise InputError(f"duration_s={duration_s} must be > 0 seconds (or None: endless)")
        if start_utc is not None and start_utc.tzinfo is None:
            raise InputError(f"start_utc={start_utc} must be timezone-aware (UTC)")
        if seed is None:
            seed = secrets.randbits(32)
        elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InputError(f"seed={seed!r} must be a whole number >= 0")
        self.sample_rate_hz, self.center_freq_hz = rate, center
        self.carriers = [
            _as_carrier(c)
            for c in (default_carriers(center, rate) if carriers is None else carriers)
        ]
        self.noise, self.noise_rms, self.seed = noise, float(noise_rms), seed
        self.end_sample = None if duration_s is None else int(round(duration_s * rate))
        self._plans = [self._plan(c) for c in self.carriers]
        self.cu8, self.realtime = cu8, realtime
        self._start_utc = start_utc
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._cache: dict[int, tuple[np.ndarray, bytes | None]] = {}
        self._info: SourceInfo | None = None
        self._pos = 0
        self._opened_at: datetime | None = None

    def _plan(self, c: Carrier) -> tuple[float, float, np.ndarray, float, float | None]:
        """(offset_hz, amplitude, one message's intervals, its span, period) of a carrier."""
        where = f"carrier at {c.freq_hz:g} Hz"
        nyquist = self.sample_rate_hz / 2
        offset = float(c.freq_hz) - self.center_freq_hz
        span_s = 0.0 if self.end_sample is None else self.end_sample / self.sample_rate_hz
        reach = abs(offset) + abs(c.drift_hz_per_s) * span_s
        if not reach < 0.98 * nyquist:
            raise InputError(
                f"{where}: reaches {reach:g} Hz from the centre {self.center_freq_hz:g} Hz, "
                f"outside the band +-{nyquist:g} Hz of sample_rate_hz={self.sample_rate_hz:g}"
            )
        for name in ("start_s", "snr2500_db", "drift_hz_per_s"):
            if not math.isfinite(getattr(c, name)):
                raise InputError(f"{where}: {name}={getattr(c, name)} must be finite")
        if c.start_s < 0:
            raise InputError(f"{where}: start_s={c.start_s} must be >= 0 seconds")
        try:
            iv = key_intervals(normalize_text(c.text), c.dit_s)
        except ValueError as exc:  # DspValueError: bad text or dit
            raise InputError(f"{where}: {exc}") from None
        span = float(iv[-1, 1])
        if c.period_s is not None and not c.period_s > span + c.dit_s:
            raise InputError(
                f"{where}: period_s={c.period_s} must exceed the message length {span:g} s "
                "plus one dit"
            )
        amplitude = self.noise_rms / noise_sigma(c.snr2500_db, self.sample_rate_hz)
        if amplitude > _MAX_AMPLITUDE:
            raise InputError(
                f"{where}: snr2500_db={c.snr2500_db:g} needs amplitude {amplitude:.3g}, over "
                f"{_MAX_AMPLITUDE} of full scale; lower it or noise_rms"
            )
        return offset, amplitude, iv + c.start_s, span, c.period_s

    def _intervals(self, plan: tuple, t0: float, t1: float) -> np.ndarray:
        _, _, iv, span, period = plan
        first = iv[0, 0]
        if period is None:
            rounds = range(1)  # the one pass of a one-shot event
        else:
            lo = max(0, math.floor((t0 - first - span) / period))
            rounds = range(lo, max(lo, math.floor((t1 - first) / period)) + 1)
        out = np.concatenate([iv + r * (period or 0.0) for r in rounds])
        keep = (out[:, 1] >= t0) & (out[:, 0] <= t1)
        return out[keep]

    def _frame(self, k: int) -> tuple[np.ndarray, bytes | None]:
        if k in self._cache:
            return self._cache[k]
        n, rate = FRAME_SAMPLES, self.sample_rate_hz
        s0 = k * n
        if self.noise:
            rng = np.random.default_rng([self.seed, k])
            scale = np.float32(self.noise_rms / math.sqrt(2))
            x = (rng.standard_normal(2 * n, dtype=np.float32) * scale).view(np.complex64)
        else:
            x = np.zeros(n, np.complex64)
        t0, t1 = s0 / rate, (s0 + n) / rate
        for c, plan in zip(self.carriers, self._plans, strict=True):
            iv = self._intervals(plan, t0 - 2 * _RISE_S, t1 + 2 * _RISE_S)
            if iv.size == 0:
                continue
            env = keying_envelope(iv - t0, rate, duration_s=n / rate, rise_s=_RISE_S)
            on = np.flatnonzero(env)
            if on.size == 0:
                continue
            lo, hi = int(on[0]), int(on[-1]) + 1
            t = (s0 + np.arange(lo, hi)) / rate
            cycles = plan[0] * t + 0.5 * c.drift_hz_per_s * t * t
            cycles -= np.floor(cycles)
            x[lo:hi] += (plan[1] * env[lo:hi] * np.exp(2j * np.pi * cycles)).astype(np.complex64)
        raw = None
        if self.cu8:
            raw = complex_to_cu8(x)
            x = cu8_to_complex64(raw)
        if len(self._cache) >= 2:
            self._cache.pop(next(iter(self._cache)))
        self._cache[k] = (x, raw)
        return x, raw

    def samples_at(self, start_sample: int, n: int) -> np.ndarray:
        """Return samples ``start_sample .. start_sample + n`` of the stream (ignoring its end).

        Works as an :class:`~station.sdr.rtltcp_server.RtlTcpServer` ``samples_fn``
        through ``lambda s, n, rate, freq: src.samples_at(s, n)``.
        """
        return self._stretch(start_sample, n)[0]

    def _stretch(self, start: int, n: int) -> tuple[np.ndarray, bytes | None]:
        parts, raws = [], []
        pos, stop = start, start + n
        while pos < stop:
            k, off = divmod(pos, FRAME_SAMPLES)
            take = min(stop - pos, FRAME_SAMPLES - off)
            x, raw = self._frame(k)
            parts.append(x[off : off + take])
            if raw is not None:
                raws.append(raw[2 * off : 2 * (off + take)])
            pos += take
        samples = parts[0].copy() if len(parts) == 1 else np.concatenate(parts)
        return samples, (b"".join(raws) if self.cu8 else None)

    def open(self) -> SourceInfo:
        """Start the stream at sample 0."""
        if self._info is None:
            self._opened_at = self._clock.now()
            count = len(self.carriers)
            self._info = SourceInfo(
                sample_rate_hz=self.sample_rate_hz,
                center_freq_hz=self.center_freq_hz,
                start_utc=self._start_utc or self._opened_at,
                hardware=f"synthetic band ({count} carrier{'s' * (count != 1)}, seed {self.seed})",
                datatype="cu8" if self.cu8 else "",
            )
            self._pos = 0
        return self._info

    def read(self, n: int) -> IQBlock | None:
        """Return the next ``n`` samples (fewer at ``duration_s``), None after the end."""
        if self._info is None:
            raise RuntimeError("SyntheticSource.read() before open()")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise InputError(f"n={n!r} must be a whole number of samples > 0")
        if self.end_sample is not None:
            n = min(n, self.end_sample - self._pos)
            if n <= 0:
                return None
        samples, raw = self._stretch(self._pos, n)
        block = IQBlock(samples, start_sample=self._pos, raw=raw)
        self._pos += n
        if self.realtime and self._opened_at is not None:
            due = self._opened_at + timedelta(seconds=self._pos / self.sample_rate_hz)
            self._clock.sleep((due - self._clock.now()).total_seconds())
        return block

    def close(self) -> None:
        """End the stream (idempotent)."""
        self._info = None
        self._cache.clear()

    def __enter__(self) -> SyntheticSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
