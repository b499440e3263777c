"""The stack that follows a carrier wandering from round to round (dsp.stack_wander)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.detect import detect
from dsp.errors import DspValueError
from dsp.impair import Band, Carrier, Keyed, render_band
from dsp.morse import key_intervals
from dsp.stack_wander import wander_false_alarm, wander_sums, wander_track

IV = key_intervals("HI", 10.0, start_s=0.0)
ROUNDS = [IV + 20.0 + 200.0 * k for k in range(8)]


def _wandering(seed: int, snr_db: float, wander_hz: float):
    rng = np.random.default_rng(seed)
    w = rng.normal(0.0, wander_hz, len(ROUNDS))
    stations = tuple(Keyed.of(r, snr_db, -100.0 + wi, 0.0) for r, wi in zip(ROUNDS, w, strict=True))
    return render_band(Band(400.0, 1640.0, stations), rng), -100.0 + w


@pytest.mark.parametrize("seed", [0, 3])
def test_the_stack_follows_a_carrier_that_wanders_between_rounds(seed):
    # 0.5 Hz rms from round to round: 10 bins of the 10 s dits' spectra.  On a
    # straight track the rounds hardly add up; followed, they do, and the track
    # found is the carrier's in every round.
    x, truth = _wandering(seed, -39.0, 0.5)
    found = detect(x, 400.0, ROUNDS, search_hz=150.0, per_round=False, stack_wander_hz=0.5)
    s = found.stacked
    assert s.detected and s.false_alarm_probability < 1e-4
    assert len(s.track_hz) == len(ROUNDS)
    assert np.sum(np.abs(np.array(s.track_hz) - truth) < 0.06) >= 7
    straight = detect(x, 400.0, ROUNDS, search_hz=150.0, per_round=False, stack_wander_hz=0)
    assert straight.stacked.false_alarm_probability > 10 * s.false_alarm_probability


def test_the_wandering_stack_does_not_call_noise_or_a_steady_carrier():
    rng = np.random.default_rng(5)
    noise = render_band(Band(400.0, 1640.0), rng)
    steady = render_band(Band(400.0, 1640.0, carriers=(Carrier(-25.0, 40.0, 0.0),)), rng)
    # A weak one, as strong as the keyed carrier the stack finds: the per-round
    # choice would lift its key-down over its key-up if read where it chose.
    weak = render_band(Band(400.0, 1640.0, carriers=(Carrier(-41.0, -60.0, 0.0),)), rng)
    for x in (noise, steady, weak):
        det = detect(x, 400.0, ROUNDS, search_hz=150.0, per_round=False, stack_wander_hz=0.5)
        assert not det.stacked.detected
        assert det.stacked.false_alarm_probability > 1e-3


def test_bad_wander():
    x = np.zeros(400 * 1640, complex)
    with pytest.raises(DspValueError, match="stack_wander_hz=-1"):
        detect(x, 400.0, ROUNDS, stack_wander_hz=-1.0)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(4.0, 16.0))
def test_the_track_is_found_on_synthetic_rows(seed, sigma):
    # Each round's carrier sits off the straight track by a Gaussian offset of
    # ``sigma`` bins; strong enough per round, every round's bin is recovered.
    rng = np.random.default_rng(seed)
    bins, mids = 800, np.arange(12) * 600.0
    w = np.clip(np.rint(rng.normal(0, sigma, mids.size)), -2 * sigma, 2 * sigma).astype(int)
    rows = [rng.exponential(1.0, (2, bins)) for _ in mids]
    for r in range(mids.size):
        rows[r][0, 400 + w[r]] += 40.0
    rel = np.array([0.0, 30.0])
    grid = wander_sums(rows, 1, rel, mids, np.array([0.0]), 1 / 60, 0.0, sigma)
    k = int(np.argmax(grid.best))
    track = wander_track(rows, 1, rel, mids, np.array([0.0]), 1 / 60, grid, k)
    assert np.array_equal(track.bins, 400 + w)
    assert wander_false_alarm(float(grid.best[k]), 1, mids.size, sigma, bins) < 1e-6


def test_the_false_alarm_probability_falls_with_the_statistic_and_grows_with_cells():
    p = [wander_false_alarm(s, 6, 16, 12.0, 1e4) for s in np.linspace(20, 90, 15)]
    assert all(a >= b for a, b in zip(p, p[1:], strict=False)) and p[0] == 1.0 and p[-1] < 1e-6
    assert wander_false_alarm(60.0, 6, 16, 12.0, 1e6) > wander_false_alarm(60.0, 6, 16, 12.0, 1e4)
