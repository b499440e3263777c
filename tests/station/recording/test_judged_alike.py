"""``decode`` and ``replay`` judge a SigMF file alike: one reader, the same error line.

Both commands open SigMF through :func:`station.recording.open_sigmf`; a file one of
them refuses, the other refuses with the same message and exit code 2.
"""

import json

import numpy as np
import pytest
import sigmf

from station.recording import write_sigmf
from tests.station.helpers import assert_one_error_line, invoke, tone_iq


def _good(tmp_path):
    return write_sigmf(tmp_path / "cap", tone_iq(), 2000.0, center_freq_hz=28.2e6)


def _edit(change):
    def make(tmp_path):
        meta_path = _good(tmp_path)
        meta = json.loads(meta_path.read_text())
        change(meta)
        meta_path.write_text(json.dumps(meta))
        return meta_path

    return make


def _checksum(tmp_path):
    meta = _good(tmp_path)
    data = tmp_path / "cap.sigmf-data"
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 1
    data.write_bytes(bytes(raw))
    return meta


def _no_checksum(meta_path):
    meta = json.loads(meta_path.read_text())
    meta["global"].pop(sigmf.SHA512_KEY, None)
    meta_path.write_text(json.dumps(meta))
    return meta_path


def _truncated(tmp_path):
    meta = _good(tmp_path)
    data = tmp_path / "cap.sigmf-data"
    data.write_bytes(data.read_bytes()[:-3])
    return _no_checksum(meta)


def _empty_data(tmp_path):
    meta = _good(tmp_path)
    (tmp_path / "cap.sigmf-data").write_bytes(b"")
    return meta


def _nan(tmp_path):
    meta = _good(tmp_path)
    x = tone_iq()
    x[5] = np.nan
    np.ascontiguousarray(x, "<c8").tofile(tmp_path / "cap.sigmf-data")
    return _no_checksum(meta)


def _missing(tmp_path):
    return tmp_path / "nothing.sigmf-meta"


def _not_json(tmp_path):
    meta = _good(tmp_path)
    meta.write_text("{not json")
    return meta


CASES = {
    "sha512 mismatch": (_checksum, "checksum does not match"),
    "no sample rate": (
        _edit(lambda m: m["global"].pop(sigmf.SAMPLE_RATE_KEY)),
        "core:sample_rate is missing",
    ),
    "unsupported datatype": (
        _edit(lambda m: m["global"].update({sigmf.DATATYPE_KEY: "rf64_le"})),
        "core:datatype='rf64_le' is not supported",
    ),
    "two channels": (
        _edit(lambda m: m["global"].update({sigmf.NUM_CHANNELS_KEY: 2})),
        "core:num_channels=2",
    ),
    "rate out of range": (
        _edit(lambda m: m["global"].update({sigmf.SAMPLE_RATE_KEY: 1e12})),
        "core:sample_rate=",
    ),
    "datetime without zone": (
        _edit(lambda m: m["captures"][0].update({sigmf.DATETIME_KEY: "2013-10-09T18:00:00"})),
        "core:datetime=",
    ),
    "capture past the end": (
        _edit(lambda m: m["captures"].append({sigmf.SAMPLE_START_KEY: 10**9})),
        "a capture starts at sample",
    ),
    "truncated data": (_truncated, "truncated"),
    "empty data": (_empty_data, "empty (0 samples)"),
    "NaN samples": (_nan, "NaN or infinite (first at sample 5)"),
    "missing metadata": (_missing, "no such SigMF metadata file"),
    "metadata not JSON": (_not_json, "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_decode_and_replay_refuse_a_file_with_the_same_line(runner, tmp_path, case):
    make, fragment = CASES[case]
    path = make(tmp_path)
    decoded = assert_one_error_line(invoke(runner, "decode", path), fragment)
    replayed = assert_one_error_line(invoke(runner, "replay", path), fragment)
    assert replayed == decoded


def test_a_good_file_is_accepted_by_both(runner, tmp_path):
    path = _good(tmp_path)
    assert invoke(runner, "decode", path).exit_code == 0
    result = invoke(runner, "replay", path, "--freq-mhz", "28.2", "--json")
    assert result.exit_code == 0, result.output


def _audio(tmp_path):
    from tests.station.replay.test_audio_sigmf import write_audio_sigmf

    return write_audio_sigmf(tmp_path)


def _audio_nan(tmp_path):
    meta = _audio(tmp_path)
    data = tmp_path / "rx.sigmf-data"
    x = np.fromfile(data, "<f4")
    x[7] = np.inf
    x.tofile(data)
    return _no_checksum(meta)


def _audio_truncated(tmp_path):
    meta = _audio(tmp_path)
    data = tmp_path / "rx.sigmf-data"
    data.write_bytes(data.read_bytes()[:-3])
    return _no_checksum(meta)


def _audio_no_rate(tmp_path):
    meta_path = _audio(tmp_path)
    meta = json.loads(meta_path.read_text())
    meta["global"].pop(sigmf.SAMPLE_RATE_KEY)
    meta_path.write_text(json.dumps(meta))
    return meta_path


AUDIO_CASES = {
    "audio NaN samples": (_audio_nan, "NaN or infinite (first at sample 7)"),
    "audio truncated": (_audio_truncated, "truncated"),
    "audio no sample rate": (_audio_no_rate, "core:sample_rate is missing"),
}


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_an_audio_sigmf_is_refused_alike(runner, tmp_path, case):
    make, fragment = AUDIO_CASES[case]
    path = make(tmp_path)
    decoded = assert_one_error_line(invoke(runner, "decode", path), fragment)
    replayed = assert_one_error_line(invoke(runner, "replay", path, "--dial-mhz", "28.3985"),
                                     fragment)  # fmt: skip
    assert replayed == decoded


def test_a_good_audio_sigmf_is_accepted_by_both(runner, tmp_path):
    path = _audio(tmp_path)
    assert invoke(runner, "decode", path).exit_code == 0
    result = invoke(runner, "replay", path, "--dial-mhz", "28.3985", "--freq-mhz", "28.4")
    assert result.exit_code == 0, result.output
