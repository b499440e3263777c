"""das2 stream reader: the real Juno Waves sample, exact values, every layout break."""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from station.errors import InputError, WavesFormatError
from station.waves.das2 import read_das2, read_das2_channels
from station.waves.series import PSD_UNITS, parse_unix_s

DATA = Path(__file__).parent / "data"
EXCERPT = DATA / "juno_waves_excerpt_2017-01-01.d2t"
SAMPLE = Path("/work/shared/data/juno_waves_sample_2017-01-01.d2t")
FIVE_LEVELS = [9.384e-16, 1.277e-15, 1.668e-15, 2.112e-15, 2.607e-15]


def _full_sample() -> Path:
    if not SAMPLE.exists():
        pytest.skip(f"full das2C sample not present at {SAMPLE} (see tests/station/waves/data)")
    return SAMPLE


def _by_regex(path: Path, packet: str) -> tuple[list[str], list[list[str]]]:
    """Times and value texts of ':NN:' rows, parsed independently of the reader."""
    times, rows = [], []
    for line in path.read_text().splitlines():
        m = re.match(rf":{packet}:(\S+)((?:\s+\S+)+)\s*$", line)
        if m:
            times.append(m.group(1))
            rows.append(m.group(2).split())
    return times, rows


# ---------------------------------------------------------------- the real sample


def test_excerpt_has_four_bands_of_sixty_rows():
    bands = read_das2(EXCERPT)
    assert [s.band[0] for s in bands] == ["LFRL", "LFRH", "HFRL", "HFRH"]
    assert [s.power.shape for s in bands] == [(60, 43), (60, 18), (60, 27), (60, 38)]
    for s in bands:
        assert s.file_format == "das2"
        assert s.units == PSD_UNITS
        assert np.isnan(s.bandwidth_hz).all()
        assert set(s.band) == {s.band[0]}
        assert s.cadence_s == pytest.approx(1.0)
    assert bands[0].freq_hz[0] == 48.83 and bands[1].freq_hz[-1] == 1.415e5


def test_full_sample_has_300_rows_per_band():
    bands = read_das2(_full_sample())
    assert [s.power.shape for s in bands] == [(300, 43), (300, 18), (300, 27), (300, 38)]
    assert bands[3].stop_utc.isoformat() == "2017-01-01T00:04:59.300000+00:00"


def test_hfrh_times_are_at_point_three_seconds():
    hfrh = read_das2(EXCERPT)[3]
    assert hfrh.time_unix_s[0] == parse_unix_s("2017-01-01T00:00:00.3Z")
    np.testing.assert_allclose(hfrh.time_unix_s - hfrh.time_unix_s[0], np.arange(60.0))
    assert np.all(np.round(hfrh.time_unix_s % 1.0, 6) == 0.3)


def test_hfrh_channel_25_is_28_5_mhz():
    hfrh = read_das2(EXCERPT)[3]
    assert hfrh.freq_hz[25] == 28.5e6
    assert hfrh.channel_index(28.5e6) == 25
    np.testing.assert_allclose(hfrh.freq_hz, 3.5e6 + 1e6 * np.arange(38))


@pytest.mark.parametrize("which", ["excerpt", "full"])
def test_every_value_equals_the_float_of_the_file_text(which):
    path = EXCERPT if which == "excerpt" else _full_sample()
    for series, packet in zip(read_das2(path), ["10", "20", "30", "40"], strict=True):
        times, rows = _by_regex(path, packet)
        assert len(rows) == len(series.time_unix_s)
        expected = np.array([[float(v) for v in row] for row in rows])
        assert np.array_equal(series.power, expected)  # exact, and no value was <= 0
        assert series.time_unix_s.tolist() == [parse_unix_s(t) for t in times]
    hfrh = read_das2(path)[3]
    _, rows = _by_regex(path, "40")
    assert hfrh.column(28.5e6).tolist() == [float(row[25]) for row in rows]


def test_28_5_mhz_channel_takes_five_levels():
    column = read_das2(_full_sample())[3].column(28.5e6)
    assert sorted(set(column.tolist())) == FIVE_LEVELS
    assert np.median(column) == 1.277e-15
    excerpt = read_das2(EXCERPT)[3].column(28.5e6)
    assert set(excerpt.tolist()) <= set(FIVE_LEVELS) and np.median(excerpt) == 1.277e-15


