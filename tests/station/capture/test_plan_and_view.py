"""Tuning and channel planning, the stop rules, and the live-view helpers."""

from __future__ import annotations

import io
import signal
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from rich.console import Console

from station.capture import (
    CaptureInterrupted,
    StopRequest,
    choose_tuning,
    plan_capture,
    stop_on_signals,
)
from station.capture_loop import run_capture
from station.capture_rounds import ChannelRound, RoundWatcher
from station.capture_view import CaptureStatus, LevelMeter
from station.cli.render_capture import render_status
from station.clock import SimulatedClock
from station.errors import InputError
from station.replay import ReplayChannel
from station.schedule import load_event
from station.schedule.practice import practice_event

JUNO = load_event("juno-2013-10-09")
T0 = datetime(2013, 10, 9, 17, 59, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("freqs", "center", "rate", "expected"),
    [
        ([28.25e6, 28.31e6], None, None, (28.28e6, 240e3)),
        ([28.1e6, 28.3e6], None, None, (28.2e6, 240e3)),  # +-100 kHz still fits
        ([28.1e6, 28.31e6], None, None, (28.205e6, 2.4e6)),
        ([28.3e6], 28.25e6, None, (28.25e6, 240e3)),
        ([28.3e6], 28.1e6, None, (28.1e6, 2.4e6)),
        ([28.3e6], None, 1.024e6, (28.3e6, 1.024e6)),
    ],
)
def test_default_tuning(freqs, center, rate, expected):
    assert choose_tuning(freqs, center_freq_hz=center, sample_rate_hz=rate) == expected


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


def test_until_stops_a_live_capture_on_time(tmp_path):
    until = datetime.now(UTC) + timedelta(seconds=1.0)
    plan = plan_capture("synthetic", tmp_path / "cap", freqs_hz=[28.3e6], until_utc=until)
    result = run_capture(plan)
    assert result.stop_reason == "until"
    end = result.start_utc + timedelta(seconds=result.duration_s)
    assert abs((end - until).total_seconds()) < 1e-5
    assert datetime.now(UTC) >= until - timedelta(seconds=0.2)  # paced in real time


