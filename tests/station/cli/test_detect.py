import json
from datetime import UTC, datetime

import numpy as np
import pytest

from dsp.channel import Channel, apply_channel
from dsp.keying import keyed_baseband
from dsp.morse import key_intervals
from station.recording import write_sigmf
from station.schedule.practice import practice_event_toml
from station.synth import encode_to_file
from tests.station.helpers import assert_one_error_line, invoke

T_KEY = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    """Two 'HI' rounds at dit 2 s, 40 s apart, SNR2500 -15 dB; first key-down 5 s in."""
    fs = 2000.0
    iv = np.concatenate([key_intervals("HI", 2.0, start_s=5.0 + k * 40.0) for k in (0, 1)])
    clean = keyed_baseband(iv, fs, duration_s=80.0)
    x = apply_channel(clean, fs, Channel(-15.0, offset_hz=30.0), np.random.default_rng(2))
    start = datetime(2013, 10, 9, 17, 59, 55, tzinfo=UTC)
    return write_sigmf(tmp_path_factory.mktemp("det") / "two", x, fs, start_utc=start)


def test_detect_per_round_and_stacked(runner, two_rounds):
    args = ["detect", two_rounds, "--start", "2013-10-09T18:00:00Z", "--dit-s", "2"]
    result = invoke(runner, *args, "--rounds", "2", "--period-s", "40")
    assert result.exit_code == 0, result.output
    assert "detected: yes" in result.stdout
    assert "stack" in result.stdout and "18:00:40Z" in result.stdout
    data = json.loads(invoke(runner, *args, "--rounds", "2", "--period-s", "40", "--json").stdout)
    assert data["detected"] is True
    assert [r["index"] for r in data["rounds"]] == [1, 2]
    assert [r["start_s"] for r in data["rounds"]] == [5.0, 45.0]
    assert data["stacked"]["index"] == 0
    assert data["stacked"]["freq_hz"] == pytest.approx(30.0, abs=0.5)


def test_detect_wav_with_a_start_offset(runner, tmp_path):
    path = encode_to_file(tmp_path / "hi.wav", "HI", dit_s=2.0, snr2500_db=-10.0, seed=1).path
    result = invoke(runner, "detect", path, "--start-offset-s", "5", "--dit-s", "2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["detected"] is True


def test_detect_wav_with_a_utc_start_explains_the_fix(runner, tmp_path):
    path = encode_to_file(tmp_path / "hi.wav", "HI", dit_s=2.0, seed=1).path
    result = invoke(runner, "detect", path, "--start", "2013-10-09T18:00:00Z", "--dit-s", "2")
    assert_one_error_line(result, "hi.wav", "no start time", "--start-offset-s")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["--start", "2013-10-09T18:00:00Z", "--rounds", "3", "--period-s", "40"],
            ["round 3 is scheduled at 85.0..111.0 s", "18:01:20Z", "0.0..80.0 s", "17:59:55Z"],
        ),
        (["--start", "2013-10-09T17:00:00Z"], ["round 1", "-3595.0", "0.0..80.0 s"]),
        (["--start-offset-s", "70"], ["round 1 is scheduled at 70.0..96.0 s"]),
        (["--start", "18:00"], ["--start='18:00'", "ISO 8601"]),  # the old spelling, as typed
        (["--start-utc", "18:00"], ["--start-utc='18:00'", "ISO 8601"]),
        ([], ["exactly one of"]),
        (["--start-offset-s", "5", "--rounds", "2", "--period-s", "10"], ["--period-s=10.0"]),
        (["--start-offset-s", "5", "--text", "H~"], ["'~'"]),
        (["--start-offset-s", "5", "--pfa", "0"], ["pfa=0.0"]),
    ],
)
def test_bad_schedules_give_one_line_and_exit_2(runner, two_rounds, args, fragments):
    result = invoke(runner, "detect", two_rounds, "--dit-s", "2", *args)
    assert_one_error_line(result, *fragments)


def test_detect_missing_file(runner, tmp_path):
    result = invoke(runner, "detect", tmp_path / "gone.wav", "--start-offset-s", "5")
    assert_one_error_line(result, "gone.wav", "no such WAV file")


@pytest.fixture(scope="module")
def practice_rounds(tmp_path_factory):
    """Rounds 2 and 3 of a practice event (HI at 2 s dits, a round every 40 s)."""
    folder = tmp_path_factory.mktemp("sched")
    sched = folder / "practice.toml"
    start = datetime(2013, 10, 9, 17, 59, 20, tzinfo=UTC)
    text = practice_event_toml(
        start_utc=start, dit_s=2.0, round_period_s=40.0, rounds=5, ident_rule="none"
    )
    sched.write_text(text, encoding="utf-8")
    return sched


def test_detect_with_a_schedule_numbers_rounds_as_the_event(runner, two_rounds, practice_rounds):
    # the recording starts 17:59:55 and holds the rounds keyed at 18:00:00 and 18:00:40,
    # which are rounds 2 and 3 of the practice event (round 1 at 17:59:20)
    result = invoke(runner, "detect", two_rounds, "--schedule", str(practice_rounds), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(r["index"], r["detected"]) for r in data["rounds"]] == [(2, True), (3, True)]
    assert [r["start_s"] for r in data["rounds"]] == [5.0, 45.0]


def test_detect_schedule_outside_the_recording(runner, two_rounds):
    result = invoke(runner, "detect", two_rounds, "--schedule", "juno-2013-10-09")
    assert_one_error_line(result, "no round of juno-2013-10-09", "lies wholly inside")


def test_detect_schedule_and_start_conflict(runner, two_rounds, practice_rounds):
    result = invoke(
        runner, "detect", two_rounds, "--schedule", str(practice_rounds), "--start",
        "2013-10-09T18:00:00Z",
    )  # fmt: skip
    assert_one_error_line(result, "--schedule gives the round times")
