"""Synthesize keyed Morse recordings: text + dit + channel -> samples -> file.

The glue behind ``hi-station encode`` and the demo: :func:`synthesize` builds the
samples from :mod:`dsp.morse`, :mod:`dsp.keying` and :mod:`dsp.channel`;
:func:`encode_to_file` validates every parameter, picks the format from the file name
(``.wav`` -> mono audio tone, anything SigMF -> ``cf32_le`` I/Q with one annotation
per key-down) and writes it crash-safely.

Noise follows the project's SNR convention: SNR2500 = carrier power / (one-sided
noise PSD x 2500 Hz).
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from dsp.channel import Channel, apply_channel
from dsp.keying import keyed_baseband
from dsp.morse import key_intervals, normalize_text, wpm_to_dit_s
from station._atomic import check_free, check_not_special
from station.errors import InputError
from station.recording import Annotation, recording_format, sigmf_files, write_sigmf, write_wav

__all__ = [
    "DEFAULT_AUDIO_RATE_HZ",
    "DEFAULT_IQ_RATE_HZ",
    "Encoded",
    "Synthesized",
    "encode_to_file",
    "resolve_dit_s",
    "synthesize",
]

logger = logging.getLogger(__name__)

DEFAULT_IQ_RATE_HZ = 2000.0
DEFAULT_AUDIO_RATE_HZ = 8000.0
_AUDIO_AMPLITUDE = 0.5


@dataclass(frozen=True, eq=False)
class Synthesized:
    """A synthesized keyed signal.

    Attributes
    ----------
    samples : ndarray
        complex64 baseband (I/Q) or float32 audio.
    sample_rate_hz : float
        Sample rate in Hz.
    key_down_s : ndarray, shape (n, 2)
        Key-down ``[start_s, stop_s]`` in seconds from the first sample.
    text : str
        Normalised text sent.
    dit_s : float
        Dit length in seconds.
    channel : dsp.channel.Channel
        Offset, drift and SNR2500 applied.
    tone_hz : float or None
        Audio tone frequency before the channel offset; None for I/Q.
    """

    samples: np.ndarray
    sample_rate_hz: float
    key_down_s: np.ndarray
    text: str
    dit_s: float
    channel: Channel
    tone_hz: float | None

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sample_rate_hz


#: Largest sample rate synthesized, Hz.
MAX_SAMPLE_RATE_HZ = 10e6
#: Most samples one synthesized recording holds: the 2013 event's 16 rounds at
#: 2,000 S/s (1.92e7).  Synthesis holds the whole signal at about 31 bytes a sample
#: (complex128 keying, noise and channel), so this is about 620 MB at most.
MAX_SAMPLES = 2e7


def _finite(name: str, value: float, rule: str = "must be finite") -> float:
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name}={value} {rule}")
    return value


def resolve_dit_s(dit_s: float | None = None, wpm: float | None = None) -> float:
    """Dit length from ``dit_s`` or ``wpm`` (PARIS); 30 s (QRSS30) when neither is given.

    Examples
    --------
    >>> resolve_dit_s(), resolve_dit_s(dit_s=3), round(resolve_dit_s(wpm=12), 3)
    (30.0, 3.0, 0.1)
    """
    if dit_s is not None and wpm is not None:
        raise InputError(f"give dit_s={dit_s} or wpm={wpm}, not both")
    if wpm is not None:
        if not (math.isfinite(wpm) and wpm > 0):
            raise InputError(f"wpm={wpm} must be a finite speed > 0 words per minute")
        return wpm_to_dit_s(wpm)
    dit = 30.0 if dit_s is None else float(dit_s)
    if not (math.isfinite(dit) and dit > 0):
        raise InputError(f"dit_s={dit_s} must be a finite number of seconds > 0")
    return dit


def synthesize(
    text: str,
    *,
    dit_s: float,
    sample_rate_hz: float,
    rng: np.random.Generator,
    audio: bool = False,
    snr2500_db: float | None = None,
    offset_hz: float = 0.0,
    drift_hz_per_s: float = 0.0,
    tone_hz: float = 1000.0,
    lead_s: float = 5.0,
    tail_s: float = 5.0,
) -> Synthesized:
    """Keyed carrier sending ``text``, through a channel with offset, drift and noise.

    Parameters
    ----------
    text : str
        Message (see :func:`dsp.morse.normalize_text`).
    dit_s : float
        Dit length in seconds.
    sample_rate_hz : float
        Sample rate in Hz.
    rng : numpy.random.Generator
        Source of the noise.
    audio : bool, optional
        Real audio tone at ``tone_hz`` instead of complex baseband at 0 Hz.
    snr2500_db : float or None, optional
        Carrier SNR2500 during key-down in dB; None for no noise.
    offset_hz : float, optional
        Carrier offset at the first sample, Hz (added to ``tone_hz`` for audio).
    drift_hz_per_s : float, optional
        Linear drift, Hz/s.
    tone_hz : float, optional
        Audio tone, Hz (``audio`` only).
    lead_s, tail_s : float, optional
        Key-up time before the first key-down and after the last key-up, seconds.

    Returns
    -------
    Synthesized

    Examples
    --------
    >>> s = synthesize("E", dit_s=1.0, sample_rate_hz=100.0, rng=np.random.default_rng(1),
    ...                lead_s=0.5, tail_s=0.5)
    >>> s.samples.shape, s.key_down_s.tolist()
    ((200,), [[0.5, 1.5]])
    """
    text = normalize_text(text)
    dit_s = resolve_dit_s(dit_s)
    rate = _finite("sample_rate_hz", sample_rate_hz)
    if rate <= 0:
        raise InputError(f"sample_rate_hz={sample_rate_hz} must be > 0 Hz")
    lead, tail = _check_lead_tail_snr(lead_s, tail_s, snr2500_db)
    offset = _finite("offset_hz", offset_hz)
    drift = _finite("drift_hz_per_s", drift_hz_per_s)
    intervals = key_intervals(text, dit_s, start_s=lead)
    duration = float(intervals[-1, 1]) + tail
    _check_size(rate, sample_rate_hz, duration)
    if audio:
        carrier = _audio_tone_hz(tone_hz, offset, drift, duration, rate)
    else:
        _check_reach(offset, drift, duration, rate)
        carrier = 0.0
    amplitude = _AUDIO_AMPLITUDE if audio else 1.0
    clean = keyed_baseband(
        intervals, rate, duration_s=duration, offset_hz=carrier, amplitude=amplitude
    )
    channel = Channel(snr2500_db=snr2500_db, offset_hz=offset, drift_hz_per_s=drift)
    samples = apply_channel(
        clean, rate, channel, rng, carrier_power=amplitude**2, real_output=audio
    )
    return Synthesized(
        samples, rate, intervals, text, dit_s, channel, tone_hz=float(tone_hz) if audio else None
    )


def _check_lead_tail_snr(lead_s: float, tail_s: float,
                         snr2500_db: float | None) -> tuple[float, float]:  # fmt: skip
    """Check the key-up times around the message and the SNR; the times, s."""
    lead = _finite("lead_s", lead_s)
    tail = _finite("tail_s", tail_s)
    if lead < 0 or tail < 0:
        raise InputError(f"lead_s={lead_s} and tail_s={tail_s} must be >= 0 seconds")
    if snr2500_db is not None:
        _finite("snr2500_db", snr2500_db, "must be a finite number of dB (negative is fine)")
        if not -200.0 <= snr2500_db <= 200.0:
            raise InputError(f"snr2500_db={snr2500_db} must be within -200..200 dB")
    return lead, tail


def _check_size(rate: float, sample_rate_hz: float, duration_s: float) -> None:
    """Refuse a rate or a length that would ask for more than one recording may hold."""
    if rate > MAX_SAMPLE_RATE_HZ:
        raise InputError(f"sample_rate_hz={sample_rate_hz} must be at most "
                         f"{MAX_SAMPLE_RATE_HZ:g} Hz (an RTL-SDR gives 3.2e6)")  # fmt: skip
    if duration_s * rate > MAX_SAMPLES:
        raise InputError(
            f"{duration_s:g} s at {rate:g} S/s is {duration_s * rate:.3g} samples, more than "
            f"the {MAX_SAMPLES:.3g} one recording may hold here; shorten the text, lead_s, "
            "tail_s or dit_s, or lower the rate"
        )


def _check_reach(offset: float, drift: float, duration_s: float, rate: float) -> None:
    """Refuse an I/Q carrier that would drift past the Nyquist limit."""
    reach = abs(offset) + abs(drift) * duration_s  # as dsp.channel.apply_channel checks
    if reach >= rate / 2:
        raise InputError(
            f"offset_hz={offset:g} with drift_hz_per_s={drift:g} reaches {reach:g} Hz, "
            f"beyond the Nyquist limit +-{rate / 2:g} Hz of sample_rate_hz={rate:g}"
        )


def _audio_tone_hz(tone_hz: float, offset: float, drift: float, duration_s: float,
                   rate: float) -> float:  # fmt: skip
    """Check that the tone, offset and drift stay inside the audio band; the tone, Hz."""
    nyquist = rate / 2
    tone = _finite("tone_hz", tone_hz)
    if not 0 < tone < nyquist:
        raise InputError(
            f"tone_hz={tone:g} must lie between 0 and the Nyquist limit {nyquist:g} Hz "
            f"of sample_rate_hz={rate:g}"
        )
    ends = (offset, offset + drift * duration_s)
    lo, hi = tone + min(ends), tone + max(ends)
    if not (0 < lo and hi < nyquist):
        raise InputError(
            f"tone_hz={tone:g} with offset_hz={offset:g} and drift_hz_per_s={drift:g} "
            f"spans {lo:g}..{hi:g} Hz, outside the audio band 0..{nyquist:g} Hz "
            f"(Nyquist of sample_rate_hz={rate:g}); lower the tone or raise the rate"
        )
    return tone


@dataclass(frozen=True, eq=False)
class Encoded:
    """What :func:`encode_to_file` wrote.

    Attributes
    ----------
    path : pathlib.Path
        File written (the ``.sigmf-meta`` of a pair).
    synth : Synthesized
        The signal.
    seed : int
        Seed of the noise generator (give it again to reproduce the file).
    start_utc : datetime or None
        Time of the first sample stored in the file (SigMF only).
    """

    path: Path
    synth: Synthesized
    seed: int
    start_utc: datetime | None


def _key_down_annotations(s: Synthesized, center_freq_hz: float) -> list[Annotation]:
    out = []
    ch = s.channel
    for i, (start, stop) in enumerate(s.key_down_s):
        f = center_freq_hz + ch.offset_hz + ch.drift_hz_per_s * np.array([start, stop])
        pad = 1.0 / s.dit_s
        out.append(
            Annotation(
                float(start),
                float(stop),
                "dit" if stop - start < 2 * s.dit_s else "dah",
                comment=f"key-down {i + 1} of {s.text!r}",
                freq_lower_edge_hz=float(f.min() - pad),
                freq_upper_edge_hz=float(f.max() + pad),
            )
        )
    return out


def encode_to_file(
    path: str | os.PathLike[str],
    text: str,
    *,
    dit_s: float | None = None,
    wpm: float | None = None,
    sample_rate_hz: float | None = None,
    snr2500_db: float | None = None,
    offset_hz: float = 0.0,
    drift_hz_per_s: float = 0.0,
    seed: int | None = None,
    tone_hz: float = 1000.0,
    lead_s: float = 5.0,
    tail_s: float = 5.0,
    center_freq_hz: float = 0.0,
    key_start_utc: datetime | None = None,
    overwrite: bool = False,
) -> Encoded:
    """Synthesize ``text`` and write it: ``.wav`` as audio, SigMF names as I/Q.

    Parameters
    ----------
    path : str or os.PathLike
        ``NAME.wav`` (mono float32 audio tone, default 8000 S/s) or ``NAME``,
        ``NAME.sigmf-meta``, ``NAME.sigmf`` (``cf32_le`` I/Q, default 2000 S/s, with a
        ``dit``/``dah`` annotation per key-down).
    text : str
        Message.
    dit_s, wpm : float, optional
        Speed, one or neither (default 30 s dits).
    sample_rate_hz : float, optional
        Sample rate; default by format (see above).
    snr2500_db, offset_hz, drift_hz_per_s, tone_hz, lead_s, tail_s
        See :func:`synthesize`.
    seed : int, optional
        Noise seed; a random one is drawn (and returned) when None.
    center_freq_hz : float, optional
        RF frequency of 0 Hz baseband written to SigMF ``core:frequency``.
    key_start_utc : datetime, optional
        Aware UTC time of the first key-down; the file's ``core:datetime`` is
        ``lead_s`` earlier.  Omitted when None.
    overwrite : bool, optional
        Replace existing files.

    Returns
    -------
    Encoded

    Raises
    ------
    InputError
        A parameter breaks its rule (the message names it).
    RecordingError
        Bad file name or directory; :class:`~station.errors.RecordingExistsError` when
        the file exists and ``overwrite`` is False (nothing is written then).
    dsp.errors.DspValueError
        Text with a character that has no Morse code.
    """
    p = Path(path)
    audio = _check_outputs(p, overwrite)
    if key_start_utc is not None and key_start_utc.tzinfo is None:
        raise InputError(f"key_start_utc={key_start_utc} must be timezone-aware (UTC)")
    center = _finite("center_freq_hz", center_freq_hz)
    if sample_rate_hz is None:
        sample_rate_hz = DEFAULT_AUDIO_RATE_HZ if audio else DEFAULT_IQ_RATE_HZ
    seed = _noise_seed(seed)
    s = synthesize(text, dit_s=resolve_dit_s(dit_s, wpm), sample_rate_hz=sample_rate_hz,
                   rng=np.random.default_rng(seed), audio=audio, snr2500_db=snr2500_db,
                   offset_hz=offset_hz, drift_hz_per_s=drift_hz_per_s, tone_hz=tone_hz,
                   lead_s=lead_s, tail_s=tail_s)  # fmt: skip
    if audio:
        written = write_wav(p, s.samples, s.sample_rate_hz, overwrite=overwrite)
        return Encoded(written, s, seed, None)
    start = None if key_start_utc is None else key_start_utc - timedelta(seconds=float(lead_s))
    return _write_iq(p, s, seed, start, center, overwrite)


def _noise_seed(seed: int | None) -> int:
    """Return ``seed``, or a random one (logged) when None."""
    if seed is None:
        seed = secrets.randbits(32)
        logger.info("drew noise seed %d", seed)
    elif seed < 0:
        raise InputError(f"seed={seed} must be >= 0")
    return seed


def _check_outputs(p: Path, overwrite: bool) -> bool:
    """Refuse a name that exists (unless ``overwrite``) or is special; True for audio."""
    fmt = recording_format(p)
    if fmt == "wav":
        check_free([p], overwrite=overwrite)
        return True
    check_not_special(p)  # e.g. /dev/full given as the recording's NAME
    check_free(sigmf_files(p), overwrite=overwrite)
    return False


def _write_iq(p: Path, s: Synthesized, seed: int, start: datetime | None, center: float,
              overwrite: bool) -> Encoded:  # fmt: skip
    """Write ``s`` as SigMF I/Q with an annotation per key-down."""
    ch = s.channel
    snr = "no noise" if ch.snr2500_db is None else f"SNR2500 {ch.snr2500_db:g} dB"
    written = write_sigmf(
        p,
        s.samples,
        s.sample_rate_hz,
        center_freq_hz=center,
        start_utc=start,
        author="hi-station encode",
        description=(
            f"{s.text!r} keyed at dit {s.dit_s:g} s, {snr}, offset {ch.offset_hz:g} Hz, "
            f"drift {ch.drift_hz_per_s * 60:g} Hz/min, seed {seed}"
        ),
        annotations=_key_down_annotations(s, center),
        overwrite=overwrite,
    )
    return Encoded(written, s, seed, start)
