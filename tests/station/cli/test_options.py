"""One option vocabulary across every command (issue 15).

Flags show no value placeholder; ``--overwrite`` is one bare flag; the old spellings
(:data:`station.cli._common.ALIASES`) still work, hidden from ``--help``, and errors
name the option as typed; output folders that do not exist yet are created, never
overwriting anything.
"""

from __future__ import annotations

import re

import pytest
import typer.main

from station.cli import app
from station.cli._common import ALIASES, unalias
from station.demo import shipped_recording
from tests.station.helpers import assert_one_error_line, invoke, snapshot


def _commands(group=None, path=()):
    """(path, click command) of every command and group below ``hi-station``."""
    group = group or typer.main.get_command(app)
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))


COMMANDS = {" ".join(path): command for path, command in _commands()}


def _mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


@pytest.mark.parametrize("path", ["", *COMMANDS])
def test_help_shows_no_bool_placeholder(runner, path):
    result = invoke(runner, *path.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    assert "<bool>" not in result.stdout and "BOOLEAN" not in result.stdout


@pytest.mark.parametrize("path", [p for p, c in COMMANDS.items() if not hasattr(c, "commands")])
def test_overwrite_is_one_bare_flag(runner, path):
    options = {o: p for p in COMMANDS[path].params for o in getattr(p, "opts", ())}
    if "--overwrite" not in options:
        return
    param = options["--overwrite"]
    assert param.is_flag and not param.secondary_opts, path
    assert not _mentions(invoke(runner, *path.split(), "--help").stdout, "--no-overwrite")


def test_the_alias_table_names_real_commands_and_options():
    for path, table in ALIASES.items():
        command = COMMANDS[path]
        options = {o for p in command.params for o in getattr(p, "opts", ())}
        for old, new in table.items():
            assert old not in options, (path, old)  # hidden: not an option at all
            assert (new or "--" + old.removeprefix("--no-")) in options, (path, old, new)


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [(p, o, n) for p, t in ALIASES.items() for o, n in t.items()],
)
def test_old_spellings_are_hidden_from_help(runner, path, old, new):
    text = invoke(runner, *path.split(), "--help").stdout
    assert not _mentions(text, old), (path, old)
    if new is not None:
        assert _mentions(text, new), (path, new)


#: A command line of each command with an aliased option (the value goes last).
BASE = {
    "capture": ["capture", "--source", "synthetic", "--freq-mhz", "28.3", "--out", "{d}/c"],
    "replay": ["replay", "x.cu8"],
    "decode": ["decode", "x.wav"],
    "detect": ["detect", "x.wav"],
    "schedule new": ["schedule", "new", "--out", "{d}/p.toml"],
}
#: Bad values that fail before any file is read: the error names the option typed.
BAD = {"--rate-hz": "abc", "--center-hz": "abc", "--start": "noon", "--until": "noon"}


@pytest.mark.parametrize(
    ("path", "old"),
    [(p, o) for p, t in ALIASES.items() for o, n in t.items() if n is not None],
)
def test_old_spellings_still_work_and_errors_name_them(runner, tmp_path, path, old):
    base = [a.replace("{d}", str(tmp_path)) for a in BASE[path]]
    new = ALIASES[path][old]
    for typed in (old, new):
        line = assert_one_error_line(invoke(runner, *base, typed, BAD[old]))
        assert _mentions(line, typed), line
        assert typed == new or not _mentions(line, new), line
        line = assert_one_error_line(invoke(runner, *base, f"{typed}={BAD[old]}"))
        assert _mentions(line, typed), line


def test_unalias_replaces_only_the_command_s_own_old_spellings():
    assert unalias("detect", ["f", "--start", "T", "--center-hz=5", "--", "--start"]) == (
        ["f", "--start-utc", "T", "--offset-hz=5", "--", "--start"],
        {"--start-utc": "--start", "--offset-hz": "--center-hz"},
    )
    assert unalias("encode", ["HI", "--start", "T"]) == (["HI", "--start", "T"], {})
    assert unalias("encode", ["HI", "--overwrite", "--no-overwrite"]) == (["HI"], {})
    assert unalias("encode", ["HI", "--no-overwrite", "--overwrite"]) == (["HI", "--overwrite"], {})


def test_no_overwrite_still_means_do_not_overwrite(runner, tmp_path):
    args = ["schedule", "new", "--out", tmp_path / "p.toml", "--start-utc", "2030-01-01T10:00Z"]
    assert invoke(runner, *args, "--no-overwrite").exit_code == 0
    before = snapshot(tmp_path)
    assert_one_error_line(invoke(runner, *args, "--no-overwrite"), "already exists")
    assert_one_error_line(invoke(runner, *args, "--overwrite", "--no-overwrite"), "already exists")
    assert snapshot(tmp_path) == before
    assert invoke(runner, *args, "--no-overwrite", "--overwrite").exit_code == 0


def test_library_errors_name_the_options(runner, tmp_path):
    raw = tmp_path / "x.cu8"
    raw.write_bytes(bytes(4000))
    line = assert_one_error_line(invoke(runner, "replay", raw, "--center-mhz", "28.4"))
    assert "--sample-rate-hz" in line and "sample_rate_hz" not in line
    line = assert_one_error_line(invoke(runner, "replay", raw, "--sample-rate-hz", "500",
                                        "--center-mhz", "nan"))  # fmt: skip
    assert "--center-mhz=nan" in line and "center_freq_hz" not in line
    line = assert_one_error_line(invoke(runner, "replay", raw, "--rate-hz", "nan",
                                        "--center-mhz", "28.4"))  # fmt: skip
    assert "--rate-hz=nan" in line


def test_replay_creates_the_grab_folder_and_never_overwrites(runner, tmp_path):
    grabs = tmp_path / "grabs" / "new"
    args = ["replay", shipped_recording(), "--schedule", "juno-2013-10-09", "--png", grabs]
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    assert sorted(p.suffix for p in grabs.iterdir()) == [".png"]
    before = snapshot(tmp_path)
    assert_one_error_line(invoke(runner, *args), "already exists")
    assert snapshot(tmp_path) == before
    (tmp_path / "file").write_bytes(b"x")
    assert_one_error_line(invoke(runner, *args[:-1], tmp_path / "file"), "not a directory")


def test_simulate_creates_the_output_folder_and_never_overwrites(runner, tmp_path):
    out = tmp_path / "sim" / "new"
    args = ["waves", "simulate", "--schedule", "juno-2013-10-09", "--operators", "10",
            "--band", "HFRH", "--out", out]  # fmt: skip
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    assert len(list(out.iterdir())) == 2 and str(out) in result.stdout
    before = snapshot(tmp_path)
    assert_one_error_line(invoke(runner, *args), "already exists")
    assert snapshot(tmp_path) == before


def test_schedule_validate_is_one_line_and_show_the_rounds(runner, tmp_path):
    result = invoke(runner, "schedule", "validate", "juno-2013-10-09")
    assert result.exit_code == 0, result.output
    line = result.stdout.strip()
    assert "\n" not in line and line.startswith("OK: ")
    assert "juno-2013-10-09.toml: 16 rounds" in line
    shown = invoke(runner, "schedule", "show", "juno-2013-10-09").stdout
    assert "is valid" in shown and "Rounds" in shown and "16/16" in shown and "20:36:30Z" in shown
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = [", encoding="utf-8")
    assert_one_error_line(invoke(runner, "schedule", "validate", bad), f"{bad}: ")
