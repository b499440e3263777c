import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.channelize import (
    STOPBAND_DB,
    Channelizer,
    band_channels,
    channel_offsets_for,
    cu8_to_complex64,
    nearest_out_rate_hz,
)
from dsp.errors import DspValueError

FS = 48_000.0
OUT = 2_000.0


def tone(f_hz, n, fs=FS, amplitude=1.0, phase=0.0):
    t = np.arange(n) / fs
    return (amplitude * np.exp(1j * (2 * np.pi * f_hz * t + phase))).astype(np.complex64)


def run(ch, x, splits=()):
    """All outputs of ``x`` fed in pieces cut at ``splits``, then flushed."""
    edges = [0, *sorted(splits), x.size]
    outs = [ch.process(x[a:b]) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    outs.append(ch.flush())
    return np.concatenate(outs, axis=1)


def interior(ch, y):
    """Drop the outputs whose filter window reaches past either end of the stream."""
    edge = ch.taps // (2 * ch.decimation) + 2
    return y[:, edge:-edge]


# --- correctness --------------------------------------------------------------------


def test_tone_on_the_grid_lands_at_0_hz_with_its_amplitude_and_phase():
    ch = Channelizer(FS, [-9000.0, 5000.0], OUT)
    assert ch.residual_hz[1] == 0.0
    x = tone(5000.0, 96_000, amplitude=0.3, phase=0.7)
    y = run(ch, x)
    assert y.shape == (2, 4000) and y.dtype == np.complex64
    mid = interior(ch, y)[1]
    # Downconverted at absolute time: a constant 0.3 * exp(0.7j), across every frame.
    assert np.max(np.abs(mid - 0.3 * np.exp(0.7j))) < 3e-4


def test_off_grid_offset_is_centred_exactly_by_the_nco():
    offset = 5003.7
    ch = Channelizer(FS, [offset], OUT)
    assert ch.residual_hz[0] != 0.0 and abs(ch.residual_hz[0]) <= ch.bin_hz / 2
    x = tone(offset, 96_000, amplitude=0.5, phase=-1.1)
    mid = interior(ch, run(ch, x))[0]
    assert np.max(np.abs(mid - 0.5 * np.exp(-1.1j))) < 3e-4


def test_tone_in_the_passband_keeps_its_offset_and_amplitude():
    ch = Channelizer(FS, [3000.0], OUT)
    df = 0.45 * ch.passband_hz  # near the passband edge
    x = tone(3000.0 + df, 96_000)
    mid = interior(ch, run(ch, x))[0]
    assert np.max(np.abs(np.abs(mid) - 1.0)) < 1e-3
    phase_step = np.angle(mid[1:] * np.conj(mid[:-1]))
    assert np.allclose(phase_step, 2 * np.pi * df / OUT, atol=1e-4)


def test_tone_one_bandwidth_or_more_away_leaks_below_minus_60_db():
    ch = Channelizer(FS, [0.0, OUT, 2 * OUT, -7 * OUT], OUT)
    x = tone(OUT, 192_000)  # strong tone centred on the neighbouring channel
    y = interior(ch, run(ch, x))
    assert np.abs(y[1]).mean() == pytest.approx(1.0, abs=1e-3)
    for k in (0, 2, 3):
        leak_db = 20 * np.log10(np.sqrt(np.mean(np.abs(y[k]) ** 2)))
        assert leak_db < -60, (k, leak_db)


def test_stopband_sweep_from_one_output_bandwidth_outward():
    ch = Channelizer(FS, [0.0], OUT)
    worst = -np.inf
    for f in np.concatenate([np.linspace(OUT, 3 * OUT, 23), [-OUT, -1.37 * OUT, 10_000.0]]):
        y = interior(ch, run(ch, tone(f, 48_000)))[0]
        worst = max(worst, 20 * np.log10(np.sqrt(np.mean(np.abs(y) ** 2))))
    assert worst < -60
    assert ch.stopband_db == STOPBAND_DB


def test_realistic_sizes_pick_a_fast_fft():
    ch = Channelizer(2.4e6, np.arange(-12, 14) * 37_000.0, 2000.0)
    assert ch.n_channels == 26 and ch.decimation == 1200
    assert ch.fft_size == ch.decimation * ch.ifft_size
    assert ch.hop >= 0.75 * ch.fft_size  # the overlap costs at most a third more FFT work
    assert ch.hop % ch.decimation == 0 and ch.fft_size - ch.hop >= ch.taps - 1


# --- streaming ----------------------------------------------------------------------


_NOISE = np.random.default_rng(7).standard_normal((30_011, 2)).astype(np.float32)
SIGNAL = _NOISE.view(np.complex64)[:, 0]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, SIGNAL.size), max_size=12))
def test_output_is_bit_identical_whatever_the_block_split(splits):
    ch = Channelizer(FS, [-7000.0, 1234.5, 11_000.0], OUT)
    whole = run(ch, SIGNAL)
    assert whole.shape == (3, -(-SIGNAL.size // ch.decimation))
    assert np.array_equal(run(ch, SIGNAL, splits), whole)


def test_flush_resets_and_short_streams_give_ceil_n_over_d_outputs():
    ch = Channelizer(FS, [0.0], OUT)
    for n in (0, 1, 23, 24, 25, 5000):
        assert run(ch, SIGNAL[:n]).shape == (1, -(-n // 24))
    first = run(ch, SIGNAL[:5000])
    assert np.array_equal(run(ch, SIGNAL[:5000]), first)


def test_process_returns_only_outputs_whose_whole_filter_window_has_arrived():
    ch = Channelizer(FS, [0.0], OUT)
    assert ch.process(SIGNAL[:1]).shape == (1, 0)
    n_in, n_out = 1, 0
    for step in (100, 3000, 1, 7777, 12_345):
        n_out += ch.process(SIGNAL[n_in : n_in + step]).shape[1]
        n_in += step
        assert n_out == 0 or (n_out - 1) * ch.decimation + ch.taps // 2 < n_in
    assert n_out > 0


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        (dict(out_rate_hz=3000.0, sample_rate_hz=2.048e6), ["out_rate_hz=3000", "whole number",
                                                            "2998.54"]),
        (dict(out_rate_hz=96_000.0), ["out_rate_hz=96000", "<= sample_rate_hz=48000"]),
        (dict(out_rate_hz=0.0), ["out_rate_hz=0"]),
        (dict(out_rate_hz=float("nan")), ["out_rate_hz=nan", "finite"]),
        (dict(sample_rate_hz=-1.0), ["sample_rate_hz=-1"]),
        (dict(channel_offsets_hz=[0.0, 23_500.0]), ["channel_offsets_hz[1]=23500",
                                                    "<= sample_rate_hz/2 - out_rate_hz/2 = 23000"]),
        (dict(channel_offsets_hz=[float("inf")]), ["channel_offsets_hz[0]=inf", "finite"]),
        (dict(channel_offsets_hz=[]), ["channel_offsets_hz is empty"]),
        (dict(passband_hz=2000.0), ["passband_hz=2000", "below out_rate_hz=2000"]),
    ],
)  # fmt: skip
def test_bad_parameters_name_the_value_and_the_rule(kwargs, fragments):
    args = dict(sample_rate_hz=FS, channel_offsets_hz=[0.0], out_rate_hz=OUT) | kwargs
    with pytest.raises(DspValueError) as info:
        Channelizer(**args)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_offset_at_the_band_edge_is_accepted():
    Channelizer(FS, [23_000.0, -23_000.0], OUT)


def test_non_finite_samples_are_refused_and_leave_the_state_unchanged():
    ch = Channelizer(FS, [1000.0], OUT)
    clean = run(ch, SIGNAL[:20_000])
    ch.process(SIGNAL[:7000])
    bad = SIGNAL[7000:20_000].copy()
    bad[42] = np.nan
    with pytest.raises(DspValueError, match=r"block\[42\]=.*stream sample 7042.*finite"):
        ch.process(bad)
    got = np.concatenate([ch.process(SIGNAL[7000:20_000]), ch.flush()], axis=1)
    assert np.array_equal(got, clean[:, -got.shape[1] :])


@pytest.mark.parametrize(
    ("block", "fragment"),
    [(np.zeros((2, 8), np.complex64), "shape (2, 8)"), (np.zeros(8), "dtype float64")],
)
def test_blocks_must_be_1d_complex(block, fragment):
    with pytest.raises(DspValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        Channelizer(FS, [0.0], OUT).process(block)


# --- helpers ------------------------------------------------------------------------


def test_offsets_and_band_helpers():
    assert channel_offsets_for(28.5e6, [28.02e6, 28.98e6]).tolist() == [-480_000.0, 480_000.0]
    offsets = band_channels(28.5e6, 28.0e6, 29.0e6, 40_000.0)
    assert offsets.size == 25 and offsets[0] == -480_000.0 and offsets[-1] == 480_000.0
    with pytest.raises(DspValueError, match="spacing_hz=0"):
        band_channels(28.5e6, 28.0e6, 29.0e6, 0.0)
    with pytest.raises(DspValueError, match="at least one channel"):
        band_channels(28.5e6, 28.0e6, 28.001e6, 2000.0)
    with pytest.raises(DspValueError, match="empty"):
        channel_offsets_for(28.5e6, [])
    assert nearest_out_rate_hz(240_000.0, 2100.0) == pytest.approx(240_000 / 114)


def test_cu8_conversion_matches_sigmf_scaling_exactly():
    raw = np.arange(256, dtype=np.uint8).repeat(2)
    got = cu8_to_complex64(raw)
    want = ((raw.astype(np.float64) - 128) / 128).astype(np.float32)
    assert np.array_equal(got.real, want[0::2]) and np.array_equal(got.imag, want[1::2])
    with pytest.raises(DspValueError, match="even number of bytes"):
        cu8_to_complex64(raw[:3])
    with pytest.raises(DspValueError, match="uint8"):
        cu8_to_complex64(raw.astype(np.int16))