def test_a_stop_request_ends_the_capture_after_the_block_in_hand(tmp_path):
    plan = plan_capture("synthetic", tmp_path / "cap", freqs_hz=[28.3e6], fast=True)
    stop = StopRequest()
    seen = []

    def status(s: CaptureStatus) -> None:
        seen.append(s)
        if s.elapsed_s > 5:
            stop.set("test")

    result = run_capture(plan, stop=stop, on_status=status)
    assert result.stop_reason == "test" and 5 < result.duration_s < 7
    assert seen[-1].remaining_s is None and seen[-1].levels_dbfs[0] is not None
    assert [f.samples for f in result.channels] == [-(-result.samples // 120)]


def test_a_second_signal_interrupts_a_blocked_read_but_not_a_write():
    # The handlers found are restored, whatever they were (SIGINT is ignored when the
    # suite runs in the background, SIGHUP under nohup): here as in a foreground process.
    nums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    suite = [signal.getsignal(n) for n in nums]
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        before = [signal.getsignal(n) for n in nums]
        stop = StopRequest()
        with stop_on_signals(stop):
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # nohup: kept ignored
            signal.raise_signal(signal.SIGINT)
            assert stop.reason == "SIGINT"
            with stop.critical():
                signal.raise_signal(signal.SIGTERM)  # held: the write finishes
            with pytest.raises(CaptureInterrupted, match="SIGTERM"):
                signal.raise_signal(signal.SIGTERM)
        assert [signal.getsignal(n) for n in nums] == before
    finally:
        for num, handler in zip(nums, suite, strict=True):
            signal.signal(num, handler)


def test_level_meter_follows_the_last_second():
    meter = LevelMeter(1, rate_hz=100.0)
    assert meter.dbfs() == (None,)
    meter.update(np.ones((1, 300), np.complex64))
    assert meter.dbfs()[0] == pytest.approx(0.0)
    for _ in range(4):
        meter.update(np.full((1, 30), 0.01, np.complex64))
    assert meter.dbfs()[0] < -3  # mostly the quiet part now
    for _ in range(4):
        meter.update(np.full((1, 30), 0.01, np.complex64))
    assert meter.dbfs()[0] == pytest.approx(-40.0)


def _keyed(event, rate, start, n, freq_offset_hz=50.0, amplitude=0.2, seed=0):
    """HI keyed on the event's schedule in white noise, channel-rate samples from ``start``."""
    rng = np.random.default_rng(seed)
    x = ((rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.05).astype(np.complex64)
    t = np.arange(n) / rate
    for k in range(event.rounds):
        base = (event.round_start_utc(k) - start).total_seconds()
        for a, b in event.key_down_s:
            on = (t >= base + a) & (t < base + b)
            x[on] += amplitude * np.exp(2j * np.pi * freq_offset_hz * t[on])
    return x


def test_round_watcher_detects_each_round_with_a_bounded_buffer():
    ev = practice_event(start_utc=T0 + timedelta(seconds=12), dit_s=1.0, rounds=4,
                        round_period_s=20.0, ident_rule="none")  # fmt: skip
    rate = 500.0
    channels = [ReplayChannel("A", 28.4e6), ReplayChannel("B", 28.41e6)]
    found = []
    watcher = RoundWatcher(ev, channels, rate, T0, on_result=found.append)
    assert watcher.buffer_s == pytest.approx(13 + 7)  # the keyed span plus the gap
    x = _keyed(ev, rate, T0, int(100 * rate))
    rows = np.stack([x, np.zeros_like(x)])  # B: silence (a lost stretch)
    ends = [(ev.round_start_utc(k) - T0).total_seconds() + 13 for k in range(ev.rounds)]
    for i in range(0, x.size, 333):
        watcher.feed(rows[:, i : i + 333])
        done = sum(e * rate <= i + 333 for e in ends)
        deadline = time.monotonic() + 10
        while len(found) < done and time.monotonic() < deadline:  # as slow as real time
            time.sleep(0.001)
    watcher.close(wait=True)
    assert [r.round_number for r in watcher.results] == [1, 2, 3, 4]
    assert found == watcher.results
    for r in watcher.results:
        assert r.detected_labels == ("A",) and r.note == ""
        assert r.channels[0].offset_hz == pytest.approx(50.0, abs=1.0)
        # Every keyed signal is blind-decoded too: the round's HI, nothing in B.
        assert [s.text for s in r.channels[0].signals] == ["HI"] and not r.channels[1].signals
    assert "detected on A" in watcher.results[0].summary()
    assert "decoded A: HI +50.0 Hz" in watcher.results[0].summary()


def test_round_watcher_skips_a_round_begun_before_the_capture_and_one_overwritten():
    ev = practice_event(start_utc=T0 - timedelta(seconds=5), dit_s=1.0, rounds=3,
                        round_period_s=20.0, ident_rule="none")  # fmt: skip
    rate = 200.0
    watcher = RoundWatcher(ev, [ReplayChannel("A", 28.4e6)], rate, T0, synchronous=True)
    x = _keyed(ev, rate, T0, int(50 * rate))
    watcher.feed(x[None, :])  # one huge block: round 2 is gone by the time it is seen
    assert [(r.round_number, bool(r.note)) for r in watcher.results] == [(2, True), (3, False)]
    assert "behind" in watcher.results[0].summary()


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


def test_simulated_clock_keeps_a_fast_capture_off_the_wall_clock(tmp_path):
    clock = SimulatedClock(T0)
    t = time.monotonic()
    plan = plan_capture("synthetic", tmp_path / "cap", freqs_hz=[28.3e6], duration_s=30.0,
                        clock=clock)  # fmt: skip
    result = run_capture(plan)
    assert result.start_utc == T0 and result.duration_s == 30.0
    assert time.monotonic() - t < 10  # paced on the simulated clock, not the wall
    assert clock.now() >= T0 + timedelta(seconds=30)


def test_plan_errors_name_the_value(tmp_path):
    with pytest.raises(InputError, match="twice"):
        plan_capture("synthetic", tmp_path / "c", freqs_hz=[28.3e6, 28.3e6])
    with pytest.raises(InputError, match="--channel-rate-hz=-1"):
        plan_capture("synthetic", tmp_path / "c", freqs_hz=[28.3e6], channel_rate_hz=-1)


def test_peak_memory_does_not_grow_with_the_capture_length(tmp_path):
    """A scheduled capture with raw and round detection, 8 s vs 24 s of signal."""
    import tracemalloc

    ev = practice_event(start_utc=T0 + timedelta(seconds=0.5), dit_s=0.5, rounds=8,
                        round_period_s=7.5, ident_rule="none")  # fmt: skip
    peaks = []
    for seconds in (8.0, 24.0):
        plan = plan_capture("synthetic", tmp_path / f"c{seconds:g}", event=ev,
                            freqs_hz=[28.4e6, 28.43e6], duration_s=seconds, raw=True, fast=True,
                            clock=SimulatedClock(T0), seed=2)  # fmt: skip
        tracemalloc.start()
        try:
            result = run_capture(plan)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert result.duration_s == seconds and len(result.rounds) >= 1
    assert peaks[1] < 1.3 * peaks[0] + 200_000, peaks
