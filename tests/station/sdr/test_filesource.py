"""Replay of every supported recording format, and every bad-input case."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sigmf
import soundfile as sf

from station.clock import SimulatedClock
from station.errors import InputError, RecordingError
from station.recording import write_sigmf, write_wav
from station.sdr.base import IQSource
from station.sdr.filesource import FileSource

RATE = 240_000
START = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)


def u8_tone(n: int = 50_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    x = 0.5 * np.exp(2j * np.pi * 10_000 * t) + 0.05 * (
        rng.standard_normal(n) + 1j * rng.standard_normal(n)
    )
    iq = np.empty(2 * n)
    iq[0::2], iq[1::2] = x.real, x.imag
    return np.clip(np.rint(iq * 128 + 128), 0, 255).astype(np.uint8)


def write_with_sigmf(base: Path, data: np.ndarray, datatype: str, *, archive=False, **capture):
    data_fn = base.with_suffix(".sigmf-data")
    data.tofile(data_fn)
    handle = sigmf.SigMFFile(
        data_file=data_fn,
        global_info={sigmf.DATATYPE_KEY: datatype, sigmf.SAMPLE_RATE_KEY: RATE,
                     sigmf.HW_KEY: "RTL-SDR R820T"},
    )  # fmt: skip
    stamp = "2013-10-09T18:00:00.000000Z"
    meta = {sigmf.FREQUENCY_KEY: 28.2e6, sigmf.DATETIME_KEY: stamp, **capture}
    handle.add_capture(0, metadata=meta)
    if archive:
        handle.tofile(base.with_suffix(".sigmf"))
        return base.with_suffix(".sigmf")
    handle.tofile(base)
    return base.with_suffix(".sigmf-meta")


def read_all(src: FileSource, n: int = 7777) -> tuple[np.ndarray, bytes | None]:
    parts, raws = [], []
    while (block := src.read(n)) is not None:
        assert block.start_sample == sum(len(p) for p in parts)
        parts.append(block.samples)
        if block.raw is not None:
            raws.append(block.raw)
    return np.concatenate(parts), (b"".join(raws) if raws else None)


@pytest.mark.parametrize("archive", [False, True])
def test_sigmf_cu8_written_by_sigmf_reads_back_bit_exact(tmp_path, archive):
    u8 = u8_tone()
    path = write_with_sigmf(tmp_path / "cap", u8, "cu8", archive=archive)
    with FileSource(path, verify_checksum=True) as src:
        assert isinstance(src, IQSource)
        info = src.open()
        samples, raw = read_all(src)
    assert raw == u8.tobytes()
    assert np.array_equal(samples.view(np.float32), (u8.astype(np.float32) - 128) / 128)
    assert samples.dtype == np.complex64 and src.sample_count == u8.size // 2
    assert (info.sample_rate_hz, info.center_freq_hz, info.start_utc) == (RATE, 28.2e6, START)
    assert info.datatype == "cu8" and info.hardware.startswith("RTL-SDR R820T; replay of cap.")
    # the same values as the sigmf package's own autoscale, bit for bit
    assert np.array_equal(sigmf.fromfile(path)[:], samples)


def test_bare_name_and_data_file_name_both_open_the_pair(tmp_path):
    write_with_sigmf(tmp_path / "cap", u8_tone(1000), "cu8")
    for name in ("cap", "cap.sigmf-data", "cap.sigmf-meta"):
        with FileSource(tmp_path / name) as src:
            assert src.sample_count == 1000


def test_sigmf_ci16_le(tmp_path):
    i16 = np.random.default_rng(1).integers(-32768, 32768, 20_000).astype("<i2")
    path = write_with_sigmf(tmp_path / "c16", i16, "ci16_le")
    with FileSource(path) as src:
        samples, raw = read_all(src, 3000)
    assert raw == i16.tobytes() and src.sample_count == 10_000
    assert np.array_equal(samples.view(np.float32), i16.astype(np.float32) / 32768)


def test_sigmf_cf32_le_written_by_station(tmp_path):
    x = (np.random.default_rng(2).standard_normal(30_000) * (1 + 1j) * 0.1).astype(np.complex64)
    path = write_sigmf(tmp_path / "f32.sigmf", x, RATE, center_freq_hz=28.3e6, start_utc=START)
    with FileSource(path) as src:
        info = src.open()
        samples, _ = read_all(src, 4096)
    assert np.array_equal(samples, x) and info.datatype == "cf32_le"
    assert info.center_freq_hz == 28.3e6 and info.start_utc == START


def test_wav_iq(tmp_path):
    x = (np.random.default_rng(3).standard_normal(12_000) * (0.2 + 0.1j)).astype(np.complex64)
    path = write_wav(tmp_path / "iq.wav", x, 48_000)
    with FileSource(path, center_freq_hz=28.2e6, start_utc=START) as src:
        info = src.open()
        samples, raw = read_all(src, 5000)
    assert np.array_equal(samples, x) and raw is None and info.datatype == ""
    assert (info.sample_rate_hz, info.center_freq_hz, info.start_utc) == (48_000, 28.2e6, START)


def test_raw_rtl_sdr_cu8(tmp_path):
    u8 = u8_tone(9999)
    path = tmp_path / "capture.cu8"
    u8.tofile(path)
    with FileSource(path, sample_rate_hz=RATE, center_freq_hz=28.2e6) as src:
        samples, raw = read_all(src, 1000)
    assert raw == u8.tobytes()
    assert np.array_equal(samples.view(np.float32), (u8.astype(np.float32) - 128) / 128)


@pytest.mark.parametrize("missing", ["sample_rate_hz", "center_freq_hz"])
def test_raw_cu8_needs_rate_and_frequency(tmp_path, missing):
    kwargs = {"sample_rate_hz": RATE, "center_freq_hz": 28.2e6}
    del kwargs[missing]
    with pytest.raises(InputError, match=missing):
        FileSource(tmp_path / "x.cu8", **kwargs)


def test_realtime_replay_paces_on_the_injected_clock(tmp_path):
    u8 = u8_tone(RATE)  # 1 s
    path = tmp_path / "one_second.cu8"
    u8.tofile(path)
    clock = SimulatedClock(START)
    with FileSource(path, sample_rate_hz=RATE, center_freq_hz=28.2e6, realtime=True,
                    clock=clock) as src:  # fmt: skip
        src.read(RATE // 4)
        assert clock.now() == datetime(2013, 10, 9, 18, 0, 0, 250000, tzinfo=UTC)
        while src.read(RATE // 4) is not None:
            pass
    assert clock.now() == datetime(2013, 10, 9, 18, 0, 1, tzinfo=UTC)


def test_given_values_must_agree_with_the_file(tmp_path):
    path = write_with_sigmf(tmp_path / "cap", u8_tone(1000), "cu8")
    with pytest.raises(InputError, match="sample_rate_hz=250000"):
        FileSource(path, sample_rate_hz=250_000).open()
    with FileSource(path, sample_rate_hz=RATE, center_freq_hz=28.2e6) as src:
        assert src.open().sample_rate_hz == RATE


# ---- bad input: one line, the file named, the rule stated ---------------------------------


def expect_error(path, match, **kwargs):
    with pytest.raises(RecordingError, match=match) as err:
        FileSource(path, **kwargs).open()
    msg = str(err.value)
    assert "\n" not in msg
    assert Path(err.value.path).stem.split(".")[0] in msg
    return msg


def edit_meta(meta_path: Path, fn) -> None:
    meta = json.loads(meta_path.read_text())
    fn(meta)
    meta_path.write_text(json.dumps(meta))


def test_empty_data(tmp_path):
    write_with_sigmf(tmp_path / "cap", u8_tone(100), "cu8")
    (tmp_path / "cap.sigmf-data").write_bytes(b"")
    expect_error(tmp_path / "cap", "empty")
    (tmp_path / "e.cu8").write_bytes(b"")
    expect_error(tmp_path / "e.cu8", "empty", sample_rate_hz=RATE, center_freq_hz=28.2e6)


def test_truncated_cu8_and_sigmf(tmp_path):
    (tmp_path / "odd.cu8").write_bytes(b"\x80" * 1001)
    msg = expect_error(
        tmp_path / "odd.cu8", "truncated", sample_rate_hz=RATE, center_freq_hz=28.2e6
    )
    assert "1001 bytes" in msg
    i16 = np.zeros(400, "<i2")
    write_with_sigmf(tmp_path / "c16", i16, "ci16_le")
    with open(tmp_path / "c16.sigmf-data", "ab") as fh:
        fh.write(b"\x00\x01")
    expect_error(tmp_path / "c16", "truncated")
    x = np.zeros(100, np.complex64)
    write_sigmf(tmp_path / "f32", x, RATE)
    with open(tmp_path / "f32.sigmf-data", "r+b") as fh:
        fh.truncate(8 * 100 - 3)
    expect_error(tmp_path / "f32", "truncated")


def test_metadata_that_disagrees_with_the_data(tmp_path):
    meta = write_with_sigmf(tmp_path / "cap", u8_tone(1000), "cu8")
    edit_meta(meta, lambda m: m["annotations"].append(
        {"core:sample_start": 900, "core:sample_count": 500, "core:label": "dit"}))  # fmt: skip
    expect_error(meta, "annotation ends after the last of its 1000 samples")
    meta = write_with_sigmf(tmp_path / "cap2", u8_tone(1000), "cu8")
    edit_meta(meta, lambda m: m["captures"].append({"core:sample_start": 1500}))
    expect_error(meta, "capture starts at sample 1500")


@pytest.mark.parametrize("datatype", ["ci32_le", "cu16_le", "rf64_le", "foo"])
def test_unknown_datatype(tmp_path, datatype):
    meta = write_with_sigmf(tmp_path / "cap", u8_tone(1000), "cu8")
    edit_meta(meta, lambda m: m["global"].update({"core:datatype": datatype}))
    msg = expect_error(meta, datatype)
    assert "cu8" in msg


def test_missing_files_and_bad_names(tmp_path):
    expect_error(tmp_path / "nothing", "no such SigMF metadata")
    expect_error(tmp_path / "nothing.sigmf", "no such SigMF archive")
    meta = write_with_sigmf(tmp_path / "cap", u8_tone(100), "cu8")
    (tmp_path / "cap.sigmf-data").unlink()
    expect_error(meta, "data file is missing")
    with pytest.raises(RecordingError, match="not replayable"):
        FileSource(tmp_path / "cap.mp3")
    (tmp_path / "bad.sigmf-meta").write_text("{not json")
    (tmp_path / "bad.sigmf-data").write_bytes(b"\x00\x00")
    expect_error(tmp_path / "bad", "cannot read as SigMF")


def test_missing_sample_rate_needs_one_given(tmp_path):
    meta = write_with_sigmf(tmp_path / "cap", u8_tone(100), "cu8")
    edit_meta(meta, lambda m: m["global"].pop("core:sample_rate"))
    with pytest.raises(RecordingError, match="core:sample_rate is missing"):  # as decode says
        FileSource(meta).open()
    with FileSource(meta, sample_rate_hz=RATE) as src:
        assert src.open().sample_rate_hz == RATE


def test_checksum_is_verified_when_asked(tmp_path):
    meta = write_with_sigmf(tmp_path / "cap", u8_tone(100), "cu8")
    data = tmp_path / "cap.sigmf-data"
    data.write_bytes(bytes(reversed(data.read_bytes())))
    expect_error(meta, "checksum", verify_checksum=True)
    with FileSource(meta) as src:  # not verified by default: reads the whole file
        assert src.sample_count == 100


def test_bad_wav_files(tmp_path):
    mono = write_wav(tmp_path / "mono.wav", np.zeros(100, np.float32), 8000)
    expect_error(mono, "1 channel")
    iq = write_wav(tmp_path / "iq.wav", np.zeros(1000, np.complex64), 8000)
    data = iq.read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:-100])
    expect_error(tmp_path / "cut.wav", "truncated")
    sf.write(str(tmp_path / "empty.wav"), np.zeros((0, 2), np.float32), 8000)
    expect_error(tmp_path / "empty.wav", "empty")


def test_nan_in_cf32_is_reported_with_the_sample(tmp_path):
    x = np.zeros(100, np.complex64)
    write_sigmf(tmp_path / "f32", x, RATE)
    with open(tmp_path / "f32.sigmf-data", "r+b") as fh:
        fh.seek(8 * 42)
        fh.write(struct.pack("<f", float("nan")))
    with FileSource(tmp_path / "f32") as src, pytest.raises(RecordingError, match="sample 42"):
        read_all(src)
