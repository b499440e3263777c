from datetime import UTC, datetime

import numpy as np
import pytest
import sigmf

from dsp.errors import DspValueError
from station.errors import InputError, RecordingExistsError
from station.recording import read_recording
from station.synth import encode_to_file, resolve_dit_s, synthesize
from tests.station.helpers import snapshot


def _synth(**kwargs):
    args = {"dit_s": 1.0, "sample_rate_hz": 200.0, "rng": np.random.default_rng(1)}
    return synthesize("HI", **{**args, **kwargs})


def test_hi_key_down_times_follow_the_units():
    s = _synth(lead_s=2.0, tail_s=3.0)
    expected = [[2, 3], [4, 5], [6, 7], [8, 9], [12, 13], [14, 15]]
    assert s.key_down_s.tolist() == expected
    assert s.duration_s == 18.0
    assert s.samples.dtype == np.complex64 and s.text == "HI"


def test_clean_iq_is_a_unit_carrier_during_key_down():
    s = _synth(offset_hz=10.0)
    power = np.abs(s.samples) ** 2
    fs = 200
    assert np.allclose(power[int(5.2 * fs) : int(5.8 * fs)], 1.0, atol=1e-5)
    assert np.all(power[int(6.2 * fs) : int(6.8 * fs)] < 1e-10)


def test_noise_matches_snr2500():
    s = synthesize(
        "E",
        dit_s=1.0,
        sample_rate_hz=2000.0,
        rng=np.random.default_rng(3),
        snr2500_db=-10.0,
        lead_s=50.0,
        tail_s=0.0,
    )
    noise = s.samples[: 2000 * 49]
    # N0 * fs with C = 1: var = fs / (2500 * 10**(-10/10)) = 8
    assert np.var(noise) == pytest.approx(8.0, rel=0.02)


def test_audio_is_a_real_tone_at_tone_hz():
    s = _synth(audio=True, sample_rate_hz=8000.0, tone_hz=600.0)
    assert s.samples.dtype == np.float32 and s.tone_hz == 600.0
    seg = s.samples[int(5.25 * 8000) : int(5.75 * 8000)]
    peak_hz = np.argmax(np.abs(np.fft.rfft(seg))) * 8000 / seg.size
    assert peak_hz == pytest.approx(600.0, abs=2.0)


def test_same_seed_same_samples():
    a = _synth(snr2500_db=-5.0, rng=np.random.default_rng(7))
    b = _synth(snr2500_db=-5.0, rng=np.random.default_rng(7))
    assert np.array_equal(a.samples, b.samples)


def test_resolve_dit():
    assert resolve_dit_s() == 30.0
    assert resolve_dit_s(30) == resolve_dit_s(30.0)
    assert resolve_dit_s(wpm=1 / 25) == pytest.approx(30.0)
    with pytest.raises(InputError, match="not both"):
        resolve_dit_s(2.0, 3.0)
    with pytest.raises(InputError, match="dit_s=0 must be a finite number of seconds > 0"):
        resolve_dit_s(0)
    with pytest.raises(InputError, match="wpm=-1"):
        resolve_dit_s(wpm=-1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"offset_hz": 150.0}, "offset_hz=150 .* beyond the Nyquist limit \\+-100 Hz"),
        ({"offset_hz": 90.0, "drift_hz_per_s": 1.0}, "reaches 113 Hz"),
        ({"snr2500_db": float("nan")}, "snr2500_db=nan must be a finite number of dB"),
        ({"lead_s": -1.0}, "lead_s=-1.0 and tail_s=5.0 must be >= 0"),
        ({"sample_rate_hz": 0.0}, "sample_rate_hz=0.0 must be > 0"),
        ({"audio": True, "tone_hz": 150.0}, "tone_hz=150 must lie between 0 and the Nyquist"),
        ({"audio": True, "tone_hz": 90.0, "offset_hz": -95.0}, "outside the audio band"),
    ],
)
def test_bad_parameters_name_value_and_rule(kwargs, match):
    with pytest.raises(InputError, match=match):
        _synth(**kwargs)


def test_unknown_morse_character_names_it():
    with pytest.raises(DspValueError, match="'%' at position 1 has no Morse code"):
        synthesize("H%", dit_s=1.0, sample_rate_hz=200.0, rng=np.random.default_rng(0))


def test_encode_sigmf_writes_annotations_and_times(tmp_path):
    start = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)
    done = encode_to_file(
        tmp_path / "ta",
        "TA",
        dit_s=1.0,
        sample_rate_hz=200.0,
        snr2500_db=-20.0,
        seed=5,
        center_freq_hz=28.5e6,
        key_start_utc=start,
    )
    assert done.path == tmp_path / "ta.sigmf-meta" and done.seed == 5
    handle = sigmf.fromfile(done.path)
    handle.validate()
    anns = handle.get_annotations()
    assert [a[sigmf.LABEL_KEY] for a in anns] == ["dah", "dit", "dah"]  # T = -, A = .-
    assert [a[sigmf.SAMPLE_START_KEY] / 200 for a in anns] == [5.0, 11.0, 13.0]
    assert all(a[sigmf.FREQ_LOWER_EDGE_KEY] < 28.5e6 < a[sigmf.FREQ_UPPER_EDGE_KEY] for a in anns)
    rec = read_recording(done.path)
    assert rec.start_utc == datetime(2013, 10, 9, 17, 59, 55, tzinfo=UTC)
    assert np.array_equal(rec.samples, done.synth.samples)
    assert "seed 5" in handle.get_global_field(sigmf.DESCRIPTION_KEY)


def test_encode_wav_defaults_to_8000_audio(tmp_path):
    done = encode_to_file(tmp_path / "hi.wav", "HI", dit_s=0.5, seed=1)
    rec = read_recording(done.path)
    assert rec.kind == "audio" and rec.sample_rate_hz == 8000.0
    assert rec.duration_s == pytest.approx(5.0 + 13 * 0.5 + 5.0)


def test_encode_refuses_an_existing_file_before_doing_any_work(tmp_path, monkeypatch):
    (tmp_path / "hi.wav").write_bytes(b"old bytes")
    monkeypatch.setattr("station.synth.synthesize", lambda *a, **k: pytest.fail("synthesized"))
    with pytest.raises(RecordingExistsError):
        encode_to_file(tmp_path / "hi.wav", "HI")
    assert snapshot(tmp_path) == {"hi.wav": b"old bytes"}


def test_encode_same_seed_same_file(tmp_path):
    a = encode_to_file(tmp_path / "a", "HI", dit_s=1.0, snr2500_db=0.0, seed=9)
    b = encode_to_file(tmp_path / "b", "HI", dit_s=1.0, snr2500_db=0.0, seed=9)
    assert (tmp_path / "a.sigmf-data").read_bytes() == (tmp_path / "b.sigmf-data").read_bytes()
    assert a.seed == b.seed == 9
