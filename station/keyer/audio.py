"""Keying with an audio tone from the sound card, the way digital-mode software keys a rig.

The rig sits in USB (or LSB, or a data mode) with its audio input on the sound card's
output; a steady tone of ``tone_hz`` makes a carrier at dial + tone (USB) or dial - tone
(LSB), so :meth:`AudioKeyer.open` tunes the PTT backend to the *dial* that puts the
carrier on the plan's frequency (:func:`station.sideband.dial_for_rf_hz`).  The tone
is keyed with raised-cosine edges (:func:`dsp.keying.edge_gain`, 20 ms by default: no
key clicks; ``bench/audio_keying.py`` measures the spectrum beyond +-100 Hz of the
carrier about 50 dB down even in frames around the edges, where 5 ms edges reach
only -29 dB), rendered in PortAudio's callback (``sounddevice``, Debian ``libportaudio2``).

PTT goes through another backend (rigctld by CAT, a serial line) or nowhere (VOX: the
rig keys on the audio).  Key down: PTT first, then the tone; key up: the tone fades,
and once it has left the sound card, PTT is released.  Every stop path goes through
:meth:`AudioKeyer.emergency_unkey` or :meth:`AudioKeyer.close`, which silence the tone
*and* release PTT; :class:`~station.keyer.safety.SafeKeyer` (watchdog, signals, rig
errors) and the rigctld guardian work unchanged, since the PTT backend's guardian is
offered as this keyer's.  A failed sound card (the stream stops) is a
:class:`~station.errors.RigError` at the next edge, so keying stops and PTT is released.

Edge timing: an edge requested at stream time ``t`` (PortAudio's stream clock, which
on Linux ALSA is the system's real-time clock) is rendered so that it leaves the DAC
at ``t`` plus the stream's reported output latency; each edge's reply names that
latency, so the TX log records it.

Examples
--------
>>> k = AudioKeyer("pulse", tone_hz=1500.0, sideband="usb")
>>> k.name, k.dial_hz(28_125_000.0)
('audio (VOX)', 28123500.0)
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

import numpy as np

from dsp.keying import edge_gain
from station.errors import InputError, RigError
from station.keyer.base import Keyer
from station.sideband import check_sideband, dial_for_rf_hz, rig_mode

__all__ = ["TONE_RANGE_HZ", "AudioKeyer"]

#: Tones an SSB rig's audio passband carries.
TONE_RANGE_HZ = (300.0, 3000.0)
_SSB_MODES = ("USB", "LSB", "PKTUSB", "PKTLSB")


class _Tone:
    """The tone's state, shared by the callers and PortAudio's callback thread."""

    def __init__(self, tone_hz: float, rate_hz: float, amplitude: float, rise_s: float) -> None:
        self.tone_hz, self.rate_hz = tone_hz, rate_hz
        self.amplitude, self.rise_s = amplitude, rise_s
        self.edges: collections.deque[tuple[float, bool]] = collections.deque()
        self.edge_s, self.down, self.start_level = -np.inf, False, 0.0
        self.phase = 0.0  # the tone's phase at the next block, rad
        self.error: str | None = None
        self.last_dac_s = 0.0

    def render(self, out: np.ndarray, frames: int, dac_s: float) -> None:
        t = dac_s + np.arange(frames) / self.rate_hz
        gain = self._gain(t)
        while self.edges and self.edges[0][0] - self.rise_s / 2 <= t[-1]:
            at_s, down = self.edges.popleft()
            at_s = max(at_s, t[0] + self.rise_s / 2)  # late (or forced): start now
            level = float(self._gain(np.array([at_s - self.rise_s / 2]))[0])
            self.edge_s, self.down, self.start_level = at_s, down, level
            after = t >= at_s - self.rise_s / 2
            gain[after] = self._gain(t[after])
        step = 2 * np.pi * self.tone_hz / self.rate_hz
        out[:, 0] = self.amplitude * gain * np.sin(self.phase + step * np.arange(frames))
        self.phase = (self.phase + step * frames) % (2 * np.pi)
        self.last_dac_s = float(t[-1])

    def _gain(self, t: np.ndarray) -> np.ndarray:
        return edge_gain(t, self.edge_s, self.down, start_level=self.start_level,
                         rise_s=self.rise_s)  # fmt: skip


class AudioKeyer:
    """A keyed tone on a sound card, with PTT through another backend or VOX.

    Parameters
    ----------
    device : str
        PortAudio output device (a name such as ``pulse`` or an index).
    tone_hz : float, optional
        Tone frequency, 300-3000 Hz.
    sideband : {"usb", "lsb"}, optional
        The rig's sideband: the carrier is at dial + tone (USB) or dial - tone (LSB).
    ptt : Keyer or None, optional
        Backend that keys PTT and tunes (rigctld, serial); None = VOX.
    sample_rate_hz : float, optional
    rise_s : float, optional
        Full length of each raised-cosine edge (half amplitude at the edge's time).
    amplitude : float, optional
        Tone peak, full scale 1 (set the rig's drive so its ALC stays quiet).
    latency : str or float, optional
        PortAudio output latency (``"high"`` is safe on a busy machine).
    """

    transmits = True

    def __init__(
        self,
        device: str,
        *,
        tone_hz: float = 1500.0,
        sideband: str = "usb",
        ptt: Keyer | None = None,
        sample_rate_hz: float = 48_000.0,
        rise_s: float = 0.02,
        amplitude: float = 0.5,
        latency: str | float = "high",
    ) -> None:
        low, high = TONE_RANGE_HZ
        if not low <= float(tone_hz) <= high:
            raise InputError(f"--tone-hz={tone_hz:g} must be {low:g}-{high:g} Hz")
        if not 0 < amplitude <= 1:
            raise InputError(f"audio amplitude={amplitude:g} must be in (0, 1]")
        self.device = device
        self.tone_hz = float(tone_hz)
        self.sideband = check_sideband(sideband)
        self.ptt = ptt
        self.name = f"audio+{ptt.name}" if ptt is not None else "audio (VOX)"
        self.guardian = getattr(ptt, "guardian", None)  #: the PTT backend's guard, if any
        self._tone = _Tone(self.tone_hz, float(sample_rate_hz), float(amplitude), float(rise_s))
        self._latency = latency
        self._stream: Any = None
        self.latency_s = 0.0  #: the stream's reported output latency
        self._lock = threading.Lock()
        self._tone_on = False  # a tone edge down was queued and no edge up since

    def dial_hz(self, freq_hz: float) -> float:
        """Return the dial frequency that puts the tone's carrier on ``freq_hz``."""
        return dial_for_rf_hz(freq_hz, self.tone_hz, self.sideband)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        try:
            self._tone.render(outdata, frames, float(time_info.outputBufferDacTime))
        except Exception as exc:  # never let the tone run on unrendered
            outdata.fill(0)
            self._tone.error = f"tone rendering failed ({exc})"
            raise

    def open(self, freq_hz: float, mode: str) -> str:
        """Start the (silent) tone stream, then tune the PTT backend to the dial."""
        import sounddevice as sd  # PortAudio is loaded only when keying with audio

        try:
            stream = sd.OutputStream(
                samplerate=self._tone.rate_hz, channels=1, dtype="float32", device=self.device,
                latency=self._latency, callback=self._callback,
            )  # fmt: skip
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise RigError(f"audio device {self.device!r}: cannot open ({exc})") from None
        self._stream = stream
        self.latency_s = float(stream.latency)
        dial = self.dial_hz(freq_hz)
        note = (f"tone {self.tone_hz:g} Hz on {self.device} (output latency "
                f"{self.latency_s * 1e3:.1f} ms); dial {dial / 1e6:.6f} MHz "
                f"{self.sideband.upper()}")  # fmt: skip
        if self.ptt is None:
            return f"{note}; VOX (no PTT)"
        rig = mode if mode in _SSB_MODES else rig_mode(self.sideband)
        return f"{note}; {self.ptt.open(dial, rig)}"

    def _check_stream(self) -> None:
        stream = self._stream
        if stream is None:
            raise RigError(f"audio device {self.device!r} is not open")
        if self._tone.error or not stream.active:
            why = self._tone.error or "the stream stopped"
            raise RigError(f"audio device {self.device!r}: {why}; keying stopped")

    def _edge(self, down: bool) -> float:
        at_s = float(self._stream.time) + self.latency_s
        self._tone.edges.append((at_s, down))
        self._tone_on = down
        return at_s

    def set_key(self, down: bool) -> str:
        """Key down: PTT, then the tone; key up: the tone fades out, then PTT."""
        with self._lock:
            late = f"audio output latency {self.latency_s * 1e3:.1f} ms"
            if down:
                self._check_stream()
                reply = self.ptt.set_key(True) if self.ptt is not None else "VOX"
                self._edge(True)
                return f"tone on ({late}); PTT {reply}"
            if self._stream is not None and self._stream.active:
                self._edge(False)
                self._wait_played()
            reply = self.ptt.set_key(False) if self.ptt is not None else "VOX"
            self._check_stream()
            return f"tone off ({late}); PTT {reply}"

    def _wait_played(self) -> None:
        """Wait (bounded) until the faded tone has left the sound card."""
        deadline = time.monotonic() + self.latency_s + self._tone.rise_s + 0.5
        target = float(self._stream.time) + self.latency_s + self._tone.rise_s
        while self._stream.active and self._tone.last_dac_s < target:
            if time.monotonic() > deadline:
                break
            time.sleep(0.002)

    def key_state(self) -> bool | None:
        """Return True while the tone sounds or PTT is on (PTT as its backend reads it back)."""
        tone = self._tone_on and self._stream is not None and bool(self._stream.active)
        ptt = self.ptt.key_state() if self.ptt is not None else False
        return tone or bool(ptt)

    def identify(self, text: str, wpm: float) -> str | None:  # noqa: D102
        return None  # the safety layer keys the elements on the tone

    def emergency_unkey(self) -> str:
        """Silence the tone at once (from any thread) and release PTT on its own path."""
        self._tone.edges.clear()
        self._tone.edges.append((-np.inf, False))
        self._tone_on = False
        reply = self.ptt.emergency_unkey() if self.ptt is not None else "VOX"
        return f"tone off; PTT {reply}"

    def close(self) -> None:
        """Silence and close the stream, then close the PTT backend."""
        stream, self._stream = self._stream, None
        try:
            if stream is not None:
                self._tone.edges.append((-np.inf, False))
                time.sleep(self.latency_s + self._tone.rise_s)
                stream.abort()
                stream.close()
        finally:
            if self.ptt is not None:
                self.ptt.close()
