"""The sound card as a receiver, through the real PulseAudio null sink's monitor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from station.capture.plan import plan_capture
from station.capture.run import run_capture
from station.errors import InputError
from station.keyer.audio import AudioKeyer
from station.recording import GAP_LABEL
from station.sdr.audio import AudioSource, overflow_lost_samples
from station.sdr.factory import open_source
from station.sdr.spec import parse_source
from tests.station.capture.conftest import write_event
from tests.station.helpers import invoke

DIAL_HZ = 28_398_500.0  # + a 1500 Hz tone on USB = 28.4 MHz


def test_audio_source_strings_and_settings():
    assert parse_source("audio:pulse") == ("audio", "pulse")
    src = open_source("audio:pulse", dial_hz=DIAL_HZ, sideband="lsb", sample_rate_hz=8000)
    assert isinstance(src, AudioSource)
    assert src.center_freq_hz == DIAL_HZ - 2000 and src.rate_hz == 4000
    with pytest.raises(InputError, match="--dial-mhz"):
        AudioSource("pulse")
    with pytest.raises(InputError, match="sound-card rate"):
        AudioSource("pulse", dial_hz=DIAL_HZ, sample_rate_hz=96000)


class _Noise:
    """A weak noise floor played into the null sink by ``pacat`` (the sink is lossless)."""

    def __init__(self, pulse, folder: Path, level: float = 0.003, seconds: float = 30) -> None:
        rng = np.random.default_rng(1)
        raw = folder / "noise.f32"
        raw.write_bytes((level * rng.standard_normal(int(48000 * seconds))).astype("<f4").tobytes())
        self._cmd = ["pacat", "--playback", "--raw", "--format=float32le", "--rate=48000",
                     "--channels=1", "--device=hs", str(raw)]  # fmt: skip
        self._env = dict(os.environ, PULSE_SERVER=pulse.server)
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> _Noise:
        self._proc = subprocess.Popen(self._cmd, env=self._env, stdin=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        self._proc.terminate()
        self._proc.wait(5)


@pytest.mark.parametrize("sideband", ["usb", "lsb"])
def test_a_tone_lands_on_its_rf_through_the_dial_and_sideband(pulse, sideband):
    keyer = AudioKeyer(pulse.device, tone_hz=1500.0, sideband=sideband)
    keyer.open(28.4e6, "CW")
    src = AudioSource(pulse.device, dial_hz=keyer.dial_hz(28.4e6), sideband=sideband)
    try:
        info = src.open()
        assert info.start_utc is not None
        assert abs(info.start_utc - datetime.now(UTC)) < timedelta(seconds=1)
        keyer.set_key(True)
        got, n = [], 0
        while n < 48000:
            block = src.read(4096)
            assert block is not None and block.start_sample == n
            got.append(block.samples)
            n = block.end_sample
        keyer.set_key(False)
    finally:
        src.close()
        keyer.close()
    z = np.concatenate(got)[-16384:]
    f = np.fft.fftfreq(len(z), 1 / info.sample_rate_hz)[np.argmax(np.abs(np.fft.fft(z)))]
    assert abs(info.center_freq_hz + f - 28.4e6) < 5  # the carrier's RF


def test_the_audio_keyer_into_the_sound_card_receiver_decodes_hi(pulse, runner, tmp_path):
    """``transmit --audio`` (its own process, as on a station) keys HI into the sink;
    ``capture --source audio:`` records the monitor; ``replay`` decodes it."""
    ev = write_event(tmp_path / "ev.toml", datetime.now(UTC) + timedelta(seconds=4), dit_s=0.5)
    root = Path(__file__).resolve().parents[3]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    )
    out = tmp_path / "cap"
    with _Noise(pulse, tmp_path):
        keying = subprocess.Popen(
            [sys.executable, "-m", "station.cli", "transmit", str(ev), "--callsign", "N0CALL",
             "--audio", "pulse", "--transmit", "--ignore-clock", "--quiet",
             "--log", str(tmp_path / "tx.jsonl")],
            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            result = invoke(runner, "capture", "--source", "audio:pulse", "--dial-mhz",
                            str(DIAL_HZ / 1e6), "--sideband", "usb", "--schedule", ev, "--out",
                            out, "--duration-s", "12", "--json")  # fmt: skip
        finally:
            said, _ = keying.communicate(timeout=30)
    assert keying.returncode == 0, said
    assert "set the dial to 28.398500 MHz USB (PTT VOX)" in said and "done: 12 edges" in said
    assert result.exit_code == 0, (result.output, result.stderr)
    summary = json.loads(result.stdout)
    assert summary["gaps"] == 0 and summary["samples_dropped"] == 0  # nothing was lost
    (channel,) = summary["channels"]
    assert channel["freq_hz"] == 28.4e6
    import sigmf

    assert not [a for a in sigmf.fromfile(channel["path"]).get_annotations()
                if a.get("core:label") == GAP_LABEL]  # fmt: skip
    replayed = invoke(runner, "replay", channel["path"], "--schedule", ev, "--json")
    assert replayed.exit_code == 0, (replayed.output, replayed.stderr)
    (ch,) = json.loads(replayed.stdout)["channels"]
    assert ch["decoded"]["text"] == "HI"
    err_ms = _captured_edge_errors_ms(channel["path"], tmp_path / "tx.jsonl")
    print("captured edge errors ms", np.round(err_ms, 1))
    assert len(err_ms) == 12 and np.all(np.abs(err_ms) < 50), err_ms


def _captured_edge_errors_ms(path: str, log: Path) -> np.ndarray:
    """Each planned edge against the captured channel's edge nearest it, ms, after the
    output latency the TX log reports (the capture's UTC already allows for the input's)."""
    import re

    from station.keyer.records import EdgeRecord, record_from_json
    from station.keyer.txlog import read_tx_log
    from station.recording import read_recording
    from tests.station.audio_fixtures import tone_edges

    rec = read_recording(path)
    assert rec.start_utc is not None
    rises, falls = tone_edges(rec.samples, rec.sample_rate_hz, 0.0, window_s=0.01)
    t0 = rec.start_utc.timestamp()
    edges = [r for r in (record_from_json(x, "tx") for x in read_tx_log(log))
             if isinstance(r, EdgeRecord)]  # fmt: skip
    errors = []
    for e in edges:
        found = re.search(r"audio output latency ([0-9.]+) ms", e.reply or "")
        assert found and e.planned_utc is not None, e.reply
        want = e.planned_utc.timestamp() + float(found.group(1)) / 1e3
        seen = t0 + (rises if e.key == "down" else falls)
        errors.append(1e3 * (seen[np.argmin(np.abs(seen - want))] - want))
    return np.array(errors)


@pytest.mark.parametrize("sideband", ["usb", "lsb"])
def test_replay_reads_a_mono_audio_wav_through_the_dial(runner, tmp_path, sideband):
    import soundfile as sf

    from dsp.keying import keyed_audio
    from dsp.morse import key_intervals

    fs, tone, dial = 8000.0, 1500.0, DIAL_HZ if sideband == "usb" else 28_401_500.0
    iv = np.asarray(key_intervals("HI", 1.0)) + 2.0
    x = keyed_audio(iv, fs, duration_s=17.0, tone_hz=tone, amplitude=0.3)
    x = x + 0.01 * np.random.default_rng(2).standard_normal(len(x))
    wav = tmp_path / "rx.wav"
    sf.write(wav, x.astype(np.float32), int(fs))
    refused = invoke(runner, "replay", wav, "--freq-mhz", "28.4")
    assert refused.exit_code == 2 and "--dial-mhz" in refused.stderr
    result = invoke(runner, "replay", wav, "--freq-mhz", "28.4", "--dial-mhz", str(dial / 1e6),
                    "--sideband", sideband, "--json")  # fmt: skip
    assert result.exit_code == 0, (result.output, result.stderr)
    (ch,) = json.loads(result.stdout)["channels"]
    assert ch["decoded"]["text"] == "HI"


def test_the_overflow_estimate_is_the_clock_offsets_advance():
    rate = 48000.0
    assert overflow_lost_samples(False, 3.0, 0.0, 8192, rate) == 0  # a backlog, no flag
    assert overflow_lost_samples(True, 1.2503, 0.0003, 8192, rate) == 60000
    assert overflow_lost_samples(True, 0.0002, 0.0003, 8192, rate) == 1  # flagged: > 0
    assert overflow_lost_samples(True, None, None, 8192, rate) == 8192  # no clock: a read


def test_a_stalled_reader_loses_nothing_through_pulseaudio(pulse):
    """The server buffers a 2 s stall (no overflow flag): the blocks stay contiguous and
    no gap is reported, though the stream clock ran ahead of the count meanwhile."""
    src = AudioSource(pulse.device, dial_hz=DIAL_HZ)
    try:
        src.open()
        n = 0
        for i in range(30):
            if i == 5:
                time.sleep(2.0)
            block = src.read(4096)
            assert block is not None and block.start_sample == n and block.dropped_before == 0
            n = block.end_sample
    finally:
        src.close()
    assert src.overflows == 0


class _OverflowingStream:
    """A PortAudio input stream as sounddevice shows it, that loses ``lost_s`` of input
    before its ``at``-th read and flags it: PulseAudio loses input only after a ~20 s
    stall and never flags it, so this stands in for the device below AudioSource."""

    latency, read_available, lost_s, at = 0.03, 0, 1.5, 20

    def __init__(self, *, samplerate: float, **kwargs: object) -> None:
        self.rate, self.time, self.reads = samplerate, 1.7e9, 0

    def start(self) -> None:
        pass

    def read(self, frames: int) -> tuple[np.ndarray, bool]:
        self.reads += 1
        lost = self.reads == self.at
        self.time += frames / self.rate + (self.lost_s if lost else 0.0)
        return np.zeros((frames, 1), np.float32), lost

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_an_input_overflow_is_a_gap_in_the_recording(pulse, monkeypatch, tmp_path):
    import sigmf
    import sounddevice as sd

    monkeypatch.setattr(sd, "InputStream", _OverflowingStream)
    plan = plan_capture("audio:pulse", tmp_path / "cap", freqs_hz=[28.4e6], duration_s=6.0,
                        dial_hz=DIAL_HZ)  # fmt: skip
    result = run_capture(plan, detect_rounds=False)
    lost_iq = int(_OverflowingStream.lost_s * 48000) // 2
    assert result.gaps == 1 and result.samples_dropped == lost_iq
    assert result.to_dict()["gaps"] == 1 and result.samples == 6 * 24000
    (channel,) = result.channels
    handle = sigmf.fromfile(channel.path)
    (gap,) = [a for a in handle.get_annotations() if a["core:label"] == GAP_LABEL]
    ch_rate = handle.get_global_field("core:sample_rate")
    assert abs(gap["core:sample_count"] / ch_rate - _OverflowingStream.lost_s) < 0.01
    before_s = (2400 + (_OverflowingStream.at - 2) * 8192) / 48000  # open's read, then 8192s
    assert abs(gap["core:sample_start"] / ch_rate - before_s) < 0.01
    assert "lost" in gap["core:comment"]
