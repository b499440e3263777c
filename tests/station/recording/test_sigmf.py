import json
from datetime import UTC, datetime

import numpy as np
import pytest
import sigmf

from station.errors import InputError, RecordingError, RecordingExistsError
from station.recording import Annotation, read_recording, write_sigmf
from station.recording import sigmf as sigmf_io
from tests.station.helpers import snapshot, tone_iq

T0 = datetime(2013, 10, 9, 17, 59, 55, tzinfo=UTC)


def _sigmf_pair(tmp_path, raw: np.ndarray, datatype: str, *, rate=2000.0, meta_extra=None):
    """A pair written the way another tool would: raw bytes + metadata built with sigmf."""
    data_path = tmp_path / "ext.sigmf-data"
    raw.tofile(data_path)
    handle = sigmf.SigMFFile(
        global_info={sigmf.DATATYPE_KEY: datatype, sigmf.SAMPLE_RATE_KEY: rate}
    )
    handle.set_data_file(data_path)
    handle.add_capture(0, metadata={sigmf.FREQUENCY_KEY: 28.5e6})
    handle.tofile(tmp_path / "ext")
    meta_path = tmp_path / "ext.sigmf-meta"
    if meta_extra is not None:
        meta = json.loads(meta_path.read_text())
        meta_extra(meta)
        meta_path.write_text(json.dumps(meta))
    return meta_path


# --- writing, read back through the sigmf package ---------------------------------


def test_cf32_pair_round_trips_bit_exactly_through_the_sigmf_package(tmp_path):
    noise = np.random.default_rng(1).standard_normal((5000, 2)).astype(np.float32)
    x = noise.view(np.complex64)[:, 0]  # every float32 bit pattern kept, incl. -0.0 and tiny values
    x[:2] = [np.complex64(-0.0 + 1e-40j), np.complex64(3.4e38 - 1.5e-45j)]
    path = write_sigmf(
        tmp_path / "cap",
        x,
        2000.0,
        center_freq_hz=28.5e6,
        start_utc=T0,
        author="N0CALL",
        description="test",
        annotations=[Annotation(0.5, 1.0, "dit"), Annotation(1.5, 2.0, "dah", comment="c")],
    )
    assert path == tmp_path / "cap.sigmf-meta"
    handle = sigmf.fromfile(path)  # verifies the checksum
    handle.validate()
    got = handle.read_samples()
    assert got.dtype == np.complex64
    assert np.array_equal(got.view(np.uint64), x.view(np.uint64))
    assert handle.get_global_field(sigmf.DATATYPE_KEY) == "cf32_le"
    assert handle.get_global_field(sigmf.SAMPLE_RATE_KEY) == 2000.0
    assert handle.get_global_field(sigmf.AUTHOR_KEY) == "N0CALL"
    assert handle.get_global_field(sigmf.RECORDER_KEY).startswith("hi-station")
    capture = handle.get_captures()[0]
    assert capture[sigmf.FREQUENCY_KEY] == 28.5e6
    assert capture[sigmf.DATETIME_KEY] == "2013-10-09T17:59:55.000000Z"
    anns = handle.get_annotations()
    assert [a[sigmf.LABEL_KEY] for a in anns] == ["dit", "dah"]
    assert [(a[sigmf.SAMPLE_START_KEY], a[sigmf.SAMPLE_COUNT_KEY]) for a in anns] == [
        (1000, 1000),
        (3000, 1000),
    ]
    rec = read_recording(path)
    assert rec.kind == "iq" and rec.is_iq
    assert rec.start_utc == T0 and rec.start_utc.tzinfo is not None
    assert rec.center_freq_hz == 28.5e6
    assert np.array_equal(rec.samples, x)


def test_archive_round_trips(tmp_path):
    x = tone_iq()
    path = write_sigmf(tmp_path / "cap.sigmf", x, 2000.0, start_utc=T0)
    assert path == tmp_path / "cap.sigmf"
    assert not (tmp_path / "cap.sigmf-meta").exists()
    assert np.array_equal(sigmf.fromfile(path).read_samples(), x)
    for name in ("cap.sigmf", "cap"):
        rec = read_recording(tmp_path / name)
        assert np.array_equal(rec.samples, x) and rec.start_utc == T0


@pytest.mark.parametrize("name", ["cap", "cap.sigmf-meta", "cap.sigmf-data"])
def test_any_name_of_a_pair_reads_it(tmp_path, name):
    x = tone_iq()
    write_sigmf(tmp_path / "cap", x, 2000.0)
    assert np.array_equal(read_recording(tmp_path / name).samples, x)


