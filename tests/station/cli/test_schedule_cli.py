"""``hi-station schedule plan|new|show``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from station.schedule.event import load_event, shipped_events
from station.schedule.plan import make_plan
from tests.station.helpers import assert_one_error_line, invoke, snapshot

JUNO_TEXT = shipped_events()["juno-2013-10-09"].read_text(encoding="utf-8")


def test_plan_prints_frequency_reconstruction_note_and_every_edge(runner):
    result = invoke(runner, "schedule", "plan", "juno-2013-10-09", "--callsign", "ve3/n0call")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Say HI to Juno" in out and "VE3/N0CALL" in out
    assert "28.400000 MHz" in out and "last letter L" in out
    assert "RECONSTRUCTION" in out
    assert re.search(r"\b1/16\b", out) and re.search(r"\b16/16\b", out)
    plan = make_plan(load_event("juno-2013-10-09"), "VE3/N0CALL")
    for kd in plan.key_downs():
        assert f"{kd.start_utc:%H:%M:%S}Z-{kd.end_utc:%H:%M:%S}Z" in out
    assert "20:36:30Z" in out and "18:06:32Z" in out  # last key-up; first ident
    assert result.stderr == ""


def test_plan_with_local_time_zone(runner):
    result = invoke(runner, "schedule", "plan", "juno-2013-10-09", "--callsign", "KD0L",
                    "--tz", "Europe/London")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Local (Europe/London)" in result.stdout
    assert "19:00:00-19:00:30 BST" in result.stdout and "21:36:00-21:36:30 BST" in result.stdout
    local = invoke(runner, "schedule", "plan", "juno-2013-10-09", "--callsign", "KD0L",
                   "--tz", "local")  # fmt: skip
    assert local.exit_code == 0 and "Local (local)" in local.stdout


def test_plan_json_has_the_plan_and_local_times_only_with_tz(runner):
    args = ["schedule", "plan", "juno-2013-10-09", "--callsign", "G4ABC/P", "--json"]
    data = json.loads(invoke(runner, *args).stdout)
    assert data["callsign"] == "G4ABC/P" and data["base_call"] == "G4ABC"
    assert data["letter"] == "C" and data["freq_hz"] == 28_080_000.0
    assert len(data["rounds"]) == 16 and len(data["rounds"][3]["key_downs"]) == 6
    assert data["rounds"][-1]["end_utc"] == "2013-10-09T20:36:30.000Z"
    assert "tz" not in data and "start_local" not in data["rounds"][0]
    data = json.loads(invoke(runner, *args, "--tz", "America/New_York").stdout)
    assert data["tz"] == "America/New_York"
    assert data["rounds"][0]["start_local"] == "2013-10-09T14:00:00-04:00"
    assert data["rounds"][0]["key_downs"][5]["up_local"] == "2013-10-09T14:06:30-04:00"


def test_plan_freq_override_and_grid(runner):
    result = invoke(runner, "schedule", "plan", "juno-2013-10-09", "--callsign", "N0CALL",
                    "--freq-mhz", "28.31", "--grid", "io91wm", "--json")  # fmt: skip
    data = json.loads(result.stdout)
    assert data["freq_hz"] == pytest.approx(28.31e6) and data["freq_source"] == "operator override"
    assert data["grid"] == "IO91wm"


def test_plan_writes_a_calendar_and_never_clobbers_it(runner, tmp_path):
    ics = tmp_path / "juno.ics"
    args = ["schedule", "plan", "juno-2013-10-09", "--callsign", "N0CALL", "--ics", ics]
    result = invoke(runner, *args, "--json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)  # stdout stays pure JSON
    assert "wrote" in result.stderr
    events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert len(events) == 16
    assert events[0].decoded("DTSTART") == datetime(2013, 10, 9, 18, 0, tzinfo=UTC)
    before = snapshot(tmp_path)
    again = invoke(runner, *args)
    assert_one_error_line(again, "juno.ics", "already exists", "--overwrite")
    assert snapshot(tmp_path) == before
    assert invoke(runner, *args, "--overwrite").exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--callsign", "HELLO"], ["--callsign='HELLO'", "not an amateur callsign"]),
        (["--callsign", "N0CALL/"], ["--callsign='N0CALL/'"]),
        ([], ["--callsign is required"]),
        (["--callsign", "N0CALL", "--freq-mhz", "29.5"], ["--freq-mhz=29.500000", "outside"]),
        (["--callsign", "N0CALL", "--freq-mhz", "nan"], ["--freq-mhz=nan"]),
        (["--callsign", "N0CALL", "--grid", "ZZ99"], ["--grid='ZZ99'"]),
        (["--callsign", "N0CALL", "--tz", "Mars/Base"], ["--tz='Mars/Base'"]),
    ],
)
def test_plan_bad_options(runner, args, fragments):
    result = invoke(runner, "schedule", "plan", "juno-2013-10-09", *args)
    assert_one_error_line(result, *fragments)


def test_unknown_schedule(runner, tmp_path):
    result = invoke(runner, "schedule", "plan", "juno-2099", "--callsign", "N0CALL")
    assert_one_error_line(result, "juno-2099", "no such event file", "juno-2013-10-09")
    result = invoke(runner, "schedule", "show", tmp_path / "none.toml")
    assert_one_error_line(result, "none.toml", "no such event file")


def _edit(old: str, new: str):
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


BAD_FILES = {
    "malformed": (_edit("rounds = 16", "rounds = = 16"), "malformed TOML"),
    "no-event-table": (_edit("[event]", "[evnt]"), ": event: is missing"),
    "no-dit": (_edit("dit_s = 30.0\n", ""), "event.dit_s: is missing"),
    "dit-text": (_edit("dit_s = 30.0", 'dit_s = "thirty"'), "event.dit_s: 'thirty' must be"),
    "rounds-float": (_edit("rounds = 16", "rounds = 2.5"), "event.rounds: 2.5 must be int"),
    "rounds-bool": (_edit("rounds = 16", "rounds = true"), "event.rounds: True must be int"),
    "local-time": (
        _edit("start_utc = 2013-10-09T18:00:00Z", "start_utc = 2013-10-09T18:00:00"),
        "event.start_utc: 2013-10-09T18:00:00 has no time zone",
    ),
    "overlap": (
        _edit("rounds = 16\n", "rounds = 16\nkey_down_s = [[0, 30], [20, 50]]\n"),
        "event.key_down_s[1]: [20, 50] overlaps",
    ),
    "freq-outside-band": (
        _edit("B = 28_050_000", "B = 29_050_000"),
        "frequency.table_hz.B: 29.050000 MHz is outside the event's band",
    ),
    "band-outside-10m": (
        _edit("high_hz = 29_000_000", "high_hz = 30_000_000"),
        "band: 28.000000-30.000000 MHz must be a non-empty range inside the 10 m band",
    ),
    "letter-missing": (
        _edit("Q = 28_660_000", "# Q"),
        "frequency.table_hz: needs exactly the 26 letters A-Z (missing Q",
    ),
    "period-short": (
        _edit("round_period_s = 600.0", "round_period_s = 300.0"),
        "event.round_period_s: 300 s is too short",
    ),
    "ident-rule": (
        _edit('rule = "after-each-round"', 'rule = "hourly"'),
        "identification.rule: 'hourly' must be one of",
    ),
}


@pytest.mark.parametrize("command", ["plan", "show", "validate"])
@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_event_files_give_one_error_line_naming_file_and_field(runner, tmp_path, command, case):
    change, fragment = BAD_FILES[case]
    path = tmp_path / f"{case}.toml"
    path.write_text(change(JUNO_TEXT), encoding="utf-8")
    extra = ["--callsign", "N0CALL"] if command == "plan" else []
    result = invoke(runner, "schedule", command, path, *extra)
    line = assert_one_error_line(result, f"{path}: ", fragment)
    if case == "malformed":
        assert "line" in line


def test_show_summarizes_the_2013_event(runner):
    result = invoke(runner, "schedule", "show", "juno-2013-10-09")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "is valid" in out and "start 2013-10-09 18:00:00Z" in out
    assert "last key-up 2013-10-09 20:36:30Z" in out
    assert "16 rounds of 'HI' in CW, dit 30 s, one round every 600 s" in out
    assert "0-30, 60-90, 120-150, 180-210, 300-330, 360-390" in out
    assert "band 28.000000-29.000000 MHz" in out
    assert "RECONSTRUCTION" in out and "28.930000" in out
    assert "identification: after-each-round, 'DE {callsign}' at 20 WPM" in out
    assert "notes: " in out and "KD0L" in out
    assert invoke(runner, "schedule", "validate", "juno-2013-10-09").exit_code == 0


def test_new_writes_a_practice_event_that_loads_and_plans(runner, tmp_path):
    out = tmp_path / "practice.toml"
    result = invoke(runner, "schedule", "new", "--out", out, "--start", "2030-01-01T10:00:00Z",
                    "--rounds", "2", "--freq-mhz", "28.123", "--dit-s", "10",
                    "--period-s", "300")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout and "first key-down 2030-01-01T10:00:00Z" in result.stdout
    ev = load_event(out)
    assert (ev.id, ev.rounds, ev.dit_s, ev.round_period_s) == ("practice", 2, 10.0, 300.0)
    assert ev.table_hz == {"*": 28_123_000.0}
    planned = invoke(runner, "schedule", "plan", out, "--callsign", "N0CALL", "--json")
    data = json.loads(planned.stdout)
    assert data["freq_hz"] == 28_123_000.0
    assert data["rounds"][1]["key_downs"][0]["down_utc"] == "2030-01-01T10:05:00.000Z"
    assert data["rounds"][1]["end_utc"] == "2030-01-01T10:07:10.000Z"
    shown = invoke(runner, "schedule", "show", out)
    assert shown.exit_code == 0 and "single, 28.123000 MHz" in shown.stdout


def test_new_defaults_to_the_next_ten_minute_mark(runner, tmp_path):
    before = datetime.now(UTC)
    result = invoke(runner, "schedule", "new", "--out", tmp_path / "p.toml")
    assert result.exit_code == 0, result.output
    ev = load_event(tmp_path / "p.toml")
    assert ev.start_utc.minute % 10 == 0 and ev.start_utc.second == 0
    assert timedelta(seconds=60) <= ev.start_utc - before <= timedelta(minutes=11, seconds=5)
    assert (ev.rounds, ev.dit_s, ev.message, ev.table_hz) == (3, 30.0, "HI", {"*": 28.4e6})


def test_new_refuses_to_overwrite(runner, tmp_path):
    out = tmp_path / "p.toml"
    args = ["schedule", "new", "--out", out, "--start", "2030-01-01T10:00:00Z"]
    assert invoke(runner, *args).exit_code == 0
    before = snapshot(tmp_path)
    assert_one_error_line(invoke(runner, *args, "--rounds", "5"), "p.toml", "already exists")
    assert snapshot(tmp_path) == before
    assert invoke(runner, *args, "--rounds", "5", "--overwrite").exit_code == 0
    assert load_event(out).rounds == 5


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--freq-mhz", "30"], ["--freq-mhz", "30.000000 MHz is outside"]),
        (["--dit-s", "0.1"], ["--dit-s", "shorter than 0.5 s"]),
        (["--rounds", "0"], ["rounds", "must be 1-1000"]),
        (["--period-s", "60"], ["--period-s", "too short"]),
        (["--ident", "hourly"], ["--ident", "'hourly'"]),
        (["--message", "H%"], ["message"]),
        (["--start", "noon"], ["--start='noon'"]),  # the old spelling, as typed
        (["--start-utc", "noon"], ["--start-utc='noon'"]),
    ],
)
def test_new_bad_options_write_nothing(runner, tmp_path, args, fragments):
    result = invoke(runner, "schedule", "new", "--out", tmp_path / "p.toml", *args)
    assert_one_error_line(result, *fragments)
    assert snapshot(tmp_path) == {}