def test_channels_within_one_band_and_across_bands():
    same = read_das2_channels(EXCERPT, [27.5e6, 28.5e6, 29.5e6])
    hfrh = read_das2(EXCERPT)[3]
    assert same.band == ("HFRH",) * 3
    assert np.array_equal(same.power, hfrh.power[:, 24:27])
    assert np.array_equal(same.time_unix_s, hfrh.time_unix_s)
    mixed = read_das2_channels(EXCERPT, [28.5e6, 1.0e6, 50e3])
    hfrl = read_das2(EXCERPT)[2]
    assert mixed.band == ("HFRH", "HFRL", "LFRH")
    assert mixed.freq_hz.tolist() == [28.5e6, 1.002e6, 5.017e4]
    assert np.array_equal(mixed.time_unix_s, hfrh.time_unix_s)
    # HFRL rows are 0.0-0.1 s before the HFRH rows: each HFRH row takes its own second
    assert np.array_equal(mixed.power[:, 1], hfrl.column(1.0e6))
    with pytest.raises(InputError, match="100 MHz"):
        read_das2_channels(EXCERPT, [100e6])


def test_gzip_and_comments_are_transparent(tmp_path):
    gz = tmp_path / "x.d2t.gz"
    gz.write_bytes(gzip.compress(EXCERPT.read_bytes()))
    assert np.array_equal(read_das2(gz)[3].power, read_das2(EXCERPT)[3].power)
    text = EXCERPT.read_text()
    at = text.index("[10]")
    comment = '<comment type="taskProgress" value="10" source="test"/>\n'
    with_comment = tmp_path / "c.d2t"
    with_comment.write_text(text[:at] + _hdr("xx", comment) + text[at:])
    assert np.array_equal(read_das2(with_comment)[0].power, read_das2(EXCERPT)[0].power)


# ------------------------------------------------------------ small synthetic streams

STREAM = '[00]000029<stream compression="none"/>\n'
YSCAN = (
    '<packet><x type="time22" units="us2000"/><yscan name="s" type="ascii11" nitems="3" '
    'yUnits="Hz" zUnits="V**2 m**-2 Hz**-1" yTags="2.75e7,2.85e7,2.95e7"><properties '
    'String:zSummary="Amplitudes from the HFRH Receiver Band"/></yscan></packet>\n'
)


def _hdr(ident: str, xml: str) -> str:
    return f"[{ident}]{len(xml):06d}{xml}"


def _row(ident: str, time: str, values) -> str:
    fields = [f"{v:>10}" for v in values]
    return f":{ident}:{time:<22}" + " ".join(fields) + "\n"


def _stream(tmp_path: Path, *rows: str, header: str = YSCAN, ident: str = "40") -> Path:
    path = tmp_path / "s.d2t"
    path.write_text(STREAM + _hdr(ident, header) + "".join(rows))
    return path


def _good_rows(n: int = 3) -> list[str]:
    return [
        _row("40", f"2017-01-01T00:00:0{k}.3", ["6.517e-16", "2.112e-15", "1.277e-15"])
        for k in range(n)
    ]


def _error(path: Path, *fragments: str, reader=read_das2) -> WavesFormatError:
    with pytest.raises(WavesFormatError) as info:
        reader(path)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return info.value


def test_small_stream_reads(tmp_path):
    (s,) = read_das2(_stream(tmp_path, *_good_rows()))
    assert s.band == ("HFRH",) * 3 and s.freq_hz.tolist() == [2.75e7, 2.85e7, 2.95e7]
    assert s.power[:, 1].tolist() == [2.112e-15] * 3


def test_last_row_without_final_newline(tmp_path):
    path = _stream(tmp_path, *_good_rows())
    path.write_bytes(path.read_bytes()[:-1])
    assert read_das2(path)[0].power.shape == (3, 3)


def test_not_a_das2_stream(tmp_path):
    path = tmp_path / "x.d2t"
    path.write_text("time_utc,28.5MHz\n")
    _error(path, "line 1:", "not a das2 stream", "'[00]'")


