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
input latency and the samples read and buffered (plus the filter's delay); an input
overflow is logged.  Sample times after that are by count, at the sound card's rate
(tens of ppm off a true clock, as a dongle's crystal is).

Examples
--------
>>> src = AudioSource("pulse", dial_hz=28_123_500.0, sideband="usb", sample_rate_hz=48000)
>>> src.center_freq_hz, src.rate_hz
(28135500.0, 24000.0)
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dsp.audio_baseband import DELAY_SAMPLES, AudioBasebandState, audio_to_baseband
from station.errors import InputError, SourceError
from station.sdr.base import IQBlock, SourceInfo
from station.sideband import audio_to_rf_hz, check_sideband

__all__ = ["AUDIO_RATE_RANGE_HZ", "AudioSource"]

logger = logging.getLogger(__name__)

#: Sound-card rates accepted, S/s.
AUDIO_RATE_RANGE_HZ = (8_000.0, 48_000.0)
_FIRST_BLOCK_S_MIN = 0.05  # the first read, s of audio


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
        first = self._read_audio(int(self.audio_rate_hz * _FIRST_BLOCK_S_MIN))
        # the first block's samples were taken up to now, less what is still buffered
        end_unix = float(stream.time) - float(stream.latency)
        start_unix = end_unix - (len(first) + stream.read_available) / self.audio_rate_hz
        self._held = [first]
        start = datetime.fromtimestamp(start_unix + DELAY_SAMPLES / self.audio_rate_hz, UTC)
        hw = (
            f"sound card {self.device} via PortAudio, {self.audio_rate_hz:g} S/s mono from "
            f"an SSB receiver on {self.dial_hz / 1e6:.6f} MHz {self.sideband.upper()}"
        )
        return SourceInfo(self.rate_hz, self.center_freq_hz, start, hw)

    def _read_audio(self, frames: int) -> np.ndarray:
        """Read ``frames`` audio samples (blocking: no Python runs in PortAudio's thread)."""
        try:
            data, overflowed = self._stream.read(frames)
        except Exception as exc:  # sounddevice raises PortAudioError
            raise SourceError(f"audio device {self.device!r}: {exc}") from None
        if overflowed:
            logger.warning("audio device %r: input overflow (samples lost)", self.device)
        return np.asarray(data[:, 0])

    def read(self, n: int) -> IQBlock | None:
        """Return up to ``n`` complex samples (converted from the next audio)."""
        if self._stream is None:
            raise RuntimeError("AudioSource.read() before open()")
        if int(n) <= 0:
            raise InputError(f"n={n!r} must be a whole number of samples > 0")
        while len(self._pending) == 0:
            audio = self._held.pop() if self._held else self._read_audio(2 * int(n))
            z, self._state = audio_to_baseband(audio, self._state, lsb=self.sideband == "lsb")
            self._pending = z
        out, self._pending = self._pending[: int(n)], self._pending[int(n) :]
        block = IQBlock(out, start_sample=self._next_out)
        self._next_out += len(out)
        return block

    def close(self) -> None:
        """Stop and close the stream (idempotent)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.abort()
            stream.close()
