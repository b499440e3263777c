from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from station.analysis import (
    decode_recording,
    detect_recording,
    schedule_rounds,
    search_band,
)
from station.errors import InputError
from station.recording import Recording
from station.synth import synthesize

T0 = datetime(2013, 10, 9, 17, 59, 55, tzinfo=UTC)


def _rec(seconds=400.0, fs=2000.0, start=T0, kind="iq"):
    dtype = np.complex64 if kind == "iq" else np.float32
    return Recording(np.zeros(int(seconds * fs), dtype), fs, 28.5e6, start, kind)


@pytest.mark.parametrize(
    ("kind", "fs", "kwargs", "expected"),
    [
        ("iq", 2000.0, {}, (0.0, 1000.0)),
        ("iq", 500.0, {}, (0.0, 250.0)),
        ("audio", 8000.0, {}, (1200.0, 1000.0)),
        ("audio", 2000.0, {}, (500.0, 450.0)),
        ("audio", 8000.0, {"search_hz": 1500.0}, (1700.0, 1500.0)),
        ("audio", 8000.0, {"center_hz": 700.0, "search_hz": 100.0}, (700.0, 100.0)),
    ],
)
def test_search_band_defaults_fit_the_recording(kind, fs, kwargs, expected):
    band = search_band(_rec(1.0, fs, kind=kind), **kwargs)
    assert (band.center_hz, band.search_hz) == pytest.approx(expected)


def test_search_band_rejects_nonsense():
    with pytest.raises(InputError, match="search_hz=-5.0 must be a finite width > 0"):
        search_band(_rec(1.0), search_hz=-5.0)
    with pytest.raises(InputError, match="search_hz=3000 is a half-width"):
        search_band(_rec(1.0, 8000.0, kind="audio"), search_hz=3000.0)


def test_default_band_of_low_rate_audio_is_searchable():
    # search_hz is a half-width in station as in dsp: at 2000 S/s the default band
    # (500 +- 450 Hz) stays inside 0..1000 Hz, so a 700 Hz tone decodes.
    from dsp.keying import keyed_audio
    from dsp.morse import key_intervals

    iv = key_intervals("HI", 0.5, start_s=1.0)
    tone = keyed_audio(iv, 2000.0, duration_s=iv[-1, 1] + 1.0, tone_hz=700.0)
    rec = Recording(tone, 2000.0, None, None, "audio")
    decoded = decode_recording(rec)
    assert decoded.text == "HI"
    assert decoded.freq_hz == pytest.approx(700.0, abs=0.5)


def test_rounds_from_utc_are_relative_to_the_first_sample():
    rec = _rec(1300.0)
    start = datetime(2013, 10, 9, 18, tzinfo=UTC)
    rounds = schedule_rounds(rec, "HI", 30, start_utc=start, rounds=2, period_s=600)
    assert len(rounds) == 2
    assert rounds[0].tolist()[0] == [5.0, 35.0]
    assert rounds[0].tolist()[-1] == [365.0, 395.0]
    assert np.array_equal(rounds[1], rounds[0] + 600)


def test_rounds_from_an_offset_need_no_start_time():
    rounds = schedule_rounds(_rec(400.0, start=None), "HI", 30, start_offset_s=5.0)
    assert rounds[0][0].tolist() == [5.0, 35.0]


def test_a_round_outside_the_recording_names_both_spans():
    rec = _rec(400.0)
    start = datetime(2013, 10, 9, 18, tzinfo=UTC)
    with pytest.raises(InputError) as info:
        schedule_rounds(rec, "HI", 30, start_utc=start, rounds=2, period_s=600)
    msg = str(info.value)
    assert (
        "round 2 is scheduled at 605.0..995.0 s (2013-10-09T18:10:00Z..2013-10-09T18:16:30Z)" in msg
    )
    assert "recording's 0.0..400.0 s (2013-10-09T17:59:55Z..2013-10-09T18:06:35Z)" in msg
    with pytest.raises(InputError, match="round 1 is scheduled at -55.0..335.0 s"):
        schedule_rounds(rec, "HI", 30, start_utc=start - timedelta(minutes=1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "exactly one of start_utc"),
        ({"start_offset_s": 5.0, "start_utc": T0}, "exactly one of start_utc"),
        ({"start_offset_s": 5.0, "rounds": 0}, "rounds=0 must be >= 1"),
        ({"start_offset_s": 5.0, "rounds": 2, "period_s": 300.0}, "period_s=300.0 must be >= the"),
        ({"start_offset_s": float("nan")}, "start_offset_s=nan must be finite"),
    ],
)
def test_schedule_rule_breaks(kwargs, match):
    with pytest.raises(InputError, match=match):
        schedule_rounds(_rec(2000.0), "HI", 30, **kwargs)


def test_utc_start_on_a_recording_without_time_says_what_to_do():
    with pytest.raises(InputError, match="has no start time .* give --start-offset-s instead"):
        schedule_rounds(_rec(400.0, start=None), "HI", 30, start_utc=T0)


def test_pfa_must_be_a_probability():
    with pytest.raises(InputError, match="pfa=1.5 must be a false-alarm probability"):
        decode_recording(_rec(10.0), pfa=1.5)
    with pytest.raises(InputError, match="pfa=0.0"):
        detect_recording(_rec(10.0), [np.array([[1.0, 2.0]])], pfa=0.0)


# --- through the real decoder / detector ----------------------------------------------


def _hi(snr2500_db=-10.0, seed=1, **kwargs):
    s = synthesize(
        "HI",
        dit_s=2.0,
        sample_rate_hz=2000.0,
        rng=np.random.default_rng(seed),
        snr2500_db=snr2500_db,
        **kwargs,
    )
    kind = "audio" if kwargs.get("audio") else "iq"
    return Recording(s.samples, s.sample_rate_hz, 0.0, None, kind), s


def test_decode_hi_at_dit_2s_snr_minus_10():
    rec, _ = _hi()
    decoded = decode_recording(rec)
    assert decoded.detected
    assert decoded.text == "HI"
    assert decoded.dit_s == pytest.approx(2.0, rel=0.05)


def test_decode_pure_noise_finds_nothing():
    rng = np.random.default_rng(4)
    noise = ((rng.standard_normal(120_000) + 1j * rng.standard_normal(120_000)) / 2).astype(
        np.complex64
    )
    decoded = decode_recording(Recording(noise, 2000.0, 0.0, None, "iq"))
    assert decoded.text == ""
    assert not decoded.detected


def test_detect_the_scheduled_round():
    rec, s = _hi(snr2500_db=-15.0)
    rounds = schedule_rounds(rec, "HI", 2.0, start_offset_s=float(s.key_down_s[0, 0]))
    detection = detect_recording(rec, rounds)
    assert detection.detected
    assert detection.rounds[0].detected
