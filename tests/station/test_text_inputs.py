"""Text inputs are bounded: devices, FIFOs and oversized files are one error line, at once."""

from __future__ import annotations

import os

import pytest

from tests.station.helpers import assert_one_error_line, invoke

COMMANDS = {
    "schedule show": (["schedule", "show"], "event file"),
    "log adif": (["log", "adif"], "TX log"),
    "waves inspect": (["waves", "inspect"], "Waves file"),
    "waves analyze": (["waves", "analyze"], "Waves file"),
}


@pytest.fixture(params=["device", "fifo"])
def not_a_file(request, tmp_path):
    if request.param == "device":
        return "/dev/zero"
    path = tmp_path / "pipe"
    os.mkfifo(path)  # opening it for reading would wait for a writer for ever
    return str(path)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_devices_and_fifos_are_refused_at_once(runner, not_a_file, command):
    args, what = COMMANDS[command]
    extra = ["--schedule", "juno-2013-10-09"] if command == "waves analyze" else []
    result = invoke(runner, *args, not_a_file, *extra)
    assert_one_error_line(result, "is not a regular file", f"give the {what} itself")


def test_an_event_file_larger_than_any_event_is_refused_unread(runner, tmp_path):
    path = tmp_path / "huge.toml"
    with open(path, "wb") as fh:
        fh.truncate(2 << 20)  # 2 MB of zeros, sparse
    result = invoke(runner, "schedule", "show", str(path))
    assert_one_error_line(result, "is 2097152 bytes, more than any event file")
    result = invoke(runner, "detect", str(path), "--schedule", str(path))
    assert result.exit_code == 2 and "Traceback" not in result.output
