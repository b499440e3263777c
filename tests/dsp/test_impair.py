import numpy as np
import pytest
import scipy.fft
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.channelize import cu8_to_complex64
from dsp.errors import DspValueError
from dsp.impair import (
    Agc,
    Band,
    Carrier,
    Impulses,
    Keyed,
    cu8_blocks,
    render_band,
    ssb_audio,
    to_cu8,
)
from dsp.morse import key_intervals

FS = 2000.0


def _carrier_snr_db(x, rate, f_hz, *, around_hz=20.0):
    """SNR2500 of a steady tone at f_hz: its bin against the median of bins near it."""
    spec = np.abs(scipy.fft.fft(x)) ** 2 / x.size  # power per bin: noise N0 * rate / n... per bin
    freqs = scipy.fft.fftfreq(x.size, 1 / rate)
    k = int(np.argmin(np.abs(freqs - f_hz)))
    near = (np.abs(freqs - f_hz) < around_hz) & (np.abs(freqs - f_hz) > 1.0)
    n0 = np.mean(spec[near]) / rate  # noise PSD (sample units^2 / Hz)
    c = spec[k - 1 : k + 2].sum() / x.size  # carrier power (a tone on a bin)
    return 10 * np.log10(c / (n0 * 2500.0))


@pytest.mark.parametrize("ripple_db", [0.0, 2.0])
def test_snr2500_is_exact_at_the_carrier_even_with_passband_ripple(ripple_db):
    band = Band(FS, 200.0, carriers=(Carrier(-20.0, 250.0),), ripple_db=ripple_db,
                ripple_period_hz=300.0)
    x = render_band(band, np.random.default_rng(1))
    assert _carrier_snr_db(x, FS, 250.0) == pytest.approx(-20.0, abs=0.3)


def test_ripple_really_colours_the_noise():
    band = Band(FS, 200.0, ripple_db=2.0, ripple_period_hz=400.0)
    x = render_band(band, np.random.default_rng(2))
    p = np.abs(scipy.fft.fftshift(scipy.fft.fft(x))) ** 2
    smooth = np.convolve(p, np.ones(2001) / 2001, mode="valid")
    swing_db = 10 * np.log10(smooth.max() / smooth.min())
    assert 3.0 < swing_db < 4.5  # +-2 dB, smoothed a little


def test_dc_offset_and_iq_image():
    band = Band(FS, 100.0, carriers=(Carrier(0.0, 300.0),), dc_fraction=0.01, iq_gain_db=0.3,
                iq_phase_deg=2.0)
    x = render_band(band, np.random.default_rng(3))
    assert abs(np.mean(x)) ** 2 == pytest.approx(0.01, rel=0.1)
    spec = np.abs(scipy.fft.fft(x)) ** 2
    freqs = scipy.fft.fftfreq(x.size, 1 / FS)
    sig = spec[np.argmin(np.abs(freqs - 300.0))]
    image = spec[np.argmin(np.abs(freqs + 300.0))]
    assert 10 * np.log10(sig / image) == pytest.approx(32.0, abs=1.5)


def test_impulses_are_bursts_at_the_asked_rate_and_level():
    band = Band(FS, 800.0, impulses=Impulses(rate_per_s=1 / 8))
    x = render_band(band, np.random.default_rng(4))
    power = np.abs(x) ** 2
    loud = power > 30.0  # noise alone: e^-30
    edges = np.flatnonzero(np.diff(loud.astype(int)) == 1)
    where = np.flatnonzero(loud)
    bursts = np.split(where, np.flatnonzero(np.diff(where) > 20) + 1)
    assert 60 <= len(bursts) <= 140  # Poisson(100)
    assert edges.size > 0 and 100 < float(np.max(power)) < 1e4


