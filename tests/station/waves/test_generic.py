"""Generic CSV/NPZ input: round trips, channel names, every layout break, no clobbering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.errors import RecordingExistsError, WavesFormatError
from station.waves.generic import (
    DEFAULT_UNITS,
    channel_freq_hz,
    read_generic,
    write_generic_csv,
    write_npz,
)
from station.waves.series import WavesSeries, parse_unix_s

T0 = parse_unix_s("2013-10-09T18:00:00Z")

# ------------------------------------------------------------------ round trips

_names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz_", min_size=1, max_size=8)
_power = st.one_of(st.floats(1e-30, 1e30), st.just(float("nan")))
_freq = st.one_of(st.floats(1.0, 1e11), st.just(float("nan")))
_bandwidth = st.one_of(st.floats(1e-3, 1e9), st.just(float("nan")))
_units = st.sampled_from(["V**2 m**-2 Hz**-1", DEFAULT_UNITS, "W", "dB re 1 count"])


@st.composite
def series(draw) -> WavesSeries:
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 4))
    start = draw(st.floats(0.0, 2.0e9))
    steps = draw(st.lists(st.floats(1e-3, 1e4), min_size=n - 1, max_size=n - 1))
    t = start + np.concatenate([[0.0], np.cumsum(steps)])
    power = np.array(draw(st.lists(_power, min_size=n * m, max_size=n * m))).reshape(n, m)
    for k in range(m):  # every channel needs one valid value (else: all-fill error)
        power[draw(st.integers(0, n - 1)), k] = draw(st.floats(1e-30, 1e30))
    return WavesSeries(
        time_unix_s=t,
        freq_hz=np.array(draw(st.lists(_freq, min_size=m, max_size=m))),
        bandwidth_hz=np.array(draw(st.lists(_bandwidth, min_size=m, max_size=m))),
        power=power,
        source="hypothesis",
        file_format="generic-csv",
        units=draw(_units),
        band=tuple(draw(st.lists(_names, min_size=m, max_size=m))),
    )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a, b, equal_nan=True)


_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(s=series())
def test_csv_round_trip_is_exact(tmp_path, s):
    back = read_generic(write_generic_csv(tmp_path / "s.csv", s, overwrite=True))
    assert back.file_format == "generic-csv"
    assert back.time_unix_s.tolist() == s.time_unix_s.tolist()
    assert _same(back.power, s.power)
    assert _same(back.freq_hz, s.freq_hz)
    assert _same(back.bandwidth_hz, s.bandwidth_hz)
    assert back.units == s.units
    expected = [
        b if np.isnan(f) else f"{float(f)!r}Hz" for f, b in zip(s.freq_hz, s.band, strict=True)
    ]
    assert list(back.band) == expected
    again = read_generic(write_generic_csv(tmp_path / "s2.csv", back, overwrite=True))
    assert again.band == back.band  # a generic series keeps its own column names


@_settings
@given(s=series())
def test_csv_round_trip_with_iso_times(tmp_path, s):
    back = read_generic(write_generic_csv(tmp_path / "s.csv", s, overwrite=True, iso_time=True))
    np.testing.assert_allclose(back.time_unix_s, s.time_unix_s, rtol=0, atol=1e-6)
    assert _same(back.power, s.power)


@_settings
@given(s=series())
def test_npz_round_trip_is_exact(tmp_path, s):
    back = read_generic(write_npz(tmp_path / "s.npz", s, overwrite=True))
    assert back.file_format == "npz"
    assert back.time_unix_s.tolist() == s.time_unix_s.tolist()
    assert _same(back.power, s.power)
    assert _same(back.freq_hz, s.freq_hz)
    assert _same(back.bandwidth_hz, s.bandwidth_hz)
    assert back.units == s.units and back.band == s.band


# ------------------------------------------------------------- what a CSV may say


def test_channel_headers():
    for name in ("28.5MHz", "28500kHz", "28500000Hz", "28.5e6", "28.5 MHz", "28.5mhz"):
        assert channel_freq_hz(name) == 28.5e6, name
    for name in ("agc", "ch1", "MHz", "", "28.5 MHz wide"):
        assert np.isnan(channel_freq_hz(name)), name


def _csv(tmp_path: Path, text: str, name: str = "rx.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_reads_names_units_and_missing_values(tmp_path):
    path = _csv(
        tmp_path,
        "# a receiver log\n# units: W\n"
        "time_utc,28.5MHz,29500kHz,agc\n"
        "2013-10-09T18:00:00Z,1e-15,,3\n"
        "2013-10-09T18:00:01+00:00,0,2e-15,-1\n"
        "\n",
    )
    s = read_generic(path)
    assert s.band == ("28.5MHz", "29500kHz", "agc")
    assert _same(s.freq_hz, np.array([28.5e6, 29.5e6, np.nan]))
    assert np.isnan(s.bandwidth_hz).all() and s.units == "W"
    assert s.time_unix_s.tolist() == [T0, T0 + 1]
    assert _same(s.power, np.array([[1e-15, np.nan, 3.0], [np.nan, 2e-15, np.nan]]))


def test_csv_unix_seconds_and_default_units(tmp_path):
    s = read_generic(_csv(tmp_path, "time_unix_s,28.5e6\n1381341600,1\n1381341600.5,2\n"))
    assert s.time_unix_s.tolist() == [T0, T0 + 0.5] and s.units == DEFAULT_UNITS


def _error(path: Path, *fragments: str) -> str:
    with pytest.raises(WavesFormatError) as info:
        read_generic(path)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


GOOD = "time_utc,28.5MHz,agc\n2013-10-09T18:00:00Z,1,2\n2013-10-09T18:00:01Z,1,2\n"


def test_csv_wrong_number_of_columns(tmp_path):
    path = _csv(tmp_path, GOOD + "2013-10-09T18:00:02Z,1\n")
    _error(path, "line 4:", "expected 3 columns", "found 2")


def test_csv_non_numeric_value(tmp_path):
    path = _csv(tmp_path, GOOD.replace(",1,2\n2013", ",1,2x\n2013"))
    _error(path, "line 2, column 2:", "'2x' is not a number")


def test_csv_bad_and_naive_times(tmp_path):
    _error(
        _csv(tmp_path, GOOD.replace("10-09T18:00:01Z", "13-09T18:00:01Z")),
        "line 3, column 0:",
        "bad time",
    )
    _error(_csv(tmp_path, GOOD.replace("18:00:01Z", "18:00:01")), "line 3, column 0:", "UTC")
    _error(_csv(tmp_path, GOOD.replace("18:00:01Z", "18:00:01+02:00")), "line 3, column 0:")
    unix = "time_unix_s,28.5MHz\n1,1\nnan,1\n"
    _error(_csv(tmp_path, unix), "line 3, column 0:", "unix seconds")


def test_csv_duplicate_and_decreasing_times(tmp_path):
    dup = GOOD.replace("18:00:01Z", "18:00:00Z")
    _error(_csv(tmp_path, dup), "line 3:", "duplicate time", "same as line 2")
    back = GOOD + "2013-10-09T17:59:00Z,1,2\n"
    _error(_csv(tmp_path, back), "line 4:", "non-increasing time", "after line 3")


def test_csv_header_missing(tmp_path):
    _error(_csv(tmp_path, "# only comments\n"), "header missing")
    _error(_csv(tmp_path, GOOD.split("\n", 1)[1]), "line 1:", "header missing")
    _error(_csv(tmp_path, "1381341600,1\n1381341601,2\n"), "line 1:", "header missing")
    _error(_csv(tmp_path, "time_utc\n2013-10-09T18:00:00Z\n"), "line 1:", "no channel column")
    _error(_csv(tmp_path, "time_utc,28.5MHz\n"), "line 1:", "no data rows")


def test_csv_all_fill_column(tmp_path):
    path = _csv(
        tmp_path, "# units: W\n" + GOOD.replace(",1,", ",,").replace("18:00:01Z,,", "18:00:01Z,0,")
    )
    _error(path, "line 2, column 1:", "no valid values in channel '28.5MHz'", "all-fill")


def test_csv_bandwidth_comment(tmp_path):
    s = read_generic(_csv(tmp_path, "# bandwidth_hz: 1e6, nan\n" + GOOD))
    assert _same(s.bandwidth_hz, np.array([1e6, np.nan]))
    _error(_csv(tmp_path, "# bandwidth_hz: 1e6\n" + GOOD), "line 1:", "expected 2")
    _error(_csv(tmp_path, "# bandwidth_hz: wide\n" + GOOD), "line 1:", "not a comma-separated")


# ------------------------------------------------------------------------ NPZ


def _npz(tmp_path: Path, **arrays) -> Path:
    path = tmp_path / "rx.npz"
    np.savez(path, **arrays)
    return path


def test_npz_time_utc_forms_and_defaults(tmp_path):
    stamps = np.array(["2013-10-09T18:00:00", "2013-10-09T18:00:00.5"], dtype="datetime64[ms]")
    s = read_generic(_npz(tmp_path, time_utc=stamps, power=np.array([1.0, 0.0])))
    assert s.time_unix_s.tolist() == [T0, T0 + 0.5]
    assert s.power.shape == (2, 1) and np.isnan(s.power[1, 0])
    assert s.units == DEFAULT_UNITS and s.band == ("ch0",) and np.isnan(s.freq_hz[0])
    iso = np.array(["2013-10-09T18:00:00Z", "2013-10-09T18:00:01+00:00"])
    s = read_generic(_npz(tmp_path, time_utc=iso, power=np.ones((2, 2)), freq_hz=[28.5e6, 1e6]))
    assert s.time_unix_s.tolist() == [T0, T0 + 1] and s.band == ("28.5MHz", "1MHz")


def test_npz_layout_breaks(tmp_path):
    t = np.array([0.0, 1.0, 2.0])
    _error(_npz(tmp_path, power=np.ones(3)), "no time array", "'time_unix_s'")
    _error(_npz(tmp_path, time_unix_s=t), "array 'power' is missing", "(3,) or (3, m)")
    _error(_npz(tmp_path, time_unix_s=t, power=np.ones((2, 2))), "array 'power' has shape (2, 2)",
           "expected (3,) or (3, m)")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=t, power=np.ones((3, 2)), freq_hz=np.ones(3)),
           "array 'freq_hz' has shape (3,)", "expected (2,)")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=t, power=np.ones((3, 2)), bandwidth_hz=np.ones((2, 1))),
           "array 'bandwidth_hz' has shape (2, 1)", "expected (2,)")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=t, power=np.ones(3), units=np.array(["W", "V"])),
           "array 'units'", "0-d string")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=t, power=np.ones(3), band=np.array(["a", "b"])),
           "array 'band' has shape (2,)", "expected (1,)")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=t.reshape(3, 1), power=np.ones(3)),
           "array 'time_unix_s' has shape (3, 1)", "expected (n,)")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=np.array([0.0, 1.0, 1.0]), power=np.ones(3)),
           "array 'time_unix_s': element 2", "strictly increasing")  # fmt: skip
    _error(_npz(tmp_path, time_utc=np.array(["2013-10-09T18:00:00"]), power=np.ones(1)),
           "array 'time_utc'", "UTC")  # fmt: skip
    _error(_npz(tmp_path, time_unix_s=t, power=np.array([np.nan, 0.0, -1.0])),
           "no valid values in channel 'ch0'", "all-fill")  # fmt: skip
    (tmp_path / "o.npz").write_text("time_utc,x\n")
    _error(tmp_path / "o.npz", "not an NPZ archive")


def test_npz_object_arrays_are_refused(tmp_path):
    path = tmp_path / "o.npz"
    np.savez(path, time_utc=np.array(["2013-10-09T18:00:00Z"], dtype=object), power=np.ones(1))
    _error(path, "Python objects", "unicode")


# --------------------------------------------------------------------- writing


@pytest.mark.parametrize("writer", [write_generic_csv, write_npz])
def test_no_overwrite_without_overwrite_true(tmp_path, writer):
    s = read_generic(_csv(tmp_path, GOOD))
    target = tmp_path / ("out.npz" if writer is write_npz else "out.csv")
    target.write_bytes(b"keep me")
    with pytest.raises(RecordingExistsError, match="overwrite"):
        writer(target, s)
    assert target.read_bytes() == b"keep me"
    assert writer(target, s, overwrite=True) == target
    assert _same(read_generic(target).power, s.power)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out." + target.suffix[1:], "rx.csv"]
