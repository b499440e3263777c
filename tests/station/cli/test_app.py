import sys

import pytest

import station.cli
from station.cli import app, main
from station.errors import RecordingError
from tests.station.helpers import invoke


def test_help_lists_the_commands(runner):
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for command in (
        "encode", "decode", "detect", "demo", "schedule", "transmit", "log", "doctor",
        "replay", "capture", "recording",
    ):  # fmt: skip
        assert command in result.stdout


def test_version(runner):
    result = invoke(runner, "--version")
    assert result.exit_code == 0 and result.stdout.startswith("hi-station ")


def test_verbose_is_accepted(runner, tmp_path):
    result = invoke(runner, "-vv", "decode", tmp_path / "none.wav")
    assert result.exit_code == 2


def test_main_turns_station_errors_into_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["hi-station", "decode", str(tmp_path / "none.sigmf")])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert (
        captured.err.startswith("error: ") and "none.sigmf: no such SigMF archive" in captured.err
    )


def test_main_catches_errors_raised_outside_commands(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RecordingError("x.wav", "broken")

    monkeypatch.setattr(station.cli, "app", broken)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert capsys.readouterr().err == "error: x.wav: broken\n"


def test_other_exceptions_are_bugs_and_propagate(runner, monkeypatch, tmp_path):
    def bug(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("station.cli.decode.decode_file", bug)
    result = runner.invoke(app, ["decode", str(tmp_path / "x.wav")])
    assert isinstance(result.exception, RuntimeError)
    assert result.exit_code == 1
