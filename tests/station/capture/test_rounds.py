"""Per-round detection while capturing: a bounded buffer, rounds skipped when not whole."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from station.capture.rounds import RoundWatcher
from station.channels import Channel
from station.schedule.practice import practice_event

T0 = datetime(2013, 10, 9, 17, 59, 50, tzinfo=UTC)


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
    channels = [Channel("A", 28.4e6), Channel("B", 28.41e6)]
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
    watcher = RoundWatcher(ev, [Channel("A", 28.4e6)], rate, T0, synchronous=True)
    x = _keyed(ev, rate, T0, int(50 * rate))
    watcher.feed(x[None, :])  # one huge block: round 2 is gone by the time it is seen
    assert [(r.round_number, bool(r.note)) for r in watcher.results] == [(2, True), (3, False)]
    assert "behind" in watcher.results[0].summary()
