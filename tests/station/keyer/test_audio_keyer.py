"""The audio-tone keyer through a real PulseAudio null sink, PTT through a real rigctld."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import numpy as np
import pytest

from station.clock import SystemClock
from station.keyer.audio import AudioKeyer
from station.keyer.records import EdgeRecord, record_from_json
from station.keyer.rigctld import RigctldKeyer
from station.keyer.session import transmit_plan
from station.keyer.txlog import read_tx_log
from station.schedule import load_event, make_plan
from tests.station.audio_fixtures import MonitorRecorder, tone_edges
from tests.station.keyer.conftest import practice_toml

TONE_HZ = 1500.0


def _keyer(pulse, rig=None, **kw) -> AudioKeyer:
    ptt = None if rig is None else RigctldKeyer(rig.host, rig.port)
    return AudioKeyer(pulse.device, tone_hz=TONE_HZ, ptt=ptt, **kw)


def _edges_unix(rec: MonitorRecorder) -> tuple[np.ndarray, np.ndarray]:
    rises, falls = tone_edges(rec.samples, rec.rate_hz, TONE_HZ)
    assert rec.t0_unix is not None
    return rises + rec.t0_unix, falls + rec.t0_unix


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
    tail = rec.samples[-int(0.1 * rec.rate_hz):]
    assert np.max(np.abs(tail)) < 1e-3  # silent after the stop
