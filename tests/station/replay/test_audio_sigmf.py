"""``replay`` reads audio SigMF (``rf32_le``, ``ri16_le``) through the dial, as a mono WAV."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sigmf
import soundfile as sf
from sigmf import SigMFFile

from dsp.keying import keyed_audio
from dsp.morse import key_intervals
from tests.station.helpers import assert_one_error_line, invoke

FS, TONE_HZ, CHANNEL_HZ = 8000.0, 1500.0, 28.4e6
RF_HZ = CHANNEL_HZ + 7.0  # the carrier, 7 Hz above the channel's centre
DIAL_HZ = {"usb": RF_HZ - TONE_HZ, "lsb": RF_HZ + TONE_HZ}
_DIAL_HELP = "or mono audio with --dial-mhz (the SSB receiver's dial)"


def _hi_audio() -> np.ndarray:
    iv = np.asarray(key_intervals("HI", 1.0)) + 2.0
    x = keyed_audio(iv, FS, duration_s=17.0, tone_hz=TONE_HZ, amplitude=0.3)
    return x + 0.01 * np.random.default_rng(2).standard_normal(len(x))


def write_audio_sigmf(tmp_path, datatype: str = "rf32_le", name: str = "rx"):
    """An SSB receiver's audio as a SigMF pair written by the sigmf package, read back valid."""
    x = _hi_audio()
    data = tmp_path / f"{name}.sigmf-data"
    if datatype == "rf32_le":
        x.astype("<f4").tofile(data)
    else:
        np.round(x * 32767).astype("<i2").tofile(data)
    handle = SigMFFile(data_file=data, global_info={
        sigmf.DATATYPE_KEY: datatype, sigmf.SAMPLE_RATE_KEY: FS,
        sigmf.VERSION_KEY: sigmf.__specification__, sigmf.HW_KEY: "an SSB receiver's audio",
    })  # fmt: skip
    # a writer's idea of core:frequency (here the RF); replay takes the dial from --dial-mhz
    handle.add_capture(0, metadata={sigmf.FREQUENCY_KEY: RF_HZ,
                                    sigmf.DATETIME_KEY: "2013-10-09T18:00:00Z"})  # fmt: skip
    handle.tofile(tmp_path / name)
    back = sigmf.fromfile(tmp_path / name)  # checks the checksum and the schema
    back.validate()
    assert back.get_global_field(sigmf.DATATYPE_KEY) == datatype
    assert np.allclose(back.read_samples(), x, atol=1e-4)
    return tmp_path / f"{name}.sigmf-meta"


@pytest.mark.parametrize(
    ("datatype", "sideband"), [("rf32_le", "usb"), ("rf32_le", "lsb"), ("ri16_le", "usb")]
)
def test_replay_decodes_hi_on_its_rf_through_the_dial(runner, tmp_path, datatype, sideband):
    meta = write_audio_sigmf(tmp_path, datatype)
    result = invoke(runner, "replay", meta, "--freq-mhz", CHANNEL_HZ / 1e6, "--dial-mhz",
                    DIAL_HZ[sideband] / 1e6, "--sideband", sideband, "--json")  # fmt: skip
    assert result.exit_code == 0, (result.output, result.stderr)
    out = json.loads(result.stdout)
    # sample 0's UTC is core:datetime less the conversion's delay (63 audio samples)
    assert out["sample_rate_hz"] == FS / 2 and out["start_utc"] == "2013-10-09T17:59:59.992125Z"
    assert out["center_freq_hz"] == pytest.approx(DIAL_HZ[sideband] + FS / 4 * (
        1 if sideband == "usb" else -1))  # fmt: skip
    (ch,) = out["channels"]
    assert ch["decoded"]["text"] == "HI"
    assert ch["freq_hz"] + ch["decoded"]["freq_hz"] == pytest.approx(RF_HZ, abs=2.0)


def test_decode_reads_the_same_file_as_audio(runner, tmp_path):
    meta = write_audio_sigmf(tmp_path)
    result = invoke(runner, "decode", meta, "--json")
    assert result.exit_code == 0, (result.output, result.stderr)
    decoded = json.loads(result.stdout)
    assert decoded["text"] == "HI"
    assert decoded["freq_hz"] == pytest.approx(TONE_HZ, abs=2.0)  # audio Hz: no dial in decode


def test_without_the_dial_it_is_refused_as_a_mono_wav_is(runner, tmp_path):
    meta = write_audio_sigmf(tmp_path)
    sigmf_line = assert_one_error_line(invoke(runner, "replay", meta, "--freq-mhz", "28.4"),
                                       "core:datatype=rf32_le is mono audio", _DIAL_HELP)
    wav = tmp_path / "rx.wav"
    sf.write(wav, _hi_audio().astype(np.float32), int(FS))
    wav_line = assert_one_error_line(invoke(runner, "replay", wav, "--freq-mhz", "28.4"),
                                     "has 1 channel(s)", _DIAL_HELP)  # fmt: skip
    assert sigmf_line.endswith(_DIAL_HELP) and wav_line.endswith(_DIAL_HELP)


def test_the_first_key_down_keeps_its_utc_through_the_conversion(tmp_path):
    from datetime import UTC, datetime, timedelta

    from station.sdr.filesource import FileSource

    with FileSource(write_audio_sigmf(tmp_path), dial_hz=DIAL_HZ["usb"]) as src:
        info = src.open()
        z = np.concatenate([b.samples for b in iter(lambda: src.read(4096), None)])
    level = np.abs(z)
    k = int(np.argmax(level > 0.5 * level.max()))  # half amplitude: the shaped edge's middle
    edge = info.start_utc + timedelta(seconds=k / info.sample_rate_hz)
    assert abs((edge - datetime(2013, 10, 9, 18, 0, 2, tzinfo=UTC)).total_seconds()) < 2e-3
