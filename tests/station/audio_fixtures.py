"""A real PulseAudio server with a null sink, started by the test suite.

PulseAudio 16 runs as root in user mode (no ``--system``): ``pulseaudio --daemonize=no -n
-F pa.pa`` loads only the native-protocol socket in a tmp folder and a null sink ``hs``
(48 kHz mono) whose monitor ``hs.monitor`` is the default source.  Python reaches it
through PortAudio's ALSA ``pulse`` device once ``PULSE_SERVER`` is set *before* PortAudio
initialises (so sounddevice is re-initialised here).  A ``parec`` "keeper" reads the
monitor at low latency: without it every new stream waits 0.5-2 s for its first callback
(the idle null sink renders in 2 s blocks); one warm-up stream after the daemon starts
takes the remaining first-stream stall.  ``PULSE_COOKIE`` and ``PULSE_RUNTIME_PATH``
keep libpulse from writing under ``~``.  Recipe: /work/shared/reference/real-components.md §1.

Debian packages: ``pulseaudio pulseaudio-utils libportaudio2 libasound2-plugins`` (in the
README's install line); Python: ``sounddevice`` (the ``audio`` extra, in ``dev``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

__all__ = ["MonitorRecorder", "PulseServer", "pulse", "start_pulse", "tone_edges"]

#: The ALSA PCM that PortAudio lists for the PulseAudio server.
DEVICE = "pulse"
RATE_HZ = 48_000


@dataclass
class PulseServer:
    """A running PulseAudio daemon with null sink ``hs`` (monitor ``hs.monitor``)."""

    server: str
    folder: Path
    daemon: subprocess.Popen
    keeper: subprocess.Popen | None
    device: str = DEVICE

    def stop(self) -> None:
        for proc in (self.keeper, self.daemon):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait(pred: Callable[[], bool], timeout_s: float, what: str, proc: subprocess.Popen) -> None:
    t0 = time.monotonic()
    while not pred():
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError(what)
        time.sleep(0.05)


def _die_with_parent() -> None:  # a crashed test run leaves no daemon behind
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_pulse(folder: Path) -> PulseServer:
    """Start a PulseAudio daemon in ``folder`` and point this process's PortAudio at it."""
    if not shutil.which("pulseaudio") or not shutil.which("parec"):
        pytest.fail(
            "pulseaudio/parec not found: install pulseaudio pulseaudio-utils libportaudio2 "
            "libasound2-plugins (see the README's test command)"
        )
    sock = folder / "native"  # a unix socket path must stay < 108 characters
    cfg = folder / "pa.pa"
    cfg.write_text(
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={sock}\n"
        f"load-module module-null-sink sink_name=hs rate={RATE_HZ} channels=1 "
        "sink_properties=device.description=hs\n"
        "set-default-sink hs\nset-default-source hs.monitor\n"
    )
    server = f"unix:{sock}"
    env = dict(os.environ, HOME=str(folder), XDG_RUNTIME_DIR=str(folder), PULSE_SERVER=server)
    with open(folder / "pa.log", "w") as log:
        daemon = subprocess.Popen(
            ["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "-n",
             "-F", str(cfg), "--log-target=stderr", "--log-level=warning"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
    pulse = PulseServer(server, folder, daemon, None)
    try:
        _wait(lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True,
                                     check=False).returncode == 0,
              10, "pulseaudio socket", daemon)  # fmt: skip
        pulse.keeper = subprocess.Popen(
            ["parec", "--device=hs.monitor", "--raw", "--latency-msec=10"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )  # fmt: skip
    except BaseException:
        pulse.stop()
        raise
    return pulse


def _reinit_portaudio() -> None:
    import sounddevice as sd

    sd._terminate()  # PortAudio lists devices only when it initialises
    sd._initialize()


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """PulseAudio with null sink ``hs``; this process's PortAudio reaches it as ``pulse``."""
    folder = tmp_path_factory.mktemp("pulse")
    pulse = start_pulse(folder)
    client_env = {"PULSE_SERVER": pulse.server, "PULSE_COOKIE": str(folder / "cookie"),
                  "PULSE_RUNTIME_PATH": str(folder)}  # fmt: skip
    saved = {k: os.environ.get(k) for k in client_env}
    try:
        os.environ.update(client_env)
        _reinit_portaudio()
        import sounddevice as sd

        # warm-up: the first stream after the daemon starts still waits ~1.8 s
        sd.playrec(np.zeros(4800, np.float32), RATE_HZ, channels=1, device=DEVICE,
                   blocking=True)  # fmt: skip
        yield pulse
    finally:
        import sounddevice as sd

        sd._terminate()  # while the server is up: with it gone, terminating hangs
        pulse.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        # PortAudio stays terminated: initialising it again without PULSE_RUNTIME_PATH
        # would write ~/.config/pulse (the ALSA scan probes for a server)


def tone_edges(
    y: np.ndarray, fs_hz: float, tone_hz: float, *, window_s: float = 0.005
) -> tuple[np.ndarray, np.ndarray]:
    """Times (s from the first sample) where a keyed tone crosses half its peak: rises, falls."""
    z = y * np.exp(-2j * np.pi * tone_hz * np.arange(len(y)) / fs_hz)
    n = max(1, int(fs_hz * window_s))
    env = 2 * np.abs(np.convolve(z, np.ones(n) / n, mode="same"))
    on = (env > 0.5 * env.max()).astype(int)
    d = np.diff(on)
    return (np.flatnonzero(d == 1) + 1) / fs_hz, (np.flatnonzero(d == -1) + 1) / fs_hz


class MonitorRecorder:
    """Record the null sink's monitor (the default source) with each sample's UTC.

    PortAudio's stream clock on ALSA is the real-time clock, so each block's
    ``inputBufferAdcTime`` is the Unix time of its first sample.  The sample count runs
    off that clock by tens of ppm (seen: 78 ppm, 1.5 ms in 20 s), so a sample's time is
    a straight-line fit of the blocks' timestamps against their sample counts.
    """

    def __init__(self, device: str = DEVICE, rate_hz: int = RATE_HZ) -> None:
        self.device, self.rate_hz = device, rate_hz
        self.blocks: list[np.ndarray] = []
        self.t0_unix: float | None = None
        self._stamps: list[tuple[int, float]] = []  # (first sample, ADC time) per block
        self._n = 0
        self._stream = None

    def _callback(self, indata, frames, time_info, status) -> None:  # noqa: ANN001
        if self.t0_unix is None:
            self.t0_unix = float(time_info.inputBufferAdcTime)
        self._stamps.append((self._n, float(time_info.inputBufferAdcTime)))
        self._n += frames
        self.blocks.append(indata[:, 0].copy())

    def unix_of(self, t_s: np.ndarray) -> np.ndarray:
        """Unix time of the samples ``t_s`` seconds (by sample count) after the first."""
        n, adc = np.array(self._stamps).T
        assert self.t0_unix is not None
        slope, offset = np.polyfit(n / self.rate_hz, adc - self.t0_unix, 1)
        return self.t0_unix + offset + slope * np.asarray(t_s)

    def __enter__(self) -> MonitorRecorder:
        import sounddevice as sd

        self._stream = sd.InputStream(samplerate=self.rate_hz, channels=1, dtype="float32",
                                      device=self.device, latency="high",
                                      callback=self._callback)  # fmt: skip
        self._stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stream is not None
        self._stream.stop()
        self._stream.close()

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)
