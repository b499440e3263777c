"""The settling tracker, and decoding a rig that warms up or a signal that fades."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.decode import decode
from dsp.errors import DspValueError
from dsp.impair import Band, Keyed, render_band
from dsp.morse import key_intervals
from dsp.track import follow
from dsp.variation import Fading, Warmup

FS, DUR = 2000.0, 400.0
HI = key_intervals("HI", 30.0, start_s=5.0)


@pytest.mark.parametrize(("seed", "settle", "tau"), [(1, 25.0, 90.0), (2, -15.0, 200.0)])
def test_a_rig_warming_up_decodes_and_its_track_is_reported(seed, settle, tau):
    start = 300.0 - settle
    band = Band(FS, DUR, (Keyed.of(HI, -30.0, start, warmup=Warmup(settle, tau)),))
    d = decode(render_band(band, np.random.default_rng(seed)), FS)
    assert [s.text for s in d.signals] == ["HI"]
    s = d.signals[0]
    assert s.freq_hz == pytest.approx(start, abs=0.5)  # where it starts
    assert s.settling is not None
    assert s.settling.offset_hz == pytest.approx(300.0, abs=0.5)  # where it settles
    assert -s.settling.settle_hz == pytest.approx(settle, abs=1.0)
    assert s.settling.tau_s == pytest.approx(tau, rel=0.2)
    assert s.to_dict()["settling"]["tau_s"] == s.settling.tau_s


def test_a_straight_carrier_is_not_given_a_settling_track():
    band = Band(FS, DUR, (Keyed.of(HI, -30.0, 120.0, 0.3 / 60),))
    x = render_band(band, np.random.default_rng(3))
    assert follow(x, FS, freq_hz=120.0, drift_hz_per_s=0.3 / 60) is None
    d = decode(x, FS)
    assert d.text == "HI" and d.signals[0].settling is None


def test_the_tracker_does_not_wander_onto_a_neighbour():
    band = Band(FS, DUR, (Keyed.of(HI, -25.0, 100.0), Keyed.of(HI + 0.7, -33.0, 118.0)))
    x = render_band(band, np.random.default_rng(4))
    assert follow(x, FS, freq_hz=118.0, drift_hz_per_s=0.0) is None


@pytest.mark.parametrize(("seed", "k_db"), [(5, 6.0), (6, None), (7, None)])
def test_faded_hi_decodes_exactly(seed, k_db):
    band = Band(FS, DUR, (Keyed.of(HI, -25.0, -200.0, fading=Fading(k_db, 120.0)),))
    d = decode(render_band(band, np.random.default_rng(seed)), FS)
    assert [(s.text, round(s.freq_hz)) for s in d.signals] == [("HI", -200)]


@pytest.mark.parametrize(("seed", "clock_s"), [(8, 5.0), (9, -4.0)])
def test_detect_finds_the_operators_clock_offset(seed, clock_s):
    from dsp.detect import detect
    from dsp.variation import hand_keyed

    rng = np.random.default_rng(seed)
    keyed = hand_keyed(HI + 10.0, 1.5, clock_s, rng)
    x = render_band(Band(FS, DUR + 20.0, (Keyed.of(keyed, -34.0, 250.0),)), rng)
    found = detect(x, FS, [HI + 10.0]).rounds[0]
    assert found.detected and found.freq_hz == pytest.approx(250.0, abs=0.1)
    assert found.timing_offset_s == pytest.approx(clock_s, abs=1.5)
    assert found.dits[0].start_s == pytest.approx(15.0 + found.timing_offset_s)
    fixed = detect(x, FS, [HI + 10.0], max_timing_offset_s=0.0).rounds[0]
    assert fixed.timing_offset_s == 0.0
    assert fixed.statistic < found.statistic  # the schedule's timing holds less energy
    with pytest.raises(DspValueError, match="max_timing_offset_s=-1.0 must be >= 0 s"):
        detect(x, FS, [HI + 10.0], max_timing_offset_s=-1.0)


@pytest.mark.parametrize("clock_s", [9.0, -9.0])
def test_detect_finds_a_clock_offset_of_nearly_a_whole_dit(clock_s):
    # 10 s dits keyed 9 s off the schedule: at the schedule's timing the key-down
    # pieces hold a tenth of every mark and the key-up pieces the rest (it looks
    # steady); the grid is searched again at offsets 2/3 of a dit apart.
    from dsp.detect import detect
    from dsp.morse import key_intervals

    iv = key_intervals("HI", 10.0, start_s=20.0)
    rng = np.random.default_rng(11)
    x = render_band(Band(FS, 180.0, (Keyed.of(iv + clock_s, -34.0, 250.0),)), rng)
    found = detect(x, FS, [iv]).rounds[0]
    assert found.detected and found.freq_hz == pytest.approx(250.0, abs=0.1)
    assert found.timing_offset_s == pytest.approx(clock_s, abs=1.0)
    assert not detect(x, FS, [iv], max_timing_offset_s=0.0).detected