def test_ci16_le_reads_scaled_by_sigmf_autoscale(tmp_path):
    raw = np.array([[16384, -32768], [0, 32767], [-1, 1]], dtype="<i2")
    rec = read_recording(_sigmf_pair(tmp_path, raw, "ci16_le"))
    assert rec.samples.dtype == np.complex64
    expected = (raw[:, 0] + 1j * raw[:, 1]) / 32768
    assert np.allclose(rec.samples, expected, atol=0, rtol=1e-7)
    assert rec.center_freq_hz == 28.5e6 and rec.start_utc is None


def test_cu8_reads_as_u8_minus_128_over_128(tmp_path):
    raw = np.array([[191, 128], [189, 144], [0, 255]], dtype=np.uint8)
    rec = read_recording(_sigmf_pair(tmp_path, raw, "cu8"))
    expected = ((raw[:, 0] - 128.0) + 1j * (raw[:, 1] - 128.0)) / 128
    assert np.allclose(rec.samples, expected, atol=0, rtol=1e-7)
    assert rec.samples[0] == np.complex64(0.4921875 + 0j)


# --- writing safely -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cap", "cap.sigmf"])
def test_existing_files_are_never_overwritten_without_overwrite(tmp_path, name):
    write_sigmf(tmp_path / name, tone_iq(f=50), 2000.0)
    before = snapshot(tmp_path)
    with pytest.raises(RecordingExistsError, match="overwrite"):
        write_sigmf(tmp_path / name, tone_iq(f=200), 2000.0)
    assert snapshot(tmp_path) == before
    write_sigmf(tmp_path / name, tone_iq(f=200), 2000.0, overwrite=True)
    assert np.array_equal(read_recording(tmp_path / name).samples, tone_iq(f=200))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_existing_data_file_alone_blocks_writing(tmp_path):
    (tmp_path / "cap.sigmf-data").write_bytes(b"keep")
    with pytest.raises(RecordingExistsError):
        write_sigmf(tmp_path / "cap", tone_iq(), 2000.0)
    assert snapshot(tmp_path) == {"cap.sigmf-data": b"keep"}


def test_a_crash_while_writing_leaves_nothing_behind(tmp_path, monkeypatch):
    def boom(self, *args, **kwargs):
        raise KeyboardInterrupt  # e.g. Ctrl-C while the metadata is written

    monkeypatch.setattr(sigmf.SigMFFile, "tofile", boom)
    with pytest.raises(KeyboardInterrupt):
        write_sigmf(tmp_path / "cap", tone_iq(), 2000.0)
    assert list(tmp_path.iterdir()) == []


