"""decode and detect read a wide recording's searched band only, with the same answers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsp.channel import Channel, apply_channel
from dsp.keying import keyed_baseband
from dsp.morse import key_intervals
from dsp.results import Decoded, DecodedSignal, KeyingTest, SteadyCarrier, shift_frequencies
from station.analysis import decode_recording, detect_recording
from station.band_input import decode_band, detect_band, read_band
from station.recording import read_recording, write_sigmf

FS = 48_000.0
TONE_HZ = 5_300.0


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory):
    """60 s at 48 kS/s: HI at 2 s dits, 5.3 kHz off centre, SNR2500 -22 dB, a birdie."""
    iv = key_intervals("HI", 2.0, start_s=10.0)
    x = keyed_baseband(iv, FS, duration_s=60.0)
    y = apply_channel(x, FS, Channel(-22.0, offset_hz=TONE_HZ), np.random.default_rng(5))
    y += 0.5 * np.exp(2j * np.pi * 4_800.0 * np.arange(y.size) / FS)
    path = tmp_path_factory.mktemp("wide") / "wide"
    meta = write_sigmf(path, y.astype(np.complex64), FS, center_freq_hz=28.3e6,
                       start_utc=datetime(2013, 10, 9, 18, tzinfo=UTC))  # fmt: skip
    return meta, iv


def test_a_wide_recording_is_read_as_its_band_at_a_reduced_rate(wide) -> None:
    meta, _ = wide
    inp = read_band(meta, center_hz=5_000.0, search_hz=500.0)
    # Channelized at FS / 36 (the band within the filter's flat part), then cut to the
    # band itself, as the search would: 1,000 S/s for +-500 Hz, 60 s of it.
    assert inp.channel.sample_rate_hz == pytest.approx(1_000.0, rel=1e-3)
    assert inp.channel.duration_s == pytest.approx(60.0, abs=1e-6)
    assert inp.recording.samples.nbytes == 0 or inp.recording.samples.strides == (0,)
    assert inp.recording.duration_s == 60.0 and inp.recording.center_freq_hz == 28.3e6
    assert inp.shift_hz == 5_000.0


def test_decode_of_the_band_matches_decode_of_the_whole_recording(wide) -> None:
    meta, _ = wide
    streamed = decode_band(read_band(meta, center_hz=5_000.0, search_hz=500.0))
    whole = decode_recording(read_recording(meta), center_hz=5_000.0, search_hz=500.0)
    assert streamed.text == whole.text == "HI"
    assert streamed.freq_hz == pytest.approx(TONE_HZ, abs=0.05)
    assert streamed.freq_hz == pytest.approx(whole.freq_hz, abs=0.02)
    assert [round(c.freq_hz) for c in streamed.steady_carriers] == [4_800]
    assert streamed.snr2500_db == pytest.approx(whole.snr2500_db, abs=0.5)


def test_detect_of_the_band_reports_frequencies_on_the_recordings_axis(wide) -> None:
    meta, iv = wide
    streamed = detect_band(read_band(meta, center_hz=5_000.0, search_hz=500.0), [iv])
    whole = detect_recording(read_recording(meta), [iv], center_hz=5_000.0, search_hz=500.0)
    assert streamed.detected and whole.detected
    assert streamed.rounds[0].freq_hz == pytest.approx(TONE_HZ, abs=0.1)
    assert streamed.rounds[0].freq_hz == pytest.approx(whole.rounds[0].freq_hz, abs=0.05)
    assert len(streamed.steady_carriers_hz) == len(whole.steady_carriers_hz)


def test_a_narrow_recording_is_analysed_as_it_is(tmp_path) -> None:
    x = (np.random.default_rng(1).normal(size=8000) * (1 + 1j)).astype(np.complex64)
    meta = write_sigmf(tmp_path / "narrow", x, 2000.0)
    inp = read_band(meta)
    assert inp.channel is inp.recording and inp.shift_hz == 0.0
    assert np.array_equal(inp.channel.samples, x)


@settings(max_examples=50, deadline=None, database=None)
@given(st.floats(-1e5, 1e5), st.floats(-1e5, 1e5))
def test_shifting_frequencies_there_and_back_is_the_identity(f_hz: float, shift_hz: float) -> None:
    keying = KeyingTest(1.0, 0.5, 1e-6, 10.0, 1.0)
    signal = DecodedSignal("HI", f_hz, 0.01, 2.0, 0.6, -20.0, 1e-9, 1e-9, keying, 0.99, "ok")
    carrier = SteadyCarrier(f_hz + 1, 0.0, -10.0, 1e-12, "birdie")
    d = Decoded("HI", True, "ok", 2.0, 0.6, f_hz, 0.01, -20.0, 1e-9, signals=(signal,),
                steady_carriers=(carrier,))  # fmt: skip
    moved = shift_frequencies(d, shift_hz)
    assert moved.signals[0].freq_hz == moved.freq_hz == pytest.approx(f_hz + shift_hz)
    assert moved.signals[0].keying == keying and moved.drift_hz_per_s == 0.01
    back = shift_frequencies(moved, -shift_hz)
    assert back.freq_hz == pytest.approx(f_hz, abs=1e-6)
    assert back.steady_carriers[0].freq_hz == pytest.approx(f_hz + 1, abs=1e-6)
