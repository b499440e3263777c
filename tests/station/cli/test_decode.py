import json

import numpy as np
import pytest
import sigmf
import soundfile as sf

from station.recording import write_sigmf
from station.synth import encode_to_file
from tests.station.helpers import assert_one_error_line, invoke, tone_iq


@pytest.fixture(scope="module")
def hi_sigmf(tmp_path_factory):
    """'HI' at dit 2 s, SNR2500 -10 dB, 2000 S/s, seed 1."""
    out = tmp_path_factory.mktemp("hi") / "hi"
    return encode_to_file(
        out, "HI", dit_s=2.0, sample_rate_hz=2000.0, snr2500_db=-10.0, seed=1
    ).path


def test_decode_prints_text_parameters_and_timeline(runner, hi_sigmf):
    result = invoke(runner, "decode", hi_sigmf)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "decoded: HI" in out
    for word in ("WPM", "dit 2", "carrier", "Hz/min", "SNR2500", "false-alarm probability"):
        assert word in out, word
    assert "element timeline" in out and "letter-space" in out


def test_decode_json_is_only_the_decoded_dict(runner, hi_sigmf):
    result = invoke(runner, "decode", hi_sigmf, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"] == "HI" and data["detected"] is True
    assert data["dit_s"] == pytest.approx(2.0, rel=0.05)
    assert {"wpm", "freq_hz", "drift_hz_per_s", "snr2500_db", "false_alarm_probability"} <= set(
        data
    )
    assert [e["kind"] for e in data["elements"] if e["key_down"]] == ["dit"] * 6


def test_decode_audio_wav_searches_around_1000_hz(runner, tmp_path):
    path = encode_to_file(tmp_path / "hi.wav", "HI", dit_s=2.0, snr2500_db=-10.0, seed=1).path
    result = invoke(runner, "decode", path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"] == "HI"
    assert data["freq_hz"] == pytest.approx(1000.0, abs=1.0)


def test_decode_noise_says_no_morse_found_and_exits_0(runner, tmp_path):
    rng = np.random.default_rng(4)
    noise = (rng.standard_normal(120_000) + 1j * rng.standard_normal(120_000)) / 2
    path = write_sigmf(tmp_path / "noise", noise.astype(np.complex64), 2000.0)
    result = invoke(runner, "decode", path)
    assert result.exit_code == 0, result.output
    assert "no Morse found" in result.stdout
    assert "decoded:" not in result.stdout
    data = json.loads(invoke(runner, "decode", path, "--json").stdout)
    assert data["text"] == "" and data["detected"] is False


def _good(tmp_path):
    return write_sigmf(tmp_path / "cap", tone_iq(), 2000.0)


def _edit(meta_path, change):
    meta = json.loads(meta_path.read_text())
    change(meta)
    meta_path.write_text(json.dumps(meta))
    return meta_path


def _missing(tmp_path):
    return tmp_path / "nothing.sigmf-meta"


def _wrong_extension(tmp_path):
    (tmp_path / "cap.bin").write_bytes(b"\0" * 64)
    return tmp_path / "cap.bin"


def _empty_data(tmp_path):
    meta = _good(tmp_path)
    (tmp_path / "cap.sigmf-data").write_bytes(b"")
    return meta


def _truncated(tmp_path):
    meta = _good(tmp_path)
    data = tmp_path / "cap.sigmf-data"
    data.write_bytes(data.read_bytes()[:-5])
    return meta


def _checksum(tmp_path):
    meta = _good(tmp_path)
    data = tmp_path / "cap.sigmf-data"
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 1
    data.write_bytes(bytes(raw))
    return meta


def _no_rate(tmp_path):
    return _edit(_good(tmp_path), lambda m: m["global"].pop(sigmf.SAMPLE_RATE_KEY))


def _datatype(tmp_path):
    return _edit(_good(tmp_path), lambda m: m["global"].update({sigmf.DATATYPE_KEY: "rf64_le"}))


def _nan_wav(tmp_path):
    y = np.zeros(100, np.float32)
    y[3] = np.nan
    sf.write(str(tmp_path / "nan.wav"), y, 8000, subtype="FLOAT")
    return tmp_path / "nan.wav"


def _three_channels(tmp_path):
    sf.write(str(tmp_path / "three.wav"), np.zeros((100, 3), np.float32), 8000)
    return tmp_path / "three.wav"


def _empty_wav(tmp_path):
    sf.write(str(tmp_path / "empty.wav"), np.zeros(0, np.float32), 8000)
    return tmp_path / "empty.wav"


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (_missing, ["nothing.sigmf-meta", "no such"]),
        (_wrong_extension, ["cap.bin", "'.bin' is not a recording format"]),
        (_empty_data, ["cap.sigmf-data", "empty (0 samples)"]),
        (_truncated, ["cap.sigmf-meta", "truncated"]),
        (_checksum, ["cap.sigmf-meta", "checksum does not match"]),
        (_no_rate, ["core:sample_rate is missing"]),
        (_datatype, ["core:datatype='rf64_le' is not supported", "cf32_le, ci16_le, cu8"]),
        (_nan_wav, ["nan.wav", "NaN or infinite", "first at sample 3"]),
        (_three_channels, ["three.wav", "3 channels"]),
        (_empty_wav, ["empty.wav", "empty (0 samples)"]),
    ],
)
def test_bad_recordings_give_one_line_and_exit_2(runner, tmp_path, make, fragments):
    result = invoke(runner, "decode", make(tmp_path))
    assert_one_error_line(result, *fragments)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--pfa", "2"], "--pfa=2.0"),
        (["--search-hz", "0"], "--search-hz=0.0"),
        (["--offset-hz", "nan"], "--offset-hz=nan"),
        (["--center-hz", "nan"], "--center-hz=nan"),  # the old spelling, as typed
    ],
)
def test_bad_options_give_one_line_and_exit_2(runner, tmp_path, args, fragment):
    assert_one_error_line(invoke(runner, "decode", _good(tmp_path), *args), fragment)
