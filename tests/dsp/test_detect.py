import numpy as np
import pytest

from dsp.channel import Channel, apply_channel
from dsp.detect import detect
from dsp.errors import DspValueError
from dsp.keying import keyed_baseband
from dsp.morse import key_intervals
from dsp.stack import family_false_alarm, threshold_for


def _rounds(n_rounds, snr, seed, *, dit_s=10.0, period_s=200.0, offset_hz=-333.0):
    iv = key_intervals("HI", dit_s, start_s=5.0)
    x = keyed_baseband(iv, 2000.0, duration_s=period_s)
    rng = np.random.default_rng(seed)
    ch = Channel(snr, offset_hz=offset_hz, drift_hz_per_s=0.3 / 60)
    y = np.concatenate([apply_channel(x, 2000.0, ch, rng, carrier_power=1.0)
                        for _ in range(n_rounds)])
    return y, [iv + k * period_s for k in range(n_rounds)]


def test_one_round_detected_with_frequency_drift_and_every_dit():
    y, rounds = _rounds(1, -32.0, 1)
    det = detect(y, 2000.0, rounds)
    r = det.rounds[0]
    assert det.detected and det.stacked is None
    assert r.freq_hz == pytest.approx(-333.0, abs=0.05)
    assert r.drift_hz_per_s * 60 == pytest.approx(0.3, abs=0.05)
    assert all(d.detected for d in r.dits) and len(r.dits) == 6
    assert r.snr2500_db == pytest.approx(-32.0, abs=2.0)


def test_stacking_finds_what_single_rounds_miss():
    # -40 dB with 10 s dits is ~5 dB below one round's limit; 8 rounds gain ~5 dB.
    y, rounds = _rounds(8, -40.5, 2)
    det = detect(y, 2000.0, rounds)
    assert det.stacked is not None and det.stacked.detected
    assert sum(r.detected for r in det.rounds) <= 2
    assert det.stacked.freq_hz == pytest.approx(-333.0, abs=0.1)


def test_noise_only_false_alarm_calibration():
    # Threshold from the Gamma law: over 10 noise recordings, no family false alarm,
    # and the best cell's family p-value is never below the requested pfa.
    iv = key_intervals("HI", 10.0, start_s=5.0)
    for seed in range(10):
        rng = np.random.default_rng(100 + seed)
        y = apply_channel(np.zeros(300_000, complex), 2000.0, Channel(0.0), rng,
                          carrier_power=1.0)
        det = detect(y, 2000.0, [iv])
        assert not det.detected
        assert det.rounds[0].false_alarm_probability > 1e-3


def test_gamma_law_of_one_cell_matches_simulation():
    rng = np.random.default_rng(0)
    sums = rng.exponential(1.0, (200_000, 6)).sum(axis=1)
    thr = threshold_for(1e-3, 6, 1)
    assert np.mean(sums > thr) == pytest.approx(1e-3, rel=0.2)
    assert family_false_alarm(thr, 6, 1) == pytest.approx(1e-3)


def test_bad_templates():
    y = np.zeros(600_000, complex)
    iv = key_intervals("HI", 10.0)
    with pytest.raises(DspValueError, match="recording spans"):
        detect(y, 2000.0, [iv + 200.0])
    with pytest.raises(DspValueError, match="same pattern"):
        detect(y, 2000.0, [iv, key_intervals("E", 10.0)])
    with pytest.raises(DspValueError, match="at least one"):
        detect(y, 2000.0, [])
    with pytest.raises(DspValueError, match="overlap"):
        detect(y, 2000.0, [np.array([[0.0, 10.0], [5.0, 12.0]])])


def test_the_stack_follows_a_carrier_drifting_across_rounds():
    # 8 rounds over 27 min drifting 0.04 Hz/min: 1 Hz in all, 20 bins of the 10 s dits'
    # spectra; stacked position by position the carrier would be smeared over them.
    from dsp.impair import Band, Keyed, render_band

    iv = key_intervals("HI", 10.0, start_s=0.0)
    rounds = [iv + 20.0 + 200.0 * k for k in range(8)]
    drift = 0.04 / 60
    stations = tuple(Keyed.of(r, -39.0, -150.0, drift) for r in rounds)
    x = render_band(Band(400.0, 1640.0, stations), np.random.default_rng(12))
    det = detect(x, 400.0, rounds, search_hz=150.0, per_round=False)
    s = det.stacked
    assert s.detected and s.drift_hz_per_s * 60 == pytest.approx(0.04, abs=0.005)
    assert s.freq_hz == pytest.approx(-150.0 + drift * 20.0, abs=0.05)
    assert np.allclose(s.track_hz, [-150.0 + drift * r[0, 0] for r in rounds], atol=0.05)
    flat = detect(x, 400.0, rounds, search_hz=150.0, per_round=False, max_stack_drift_hz_per_s=0,
                  stack_wander_hz=0)
    assert flat.stacked.statistic < s.statistic - 20
    with pytest.raises(DspValueError, match="max_stack_drift_hz_per_s=-1"):
        detect(x, 400.0, rounds, max_stack_drift_hz_per_s=-1.0)
