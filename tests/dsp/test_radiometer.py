"""The wide-band radiometer test: calibrated false alarms, sensitivity, robustness."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import uniform_filter1d

from dsp.errors import DspValueError
from dsp.radiometer import radiometer_test, sidak_z_threshold

HI_S = [(0, 30), (60, 90), (120, 150), (180, 210), (300, 330), (360, 390)]
Q_STEP = 5.1e-9  # amplitude quantization of the real Waves 28.5 MHz channel


def schedule(rounds: int = 16, lead_s: float = 1800.0):
    kd, labels = [], []
    for r in range(rounds):
        for a, b in HI_S:
            kd.append((lead_s + 600 * r + a, lead_s + 600 * r + b))
            labels.append(r + 1)
    t = np.arange(0.0, lead_s * 2 + 600 * rounds)
    return t, np.array(kd), labels


def keyed(t, kd):
    return ((t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])).any(axis=1)


def measure(psd, rng, k=17.0):
    x = psd * rng.gamma(k, 1 / k, psd.size)
    return (np.round(np.sqrt(x) / Q_STEP) * Q_STEP) ** 2


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
    assert all(d.detected for d in res.dits if d.round_label == 4)
    strong = [d for d in res.dits if d.round_label == 4]
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
    assert all(d.n_samples == 0 and d.z is None for d in res.dits if d.round_label == 2)


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
    ],
)
def test_bad_arguments_name_the_value(kwargs, match):
    args = dict(t_s=np.arange(3.0), power=np.ones(3), key_down_s=[[0.0, 1.0]], round_of=[1])
    args.update(kwargs)
    with pytest.raises(DspValueError, match=match):
        radiometer_test(**args)