def test_truncated_header(tmp_path):
    full = _stream(tmp_path, *_good_rows()).read_text()
    (tmp_path / "t.d2t").write_text(full[: full.index("<yscan")])
    _error(tmp_path / "t.d2t", "line 2:", "truncated header [40]", "remain")
    (tmp_path / "u.d2t").write_text(full[: full.index("[40]") + 7])
    _error(tmp_path / "u.d2t", "line 2:", "truncated header [40]")


def test_bad_length_field(tmp_path):
    path = _stream(tmp_path, *_good_rows())
    path.write_text(path.read_text().replace("[40]000", "[40]0x0"))
    _error(path, "line 2:", "bad length field", "6 digits")


def test_xml_that_does_not_parse(tmp_path):
    broken = YSCAN.replace("</yscan>", "</yscam>")
    _error(_stream(tmp_path, *_good_rows(), header=broken), "line 2:", "does not parse")


def test_data_packet_without_header(tmp_path):
    rows = _good_rows()
    rows.insert(1, _row("50", "2017-01-01T00:00:00.5", ["1e-15"] * 3))
    _error(_stream(tmp_path, *rows), "line 4:", ":50: has no header", "[50]")


def test_row_with_one_value_missing_in_the_real_excerpt(tmp_path):
    lines = EXCERPT.read_text().splitlines(keepends=True)
    k = next(i for i, line in enumerate(lines) if line.startswith(":40:2017-01-01T00:00:10"))
    lines[k] = lines[k][:-12] + "\n"  # drop the last 11-character field
    path = tmp_path / "x.d2t"
    path.write_text("".join(lines))
    _error(path, f"line {k + 1}:", "expected 38 values, found 37")


def test_last_row_with_a_value_missing(tmp_path):
    rows = _good_rows()
    rows[2] = rows[2][:-12] + "\n"
    _error(_stream(tmp_path, *rows), "line 5:", "expected 3 values, found 2")


def test_row_with_a_value_too_many(tmp_path):
    rows = _good_rows()
    rows[2] = rows[2][:-1] + "  1.000e-15\n"
    _error(_stream(tmp_path, *rows), "line 5:", "expected 3 values, found 4")


def test_row_with_a_value_wider_than_declared(tmp_path):
    rows = _good_rows()
    rows[1] = rows[1].replace("2.112e-15", "2.11200e-15")
    _error(_stream(tmp_path, *rows), "line 4:", "declares 55", "declared width")


def test_non_numeric_value(tmp_path):
    rows = _good_rows()
    rows[1] = rows[1].replace("2.112e-15", "2.1x2e-15")
    _error(
        _stream(tmp_path, *rows), "line 4, column 2:", "'2.1x2e-15' is not a number", "2.85e+07 Hz"
    )


def test_bad_time(tmp_path):
    rows = _good_rows()
    rows[2] = rows[2].replace("2017-01-01", "2017-13-01")
    _error(_stream(tmp_path, *rows), "line 5, column 0:", "bad time '2017-13-01T00:00:02.3'")


def test_duplicate_and_decreasing_times(tmp_path):
    rows = _good_rows()
    rows[2] = rows[1]
    _error(_stream(tmp_path, *rows), "line 5:", "duplicate time", "same as line 4")
    rows = _good_rows()
    rows[1], rows[2] = rows[2], rows[1]
    _error(_stream(tmp_path, *rows), "line 5:", "non-increasing time", "after line 4")


def test_all_fill_data(tmp_path):
    rows = [_row("40", f"2017-01-01T00:00:0{k}.3", ["0.0", "-1e31", "0"]) for k in range(3)]
    path = _stream(tmp_path, *rows)
    _error(path, "line 3:", "no valid values in any channel of packet :40:", "all-fill")
    rows[0] = _row("40", "2017-01-01T00:00:00.3", ["0.0", "2.1e-15", "0"])
    _error(
        _stream(tmp_path, *rows),
        "no valid values in channel 29.5 MHz",
        "all-fill",
        reader=lambda p: read_das2_channels(p, [29.5e6]),
    )
    assert read_das2_channels(path.parent / "s.d2t", [28.5e6]).power[0, 0] == 2.1e-15


