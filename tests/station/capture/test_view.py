"""The live-view helpers: levels over the last second, the status panel."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from rich.console import Console

from station.capture.plan import plan_capture
from station.capture.rounds import ChannelRound
from station.capture.view import CaptureStatus, LevelMeter
from station.cli.render_capture import render_status
from station.schedule.practice import practice_event


def test_level_meter_follows_the_last_second():
    meter = LevelMeter(1, sample_rate_hz=100.0)
    assert meter.dbfs() == (None,)
    meter.update(np.ones((1, 300), np.complex64))
    assert meter.dbfs()[0] == pytest.approx(0.0)
    for _ in range(4):
        meter.update(np.full((1, 30), 0.01, np.complex64))
    assert meter.dbfs()[0] < -3  # mostly the quiet part now
    for _ in range(4):
        meter.update(np.full((1, 30), 0.01, np.complex64))
    assert meter.dbfs()[0] == pytest.approx(-40.0)


def test_render_status_draws_levels_and_rounds(tmp_path):
    ev = practice_event(start_utc=datetime.now(UTC) + timedelta(seconds=60), ident_rule="none")
    plan = plan_capture("synthetic", tmp_path / "cap", freqs_hz=[28.4e6, 28.43e6], event=ev)
    status = CaptureStatus(75.0, 3600.0, 18_000_000, 2400, 1, 1, (-42.25, None))
    rounds = {"f1": ChannelRound("f1", 28.4e6, True, 1e-9, -10.0, 2.5)}
    console = Console(file=io.StringIO(), width=120, color_system=None)
    console.print(render_status(plan, status, rounds))
    text = console.file.getvalue()
    for fragment in ("00:01:15 recorded, 01:00:00 to go", "18,000,000; 2,400 lost in 1 gap(s)",
                     "-42.2", "HI +2.5 Hz", "28.430000"):  # fmt: skip
        assert fragment in text, text
