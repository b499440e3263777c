import numpy as np
import pytest

from dsp.channel import Channel, apply_channel, noise_sigma
from dsp.errors import DspValueError


@pytest.mark.parametrize("snr", [-40.0, -10.0, 5.0])
def test_complex_noise_gives_the_exact_snr2500(snr):
    fs = 2000.0
    y = apply_channel(np.zeros(400_000, complex), fs, Channel(snr), np.random.default_rng(0),
                      carrier_power=1.0)
    n0 = np.var(y) / fs
    assert 10 * np.log10(1.0 / (n0 * 2500.0)) == pytest.approx(snr, abs=0.05)


def test_real_audio_noise_uses_the_one_sided_psd():
    fs = 8000.0
    y = apply_channel(np.zeros(400_000, complex), fs, Channel(-20.0), np.random.default_rng(1),
                      carrier_power=1.0, real_output=True)
    # Real cosine of amplitude 1 has C = 1/2; N0 = 2 var / fs.
    n0 = 2 * np.var(y) / fs
    assert 10 * np.log10(0.5 / (n0 * 2500.0)) == pytest.approx(-20.0, abs=0.05)


def test_offset_and_drift_move_the_carrier():
    fs, n = 100.0, 60_000
    y = apply_channel(np.ones(n, complex), fs, Channel(offset_hz=5.0, drift_hz_per_s=0.01),
                      np.random.default_rng(0))
    inst = np.diff(np.unwrap(np.angle(y))) * fs / (2 * np.pi)
    assert inst[0] == pytest.approx(5.0, abs=1e-3)
    assert inst[-1] == pytest.approx(5.0 + 0.01 * n / fs, abs=1e-2)


def test_same_seed_same_noise_and_fading_keeps_mean_power():
    ch = Channel(-10.0, phase_wander_hz=0.01, fading_rate_hz=0.05)
    a = apply_channel(np.ones(50_000, complex), 100.0, ch, np.random.default_rng(7))
    b = apply_channel(np.ones(50_000, complex), 100.0, ch, np.random.default_rng(7))
    assert np.array_equal(a, b)
    g = apply_channel(np.ones(400_000, complex), 100.0, Channel(fading_rate_hz=0.5),
                      np.random.default_rng(3))
    assert np.mean(np.abs(g) ** 2) == pytest.approx(1.0, rel=0.15)


def test_noise_sigma_and_bad_inputs():
    assert noise_sigma(0.0, 2500.0) == pytest.approx(1.0)
    with pytest.raises(DspValueError, match="snr2500_db"):
        Channel(float("nan"))
    with pytest.raises(DspValueError, match="Nyquist"):
        apply_channel(np.ones(10, complex), 100.0, Channel(offset_hz=60.0), np.random.default_rng())
    with pytest.raises(DspValueError, match="NaN"):
        apply_channel(np.array([np.nan], complex), 100.0, Channel(), np.random.default_rng())
