"""Issue 13, findings 9 and 10: malformed metadata and arguments are one error line.

The corpus (tests/station/corpus) holds these and many more; these are the named ones,
checked where they are judged: SigMF metadata by :func:`station.recording.sigmf.open_sigmf`
(and replay's :class:`station.sdr.filesource.FileSource`, which must judge alike),
event files by :func:`station.schedule.event.load_event`, command-line mistakes by the
CLI's one-line reporting.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from station.errors import RecordingError, ScheduleError, StationError
from station.recording import open_sigmf, write_sigmf
from station.schedule.event import load_event
from station.sdr.filesource import FileSource
from tests.station.corpus.base import event_text
from tests.station.helpers import assert_one_error_line, invoke

BIG = "1" + "0" * 4999


def _pair(tmp_path):
    x = np.exp(2j * np.pi * 10 * np.arange(1000) / 500).astype(np.complex64)
    return write_sigmf(tmp_path / "cap", x, 500.0, center_freq_hz=28.4e6)


def _edit(meta, edit):
    doc = json.loads(meta.read_text())
    edit(doc)
    meta.write_text(json.dumps(doc))


def _both_refuse(meta, fragment):
    """decode's reader and replay's reader refuse the file with the same message."""
    with pytest.raises(RecordingError, match=fragment) as decode_err:
        open_sigmf(meta)
    with pytest.raises(RecordingError, match=fragment) as replay_err:
        FileSource(meta, verify_checksum=True).open()
    assert str(decode_err.value) == str(replay_err.value)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda m: m.update({"global": "x"}), '"global" is'),
        (lambda m: m["global"].update({"core:datatype": 123}), "core:datatype=123"),
        (lambda m: m["global"].update({"core:num_channels": 0}), "core:num_channels=0"),
        (lambda m: m["captures"][0].update({"core:frequency": "abc"}), "core:frequency='abc'"),
        (lambda m: m["captures"][0].update({"core:datetime": "9999-12-31T23:59:59Z"}),
         "years 1900-2999"),
        (lambda m: m["global"].update({"core:sample_rate": 1e-300}), "core:sample_rate=1e-300"),
        (lambda m: m["global"].update({"core:sample_rate": 1e300}), "core:sample_rate=1e"),
        (lambda m: m["global"].update({"core:sample_rate": True}), "core:sample_rate=True"),
        (lambda m: m["captures"].append(7), '"captures" must be'),
    ],
)  # fmt: skip
def test_malformed_sigmf_fields_are_refused_by_both_readers(tmp_path, edit, fragment):
    meta = _pair(tmp_path)
    _edit(meta, edit)
    _both_refuse(meta, fragment)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"global": ' + "[" * 200_000 + "]" * 200_000 + "}", "nested too deeply"),
        (None, "too many digits"),
    ],
)
def test_deep_json_and_huge_integers_are_refused(tmp_path, text, fragment):
    meta = _pair(tmp_path)
    if text is None:
        text = meta.read_text().replace('"core:sample_rate": 500.0', f'"core:sample_rate": {BIG}')
    meta.write_text(text)
    _both_refuse(meta, fragment)


def test_replay_checks_the_checksum_as_decode_does(tmp_path, runner):
    meta = _pair(tmp_path)
    _edit(meta, lambda m: m["global"].update({"core:sha512": "0" * 128}))
    _both_refuse(meta, "checksum does not match")
    assert_one_error_line(invoke(runner, "replay", meta), "checksum does not match")
    assert_one_error_line(invoke(runner, "decode", meta), "checksum does not match")


@pytest.mark.parametrize(
    ("overrides", "extra", "fragment"),
    [
        ({"round_period_s": "1e308"}, "", "event.round_period_s"),
        ({"start_utc": "9999-12-31T23:59:59Z"}, "", "years 1900-2999"),
        ({"dit_s": BIG}, "", "too many digits"),
        ({}, f"big = {BIG}\n", "too many digits"),
        ({}, "deep = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
    ],
)
def test_malformed_event_files_are_one_schedule_error(tmp_path, overrides, extra, fragment):
    path = tmp_path / "e.toml"
    path.write_text(event_text(overrides, extra))
    with pytest.raises(ScheduleError, match=fragment):
        load_event(path)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["encode", "HI", "--out", "x.wav", "--dit-s", "abc"], ["'--dit-s'", "'abc'"]),
        (["decode"], ["Missing argument 'file'"]),
        (["frobnicate"], ["No such command 'frobnicate'"]),
        (["--nope"], ["No such option: --nope"]),
        (["detect", "x", "--dit-s"], ["'--dit-s' requires an argument"]),
        (["decode", "x", "--search-hz", "1e-308"], ["--search-hz=1e-308"]),
        (["detect", "x", "--start-offset-s", "1e308"], ["--start-offset-s=1e+308"]),
    ],
)
def test_command_line_mistakes_are_one_error_line(runner, tmp_path, monkeypatch, args, fragments):
    monkeypatch.chdir(tmp_path)
    line = assert_one_error_line(invoke(runner, *args), *fragments)
    assert "╭" not in line and "Usage" not in line
    assert list(tmp_path.iterdir()) == []


def test_a_path_too_long_is_one_error_line(runner, tmp_path):
    assert_one_error_line(invoke(runner, "schedule", "show", str(tmp_path / ("x" * 300))),
                          "file name too long")  # fmt: skip


def test_every_error_is_a_station_error():
    assert issubclass(RecordingError, StationError) and issubclass(ScheduleError, StationError)
