"""The synthetic band: carriers in place, at the SNR asked, the same for any read size."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.clock import SimulatedClock
from station.errors import InputError
from station.sdr.base import IQSource
from station.sdr.rtltcp import cu8_to_complex64
from station.sdr.synthetic import Carrier, SyntheticSource

CENTER = 28_200_000.0
RATE = 240_000.0
START = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)


def band(carriers, **kwargs) -> SyntheticSource:
    kwargs = {"seed": 7, "start_utc": START} | kwargs
    return SyntheticSource(center_freq_hz=CENTER, sample_rate_hz=RATE, carriers=carriers, **kwargs)


def measured_snr2500_db(x: np.ndarray, offset_hz: float, on: slice, off: slice) -> float:
    t = np.arange(x.size) / RATE
    y = x * np.exp(-2j * np.pi * offset_hz * t)
    carrier_power = abs(np.mean(y[on])) ** 2
    n0 = np.mean(np.abs(x[off]) ** 2) / RATE
    return 10 * np.log10(carrier_power / (n0 * 2500))


def test_a_carrier_appears_at_its_baseband_offset():
    src = band([(28_250_000.0, "T", 1.0, 0.0, 10.0)])
    assert isinstance(src, IQSource)
    info = src.open()
    x = src.read(65536).samples
    spec = np.abs(np.fft.fft(x))
    peak = np.fft.fftfreq(x.size, 1 / RATE)[np.argmax(spec)]
    assert abs(peak - 50_000) <= RATE / x.size
    assert (info.center_freq_hz, info.sample_rate_hz, info.start_utc) == (CENTER, RATE, START)
    assert info.datatype == "" and "seed 7" in info.hardware


@pytest.mark.parametrize("snr_db", [-10.0, 0.0, 15.0])
def test_measured_snr2500_matches_within_1_db(snr_db):
    src = band([Carrier(28_180_000.0, "E", 1.0, start_s=0.2, snr2500_db=snr_db)], seed=3)
    src.open()
    x = src.read(int(1.5 * RATE)).samples
    on = slice(int(0.3 * RATE), int(1.1 * RATE))
    off = slice(int(1.3 * RATE), None)
    assert abs(measured_snr2500_db(x, -20_000.0, on, off) - snr_db) < 1.0
    # The noise alone has the documented RMS.
    assert np.sqrt(np.mean(np.abs(x[off]) ** 2)) == pytest.approx(0.05, rel=0.02)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 90_000), min_size=1, max_size=8))
def test_any_read_sizes_give_the_same_stream(sizes):
    carriers = [(28_210_000.0, "EE", 0.05, 0.01, 5.0, 20.0), (28_150_000.0, "I", 0.1, 0.0, 0.0)]
    src = band(carriers)
    src.open()
    parts = []
    for n in sizes:
        block = src.read(n)
        assert block.start_sample == sum(len(p) for p in parts) and block.dropped_before == 0
        parts.append(block.samples)
    total = sum(sizes)
    assert np.array_equal(np.concatenate(parts), band(carriers).samples_at(0, total))


def test_seed_decides_the_noise():
    carriers = [(28_210_000.0, "E", 0.1, 0.0, 0.0)]
    a = band(carriers, seed=1).samples_at(1000, 5000)
    assert np.array_equal(a, band(carriers, seed=1).samples_at(1000, 5000))
    assert not np.array_equal(a, band(carriers, seed=2).samples_at(1000, 5000))
    assert band(carriers, seed=None).seed >= 0


def test_without_noise_only_the_keyed_carrier_is_left():
    src = band([(28_210_000.0, "E", 0.1, 0.05, 0.0)], noise=False, duration_s=0.5)
    src.open()
    x = src.read(10**6).samples
    assert x.size == int(0.5 * RATE) and src.read(10) is None
    env = np.abs(x)
    assert env[: int(0.04 * RATE)].max() == 0 and env[int(0.16 * RATE) :].max() == 0
    amplitude = 0.05 / np.sqrt(RATE / 2500)  # SNR2500 0 dB: C = N0 * 2500, N0 = rms**2 / fs
    assert env[int(0.07 * RATE) : int(0.13 * RATE)] == pytest.approx(amplitude, rel=1e-5)


def test_messages_repeat_every_period_and_carriers_drift():
    src = band([Carrier(28_210_000.0, "E", 0.1, 0.05, 0.0, drift_hz_per_s=1000.0, period_s=0.5)],
               noise=False)  # fmt: skip
    x = src.samples_at(0, int(RATE))
    env = np.abs(x)
    assert env[int(0.3 * RATE) : int(0.5 * RATE)].max() == 0
    on = x[int(0.57 * RATE) : int(0.63 * RATE)]
    assert on.size and np.all(np.abs(on) > 0)
    freq = np.angle(on[1:] * np.conj(on[:-1])) * RATE / (2 * np.pi)
    assert np.mean(freq) == pytest.approx(10_000 + 1000 * 0.6, abs=1.0)


def test_cu8_mode_delivers_dongle_bytes():
    src = band([(28_210_000.0, "E", 0.1, 0.0, 20.0)], cu8=True)
    assert src.open().datatype == "cu8"
    block = src.read(70_000)
    assert block.raw is not None and len(block.raw) == 140_000
    assert np.array_equal(block.samples, cu8_to_complex64(block.raw))


def test_realtime_paces_on_the_injected_clock():
    clock = SimulatedClock(START)
    src = band([(28_210_000.0, "E", 0.1, 0.0, 0.0)], realtime=True, clock=clock, start_utc=None)
    assert src.open().start_utc == START
    src.read(int(RATE / 2))
    assert (clock.now() - START).total_seconds() == pytest.approx(0.5)


def test_default_carriers_are_event_frequencies_in_the_band():
    src = SyntheticSource(center_freq_hz=28.3e6, sample_rate_hz=RATE, seed=1)
    assert [c.freq_hz for c in src.carriers] == [28.25e6, 28.28e6, 28.31e6]
    assert all(c.text == "HI" and c.dit_s == 30 and c.period_s == 600 for c in src.carriers)


@pytest.mark.parametrize(
    ("carrier", "match"),
    [
        ((28_400_000.0, "HI", 1.0, 0.0, 0.0), "outside the band"),
        ((28_210_000.0, "HI", 1.0, 0.0, 80.0), "snr2500_db=80"),
        ((28_210_000.0, "H\u00a7", 1.0, 0.0, 0.0), "carrier at"),
        ((28_210_000.0, "HI", 1.0, 0.0, 0.0, 0.0, 5.0), "period_s=5"),
        ((28_210_000.0, "HI", 1.0, -1.0, 0.0), "start_s=-1"),
        ((28_210_000.0,), "must be"),
    ],
)
def test_bad_carriers_are_named(carrier, match):
    with pytest.raises(InputError, match=match) as err:
        band([carrier])
    assert "\n" not in str(err.value)
