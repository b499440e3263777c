import numpy as np
import pytest

from dsp.errors import DspValueError
from dsp.keyed import MAX_KEY_UP_RATIO, keying_test, steady_p_value

N_ON, N_OFF, L = 6, 7, 30.0  # "HI" at 30 s dits: six dits, seven key-up pieces


def _pieces(rng, n, mu):
    """Normalised matched-filter energies of n pieces holding a carrier of Es/N0 mu."""
    z = np.sqrt(mu) + (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
    return np.abs(z) ** 2


@pytest.mark.parametrize("mu", [0.0, 1.5, 3.0, 300.0])
def test_steady_carrier_of_any_level_is_a_valid_null(mu):
    # The p-value is valid under "noise plus a steady carrier of any level":
    # P(p <= alpha) <= alpha, measured at the levels where it is tightest and beyond.
    rng = np.random.default_rng(int(mu * 10) + 1)
    ps = np.array([
        steady_p_value(_pieces(rng, N_ON, mu).sum(), _pieces(rng, N_OFF, mu).sum(), N_ON, N_OFF,
                       N_ON * L, N_OFF * L)
        for _ in range(600)
    ])
    for alpha in (0.01, 0.05, 0.2):
        sd = np.sqrt(alpha * (1 - alpha) / ps.size)
        assert np.mean(ps <= alpha) <= alpha + 3 * sd


def test_keyed_pieces_are_told_from_steady_ones_at_the_detection_limit():
    rng = np.random.default_rng(7)
    mu = 10 ** (-40 / 10) * 2500 * L  # Es/N0 of a 30 s dit at -40 dB SNR2500: 7.5
    ps = [steady_p_value(_pieces(rng, N_ON, mu).sum(), _pieces(rng, N_OFF, 0.0).sum(), N_ON,
                         N_OFF, N_ON * L, N_OFF * L) for _ in range(200)]
    assert np.median(ps) < 1e-6


def test_keying_test_needs_key_up_well_below_key_down():
    # A steady carrier whose level swings +-3 dB (QSB, AGC) is not keyed, however
    # significant the contrast.
    t = keying_test(6 * 2000.0, 7 * 1000.0, N_ON, N_OFF, N_ON * L, N_OFF * L,
                    log_search_factor=0.0, pfa=1e-3)
    assert t.false_alarm_probability < 1e-3 and not t.keyed
    assert t.key_up_c_n0_hz / t.key_down_c_n0_hz > MAX_KEY_UP_RATIO
    t = keying_test(6 * 76.0, 7.5, N_ON, N_OFF, N_ON * L, N_OFF * L,
                    log_search_factor=np.log(1e9), pfa=1e-3)
    assert t.keyed and t.key_down_c_n0_hz == pytest.approx(75 / 30, rel=0.01)


def test_search_factor_is_a_union_bound():
    args = (40.0, 7.0, N_ON, N_OFF, N_ON * L, N_OFF * L)
    p = steady_p_value(*args)
    t = keying_test(*args, log_search_factor=np.log(100.0), pfa=1e-3)
    assert t.false_alarm_probability == pytest.approx(min(1.0, 100 * p), rel=1e-6)


def test_bad_arguments():
    with pytest.raises(DspValueError, match="n_on"):
        steady_p_value(1.0, 1.0, 0, 1, 1.0, 1.0)
    with pytest.raises(DspValueError, match="finite"):
        steady_p_value(np.inf, 1.0, 1, 1, 1.0, 1.0)


@pytest.mark.parametrize("mu", [0.0, 1.5, 3.0, 6.0, 100.0])
def test_the_detectors_keyed_region_has_its_size_at_every_steady_level(mu):
    # The region R(t0) of known-template detection, at an allowance for alpha = 0.05
    # and a low presence threshold so that its size can be measured: a steady carrier
    # of any level lands in it at most 5 % of the time.
    from dsp.keyed import KEY_UP_SLOPE, region_allowance

    thr, alpha = 14.0, 0.05
    t0 = region_allowance(thr, N_ON, N_OFF, N_ON * L, N_OFF * L, alpha)
    rng = np.random.default_rng(int(mu) + 20)
    s_on = np.array([_pieces(rng, N_ON, mu).sum() for _ in range(4000)])
    s_off = np.array([_pieces(rng, N_OFF, mu).sum() for _ in range(4000)])
    beta = KEY_UP_SLOPE * N_OFF / N_ON
    inside = (s_on >= thr) & (s_off - N_OFF - beta * (s_on - N_ON) <= t0)
    assert np.mean(inside) <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / 4000)
    # ... while a keyed signal of the same key-down energy is in it almost always.
    keyed_on = np.array([_pieces(rng, N_ON, 5.0).sum() for _ in range(1000)])
    keyed_off = rng.exponential(size=(1000, N_OFF)).sum(axis=1)
    hit = (keyed_on >= thr) & (keyed_off - N_OFF - beta * (keyed_on - N_ON) <= t0)
    assert np.mean(hit) > 0.8
