"""The wide-band radiometer test: calibrated false alarms, sensitivity, robustness."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from dsp.errors import DspValueError
from dsp.radiometer import radiometer_test, sidak_z_threshold
from tests.dsp.waves_noise import expected_round_se, keyed, measure, schedule


def test_noise_only_gives_no_detection_and_unit_z():
    t, kd, labels = schedule()
    rng = np.random.default_rng(11)
    z_rounds, hits = [], 0
    for _ in range(10):
        res = radiometer_test(t, measure(np.full(t.size, 1.5e-15), rng), kd, labels)
        hits += sum(bool(d.detected) for d in res.dits) + sum(bool(r.detected) for r in res.rounds)
        hits += res.stack.detected
        z_rounds += [r.z for r in res.rounds]
    assert hits == 0
    assert abs(np.mean(z_rounds)) < 0.25
    assert 0.8 < np.std(z_rounds) < 1.2


def test_signal_detected_per_round_and_dit_and_scales_with_power():
    t, kd, labels = schedule(rounds=4)
    rng = np.random.default_rng(3)
    on = keyed(t, kd)
    gains = np.repeat([0.0, 0.05, 0.3, 1.0], 600)
    gains = np.r_[np.zeros(1800), gains, np.zeros(t.size - 1800 - gains.size)]
    res = radiometer_test(t, measure(1.5e-15 * (1 + gains * on), rng), kd, labels)
    z = [r.z for r in res.rounds]
    assert [r.detected for r in res.rounds] == [False, z[1] > res.z_threshold_round, True, True]
    assert z[3] > z[2] > z[1]
    assert all(d.detected for d in res.dits if d.round_number == 4)
    strong = [d for d in res.dits if d.round_number == 4]
    assert np.mean([d.snr_db for d in strong]) == pytest.approx(0.0, abs=0.5)  # +100 %


def test_trending_background_and_spikes_are_not_detections():
    t, kd, labels = schedule(rounds=6)
    rng = np.random.default_rng(5)
    trend = 1.5e-15 * (1 + 3 * np.exp(-(((t - t.mean()) / 1500) ** 2)))  # flyby-like bump
    x = measure(trend, rng)
    spikes = rng.choice(t.size, 40, replace=False)
    x[spikes] *= 80.0  # 19 dB pre-amp toggling
    res = radiometer_test(t, x, kd, labels)
    assert res.n_spikes >= 40
    assert not any(r.detected for r in res.rounds)
    assert not any(d.detected for d in res.dits)
    on = keyed(t, kd)
    signal = measure(trend * (1 + 0.15 * on), rng)
    assert all(r.detected for r in radiometer_test(t, signal, kd, labels).rounds)


def test_missing_data_rounds_are_reported_not_guessed():
    t, kd, labels = schedule(rounds=3)
    rng = np.random.default_rng(2)
    x = measure(np.full(t.size, 1e-15) * (1 + 0.5 * keyed(t, kd)), rng)
    x[(t >= 2400) & (t < 3000)] = np.nan  # round 2 lost (safe mode)
    res = radiometer_test(t, x, kd, labels)
    assert [r.detected for r in res.rounds] == [True, None, True]
    assert res.stack.n_rounds == 2
    assert all(d.n_samples == 0 and d.z is None for d in res.dits if d.round_number == 2)


def test_correlated_noise_is_measured_and_false_alarms_stay_controlled():
    t, kd, labels = schedule()
    rng = np.random.default_rng(8)
    hits, vifs = 0, []
    for _ in range(5):
        slow = uniform_filter1d(rng.standard_normal(t.size), 20) * np.sqrt(20)
        x = 1e-15 * (1 + 0.2 * slow)
        res = radiometer_test(t, x, kd, labels)
        hits += sum(bool(r.detected) for r in res.rounds)
        vifs.append(res.variance_inflation)
    assert min(vifs) > 5
    assert hits == 0


def test_sidak_threshold_grows_with_tests():
    assert sidak_z_threshold(1e-3, 96) > sidak_z_threshold(1e-3, 16) > sidak_z_threshold(1e-3, 1)
    with pytest.raises(DspValueError, match="pfa=0"):
        sidak_z_threshold(0, 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(t_s=np.array([0.0, 0.0, 1.0])), "strictly increasing"),
        (dict(key_down_s=[[5.0, 1.0]]), "stop > start"),
        (dict(round_of=[1, 2]), "2 labels for 1 key-downs"),
        (dict(background_knot_s=0.0), "background_knot_s=0.0"),
        (dict(edge_guard_s=-1.0), "edge_guard_s=-1.0"),
        (dict(spike_ratio=1.0), "spike_ratio=1.0"),
    ],
)
def test_bad_arguments_name_the_value(kwargs, match):
    args = dict(t_s=np.arange(3.0), power=np.ones(3), key_down_s=[[0.0, 1.0]], round_of=[1])
    args.update(kwargs)
    with pytest.raises(DspValueError, match=match):
        radiometer_test(**args)


@pytest.mark.parametrize("z_expected", [8.0, 40.0, 200.0])
def test_z_stays_linear_in_the_signal_at_high_snr(z_expected):
    t, kd, labels = schedule(rounds=6)
    dit_se, se = expected_round_se(t, kd, labels)
    amp = z_expected * se[0]
    res = radiometer_test(t, measure(1.5e-15 + amp * keyed(t, kd), np.random.default_rng(4)),
                          kd, labels)  # fmt: skip
    ratio = np.array([r.z for r in res.rounds]) / z_expected
    assert 0.85 < np.median(ratio) < 1.1
    dit_ratio = np.array([d.z for d in res.dits]) / (amp / dit_se)
    assert 0.85 < np.median(dit_ratio) < 1.1
    # The amplitude's own error bar includes the signal's fluctuation.
    assert all(r.sigma >= 0.99 * r.sigma_null for r in res.rounds)


def test_one_short_burst_does_not_set_the_noise_scale():
    t, kd, labels = schedule(rounds=8)
    _, se = expected_round_se(t, kd, labels)
    rng = np.random.default_rng(12)
    base = 1.5e-15 + 6.0 * se[0] * keyed(t, kd)
    clean = radiometer_test(t, measure(base, rng), kd, labels)
    burst = base * (1 + 4.0 * ((t >= 900) & (t < 930)))  # x5 for 30 s, no references
    hit = radiometer_test(t, measure(burst, rng), kd, labels)
    assert hit.variance_inflation == pytest.approx(1.0, abs=0.3)
    assert hit.n_outliers >= 25
    assert np.mean([r.z for r in hit.rounds]) == pytest.approx(
        np.mean([r.z for r in clean.rounds]), rel=0.15)


def test_spike_rejection_never_takes_key_down_samples():
    t, kd, labels = schedule(rounds=8)
    _, se = expected_round_se(t, kd, labels)
    flagged = 0
    for seed, z in enumerate((0.0, 6.0, 40.0, 200.0)):
        x = measure(1.5e-15 + z * se[0] * keyed(t, kd), np.random.default_rng(30 + seed))
        flagged += radiometer_test(t, x, kd, labels).n_spikes
    assert flagged == 0


def test_stack_finds_one_strong_round_among_silent_ones():
    t, kd, labels = schedule(rounds=16)
    _, se = expected_round_se(t, kd, labels)
    gain = np.zeros(t.size)
    r9 = (t >= 1800 + 600 * 8) & (t < 1800 + 600 * 9)
    gain[r9] = 9.0 * se[8]
    res = radiometer_test(t, measure(1.5e-15 + gain * keyed(t, kd), np.random.default_rng(5)),
                          kd, labels)  # fmt: skip
    assert res.rounds[8].detected
    assert res.stack.z < res.z_threshold_stack  # every round alike: diluted 4x
    assert res.stack.detected and res.stack.z_strongest == pytest.approx(res.rounds[8].z)