def test_keyed_station_and_seeded_reproducibility():
    hi = Keyed.of(key_intervals("HI", 2.0, start_s=1.0), 0.0, 100.0)
    band = Band(FS, 30.0, stations=(hi,))
    a = render_band(band, np.random.default_rng(5))
    b = render_band(band, np.random.default_rng(5))
    assert np.array_equal(a, b)
    t = np.arange(a.size) / FS
    tone = np.exp(-2j * np.pi * 100.0 * t)
    down = np.abs(np.mean((a * tone)[int(1.2 * FS) : int(2.8 * FS)]))
    up = np.abs(np.mean((a * tone)[int(3.2 * FS) : int(4.8 * FS)]))
    assert down > 10 * up


def test_cu8_blocks_make_a_long_wide_recording_without_holding_it():
    band = Band(240e3, 2.0, carriers=(Carrier(-10.0, 5e3),), dc_fraction=0.01)
    blocks = list(cu8_blocks(band, np.random.default_rng(6), block_samples=100_000))
    assert [b.size for b in blocks] == [200_000] * 4 + [160_000]
    x = cu8_to_complex64(np.concatenate(blocks))
    assert x.size == 480_000 and abs(np.mean(x)) > 0
    with pytest.raises(DspValueError, match="whole record"):
        next(cu8_blocks(Band(FS, 1.0, ripple_db=1.0), np.random.default_rng(0)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.complex_numbers(max_magnitude=10.0, allow_nan=False), min_size=1,
                max_size=50), st.floats(2.0, 10.0))
def test_cu8_round_trip(values, counts):
    x = np.asarray(values, complex)
    y = cu8_to_complex64(to_cu8(x, counts)) * 128 / (counts / np.sqrt(2))
    scale = counts / np.sqrt(2)
    inside = (np.abs(x.real) * scale < 126) & (np.abs(x.imag) * scale < 126)
    step = np.sqrt(2) / counts  # one ADC count, in units of x
    assert np.all(np.abs(y.real - x.real)[inside] <= step / 2 + 1e-6)
    assert np.all(np.abs(y.imag - x.imag)[inside] <= step / 2 + 1e-6)


def test_ssb_audio_passband_agc_and_snr():
    tone = Keyed.of([[0.0, 120.0]], -20.0, 1200.0)
    band = Band(8000.0, 120.0, stations=(tone,))
    a = ssb_audio(band, np.random.default_rng(7), agc=None)
    spec = np.abs(scipy.fft.rfft(a)) ** 2
    f = scipy.fft.rfftfreq(a.size, 1 / 8000.0)
    inside = np.median(spec[(f > 500) & (f < 2500)])
    outside = np.median(spec[(f > 3200) | (f < 100)])
    assert 10 * np.log10(inside / outside) > 30
    # SNR at the tone (real audio: noise PSD and carrier both halve): still -20 dB.
    k = int(np.argmin(np.abs(f - 1200.0)))
    n0 = np.mean(spec[(np.abs(f - 1200.0) < 20) & (np.abs(f - 1200.0) > 1)])
    snr = 10 * np.log10(spec[k - 1 : k + 2].sum() / (n0 * 2500.0 * a.size / 8000.0))
    assert snr == pytest.approx(-20.0, abs=0.5)
    levelled = ssb_audio(Band(8000.0, 60.0, level_swing_db=6.0, level_period_s=20.0),
                         np.random.default_rng(8), agc=Agc(decay_s=0.2))
    rms = np.sqrt(np.mean(levelled[: 480_000].reshape(60, -1) ** 2, axis=1))
    assert np.ptp(20 * np.log10(rms)) < 3.0  # the AGC takes out most of a 12 dB swing


def test_bad_bands_are_refused():
    with pytest.raises(DspValueError, match="Nyquist"):
        Band(FS, 10.0, carriers=(Carrier(0.0, 1500.0),))
    with pytest.raises(DspValueError, match="dc_fraction"):
        Band(FS, 10.0, dc_fraction=-1.0)
    with pytest.raises(DspValueError, match="passband"):
        ssb_audio(Band(8000.0, 1.0, carriers=(Carrier(0.0, 100.0),)), np.random.default_rng(0))
