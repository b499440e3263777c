
import numpy as np
import pytest

from station.errors import RecordingError
from station.recording import Recording, read_recording, recording_format


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cap.sigmf-meta", "sigmf"),
        ("cap.sigmf-data", "sigmf"),
        ("cap", "sigmf"),
        ("cap.sigmf", "sigmf-archive"),
        ("cap.wav", "wav"),
        ("CAP.WAV", "wav"),
    ],
)
def test_recording_format_from_the_extension(name, expected):
    assert recording_format(name) == expected


def test_bare_name_resolves_to_an_archive_when_only_the_archive_exists(tmp_path):
    (tmp_path / "cap.sigmf").write_bytes(b"")
    assert recording_format(tmp_path / "cap") == "sigmf-archive"


@pytest.mark.parametrize("name", ["cap.txt", "cap.cu8", "cap.flac", "notes.2013"])
def test_unknown_extensions_are_rejected_with_the_fix(name):
    with pytest.raises(RecordingError, match="is not a recording format.*sigmf-meta.*wav"):
        recording_format(name)


def test_read_recording_rejects_a_wrong_extension_before_touching_the_file(tmp_path):
    path = tmp_path / "cap.iq"
    path.write_bytes(b"\0" * 16)
    with pytest.raises(RecordingError, match=r"'\.iq' is not a recording format"):
        read_recording(path)


def test_recording_properties():
    rec = Recording(np.zeros(3000, np.float32), 1000.0, None, None, "audio")
    assert not rec.is_iq
    assert rec.duration_s == 3.0
