"""Recovery of a SigMF pair cut short by a crash (:mod:`station.recording.recover`)."""

import json
from pathlib import Path

import numpy as np
import pytest
import sigmf

from station.errors import RecordingError
from station.recording import recover_recording
from tests.station.helpers import assert_one_error_line, invoke, snapshot
from tests.station.recording.test_sigmf_stream import FS, meta_of, sigmf_validate, writer


def _closed(tmp_path, name="rec", n=1000):
    with writer(tmp_path / name) as w:
        w.annotate(10, 20, "dit")
        w.write(np.arange(2 * n, dtype=np.uint16).astype(np.uint8))
    return tmp_path / name


def test_recover_replaces_a_stale_checksum_and_trims_metadata(tmp_path):
    path = _closed(tmp_path)
    meta = meta_of(path)
    meta["annotations"] += [
        {"core:sample_start": 990, "core:sample_count": 100, "core:label": "cut"},
        {"core:sample_start": 5000, "core:sample_count": 1, "core:label": "past"},
    ]
    meta["captures"].append({"core:sample_start": 4000, "core:frequency": 28.6e6})
    Path(f"{path}.sigmf-meta").write_text(json.dumps(meta))
    with open(f"{path}.sigmf-data", "ab") as fh:
        fh.write(b"\x80\x80\x80")  # one whole extra sample and half of another
    report = recover_recording(path)
    assert (report.samples_kept, report.bytes_dropped) == (1001, 1)
    assert report.previous_sha512 == "stale" and report.sha512_written
    assert (report.annotations_dropped, report.annotations_clipped) == (1, 1)
    assert report.captures_dropped == 1
    assert report.duration_s == pytest.approx(1001 / FS)
    handle = sigmf.fromfile(path)
    handle.validate()
    assert [(a["core:label"], a["core:sample_count"]) for a in handle.get_annotations()] == [
        ("dit", 20),
        ("cut", 11),
    ]


def test_recover_on_an_intact_recording_changes_nothing(tmp_path):
    path = _closed(tmp_path)
    data = Path(f"{path}.sigmf-data").read_bytes()
    report = recover_recording(f"{path}.sigmf-data")
    assert report.previous_sha512 == "matched" and report.bytes_dropped == 0
    assert Path(f"{path}.sigmf-data").read_bytes() == data
    report = recover_recording(path, checksum=False)
    assert report.previous_sha512 == "unchecked" and not report.sha512_written
    assert "core:sha512" not in meta_of(path)["global"]
    assert sigmf_validate(f"{path}.sigmf-meta").returncode == 0


def test_recover_cleans_staging_left_by_a_killed_metadata_write(tmp_path):
    path = _closed(tmp_path)
    stale = tmp_path / ".hi-station-abc123"
    stale.mkdir()
    (stale / "rec.sigmf-meta").write_text("{")
    recover_recording(path)
    assert not stale.exists()


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        (lambda d: None, "no such SigMF metadata file"),
        (lambda d: (d / "rec.sigmf-meta").write_text("{not json"), "not JSON"),
        (lambda d: (d / "rec.sigmf-meta").write_text('{"global": {}}'), "core:datatype=None"),
        (
            lambda d: (d / "rec.sigmf-meta").write_text('{"global": {"core:datatype": "cu8"}}'),
            "data file is missing",
        ),
        (
            lambda d: (
                (d / "rec.sigmf-data").write_bytes(b"12345"),
                (d / "rec.sigmf-meta").write_text(
                    '{"global": {"core:datatype": "cu8", "core:version": "1.2.6"}, "captures": [],'
                    ' "annotations": [{"core:sample_start": "late"}]}'
                ),
            ),
            "metadata is not valid SigMF: 'late' is not of type 'integer'",
        ),
    ],
)
def test_recover_refuses_what_is_not_a_recording(tmp_path, setup, fragment):
    setup(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(RecordingError, match=fragment):
        recover_recording(tmp_path / "rec")
    assert snapshot(tmp_path) == before


def test_recover_refuses_an_empty_data_file_and_other_formats(tmp_path):
    (tmp_path / "e.sigmf-meta").write_text(
        '{"global": {"core:datatype": "cf32_le", "core:version": "1.2.6"}}'
    )
    (tmp_path / "e.sigmf-data").write_bytes(b"\x00" * 7)
    with pytest.raises(RecordingError, match="holds 7 bytes, not one whole sample"):
        recover_recording(tmp_path / "e")
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    with pytest.raises(RecordingError, match="is not a SigMF recording"):
        recover_recording(tmp_path / "a.wav")


# --- CLI -----------------------------------------------------------------------------------


def test_recover_cli_prints_a_report(tmp_path, runner):
    path = _closed(tmp_path)
    with open(f"{path}.sigmf-data", "ab") as fh:
        fh.write(b"\x80")
    result = invoke(runner, "recording", "recover", path)
    assert result.exit_code == 0, result.output
    assert "kept 1000 cu8 samples" in result.stdout and "dropped 1 trailing bytes" in result.stdout
    assert "fresh core:sha512 written" in result.stdout


def test_recover_cli_bad_path_is_one_line_and_exit_2(tmp_path, runner):
    result = invoke(runner, "recording", "recover", tmp_path / "nothing.sigmf-meta")
    assert_one_error_line(result, "nothing.sigmf-meta", "no such SigMF metadata file")


@pytest.mark.parametrize("which", ["sigmf-data", "sigmf-meta"])
def test_recover_never_follows_a_link_out_of_the_recording(tmp_path, runner, which):
    # The data file (or the metadata) is a link to a file elsewhere: recover would
    # truncate or rewrite that file.  It refuses, and nothing changes anywhere.
    path = _closed(tmp_path)
    own = Path(f"{path}.{which}")
    outside = tmp_path / "elsewhere" / f"precious.{which}"
    outside.parent.mkdir()
    outside.write_bytes(own.read_bytes() + (b"\x80" if which == "sigmf-data" else b""))
    own.unlink()
    own.symlink_to(outside)
    before = snapshot(tmp_path)
    with pytest.raises(RecordingError, match="is a symbolic link"):
        recover_recording(path)
    result = invoke(runner, "recording", "recover", str(path))
    assert_one_error_line(result, "is a symbolic link")
    assert snapshot(tmp_path) == before
