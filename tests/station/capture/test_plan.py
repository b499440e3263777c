"""Capture plans: channels from the event's table, the stop rules, errors naming the value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from station.capture.plan import plan_capture
from station.clock import SimulatedClock
from station.errors import InputError
from station.schedule import load_event

JUNO = load_event("juno-2013-10-09")
T0 = datetime(2013, 10, 9, 17, 59, 50, tzinfo=UTC)


def test_the_2013_event_gets_every_table_frequency_with_a_simulated_clock(tmp_path):
    clock = SimulatedClock(T0)
    plan = plan_capture("synthetic", tmp_path / "cap", event=JUNO, clock=clock, seed=1)
    assert (plan.center_freq_hz, plan.sample_rate_hz) == (28.475e6, 2.4e6)
    assert len(plan.channels) == len(set(JUNO.table_hz.values()))
    assert plan.channel_paths[0].name == "A_28.020000MHz.sigmf-meta"
    assert plan.stop_reason == "event end"
    assert plan.end_utc == JUNO.end_utc + timedelta(seconds=30)
    assert plan.start_utc == T0 and not (tmp_path / "cap").exists()
    # An explicit narrow band keeps the table's frequencies inside it.
    narrow = plan_capture("synthetic", tmp_path / "n", event=JUNO, clock=clock,
                          center_freq_hz=28.3e6, sample_rate_hz=240e3)  # fmt: skip
    assert [c.label for c in narrow.channels] == ["G", "H", "I", "J", "K", "L"]


def test_plan_errors_name_the_value(tmp_path):
    with pytest.raises(InputError, match="twice"):
        plan_capture("synthetic", tmp_path / "c", freqs_hz=[28.3e6, 28.3e6])
    with pytest.raises(InputError, match="--channel-rate-hz=-1"):
        plan_capture("synthetic", tmp_path / "c", freqs_hz=[28.3e6], channel_rate_hz=-1)
