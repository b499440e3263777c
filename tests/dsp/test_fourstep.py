"""The four-step DFT band equals the one-call FFT; long inputs take it with the same answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.acquire import narrowband
from dsp.fft import LONG_FFT
from dsp.fourstep import spectrum_band, split_for
from dsp.spectrum import _kept_at_once, band_of, to_baseband


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    n1=st.integers(16, 48),
    n2=st.integers(16, 48),
    data=st.data(),
    real=st.booleans(),
    in_place=st.booleans(),
)
def test_a_band_of_bins_equals_numpy_fft(n1, n2, data, real, in_place) -> None:
    n = n1 * n2
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    x = rng.normal(size=n).astype(np.float32) if real else (
        rng.normal(size=n) + 1j * rng.normal(size=n)).astype(np.complex64)  # fmt: skip
    count = data.draw(st.integers(1, n))
    start = data.draw(st.integers(-3 * n, 3 * n))
    offset = data.draw(st.integers(0, count - 1))
    want = np.roll(np.fft.fft(x.astype(complex))[(start + np.arange(count)) % n], offset)
    got = spectrum_band(x.copy(), start, count, n1=n1, out_offset=offset,
                        out=np.zeros(count, np.complex64), overwrite_x=in_place)  # fmt: skip
    assert np.max(np.abs(got - want)) < 2e-5 * np.sqrt(n) * np.abs(x).max()


def test_a_premix_is_applied_to_the_samples_it_is_given() -> None:
    n, rate = 64 * 50, 100.0
    x = np.exp(2j * np.pi * 7.0 * np.arange(n) / rate).astype(np.complex64)

    def mix(block, index):
        return (block * np.exp(-2j * np.pi * 7.0 * index / rate)).astype(np.complex64)

    band = spectrum_band(x, -2, 5, n1=64, premix=mix)
    assert abs(band[2]) == pytest.approx(n, rel=1e-5)  # all of it at 0 Hz
    assert np.abs(band[[0, 1, 3, 4]]).max() < 1e-3 * n


def test_lengths_without_a_split_are_refused() -> None:
    assert split_for(1_000_003, 10) is None  # a prime
    with pytest.raises(ValueError, match="no four-step split"):
        spectrum_band(np.ones(1_000_003, np.complex64), 0, 10)


@pytest.mark.parametrize("real", [False, True])
def test_a_long_input_is_cut_to_its_band_as_one_fft_would(real: bool) -> None:
    rng = np.random.default_rng(4)
    n, rate = 1_200_000, 2_000.0
    assert n >= LONG_FFT and split_for(n, n) is not None
    x = rng.normal(size=n).astype(np.float32) if real else (
        rng.normal(size=n) + 1j * rng.normal(size=n)).astype(np.complex64)  # fmt: skip
    center, half = (400.0, 250.0) if real else (-120.0, 400.0)
    y, out_rate = to_baseband(x, rate, center_hz=center, half_band_hz=half)
    # The one-call path, as to_baseband takes it below LONG_FFT.
    n_out = y.size
    k0, n_pos = int(round(center * n / rate)), (n_out + 1) // 2
    kept = _kept_at_once(x, k0, n_out, n_pos, real)
    want = np.fft.ifft(kept.astype(complex)) * (n_out / n) / (np.sqrt(2) if real else 1)
    assert out_rate == pytest.approx(n_out * rate / n)
    assert np.max(np.abs(y - want)) < 1e-4 * np.abs(want).max()


def test_narrowband_mixes_and_cuts_a_long_input_without_the_mixed_copy() -> None:
    rate, n = 2_000.0, 1_440_000  # 12 minutes
    t = np.arange(n) / rate
    x = np.exp(2j * np.pi * (250.0 * t + 0.5 * 1e-3 * t**2)).astype(np.complex64)
    z, rate_z = narrowband(x, rate, freq_hz=250.0, drift_hz_per_s=1e-3, half_band_hz=2.0)
    assert rate_z == pytest.approx(4.0, rel=0.01)
    assert np.abs(z).mean() == pytest.approx(1.0, rel=1e-3)  # the carrier, now at 0 Hz
    assert np.std(np.angle(z)) < 1e-3


def test_overwrite_x_may_destroy_the_input_but_not_the_answer() -> None:
    rng = np.random.default_rng(9)
    x = (rng.normal(size=1_440_000) + 1j * rng.normal(size=1_440_000)).astype(np.complex64)
    keep, _ = band_of(x.copy(), 2_000.0, center_hz=0.0, half_band_hz=700.0)
    mine, _ = band_of(x, 2_000.0, center_hz=0.0, half_band_hz=700.0, overwrite_x=True)
    assert np.array_equal(keep, mine)
