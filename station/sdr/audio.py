"""The sound card as a receiver: mono audio from an SSB receiver, as complex baseband.

``--source audio:DEVICE`` with ``--dial-mhz F --sideband usb|lsb``: the receiver's
audio (8-48 kHz, mono) comes in through PortAudio (``sounddevice``) and is converted to
**complex baseband at half the audio rate** (:func:`dsp.audio_baseband.audio_to_baseband`),
centred on the RF of audio ``fs/4`` (USB: dial + fs/4, LSB: dial - fs/4,
:func:`station.sideband.audio_to_rf_hz`).  Why complex and not the audio itself as
``rf32_le``: so the capture's channelizer, live view, round detection and crash-safe
SigMF writer stay exactly as they are for an SDR, and each channel is written as today
(``cf32_le``, centred on its RF), the same for every source; the mapping through the
dial and sideband is applied once, here.  The conversion is exact up to the filter's
edges (about fs/64 at 0 Hz and fs/2 are lost).

The stream is read blocking, in the capture's thread: no Python runs in PortAudio's
own thread (a callback stream crashed the interpreter, 3 runs of 3, while the capture
wrote its SigMF metadata; the keyer's light callback never did).  Sample 0's UTC is
PortAudio's stream time (on Linux ALSA the real-time clock) at the first read, less the
input latency, the samples read and buffered, and the filter's delay (output sample 0
holds the audio of :data:`~dsp.audio_baseband.DELAY_SAMPLES` before the first read, as
for a replayed file).  Sample times
after that are by count, at the sound card's rate (tens of ppm off a true clock, as a
dongle's crystal is).

Lost input is a gap, as for every live source: when PortAudio flags an input overflow,
:func:`overflow_lost_samples` estimates how many audio samples were lost from the
stream clock against the sample count, the block after it starts that much later
(``IQBlock.start_sample`` and ``dropped_before``) and the capture zero-fills and
annotates it ``"gap"``.  Only a flagged overflow counts.  Through PulseAudio a stalled
reader is never flagged: the server buffers ~20 s (a 3 s stall came through whole) and
drops the rest silently (a 25 s stall lost 3.16 s, no flag), and the clock alone is no
guide: while a backlog drains it runs ahead of the count with nothing lost, and a
0.34 s stall of the server moved it 0.36 s and back.

Examples
--------
>>> src = AudioSource("pulse", dial_hz=28_123_500.0, sideband="usb", sample_rate_hz=48000)
>>> src.center_freq_hz, src.rate_hz
(28135500.0, 24000.0)
"""

from __future__ import annotations

import logging
import math
from collections import deque
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dsp.audio_baseband import DELAY_SAMPLES, AudioBasebandState, audio_to_baseband
from station.errors import InputError, SourceError
from station.sdr.base import IQBlock, SourceInfo
from station.sideband import audio_to_rf_hz, check_sideband

__all__ = ["AUDIO_RATE_RANGE_HZ", "AudioSource", "overflow_lost_samples"]

logger = logging.getLogger(__name__)

#: Sound-card rates accepted, S/s.
AUDIO_RATE_RANGE_HZ = (8_000.0, 48_000.0)
_FIRST_BLOCK_S_MIN = 0.05  # the first read, s of audio
_OFFSET_READS = 64  # reads (~10 s) whose least clock offset is the reference


def overflow_lost_samples(
    overflowed: bool, offset_s: float | None, reference_s: float | None, frames: int,
    rate_hz: float,
) -> int:  # fmt: skip
    """Estimate the audio samples lost before a read, from its overflow flag and clock.

    The clock offset of a read is the stream clock's time of its last sample (stream
    time less the input latency and what is still buffered) minus the time the sample
    count gives it (sample 0's time + count / rate, counting earlier losses).  Samples
    lost since the reference read move the offset on by their duration.

    Parameters
    ----------
    overflowed : bool
        PortAudio's input-overflow flag for this read.
    offset_s : float or None
        This read's clock offset, s (None when the stream has no clock).
    reference_s : float or None
        The offset before the loss: the least over the recent reads that waited for
        their samples (a backlog only ever adds to an offset).
    frames : int
        Samples this read returned.
    rate_hz : float

    Returns
    -------
    int
        0 without the flag.  With it: the offset's advance in samples, at least 1
        (a flag means something was lost); one read's worth (``frames``) when there is
        no clock to measure.  Accuracy: the stream clock's jitter against the count
        (0.1 ms seen through ALSA) plus the card's rate error since the reference (tens
        of ppm over ~10 s, below a millisecond); a flagged read behind a sound server's
        backlog is over by it.

    Examples
    --------
    >>> overflow_lost_samples(True, 2.5004, 0.0004, 8192, 48000.0)  # 2.5 s lost
    120000
    >>> overflow_lost_samples(False, 2.5, 0.0, 8192, 48000.0), overflow_lost_samples(
    ...     True, None, None, 8192, 48000.0)  # a backlog; a flag without a clock
    (0, 8192)
    """
    if not overflowed:
        return 0
    if offset_s is None or reference_s is None:
        return int(frames)
    return max(1, int(round((offset_s - reference_s) * rate_hz)))


