"""The capture loop: planned stops, a stop request, pacing, constant memory."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from station.capture.plan import plan_capture
from station.capture.run import run_capture
from station.capture.view import CaptureStatus
from station.clock import SimulatedClock
from station.schedule.practice import practice_event
from station.signals import StopRequest

T0 = datetime(2013, 10, 9, 17, 59, 50, tzinfo=UTC)


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


def test_simulated_clock_keeps_a_fast_capture_off_the_wall_clock(tmp_path):
    clock = SimulatedClock(T0)
    t = time.monotonic()
    plan = plan_capture("synthetic", tmp_path / "cap", freqs_hz=[28.3e6], duration_s=30.0,
                        clock=clock)  # fmt: skip
    result = run_capture(plan)
    assert result.start_utc == T0 and result.duration_s == 30.0
    assert time.monotonic() - t < 10  # paced on the simulated clock, not the wall
    assert clock.now() >= T0 + timedelta(seconds=30)


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
