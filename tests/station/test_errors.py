from pathlib import Path

import pytest

from station.errors import InputError, RecordingError, RecordingExistsError, StationError


def test_input_error_is_a_value_error_and_a_station_error():
    err = InputError("dit_s=0 must be > 0")
    assert isinstance(err, ValueError)
    assert isinstance(err, StationError)


def test_recording_error_carries_the_path_and_names_it():
    err = RecordingError("rec/cap.sigmf-meta", "data is empty (0 samples)")
    assert err.path == Path("rec/cap.sigmf-meta")
    assert str(err) == f"{Path('rec/cap.sigmf-meta')}: data is empty (0 samples)"
    assert not isinstance(err, ValueError)


def test_recording_exists_error_is_a_file_exists_error_that_names_the_fix():
    err = RecordingExistsError("out.wav")
    assert isinstance(err, FileExistsError)
    assert isinstance(err, RecordingError)
    assert err.path == Path("out.wav")
    assert "--overwrite" in str(err)
    with pytest.raises(StationError):
        raise err
