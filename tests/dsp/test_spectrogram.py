import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.channel import Channel, apply_channel
from dsp.errors import DspValueError
from dsp.keying import keyed_baseband
from dsp.morse import key_intervals
from dsp.spectrogram import (
    StreamingSpectrogram,
    noise_relative_db,
    qrss_resolution,
    qrss_spectrogram,
    stack_frames,
)


def test_tone_lands_in_its_bin_and_columns_follow_the_keying():
    fs = 200.0
    iv = key_intervals("HI", 10.0, start_s=5.0)
    x = keyed_baseband(iv, fs, duration_s=200.0) * np.exp(
        2j * np.pi * -17.0 * np.arange(40000) / fs
    )
    s = qrss_spectrogram(x.astype(np.complex64), fs, bin_hz=0.25, span_hz=80.0)
    row = int(np.argmax(s.power.mean(axis=1)))
    assert s.freqs_hz[row] == pytest.approx(-17.0, abs=0.25)
    assert s.bin_hz == pytest.approx(0.25)
    on = np.zeros(s.times_s.size, bool)
    for a, b in iv:
        on |= (s.times_s > a + 2) & (s.times_s < b - 2)
    off = np.ones(s.times_s.size, bool)
    for a, b in iv:
        off &= (s.times_s < a - 2) | (s.times_s > b + 2)
    assert s.power[row, on].min() > 100 * s.power[row, off].max()


def test_stacking_rounds_raises_a_weak_signal_out_of_noise():
    fs, period, n_rounds = 100.0, 60.0, 16
    iv = np.concatenate(
        [key_intervals("E", 20.0, start_s=10.0 + k * period) for k in range(n_rounds)]
    )
    clean = keyed_baseband(iv, fs, duration_s=period * n_rounds) * np.exp(
        2j * np.pi * 5.0 * np.arange(int(fs * period * n_rounds)) / fs
    )
    x = apply_channel(clean.astype(np.complex64), fs, Channel(-30.0), np.random.default_rng(3))
    s = qrss_spectrogram(x, fs, bin_hz=0.2)
    stacked = stack_frames(s, np.arange(n_rounds) * period, period)
    row = int(np.argmin(np.abs(stacked.freqs_hz - 5.0)))
    keyed = (stacked.times_s > 12) & (stacked.times_s < 28)

    def contrast(spec, cols):
        noise = np.delete(spec.power, range(row - 3, row + 4), axis=0)
        return spec.power[row, cols].mean() / noise[:, cols].std()

    single_cols = (s.times_s > 12) & (s.times_s < 28)
    assert contrast(stacked, keyed) > 2.5 * contrast(s, single_cols)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"bin_hz": 0.0}, "must be finite"), ({"bin_hz": 0.001}, "window"),
     ({"span_hz": 500.0}, "must lie inside")],
)  # fmt: skip
def test_bad_parameters(kwargs, match):
    with pytest.raises(DspValueError, match=match):
        qrss_spectrogram(np.zeros(1000, np.complex64), 100.0, **{"bin_hz": 1.0, **kwargs})


def test_stacking_along_a_drifting_carrier_keeps_it_in_one_line():
    from dsp.spectrogram import Spectrogram

    freqs = np.arange(50) * 0.2
    times = np.arange(40.0)
    power = np.ones((50, 40), np.float32)
    starts = np.array([0.0, 10.0, 20.0, 30.0])
    track = np.array([2.0, 2.4, 2.8, 3.2])  # 2 bins more every frame
    for s, f in zip(starts, track, strict=True):
        power[int(round(f / 0.2)), int(s) : int(s) + 10] = 9.0
    spec = Spectrogram(times, freqs, power, 0.2)
    flat = stack_frames(spec, starts, 10.0)
    along = stack_frames(spec, starts, 10.0, track - track[0])
    assert along.power[10].tolist() == [9.0] * 10  # every round on the first's bin
    assert flat.power.max() == pytest.approx(3.0)  # smeared: one round per bin
    assert np.all(along.power[48:] == 1.0)  # bins moved in from outside: the median


# -- grabs: resolution from the dit, noise-relative scale, streaming columns --------------



@settings(max_examples=200, deadline=None)
@given(dit_s=st.floats(3.0, 120.0), frame_s=st.floats(10.0, 3600.0))
def test_a_dit_spans_several_columns_and_at_least_4_pixels_from_qrss3_to_qrss120(dit_s, frame_s):
    r = qrss_resolution(dit_s, frame_s)
    assert r.columns_per_dit(dit_s) >= 4.0 - 1e-9
    assert r.pixels_per_dit(dit_s, frame_s) >= 4.0 - 1e-9
    assert 0.1 <= r.bin_hz <= 4.0 and r.width_px >= 800
    # at a 2 kS/s channel the window really is that long (whole samples)
    n_win = round(2000.0 / r.bin_hz)
    assert dit_s / (n_win // 2 / 2000.0) >= 3.99


def test_streaming_columns_are_the_whole_signal_s_columns():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((2, 24_000)) + 1j * rng.standard_normal((2, 24_000))).astype(
        np.complex64
    )
    s = StreamingSpectrogram(2, 2000.0, bin_hz=1.0, span_hz=100.0)
    parts = []
    for i in range(0, x.shape[1], 777):
        first, p = s.feed(x[:, i : i + 777])
        assert first == sum(q.shape[2] for q in parts)
        parts.append(p)
    cols = np.concatenate(parts, axis=2)
    whole = qrss_spectrogram(x[1], 2000.0, bin_hz=1.0, span_hz=100.0)
    assert cols.shape[2] == whole.times_s.size
    np.testing.assert_allclose(s.column_time_s(np.arange(cols.shape[2])), whole.times_s)
    ratio = cols[1] / whole.power
    np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-3)  # same up to the scaling


def test_noise_relative_scale_puts_the_floor_at_0_db():
    p = np.random.default_rng(2).exponential(size=(200, 300))
    db = noise_relative_db(p)
    assert abs(float(np.median(db))) < 0.01
    assert float(np.std(db)) < float(np.std(noise_relative_db(p, smooth_bins=1)))
