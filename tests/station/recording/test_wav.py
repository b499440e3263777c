import numpy as np
import pytest
import soundfile as sf

from station.errors import InputError, RecordingError, RecordingExistsError
from station.recording import read_recording, read_wav, write_wav
from tests.station.helpers import snapshot, tone_iq


def _audio(n=4000):
    return (0.25 * np.sin(2 * np.pi * 700 * np.arange(n) / 8000)).astype(np.float32)


def test_mono_float_round_trip_is_exact_audio(tmp_path):
    y = _audio()
    assert write_wav(tmp_path / "a.wav", y, 8000.0) == tmp_path / "a.wav"
    assert sf.info(str(tmp_path / "a.wav")).subtype == "FLOAT"
    rec = read_recording(tmp_path / "a.wav")
    assert rec.kind == "audio" and not rec.is_iq
    assert rec.samples.dtype == np.float32 and rec.samples.ndim == 1
    assert np.array_equal(rec.samples, y)
    assert rec.sample_rate_hz == 8000.0
    assert rec.start_utc is None and rec.center_freq_hz is None


def test_mono_pcm16_round_trip_within_one_step(tmp_path):
    y = _audio()
    write_wav(tmp_path / "a.wav", y, 8000.0, subtype="PCM_16")
    assert sf.info(str(tmp_path / "a.wav")).subtype == "PCM_16"
    assert np.max(np.abs(read_wav(tmp_path / "a.wav").samples - y)) <= 1 / 32768


def test_two_channels_round_trip_as_iq(tmp_path):
    x = tone_iq()
    write_wav(tmp_path / "iq.wav", x, 2000.0)
    assert sf.info(str(tmp_path / "iq.wav")).channels == 2
    rec = read_recording(tmp_path / "iq.wav")
    assert rec.kind == "iq" and rec.samples.dtype == np.complex64
    assert np.array_equal(rec.samples, x)


def test_a_two_channel_file_from_elsewhere_is_iq(tmp_path):
    frames = np.array([[0.5, -0.25], [0.0, 0.125]], np.float32)
    sf.write(str(tmp_path / "st.wav"), frames, 48000, subtype="FLOAT")
    assert np.array_equal(read_wav(tmp_path / "st.wav").samples, [0.5 - 0.25j, 0.125j])


def test_never_overwrites_without_overwrite(tmp_path):
    write_wav(tmp_path / "a.wav", _audio(), 8000.0)
    before = snapshot(tmp_path)
    with pytest.raises(RecordingExistsError, match="--overwrite"):
        write_wav(tmp_path / "a.wav", 2 * _audio(), 8000.0)
    assert snapshot(tmp_path) == before
    write_wav(tmp_path / "a.wav", 2 * _audio(), 8000.0, overwrite=True)
    assert np.array_equal(read_wav(tmp_path / "a.wav").samples, 2 * _audio())
    assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]


@pytest.mark.parametrize(
    ("name", "samples", "kwargs", "match"),
    [
        ("a.wav", 2 * np.ones(10, np.float32), {"subtype": "PCM_16"}, "beyond PCM_16 full scale"),
        ("a.wav", np.array([0.0, np.inf], np.float32), {}, "NaN or infinite"),
        ("a.wav", np.ones(10, np.float32), {"subtype": "ULAW"}, "subtype='ULAW'"),
        ("a.flac", np.ones(10, np.float32), {}, "must end in .wav"),
    ],
)
def test_bad_values_are_refused(tmp_path, name, samples, kwargs, match):
    with pytest.raises(InputError, match=match):
        write_wav(tmp_path / name, samples, 8000.0, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_fractional_rate_is_refused(tmp_path):
    with pytest.raises(InputError, match="whole number of Hz"):
        write_wav(tmp_path / "a.wav", _audio(), 8000.5)


def test_missing_file(tmp_path):
    with pytest.raises(RecordingError, match="no such WAV file"):
        read_recording(tmp_path / "nope.wav")


def test_more_than_two_channels(tmp_path):
    sf.write(str(tmp_path / "three.wav"), np.zeros((10, 3), np.float32), 8000)
    with pytest.raises(RecordingError, match="has 3 channels; hi-station reads 1 .* or 2"):
        read_recording(tmp_path / "three.wav")


def test_empty_file(tmp_path):
    sf.write(str(tmp_path / "empty.wav"), np.zeros(0, np.float32), 8000)
    with pytest.raises(RecordingError, match=r"empty \(0 samples\)"):
        read_recording(tmp_path / "empty.wav")


@pytest.mark.parametrize("cut", [3, 400])
def test_truncated_file(tmp_path, cut):
    write_wav(tmp_path / "a.wav", _audio(1000), 8000.0)
    raw = (tmp_path / "a.wav").read_bytes()
    (tmp_path / "a.wav").write_bytes(raw[:-cut])
    with pytest.raises(RecordingError, match=r"truncated: the header declares 4000 bytes"):
        read_recording(tmp_path / "a.wav")


def test_nan_samples(tmp_path):
    y = _audio(100)
    y[7] = np.nan
    sf.write(str(tmp_path / "nan.wav"), y, 8000, subtype="FLOAT")
    with pytest.raises(RecordingError, match=r"1 samples are NaN .*first at sample 7"):
        read_recording(tmp_path / "nan.wav")


def test_not_a_wav_file(tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(RecordingError, match="cannot read as WAV"):
        read_recording(tmp_path / "junk.wav")
