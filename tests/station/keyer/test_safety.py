"""Safety paths: watchdog persistence, failed releases, stop signals, late elements, ticks."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from station.clock import SimulatedClock, sleep_until
from station.errors import InputError, RigError
from station.keyer.rigctld import RigctldKeyer
from station.keyer.runner import run_plan
from station.keyer.safety import SafeKeyer
from station.keyer.watchdog import Watchdog
from station.schedule import load_event, make_plan
from station.signals import Interrupted, SignalGuard

JUNO = load_event("juno-2013-10-09")


def test_watchdog_keeps_trying_until_the_release_is_acknowledged():
    calls = []

    def unkey():
        calls.append(time.monotonic())
        if len(calls) < 4:
            raise RigError("rig busy")
        return "RPRT 0"

    dog = Watchdog(0.05, unkey)
    dog.arm()
    deadline = time.monotonic() + 5
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    dog.stop()
    assert len(calls) == 4 and dog.tripped == "key-down longer than 0.05 s"
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps[0] >= 0.19 and gaps[1] >= 0.45  # backs off


class _DeadRig:
    """A backend whose rig has gone silent after keying down (lowest seam: no real rig
    can be made to fail this way on demand)."""

    name, transmits = "dead", True

    def __init__(self):
        self.down, self.emergency_calls = False, 0

    def open(self, freq_hz, mode):
        return "ok"

    def set_key(self, down):
        if not down:
            raise RigError("rig silent")
        self.down = True
        return "ok"

    def key_state(self):
        raise RigError("rig silent")

    def identify(self, text, wpm):
        return "ok"

    def emergency_unkey(self):
        self.emergency_calls += 1
        raise RigError("rig silent")

    def close(self):
        pass


def test_a_failed_release_keeps_the_watchdog_on_it():
    rig = _DeadRig()
    keyer = SafeKeyer(rig, allowed_hz=JUNO.band_hz, max_key_down_s=0.1, margin_s=0.1)
    keyer.open(28_400_000, "CW")
    keyer.key(True)
    assert keyer.release() is False
    assert keyer.down is True  # not forgotten
    time.sleep(0.6)
    assert rig.emergency_calls >= 3  # release() once, then the watchdog, retrying
    assert keyer.close() is False
    keyer.watchdog.stop()


def test_no_key_down_after_a_stop_signal(rigctld):
    signals = SignalGuard()
    rig = RigctldKeyer(rigctld.host, rigctld.port, timeout_s=5.0)
    keyer = SafeKeyer(rig, allowed_hz=JUNO.band_hz, max_key_down_s=30, signals=signals)
    keyer.open(28_400_000, "CW")
    signals.pending = signal.SIGINT  # as the handler does during a command
    with pytest.raises(Interrupted):
        keyer.key(True)
    assert rigctld.ptt() is False and keyer.keyed is False
    keyer.close()


def test_guardian_releases_ptt_when_the_keying_process_is_stopped(rigctld):
    rig = RigctldKeyer(rigctld.host, rigctld.port, timeout_s=5.0)
    keyer = SafeKeyer(rig, allowed_hz=JUNO.band_hz, max_key_down_s=0.4, margin_s=0.5)
    keyer.open(28_400_000, "CW")
    assert keyer.guardian is not None and keyer.guardian.alive
    keyer.watchdog.arm = lambda: None  # as if this process were frozen: only the guardian acts
    keyer.key(True)
    t0 = time.monotonic()
    while rigctld.ptt() and time.monotonic() - t0 < 5:
        time.sleep(0.02)
    assert 0.8 <= time.monotonic() - t0 <= 2.5 and rigctld.ptt() is False
    keyer.down = False
    keyer.close()


def test_rig_mode_must_read_back(rigctld):
    keyer = RigctldKeyer(rigctld.host, rigctld.port, timeout_s=5.0)
    with pytest.raises(InputError, match="--mode='cww' is not a Hamlib mode"):
        keyer.open(28_400_000, "cww")
    assert "USB" in keyer.open(28_400_000, "usb")
    keyer.close()


def test_a_key_down_reached_too_late_is_skipped(rigctld):
    plan = make_plan(JUNO, "N0CALL")
    rig = RigctldKeyer(rigctld.host, rigctld.port, timeout_s=5.0)
    keyer = SafeKeyer(rig, allowed_hz=JUNO.band_hz, max_key_down_s=30, guardian=False)

    class HiccupClock(SimulatedClock):
        """Loses 15 s once, just before the second key-down of round 1."""

        hiccup = True

        def sleep(self, seconds):
            super().sleep(seconds)
            if self.hiccup and self.now() >= JUNO.start_utc + timedelta(seconds=59):
                self.hiccup = False
                super().sleep(15.0 + 1.0)

    clock = HiccupClock(JUNO.start_utc - timedelta(seconds=1))
    records = []
    summary = run_plan(plan, keyer, clock, on_action=lambda a, r: records.append(r.to_json()))
    keyer.close()
    assert summary.reason == "completed"
    skipped = [r for r in records if r["type"] == "skip"]
    assert [(r["round"], r["element"]) for r in skipped] == [(1, 2)]
    assert skipped[0]["late_ms"] > 15_000
    sent = [(r["round"], r["element"], r["key"]) for r in records if r["type"] == "edge"]
    assert (1, 2, "down") not in sent and (1, 2, "up") not in sent and len(sent) == 190


def test_no_tick_just_before_the_target():
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    target = clock.now() + timedelta(seconds=5)
    ticks = []

    def slow_tick(now):  # a display that takes 0.3 s
        ticks.append(now)
        clock.sleep(0.3)

    sleep_until(clock, target, tick=slow_tick, quiet_s=1.0)
    assert clock.now() == target
    assert ticks and all((target - t).total_seconds() > 1.0 for t in ticks)


def _wait_stopped(pid: int) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/stat") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] == "T":
                return
        time.sleep(0.005)
    raise AssertionError(f"process {pid} did not stop")


@pytest.mark.parametrize("freeze_s", [4.0, 5.3])
def test_no_key_down_after_keying_stopped_on_a_frozen_rigctld(rigctld, freeze_s):
    # rigctld frozen (SIGSTOP) just before a key-down: the \set_ptt 1 waits in its
    # socket, keying stops with "the key may still be down".  When the daemon runs
    # again, that command must not key the transmitter, not even for a moment.
    rig = RigctldKeyer(rigctld.host, rigctld.port, timeout_s=1.0)
    keyer = SafeKeyer(rig, allowed_hz=JUNO.band_hz, max_key_down_s=30)
    keyer.open(28_400_000, "CW")
    rigctld.proc.send_signal(signal.SIGSTOP)
    _wait_stopped(rigctld.proc.pid)  # the signal is asynchronous: until then it may answer
    try:
        with pytest.raises(RigError, match="did not answer"):
            keyer.key(True)
        assert keyer.close() is False  # it could not be confirmed: the guardian goes on
        time.sleep(freeze_s)
    finally:
        rigctld.proc.send_signal(signal.SIGCONT)
    seen, t0 = [], time.monotonic()
    probe = rigctld.probe()
    try:
        while time.monotonic() - t0 < 4.0:
            seen.append(probe.get_ptt())
            time.sleep(0.01)
    finally:
        probe.close()
    keyer.watchdog.stop()  # (armed for 30 s more; this test's rig goes away with it)
    assert len(seen) > 50 and not any(seen), f"PTT 1 in {sum(seen)} of {len(seen)} reads"
