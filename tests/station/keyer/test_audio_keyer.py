"""The audio-tone keyer through a real PulseAudio null sink, PTT through a real rigctld."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from station.clock import SystemClock
from station.errors import RigError
from station.keyer.audio import AudioKeyer
from station.keyer.records import EdgeRecord, record_from_json
from station.keyer.rigctld import RigctldKeyer
from station.keyer.safety import SafeKeyer
from station.keyer.session import transmit_plan
from station.keyer.txlog import read_tx_log
from station.schedule import load_event, make_plan
from station.signals import Interrupted
from tests.station.audio_fixtures import MonitorRecorder, start_pulse, tone_edges
from tests.station.keyer.conftest import practice_toml

TONE_HZ = 1500.0


def _keyer(pulse, rig=None, **kw) -> AudioKeyer:
    ptt = None if rig is None else RigctldKeyer(rig.host, rig.port)
    return AudioKeyer(pulse.device, tone_hz=TONE_HZ, ptt=ptt, **kw)


def _edges_unix(rec: MonitorRecorder) -> tuple[np.ndarray, np.ndarray]:
    rises, falls = tone_edges(rec.samples, rec.rate_hz, TONE_HZ)
    return rec.unix_of(rises), rec.unix_of(falls)


def _planned(log) -> tuple[np.ndarray, np.ndarray, list[str]]:
    records = [record_from_json(r, "tx") for r in read_tx_log(log)]
    edges = [r for r in records if isinstance(r, EdgeRecord)]
    down = np.array([e.planned_utc.timestamp() for e in edges if e.key == "down"])
    up = np.array([e.planned_utc.timestamp() for e in edges if e.key == "up"])
    return down, up, [e.reply or "" for e in edges]


def test_a_practice_event_keyed_on_the_tone_lands_on_its_planned_edges(pulse, rigctld, tmp_path):
    plan = make_plan(load_event(str(practice_toml(tmp_path / "p.toml", dit_s=0.5))), "N0CALL")
    keyer = _keyer(pulse, rigctld)
    with MonitorRecorder() as rec:
        summary = transmit_plan(plan, keyer, SystemClock(), tmp_path / "tx.jsonl")
        time.sleep(0.3)
    assert summary.reason == "completed"
    assert rigctld.ptt() is False
    down, up, replies = _planned(tmp_path / "tx.jsonl")
    assert len(down) == 6 and all("audio output latency" in r for r in replies)
    rises, falls = _edges_unix(rec)
    assert len(rises) == 6 and len(falls) == 6, (rises, falls)
    err_ms = 1e3 * (np.concatenate([rises - down, falls - up]) - keyer.latency_s)
    print("edge errors ms", np.round(err_ms, 1))
    assert np.all(np.abs(err_ms) < 50), err_ms
    tail = rec.samples[-int(0.1 * rec.rate_hz) :]
    assert np.max(np.abs(tail)) < 1e-3  # silent after the stop


# ---- every stop path silences the tone and releases PTT --------------------------------


def _peak(rec: MonitorRecorder, from_unix: float, to_unix: float | None = None) -> float:
    assert rec.t0_unix is not None
    y = rec.samples
    lo = max(0, int((from_unix - rec.t0_unix) * rec.rate_hz))
    hi = len(y) if to_unix is None else int((to_unix - rec.t0_unix) * rec.rate_hz)
    return float(np.max(np.abs(y[lo:hi]))) if hi > lo else 0.0


def _safe(keyer, **kw) -> SafeKeyer:
    return SafeKeyer(keyer, allowed_hz=(28.0e6, 29.7e6), **kw)


def test_the_watchdog_silences_the_tone_and_releases_ptt(pulse, rigctld):
    safe = _safe(_keyer(pulse, rigctld), max_key_down_s=0.3, margin_s=0.5)
    with MonitorRecorder() as rec:
        safe.open(28_125_000, "CW")
        t_down = time.time()
        safe.key(True)
        time.sleep(1.3)  # the watchdog releases after 0.8 s
        assert safe.watchdog.tripped and rigctld.ptt() is False
        t_check = time.time()
        time.sleep(0.2)
    safe.close()
    assert _peak(rec, t_down + 0.1, t_down + 0.6) > 0.4  # the tone was on
    assert _peak(rec, t_check) < 1e-3  # and is silent now
    assert rigctld.ptt() is False


def test_a_stop_signal_silences_the_tone_and_releases_ptt(pulse, rigctld, tmp_path):
    plan = make_plan(load_event(str(practice_toml(tmp_path / "p.toml", dit_s=0.5))), "N0CALL")
    start = load_event(str(tmp_path / "p.toml")).start_utc.timestamp()
    timer = threading.Timer(start + 0.25 - time.time(), os.kill, (os.getpid(), signal.SIGTERM))
    with MonitorRecorder() as rec:
        timer.start()
        with pytest.raises(Interrupted):
            transmit_plan(plan, _keyer(pulse, rigctld), SystemClock(), tmp_path / "tx.jsonl")
        t_stop = time.time()
        time.sleep(0.3)
    timer.join()
    # keyed before the signal came (the whole 0.25 s: a loaded PulseAudio may start late)
    assert _peak(rec, start, start + 0.25) > 0.4
    assert _peak(rec, t_stop + 0.1) < 1e-3
    assert rigctld.ptt() is False


def test_closing_while_keyed_silences_the_tone_and_releases_ptt(pulse, rigctld):
    safe = _safe(_keyer(pulse, rigctld), max_key_down_s=5)
    with MonitorRecorder() as rec:
        assert "dial 28.123500 MHz USB" in safe.open(28_125_000, "CW")
        assert safe.guardian is not None and safe.guardian.alive  # PTT released if we die
        safe.key(True)
        time.sleep(0.3)
        assert rigctld.ptt() is True
        assert safe.close() is True
        t_close = time.time()
        time.sleep(0.3)
    assert _peak(rec, t_close) < 1e-3 and rigctld.ptt() is False


def test_a_rig_error_silences_the_tone_and_ptt_is_released(pulse, rigctld):
    keyer = _keyer(pulse, None)
    keyer.ptt = RigctldKeyer(rigctld.host, rigctld.port, timeout_s=0.3)
    safe = _safe(keyer, max_key_down_s=5)
    with MonitorRecorder() as rec:
        safe.open(28_125_000, "CW")
        safe.key(True)
        time.sleep(0.2)
        os.kill(rigctld.proc.pid, signal.SIGSTOP)  # the rig stops answering
        try:
            with pytest.raises(RigError):
                safe.key(False)
            t_fail = time.time()
            safe.close()
        finally:
            os.kill(rigctld.proc.pid, signal.SIGCONT)  # its queued PTT 0 then runs
        time.sleep(0.3)
    assert _peak(rec, t_fail) < 1e-3
    assert rigctld.ptt() is False


def test_a_failed_sound_card_stops_keying_and_releases_ptt(pulse, rigctld, tmp_path):
    other = start_pulse(tmp_path)  # a second server, to fail without touching the first
    saved = os.environ["PULSE_SERVER"]
    try:
        os.environ["PULSE_SERVER"] = other.server  # read when the stream connects
        safe = _safe(_keyer(pulse, rigctld), max_key_down_s=5)
        safe.open(28_125_000, "CW")
    finally:
        os.environ["PULSE_SERVER"] = saved
    try:
        safe.key(True)
        safe.key(False)
        other.daemon.kill()
        other.daemon.wait()
        deadline = time.monotonic() + 5
        with pytest.raises(RigError, match="audio device"):
            while time.monotonic() < deadline:
                safe.key(True)
                time.sleep(0.1)
                safe.key(False)
    finally:
        safe.close()
        other.stop()
    assert rigctld.ptt() is False


def test_a_dry_run_with_audio_shows_the_dial_and_bad_audio_options_are_one_line(runner, tmp_path):
    from tests.station.helpers import assert_one_error_line, invoke

    ev = practice_toml(tmp_path / "p.toml", lead_s=0.5)  # the dry run keys it in ~7 s
    args = ["transmit", ev, "--callsign", "N0CALL", "--audio", "pulse", "--quiet"]
    ok = invoke(runner, *args, "--sideband", "lsb", "--log", tmp_path / "tx.jsonl")
    assert ok.exit_code == 0, ok.output
    assert "set the dial to" in ok.stderr and "LSB (PTT VOX)" in ok.stderr
    assert_one_error_line(invoke(runner, *args, "--tone-hz", "5000"), "--tone-hz=5000", "300-3000")
    assert_one_error_line(invoke(runner, *args, "--sideband", "am"), "--sideband='am'", "usb")