def test_exception_packet(tmp_path):
    exc = '<exception type="NoDataInInterval" message="no Waves data for this time"/>\n'
    path = tmp_path / "x.d2t"
    path.write_text(STREAM + _hdr("xx", exc))
    _error(path, "line 2:", "das2 exception NoDataInInterval: no Waves data for this time")


def test_compressed_stream(tmp_path):
    path = tmp_path / "x.d2t"
    stream = '<stream compression="deflate"/>\n'
    path.write_bytes(_hdr("00", stream).encode() + zlib.compress(_hdr("40", YSCAN).encode()))
    _error(path, "line 1:", 'compression="deflate"', "not supported")


def test_unsupported_plane_type(tmp_path):
    header = YSCAN.replace('type="ascii11"', 'type="byte"')
    _error(_stream(tmp_path, header=header), "line 2:", "data type 'byte' is not supported")


def test_ytags_count_must_match_nitems(tmp_path):
    header = YSCAN.replace('nitems="3"', 'nitems="4"')
    _error(_stream(tmp_path, header=header), "line 2:", "yTags lists 3 frequencies", "nitems=4")


def test_garbage_between_packets(tmp_path):
    path = tmp_path / "x.d2t"
    path.write_text(STREAM + "hello\n")
    _error(path, "line 2:", "expected a packet tag", "after header [00]")


# ------------------------------------------------------------ other legitimate layouts


def test_ytag_min_interval_in_khz_and_y_planes(tmp_path):
    header = (
        '<packet><x type="time24" units="us2000"/>'
        '<yscan type="ascii10" nitems="2" yTagMin="28000" yTagInterval="500" yUnits="kHz" '
        'zUnits="V**2 m**-2 Hz**-1"/><y name="agc" type="ascii10" '
        'units="V**2 m**-2 Hz**-1"/></packet>'
    )
    row = ":10:" + "2017-001T00:00:00.300".ljust(24) + " 1.00e-15  2.00e-15  3.00e-15\n"
    (s,) = read_das2(_stream(tmp_path, row, header=header, ident="10"))
    assert s.freq_hz[:2].tolist() == [28.0e6, 28.5e6] and np.isnan(s.freq_hz[2])
    assert s.band == ("P10", "P10", "agc")
    assert s.time_unix_s[0] == parse_unix_s("2017-01-01T00:00:00.3Z")
    assert s.power.tolist() == [[1e-15, 2e-15, 3e-15]]


def test_binary_planes_little_and_big_endian(tmp_path):
    header = (
        '<packet><x type="sun_real8" units="us2000"/><yscan type="little_endian_real4" '
        'nitems="2" yTags="27.5,28.5" yUnits="MHz" zUnits="V**2 m**-2 Hz**-1">'
        '<properties double:zFill="1e30"/></yscan></packet>'
    )
    t0_us = (parse_unix_s("2017-01-01T00:00:00.3Z") - 946684800.0) * 1e6
    packets = b"".join(
        b":20:" + struct.pack(">d", t0_us + k * 1e6) + struct.pack("<2f", 1e-15 * (k + 1), 1e30)
        for k in range(3)
    )
    path = tmp_path / "b.d2s"
    path.write_bytes((STREAM + _hdr("20", header)).encode() + packets)
    (s,) = read_das2(path)
    assert s.freq_hz.tolist() == [27.5e6, 28.5e6]
    assert s.power[:, 0].tolist() == [float(np.float32(1e-15 * (k + 1))) for k in range(3)]
    assert np.isnan(s.power[:, 1]).all()
    np.testing.assert_allclose(
        s.time_unix_s - parse_unix_s("2017-01-01T00:00:00.3Z"), [0, 1, 2], atol=1e-6
    )
    path.write_bytes(path.read_bytes()[:-3])
    _error(path, "truncated data packet :20:", "13 of 16 bytes")


def test_analyze_of_a_file_outside_the_event_is_one_clear_error(runner):
    from tests.station.helpers import assert_one_error_line, invoke

    result = invoke(runner, "waves", "analyze", str(EXCERPT), "--schedule", "juno-2013-10-09")
    assert_one_error_line(result, "no sample of the file lies in the event's time",
                          "waves inspect")  # fmt: skip