def test_a_crash_between_data_and_metadata_leaves_no_metadata(tmp_path, monkeypatch):
    real_commit = sigmf_io.commit
    calls = []

    def commit_then_crash(staged, target, *, overwrite):
        calls.append(target.name)
        if target.suffix == ".sigmf-meta":
            raise KeyboardInterrupt
        real_commit(staged, target, overwrite=overwrite)

    monkeypatch.setattr(sigmf_io, "commit", commit_then_crash)
    with pytest.raises(KeyboardInterrupt):
        write_sigmf(tmp_path / "cap", tone_iq(), 2000.0)
    assert calls == ["cap.sigmf-data", "cap.sigmf-meta"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cap.sigmf-data"]


@pytest.mark.parametrize(
    ("samples", "kwargs", "match"),
    [
        (np.ones(10, np.float32), {}, "complex I/Q"),
        (np.array([1, np.nan], np.complex64), {}, "NaN"),
        (np.zeros(0, np.complex64), {}, "non-empty"),
        (tone_iq(), {"center_freq_hz": float("inf")}, "center_freq_hz=inf"),
        (tone_iq(), {"start_utc": datetime(2013, 10, 9)}, "timezone-aware"),
        (tone_iq(), {"annotations": [Annotation(0.5, 9.0, "dit")]}, "recording length"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(tmp_path, samples, kwargs, match):
    with pytest.raises(InputError, match=match):
        write_sigmf(tmp_path / "cap", samples, 2000.0, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_writing_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(RecordingError, match="does not exist"):
        write_sigmf(tmp_path / "nope" / "cap", tone_iq(), 2000.0)


# --- reading bad recordings ----------------------------------------------------------


def _written(tmp_path, **kwargs):
    write_sigmf(tmp_path / "cap", tone_iq(), 2000.0, **kwargs)
    return tmp_path / "cap.sigmf-meta", tmp_path / "cap.sigmf-data"


def _edit_meta(meta_path, change):
    meta = json.loads(meta_path.read_text())
    change(meta)
    meta_path.write_text(json.dumps(meta))


def test_missing_metadata(tmp_path):
    with pytest.raises(RecordingError, match="no such SigMF metadata file") as info:
        read_recording(tmp_path / "cap.sigmf-meta")
    assert info.value.path == tmp_path / "cap.sigmf-meta"


def test_missing_data_file(tmp_path):
    meta, data = _written(tmp_path)
    data.unlink()
    with pytest.raises(RecordingError, match="data file is missing") as info:
        read_recording(meta)
    assert info.value.path == data


def test_empty_data(tmp_path):
    meta, data = _written(tmp_path)
    data.write_bytes(b"")
    with pytest.raises(RecordingError, match=r"empty \(0 samples\)"):
        read_recording(meta)


@pytest.mark.parametrize("keep_checksum", [True, False])
def test_data_cut_inside_a_sample_is_truncated(tmp_path, keep_checksum):
    meta, data = _written(tmp_path)
    if not keep_checksum:
        _edit_meta(meta, lambda m: m["global"].pop(sigmf.SHA512_KEY))
    data.write_bytes(data.read_bytes()[:-3])
    with pytest.raises(RecordingError, match="truncated: its size is not a whole number"):
        read_recording(meta)


def test_data_shorter_than_the_annotations_disagrees_with_the_metadata(tmp_path):
    meta, data = _written(tmp_path, annotations=[Annotation(0.5, 0.9, "dit")])
    _edit_meta(meta, lambda m: m["global"].pop(sigmf.SHA512_KEY))
    data.write_bytes(data.read_bytes()[: 8 * 1000])
    with pytest.raises(RecordingError, match="metadata disagrees.*1000 samples"):
        read_recording(meta)


def test_checksum_mismatch(tmp_path):
    meta, data = _written(tmp_path)
    raw = bytearray(data.read_bytes())
    raw[100] ^= 0xFF
    data.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match="sha512 checksum does not match"):
        read_recording(meta)


@pytest.mark.parametrize(
    ("datatype", "match"),
    [
        ("ri32_le", "core:datatype='ri32_le' is not supported; hi-station reads cf32_le"),
        ("cf64_le", "core:datatype='cf64_le' is not supported"),
        ("cq99", "Unrecognized datatype.*hi-station reads cf32_le, ci16_le, cu8"),
    ],
)
def test_unsupported_datatypes(tmp_path, datatype, match):
    meta, _ = _written(tmp_path)
    _edit_meta(meta, lambda m: m["global"].update({sigmf.DATATYPE_KEY: datatype}))
    with pytest.raises(RecordingError, match=match):
        read_recording(meta)


def test_missing_sample_rate(tmp_path):
    meta, _ = _written(tmp_path)
    _edit_meta(meta, lambda m: m["global"].pop(sigmf.SAMPLE_RATE_KEY))
    with pytest.raises(RecordingError, match="core:sample_rate is missing"):
        read_recording(meta)


@pytest.mark.parametrize("rate", [0, -2000, "fast"])
def test_impossible_sample_rate(tmp_path, rate):
    meta, _ = _written(tmp_path)
    _edit_meta(meta, lambda m: m["global"].update({sigmf.SAMPLE_RATE_KEY: rate}))
    with pytest.raises(RecordingError, match="core:sample_rate=.* must be a finite rate"):
        read_recording(meta)


def test_nan_samples(tmp_path):
    raw = np.array([[0.1, 0.2], [np.nan, 0.0], [0.0, np.inf]], dtype="<f4")
    with pytest.raises(
        RecordingError, match=r"2 samples are NaN or infinite \(first at sample 1\)"
    ):
        read_recording(_sigmf_pair(tmp_path, raw, "cf32_le"))


def test_two_channels_are_refused(tmp_path):
    raw = np.zeros((4, 2), dtype="<f4")
    meta = _sigmf_pair(
        tmp_path,
        raw,
        "cf32_le",
        meta_extra=lambda m: m["global"].update({sigmf.NUM_CHANNELS_KEY: 2}),
    )
    with pytest.raises(RecordingError, match="core:num_channels=2"):
        read_recording(meta)


def test_bad_datetime(tmp_path):
    meta, _ = _written(tmp_path)
    _edit_meta(meta, lambda m: m["captures"][0].update({sigmf.DATETIME_KEY: "yesterday"}))
    with pytest.raises(RecordingError, match="core:datetime='yesterday' is not an RFC 3339"):
        read_recording(meta)


def test_metadata_that_is_not_json(tmp_path):
    meta, _ = _written(tmp_path)
    meta.write_text("{not json")
    with pytest.raises(RecordingError, match="not valid JSON"):
        read_recording(meta)


def test_a_broken_archive(tmp_path):
    (tmp_path / "cap.sigmf").write_bytes(b"definitely not a tar file")
    with pytest.raises(RecordingError, match="cannot read as SigMF"):
        read_recording(tmp_path / "cap.sigmf")