class AudioSource:
    """Mono sound-card input as an :class:`~station.sdr.base.IQSource`.

    Parameters
    ----------
    device : str
        PortAudio input device (a name such as ``pulse``, or an index).
    dial_hz : float
        The receiver's dial frequency.
    sideband : {"usb", "lsb"}, optional
    sample_rate_hz : float, optional
        The sound card's rate, 8000-48000 S/s (the I/Q rate is half of it).
    latency : str or float, optional
        PortAudio input latency.
    """

    def __init__(
        self,
        device: str,
        *,
        dial_hz: float | None = None,
        sideband: str = "usb",
        sample_rate_hz: float | None = None,
        latency: str | float = "high",
    ) -> None:
        if dial_hz is None or not math.isfinite(float(dial_hz)) or float(dial_hz) <= 0:
            raise InputError(f"--dial-mhz={dial_hz} must be the receiver's dial frequency > 0")
        rate = 48_000.0 if sample_rate_hz is None else float(sample_rate_hz)
        lo, hi = AUDIO_RATE_RANGE_HZ
        if not lo <= rate <= hi:
            raise InputError(
                f"--sample-rate-hz={rate:g} must be a sound-card rate {lo:g}-{hi:g} S/s"
            )
        self.device = device
        self.dial_hz = float(dial_hz)
        self.sideband = check_sideband(sideband)
        self.audio_rate_hz = rate
        self.rate_hz = rate / 2
        self.center_freq_hz = audio_to_rf_hz(rate / 4, self.dial_hz, self.sideband)
        self._latency = latency
        self._stream: Any = None
        self._state = AudioBasebandState()
        self._pending = np.zeros(0, np.complex64)
        self._next_out = 0  # stream index of the first pending sample
        self._held: list[np.ndarray] = []
        self._t0_unix: float | None = None  # stream-clock time of audio sample 0
        self._count = 0  # audio samples through the last read, lost ones too
        self._offsets: deque[float] = deque(maxlen=_OFFSET_READS)
        self._lost = 0  # audio samples lost before the next unconverted read
        #: Input overflows seen (each a gap in the recording).
        self.overflows = 0

    def open(self) -> SourceInfo:
        """Start the stream and read its first block, to know sample 0's UTC."""
        import sounddevice as sd  # PortAudio is loaded only for a sound-card source

        try:
            stream = sd.InputStream(samplerate=self.audio_rate_hz, channels=1, dtype="float32",
                                    device=self.device, latency=self._latency)  # fmt: skip
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise SourceError(f"audio device {self.device!r}: cannot open ({exc})") from None
        self._stream = stream
        first, _ = self._read_audio(int(self.audio_rate_hz * _FIRST_BLOCK_S_MIN))
        # the first block's samples were taken up to now, less what is still buffered
        start_unix = self._end_unix() - len(first) / self.audio_rate_hz
        self._t0_unix, self._count = start_unix, len(first)
        self._held = [first]
        start = datetime.fromtimestamp(start_unix - DELAY_SAMPLES / self.audio_rate_hz, UTC)
        hw = (
            f"sound card {self.device} via PortAudio, {self.audio_rate_hz:g} S/s mono from "
            f"an SSB receiver on {self.dial_hz / 1e6:.6f} MHz {self.sideband.upper()}"
        )
        return SourceInfo(self.rate_hz, self.center_freq_hz, start, hw)

    def _end_unix(self) -> float:
        """Stream-clock time of the last sample read (less the latency and what is buffered)."""
        stream, rate = self._stream, self.audio_rate_hz
        return float(stream.time) - float(stream.latency) - stream.read_available / rate

    def _read_audio(self, frames: int) -> tuple[np.ndarray, bool]:
        """Read ``frames`` audio samples (blocking: no Python runs in PortAudio's thread)."""
        try:
            data, overflowed = self._stream.read(frames)
        except Exception as exc:  # sounddevice raises PortAudioError
            raise SourceError(f"audio device {self.device!r}: {exc}") from None
        return np.asarray(data[:, 0]), bool(overflowed)

    def _next_audio(self, frames: int) -> np.ndarray:
        """Read the next audio, noting in :attr:`_lost` what an overflow lost before it."""
        t_before = float(self._stream.time)
        audio, overflowed = self._read_audio(frames)
        rate, offset, t_after = self.audio_rate_hz, None, float(self._stream.time)
        if self._t0_unix is not None and t_after > 0:  # 0: the stream has no clock
            offset = self._end_unix() - self._t0_unix - (self._count + len(audio)) / rate
        waited = t_after - t_before >= 0.5 * len(audio) / rate  # no backlog behind it
        ref = min(self._offsets) if self._offsets else None
        lost = overflow_lost_samples(overflowed, offset, ref, len(audio), rate)
        if lost:
            self.overflows += 1
            logger.warning("audio device %r: input overflow, about %d samples (%.3f s) lost",
                           self.device, lost, lost / rate)  # fmt: skip
        elif offset is not None and waited:
            self._offsets.append(offset)
        self._count += lost + len(audio)
        self._lost += lost
        return audio

    def read(self, n: int) -> IQBlock | None:
        """Return up to ``n`` complex samples (converted from the next audio)."""
        if self._stream is None:
            raise RuntimeError("AudioSource.read() before open()")
        if int(n) <= 0:
            raise InputError(f"n={n!r} must be a whole number of samples > 0")
        dropped = 0
        while len(self._pending) == 0:
            audio = self._held.pop() if self._held else self._next_audio(2 * int(n))
            if self._lost:  # output k is audio sample 2k: skip the lost ones' outputs
                a, b = self._state.n_in, self._state.n_in + self._lost
                dropped += (b + 1) // 2 - (a + 1) // 2
                self._state = AudioBasebandState(b, self._state.zi)
                self._lost = 0
            z, self._state = audio_to_baseband(audio, self._state, lsb=self.sideband == "lsb")
            self._pending = z
        self._next_out += dropped
        out, self._pending = self._pending[: int(n)], self._pending[int(n) :]
        block = IQBlock(out, start_sample=self._next_out, dropped_before=dropped)
        self._next_out += len(out)
        return block

    def close(self) -> None:
        """Stop and close the stream (idempotent)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()
