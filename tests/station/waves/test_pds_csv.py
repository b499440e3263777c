"""PDS survey CSV: round trip, streaming selection, and one-line errors for bad files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.errors import RecordingExistsError, WavesFormatError
from station.waves.channels import SURVEY_CHANNELS, noise_bandwidths_hz
from station.waves.load import find_day_files, load_waves, sniff_format
from station.waves.pds_csv import read_pds_csv, write_pds_csv

FREQ = np.array([c[0] for c in SURVEY_CHANNELS])
T0 = 1381276800.0  # 2013-10-09T00:00:00Z


def write(tmp_path, rows=5, name="WAV_2013282T000000_E_V02.CSV", power=None):
    p = np.full((rows, FREQ.size), 1.5e-15) if power is None else power
    return write_pds_csv(tmp_path / name, T0 + np.arange(rows) + 0.3, FREQ,
                         noise_bandwidths_hz(), p)


def test_layout_is_154_fields_and_channel_picked_by_header(tmp_path):
    power = np.tile(np.arange(1, FREQ.size + 1) * 1e-16, (4, 1))
    path = write(tmp_path, 4, power=power)
    lines = path.read_text().splitlines()
    assert len(lines) == 9
    assert all(len(line.split(",")) == 154 for line in lines[3:])
    assert lines[5].split(",")[1] == "2013-282T00:00:00.300"
    s = read_pds_csv(path, channels_hz=[28.5e6, 27.5e6, 29.5e6])
    assert s.freq_hz.tolist() == [28.5e6, 27.5e6, 29.5e6]
    assert s.power[0].tolist() == pytest.approx([114e-16, 113e-16, 115e-16])  # fields 141, 140, 142
    band = read_pds_csv(path, keep_hz=(3e6, 45e6))
    assert band.freq_hz.size == 38 and np.all(np.diff(band.freq_hz) > 0)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(1e-18, 1e-10)), min_size=3, max_size=3),
       st.integers(1, 6))
def test_round_trip_keeps_values_to_print_precision_and_missing_as_nan(tmp_path_factory, vals, n):
    tmp = tmp_path_factory.mktemp("rt")
    power = np.full((n, FREQ.size), 2e-15)
    cols = [112, 113, 114]  # spectral indexes of 27.5, 28.5, 29.5 MHz (fields 140-142)
    for j, v in zip(cols, vals, strict=True):
        power[:, j] = np.nan if v is None else v
    path = write(tmp, n, power=power)
    wanted = [f for f, v in zip((27.5e6, 28.5e6, 29.5e6), vals, strict=True) if v is not None]
    for f, v in zip((27.5e6, 28.5e6, 29.5e6), vals, strict=True):
        if v is None:
            with pytest.raises(WavesFormatError, match="no valid value"):
                read_pds_csv(path, channels_hz=[f])
    if not wanted:
        return
    got = load_waves(path, channels_hz=wanted)
    for j, v in enumerate(v for v in vals if v is not None):
        assert got.power[:, j] == pytest.approx(v, rel=1e-4)
    assert got.time_unix_s == pytest.approx(T0 + np.arange(n) + 0.3)


def test_gzip_and_folder_versions(tmp_path):
    (tmp_path / "2013270_CRUISE").mkdir()
    write(tmp_path / "2013270_CRUISE", 3, name="WAV_2013282T000000_E_V01.CSV")
    newer = write(tmp_path / "2013270_CRUISE", 4, name="WAV_2013282T000000_E_V02.CSV.gz")
    assert find_day_files(tmp_path, "2013-10-09") == [newer]
    assert sniff_format(newer) == "pds-csv"
    s = load_waves(tmp_path, channels_hz=[28.5e6], start_unix_s=T0, stop_unix_s=T0 + 10)
    assert s.time_unix_s.size == 4


def test_never_overwrites(tmp_path):
    path = write(tmp_path)
    before = path.read_bytes()
    with pytest.raises(RecordingExistsError):
        write(tmp_path)
    assert path.read_bytes() == before


def _corrupt(tmp_path, edit):
    lines = write(tmp_path, 4).read_text().splitlines()
    edit(lines)
    bad = tmp_path / "bad.CSV"
    bad.write_text("\r\n".join(lines) + "\r\n")
    return bad


def _field(lines, row, col, value):
    f = lines[row].split(",")
    f[col] = value
    lines[row] = ",".join(f)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda ls: ls.__delitem__(slice(2, 9)), "expected 5 header lines.*ends after 2"),
        (lambda ls: _field(ls, 3, 40, "abc"), "line 4, column 40: expected channel centre"),
        (lambda ls: _field(ls, 4, 30, "x"), "line 5, column 30: expected channel noise"),
        (lambda ls: ls.__setitem__(6, ls[6] + ",1e-15"), "line 7: expected 154 fields.*found 155"),
        (lambda ls: _field(ls, 7, 141, "1.2.3"), "line 8, column 141: expected a spectral"),
        (lambda ls: _field(ls, 5, 1, "2013-282T25:00:00.3"), "line 6, column 1: expected a SCET"),
        (lambda ls: _field(ls, 6, 1, "2013-282T00:00:00.300"), "line 7: duplicate time"),
        (lambda ls: _field(ls, 8, 1, "2013-282T00:00:00.000"), "line 9: non-increasing time"),
    ],
)
def test_bad_files_name_line_and_column(tmp_path, edit, match):
    with pytest.raises(WavesFormatError, match=match):
        read_pds_csv(_corrupt(tmp_path, edit), channels_hz=[28.5e6])


def test_all_fill_channel_and_empty_and_wrong_type(tmp_path):
    power = np.full((3, FREQ.size), 1e-15)
    power[:, 113] = 0.0
    with pytest.raises(WavesFormatError, match="28.5 MHz has no valid value.*fill"):
        read_pds_csv(write(tmp_path, 3, power=power), channels_hz=[28.5e6])
    empty = tmp_path / "e.CSV"
    empty.write_text("")
    with pytest.raises(WavesFormatError, match="is empty"):
        load_waves(empty)
    with pytest.raises(WavesFormatError, match="is not a Waves file"):
        other = tmp_path / "notes.txt"
        other.write_text("hello\nworld\n")
        load_waves(other)
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(WavesFormatError, match="binary file"):
        load_waves(binary)


@pytest.mark.parametrize("damage", ["cut short", "bad block", "bad after the header"])
def test_damaged_compressed_files_are_one_clear_error(tmp_path, runner, damage):
    import gzip

    from tests.station.helpers import assert_one_error_line, invoke

    plain = write(tmp_path, 400).read_bytes()
    packed = bytearray(gzip.compress(plain))
    if damage == "cut short":
        packed = packed[: len(packed) // 2]
    elif damage == "bad block":
        packed = packed[:10] + b"garbagegarbage"
    else:
        packed[len(packed) // 2 : len(packed) // 2 + 40] = b"\xff" * 40
    path = tmp_path / "WAV_2013282T000000_E_V02.CSV.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(WavesFormatError):
        load_waves(path)
    for args in (["waves", "inspect", str(path)],
                 ["waves", "analyze", str(path), "--schedule", "juno-2013-10-09"]):  # fmt: skip
        result = invoke(runner, *args)
        assert_one_error_line(result, path.name)
