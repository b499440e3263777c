import numpy as np
import pytest

from dsp.keying import keyed_baseband
from dsp.morse import key_intervals
from dsp.noise import blank_impulses, local_floor, normalize_power, two_way_floor


def _noise(rng, n):
    return ((rng.normal(size=n) + 1j * rng.normal(size=n)) / np.sqrt(2)).astype(np.complex64)


@pytest.mark.parametrize("level_db", [-10.0, 20.0, 40.0])
def test_a_keyed_carrier_of_any_level_is_never_blanked(level_db):
    rng = np.random.default_rng(1)
    iv = key_intervals("CQ CQ", 0.06, start_s=0.5)  # 20 WPM: edges every 60 ms, 5 ms ramps
    x = _noise(rng, 2000 * 6) + 10 ** (level_db / 20) * keyed_baseband(
        iv, 2000.0, duration_s=6.0, offset_hz=230.0)
    y, fraction = blank_impulses(x, 2000.0)
    assert fraction == 0.0 and np.array_equal(x, y)


def test_bursts_are_blanked_and_noise_is_not():
    rng = np.random.default_rng(2)
    x = _noise(rng, 2000 * 120)
    assert blank_impulses(x, 2000.0)[1] == 0.0
    starts = rng.integers(1000, x.size - 200, 15)
    for s in starts:
        x[s : s + 40] += 20 * _noise(rng, 40)  # 20 ms, 26 dB up
    y, fraction = blank_impulses(x, 2000.0)
    assert all(np.all(y[s : s + 40] == 0) for s in starts)
    assert 15 * 40 / x.size <= fraction <= 15 * 5 * 16 / x.size


def test_two_way_floor_follows_colour_and_level_not_signals():
    rng = np.random.default_rng(3)
    m, b = 60, 2000
    colour = 10 ** (2 * np.sin(np.arange(b) / 300) / 10)  # +-2 dB ripple
    level = 10 ** (3 * np.sin(np.arange(m) / 9) / 10)  # band noise +-3 dB
    p = rng.exponential(size=(m, b)) * colour[None, :] * level[:, None]
    p[:, 700] += 500.0  # a steady carrier
    p[::3, 1200] += 500.0  # a keyed one
    z = normalize_power(p)
    quiet = np.delete(z, [700, 1200], axis=1)
    assert np.mean(quiet) == pytest.approx(1.0, abs=0.02)
    assert np.mean(quiet[:, :100]) == pytest.approx(1.0, abs=0.05)  # the band edge
    assert np.mean(quiet[:, -100:]) == pytest.approx(1.0, abs=0.05)
    _, g = two_way_floor(p)
    assert np.corrcoef(g, level)[0, 1] > 0.95
    assert z[:, 700].min() > 50 and np.median(z[1::3, 1200]) < 3


def test_local_floor_of_long_spectra():
    rng = np.random.default_rng(4)
    p = rng.exponential(size=(2, 20_000)) * np.linspace(1, 5, 20_000)
    p[:, 5000] += 1e4
    z = p / local_floor(p)
    assert np.mean(np.delete(z, 5000, axis=1)) == pytest.approx(1.0, abs=0.03)
    assert z[:, 5000].min() > 1000
