"""Signal-side impairments: fading statistics, warm-up moves, hand keying."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.errors import DspValueError
from dsp.variation import Fading, Warmup, hand_keyed


@pytest.mark.parametrize("k_db", [None, 6.0])
def test_fading_has_unit_mean_power_and_the_stated_correlation(k_db):
    corr = []
    power = []
    for seed in range(40):
        g = Fading(k_db, 100.0).gains(20_000.0, np.random.default_rng(seed))(np.arange(0, 20_000.0))
        power.append(np.mean(np.abs(g) ** 2))
        x = g - np.mean(g)  # the scattered part
        corr.append(np.mean(x[100:] * np.conj(x[:-100])) / np.mean(np.abs(x) ** 2))
    assert np.mean(power) == pytest.approx(1.0, abs=0.05)
    assert abs(np.mean(corr)) == pytest.approx(np.exp(-1), abs=0.05)


def test_rician_keeps_a_steady_part_rayleigh_fades_deep():
    t = np.arange(0, 36_000.0)
    ray = np.abs(Fading(None, 120.0).gains(36_000.0, np.random.default_rng(1))(t)) ** 2
    ric = np.abs(Fading(6.0, 120.0).gains(36_000.0, np.random.default_rng(1))(t)) ** 2
    assert np.mean(ray < 0.1) == pytest.approx(1 - np.exp(-0.1), abs=0.04)  # exponential power
    assert np.mean(ric < 0.1) < 0.03


def test_warmup_moves_fastest_first_then_settles():
    w = Warmup(-25.0, 90.0)
    f = w.offset_hz(np.array([0.0, 1.0, 90.0, 900.0]))
    assert f[0] == 0 and f[1] == pytest.approx(-25 / 90, rel=0.01)
    assert f[2] == pytest.approx(-25 * (1 - np.exp(-1))) and f[3] == pytest.approx(-25, abs=2e-3)
    t = np.linspace(0, 600, 60_001)
    numeric = 2 * np.pi * np.cumsum(w.offset_hz(t)) * (t[1] - t[0])
    assert w.phase_rad(t)[-1] == pytest.approx(numeric[-1], rel=1e-3)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), jitter=st.floats(0.0, 5.0), clock=st.floats(-10, 10))
def test_hand_keying_keeps_every_element(seed, jitter, clock):
    iv = np.array([[5.0, 35.0], [65.0, 95.0], [125.0, 155.0], [215.0, 245.0]])
    out = hand_keyed(iv, jitter, clock, np.random.default_rng(seed))
    assert out.shape == iv.shape
    edges = out.reshape(-1)
    assert np.all(np.diff(edges) >= 1.0 - 1e-9)  # no element or gap vanishes
    if jitter == 0:
        np.testing.assert_allclose(out, iv + clock)


@pytest.mark.parametrize(
    ("make", "match"),
    [(lambda: Fading(None, 0.0), "correlation_s=0.0"), (lambda: Fading(float("nan")), "k_db"),
     (lambda: Warmup(10.0, -1.0), "tau_s=-1.0"),
     (lambda: hand_keyed(np.zeros((1, 2)), -1.0, 0.0, np.random.default_rng(0)), "jitter_s")],
)  # fmt: skip
def test_bad_values_are_named(make, match):
    with pytest.raises(DspValueError, match=match):
        make()
