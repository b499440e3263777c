"""The event channel against its references: masks, vetoes and what a quiet band keeps."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.broadband import GATE_Z, broadband_test
from dsp.bursts import burst_mask, running_level
from dsp.errors import DspValueError
from dsp.radiometer import radiometer_test
from tests.dsp.waves_noise import FLOOR, expected_round_se, keyed, measure, schedule


def bands(t, rng, excess=None, signal=None):
    """Three channels (references first and last), broadband ``excess`` in all."""
    e = np.zeros(t.size) if excess is None else excess
    s = np.zeros(t.size) if signal is None else signal
    return np.stack([measure(FLOOR * f * (1 + e) + (s if k == 1 else 0), rng)
                     for k, f in enumerate((1.08, 1.0, 0.93))])  # fmt: skip


def test_interference_timed_with_the_keying_is_vetoed_not_detected():
    t, kd, labels = schedule(rounds=8)
    hits = vetoed = would_have = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        on = keyed(t, kd) & np.isin(np.searchsorted(kd[:, 0], t, "right"), [7, 8, 9, 10, 11, 12])
        x = bands(t, rng, excess=0.15 * on)  # round 2's key-downs only, x1.15 everywhere
        r = broadband_test(t, x[1], x[[0, 2]], kd, labels)
        hits += sum(bool(d.detected) for d in r.main.dits) + sum(
            bool(q.detected) for q in r.main.rounds) + bool(r.main.stack.detected)
        vetoed += r.rounds[1].vetoed
        would_have += r.rounds[1].event_z > r.main.z_threshold_round
        assert r.rounds[1].reference_z > GATE_Z and "references rise" in r.rounds[1].reason
    assert hits == 0
    assert vetoed == 6 and would_have >= 5  # the event channel alone would have said HI


def test_a_quiet_band_keeps_the_event_channels_sensitivity():
    t, kd, labels = schedule(rounds=8)
    se = expected_round_se(t, kd, labels)[1]
    signal = 5.0 * se[0] * keyed(t, kd)
    with_refs, alone, vetoes = [], [], 0
    for seed in range(6):
        x = bands(t, np.random.default_rng(100 + seed), signal=signal)
        r = broadband_test(t, x[1], x[[0, 2]], kd, labels)
        one = radiometer_test(t, x[1], kd, labels)
        with_refs += [q.z for q in r.main.rounds]
        alone += [q.z for q in one.rounds]
        vetoes += sum(c.vetoed for c in r.rounds)
    assert np.mean(with_refs) == pytest.approx(np.mean(alone), abs=0.1)
    assert np.mean(with_refs) == pytest.approx(5.0, abs=0.5)
    assert vetoes <= 3  # a reference's noise above GATE_Z: about 2 % of rounds


def test_hi_beside_interference_is_still_found_beyond_it():
    t, kd, labels = schedule(rounds=8)
    se = expected_round_se(t, kd, labels)[1]
    x = bands(t, np.random.default_rng(7), excess=0.2 * keyed(t, kd),
              signal=20.0 * se[0] * keyed(t, kd))  # fmt: skip
    r = broadband_test(t, x[1], x[[0, 2]], kd, labels)
    assert all(c.vetoed for c in r.rounds)
    assert all(q.detected for q in r.main.rounds)
    # The test beyond the references keeps most of the event channel's z (~0.8).
    ratio = np.mean([q.z for q in r.main.rounds]) / 20.0
    assert 0.6 < ratio < 1.0


def test_a_strong_burst_is_masked_and_leaves_the_noise_model_alone():
    t, kd, labels = schedule(rounds=8)
    se = expected_round_se(t, kd, labels)[1]
    burst = ((t >= 1000) & (t < 1030)) * 4.0  # x5 for 30 s before the first round
    rates = []
    for e in (None, burst):
        z = []
        for seed in range(4):
            x = bands(t, np.random.default_rng(200 + seed), excess=e,
                      signal=6.0 * se[0] * keyed(t, kd))  # fmt: skip
            r = broadband_test(t, x[1], x[[0, 2]], kd, labels)
            z += [q.z for q in r.main.rounds]
            if e is not None:
                assert r.masked[1000:1030].all() and r.main.variance_inflation == 1.0
        rates.append(np.mean(z))
    assert rates[1] == pytest.approx(rates[0], rel=0.05)


def test_instrument_spikes_in_every_channel_are_counted_and_never_detected():
    t, kd, labels = schedule(rounds=8)
    rng = np.random.default_rng(9)
    x = bands(t, rng)
    where = rng.choice(np.flatnonzero(keyed(t, kd)), 12, replace=False)  # inside key-downs
    x[:, where] *= 80.0
    r = broadband_test(t, x[1], x[[0, 2]], kd, labels)
    assert r.main.n_spikes == 12 and r.masked[where].all()
    assert not any(d.detected for d in r.main.dits) and not r.main.stack.detected


def test_burst_mask_and_running_level_on_noise():
    rng = np.random.default_rng(3)
    refs = np.stack([measure(np.full(20000, FLOOR), rng) for _ in range(2)])
    assert not burst_mask(refs).any()
    refs[:, 5000:5010] *= 2.0
    m = burst_mask(refs)
    assert m[5000:5010].all() and m.sum() < 100  # the burst and its windows
    level = running_level(refs.T)
    assert level.shape == refs.T.shape
    assert np.median(level) == pytest.approx(np.mean(refs), rel=0.05)


def test_references_of_the_wrong_shape_are_refused():
    t, kd, labels = schedule(rounds=1)
    with pytest.raises(DspValueError, match="references"):
        broadband_test(t, np.ones(t.size), np.ones((2, 5)), kd, labels)


def test_interference_raises_the_noise_of_the_key_downs_it_lies_on():
    # x2 on every key-down of round 1, no HI: those samples' noise is twice the
    # background's, and an amplitude tested beyond the references must be read
    # against it (against the background's alone the spread was about 1.7x).
    from dsp.radiometer_fit import fit_template, raised_cov

    t, kd, labels = schedule(rounds=3, lead_s=900.0)
    excess = np.where(np.asarray(labels) == 1, 1.0, 0.0)
    on = keyed(t, kd[excess > 0])
    amp, null, raised = [], [], []
    for seed in range(40):
        x = measure(FLOOR * (1 + on), np.random.default_rng(600 + seed))
        f = fit_template(t, x, kd, labels, background_knot_s=600.0)
        amp.append(f.round_amp[0] - FLOOR)
        null.append(f.round_cov0[0, 0])
        raised.append(f.round_cov0[0, 0] + raised_cov(f.round_parts, excess)[0, 0])
    spread = np.std(amp)
    assert spread / np.sqrt(np.mean(null)) > 1.4
    assert 0.8 < spread / np.sqrt(np.mean(raised)) < 1.2


def test_raised_covariance_splits_the_null_covariance_by_key_down():
    from dsp.radiometer_fit import fit_template, raised_cov

    t, kd, labels = schedule(rounds=3, lead_s=900.0)
    x = measure(np.full(t.size, FLOOR), np.random.default_rng(3))
    f = fit_template(t, x, kd, labels, background_knot_s=600.0)
    assert np.allclose(f.round_parts.sum(axis=0), f.round_cov0, rtol=1e-9)
    assert np.allclose(f.dit_parts.sum(axis=1), f.dit_se0**2, rtol=1e-9)
    # Doubling every key-down's noise (x2 in level) of round 1 grows its variance most.
    excess = np.where(np.asarray(labels) == 1, 1.0, 0.0)
    grow = np.diag(raised_cov(f.round_parts, excess)) / np.diag(f.round_cov0)
    assert grow[0] > 1.0 and grow[0] > 5 * grow[1]
    assert np.all(raised_cov(f.dit_parts, excess)[:6] > 2 * f.dit_se0[:6] ** 2)
