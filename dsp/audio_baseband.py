"""Real audio from an SSB receiver -> complex baseband at half the audio rate, block by block.

The sound-card receiver (:mod:`station.sdr.audio`) feeds the same channelizer as an
SDR: real audio at ``fs`` is mixed down by ``fs/4`` (multiplying by ``(-j)**n``, exact),
low-passed to +-``fs/4`` (which removes the mirror image of the other sideband) and
decimated by 2.  Audio frequency ``a`` then sits at baseband ``a - fs/4`` at the complex
rate ``fs/2``; for a lower-sideband receiver the samples are conjugated, so baseband
``fs/4 - a`` and RF always increases with baseband frequency.  A real tone of amplitude
``A`` comes out with amplitude ``A``; the filter delays the output by
:data:`DELAY_SAMPLES` input samples.

Examples
--------
>>> fs = 8000.0
>>> n = np.arange(4000)
>>> x = np.cos(2 * np.pi * 3000 * n / fs)  # 3 kHz audio -> +1 kHz baseband at 4 kS/s
>>> z, state = audio_to_baseband(x, AudioBasebandState(), lsb=False)
>>> f = np.fft.fftfreq(len(z), 1 / (fs / 2))[np.argmax(np.abs(np.fft.fft(z)))]
>>> float(f), round(float(np.abs(z[200:]).mean()), 2)
(1000.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal as sps

__all__ = ["DELAY_SAMPLES", "TAPS", "AudioBasebandState", "audio_to_baseband"]

#: Low-pass at a quarter of the audio rate (odd length, linear phase).
TAPS = sps.firwin(127, 0.5)
#: The filter's delay, in input (audio) samples.
DELAY_SAMPLES = (len(TAPS) - 1) // 2
_MIX = np.array([1, -1j, -1, 1j])


@dataclass(frozen=True)
class AudioBasebandState:
    """Where the stream is: input samples so far and the filter's memory."""

    n_in: int = 0
    zi: np.ndarray = field(default_factory=lambda: np.zeros(len(TAPS) - 1, complex))


def audio_to_baseband(
    audio: np.ndarray, state: AudioBasebandState, *, lsb: bool
) -> tuple[np.ndarray, AudioBasebandState]:
    """Convert one block of real audio; returns complex64 samples and the next state.

    Output sample ``k`` of the whole stream belongs to input sample ``2 k``.
    """
    x = np.asarray(audio, dtype=float).ravel()
    n = state.n_in + np.arange(len(x))
    y, zf = sps.lfilter(TAPS, 1.0, x * _MIX[n % 4], zi=state.zi)
    z = 2.0 * y[(-state.n_in) % 2 :: 2]
    if lsb:
        z = np.conj(z)
    return z.astype(np.complex64), AudioBasebandState(state.n_in + len(x), zf)
