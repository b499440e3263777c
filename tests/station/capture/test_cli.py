"""``hi-station capture`` end to end without hardware, and its one-line errors."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
import sigmf

from tests.station.capture.conftest import annotations, meta, write_event
from tests.station.helpers import assert_one_error_line, invoke, snapshot


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_synthetic_capture_of_an_event_is_detected_live_and_decoded_by_replay(runner, tmp_path):
    # One round of HI at 2 s dits starting in 2 s; the capture ends 30 s after its key-up.
    ev = write_event(tmp_path / "ev.toml", datetime.now(UTC) + timedelta(seconds=2), dit_s=2.0)
    out = tmp_path / "cap"
    result = invoke(runner, "capture", "--source", "synthetic", "--schedule", ev, "--out", out,
                    "--fast", "--json")  # fmt: skip
    assert result.exit_code == 0, (result.output, result.stderr)
    summary = json.loads(result.stdout)
    assert summary["stop_reason"] == "event end"
    assert 56 < summary["duration_s"] < 58.5  # 2 s lead + 26 s of HI + 30 s
    assert summary["sample_rate_hz"] == 240_000 and summary["center_freq_hz"] == 28.4e6
    (channel,) = summary["channels"]
    assert channel["label"] == "event" and channel["freq_hz"] == 28.4e6
    (round1,) = summary["rounds"]
    assert round1["round_number"] == 1 and round1["channels"][0]["detected"]
    path = channel["path"]
    assert [a["core:comment"] for a in annotations(path, "key-down")] == [
        f"round 1 element {m}" for m in range(1, 7)
    ]
    sigmf.fromfile(path).validate()

    replayed = invoke(runner, "replay", path, "--schedule", ev, "--json")
    assert replayed.exit_code == 0, (replayed.output, replayed.stderr)
    (ch,) = json.loads(replayed.stdout)["channels"]
    assert ch["decoded"]["text"] == "HI" and ch["detection"]["detected"]


def test_file_source_replays_a_raw_capture_into_the_same_channels(runner, tmp_path):
    first = tmp_path / "first"
    args = ["--freq-mhz", "28.25", "--freq-mhz", "28.31", "--fast", "--quiet"]
    result = invoke(runner, "capture", "--source", "synthetic", "--out", first, "--raw",
                    "--duration-s", "3", *args)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "wrote 3 recording(s)" in result.stdout and result.stderr == ""
    second = tmp_path / "second"
    source = f"file:{first / 'raw_28.280000MHz.sigmf-meta'}"
    result = invoke(runner, "capture", "--source", source, "--out", second, *args)
    assert result.exit_code == 0, result.stderr
    assert "stopped: end of source" in result.stdout
    for name in ("f1_28.250000MHz", "f2_28.310000MHz"):
        a, b = meta(first / f"{name}.sigmf-meta"), meta(second / f"{name}.sigmf-meta")
        assert (first / f"{name}.sigmf-data").read_bytes() == (
            second / f"{name}.sigmf-data"
        ).read_bytes()
        assert a["captures"] == b["captures"]
        assert b["global"]["core:hw"].endswith("replay of raw_28.280000MHz.sigmf-meta")


def test_overwrite_replaces_only_with_the_flag(runner, tmp_path):
    out = tmp_path / "cap"
    args = ["capture", "--source", "synthetic", "--freq-mhz", "28.3", "--out", out,
            "--duration-s", "1", "--fast", "--quiet"]  # fmt: skip
    assert invoke(runner, *args).exit_code == 0
    before = snapshot(out)
    line = assert_one_error_line(invoke(runner, *args), str(out), "not empty", "--overwrite")
    assert "\n" not in line and snapshot(out) == before
    assert invoke(runner, *args, "--overwrite").exit_code == 0
    assert snapshot(out).keys() == before.keys() and snapshot(out) != before


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--source", "synthetic", "--freq-mhz", "28.3", "--sample-rate-hz", "500000"],
         ["--sample-rate-hz=500000", "225001-300000"]),
        (["--source", "synthetic", "--freq-mhz", "28.3", "--rate-hz", "500000"],
         ["--rate-hz=500000", "225001-300000"]),  # the old spelling, as typed
        (["--source", "synthetic", "--freq-mhz", "5"], ["--freq-mhz=5", "24-1766 MHz"]),
        (["--source", "rtlsdr:0", "--freq-mhz", "28.3", "--center-mhz", "5"],
         ["--center-mhz=5", "R820T"]),
        (["--source", "hackrf", "--freq-mhz", "28.3"], ["--source 'hackrf'", "rtl_tcp://"]),
        (["--source", "synthetic"], ["--freq-mhz", "--schedule"]),
        (["--source", "synthetic", "--freq-mhz", "28.45", "--center-mhz", "28.3", "--rate-hz",
          "240000"], ["--freq-mhz=28.450000", "usable band"]),
        (["--source", "synthetic", "--freq-mhz", "28.3", "--duration-s", "1", "--until",
          "2030-01-01T00:00:00Z"], ["not both"]),
        (["--source", "synthetic", "--freq-mhz", "28.3", "--until", "2013-10-09T18:00:00Z"],
         ["--until=2013-10-09T18:00:00.000000Z", "not after"]),  # the old spelling, as typed
        (["--source", "synthetic", "--freq-mhz", "28.3", "--until-utc", "2013-10-09T18:00:00Z"],
         ["--until-utc=2013-10-09T18:00:00.000000Z", "not after"]),
        (["--source", "synthetic", "--schedule", "juno-2013-10-09"],
         ["juno-2013-10-09", "last key-up", "--duration-s"]),
        (["--source", "synthetic", "--freq-mhz", "28.3", "--duration-s", "0"], ["--duration-s=0"]),
        (["--source", "synthetic", "--freq-mhz", "28.3", "--ppm", "1.5"],
         ["--ppm=1.5"]),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_touches_nothing(runner, tmp_path, args, fragments):
    out = tmp_path / "cap"
    assert_one_error_line(invoke(runner, "capture", *args, "--out", out), *fragments)
    assert not out.exists()


def test_a_dead_rtl_tcp_address_is_one_line_and_creates_nothing(runner, tmp_path):
    port = _free_port()
    out = tmp_path / "cap"
    result = invoke(runner, "capture", "--source", f"rtl_tcp://127.0.0.1:{port}",
                    "--freq-mhz", "28.3", "--out", out)  # fmt: skip
    assert_one_error_line(result, f"127.0.0.1:{port}", "cannot connect")
    assert not out.exists()


def test_an_out_path_that_is_a_file_is_refused(runner, tmp_path):
    out = tmp_path / "cap"
    out.write_text("keep me")
    result = invoke(runner, "capture", "--source", "synthetic", "--freq-mhz", "28.3",
                    "--out", out)  # fmt: skip
    assert_one_error_line(result, str(out), "is a file")
    assert out.read_text() == "keep me"
