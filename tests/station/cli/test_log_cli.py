"""``hi-station log adif``."""

from __future__ import annotations

import json
import re

import pytest

from tests.station.helpers import assert_one_error_line, invoke, snapshot

START = {
    "type": "start", "event_id": "juno-2013-10-09", "event_name": "Say HI to Juno",
    "target": "JUNO", "callsign": "G4ABC/P", "grid": "IO91wm", "freq_hz": 28080000.0,
    "mode": "CW", "backend": "rigctld", "transmit": True, "rounds": 16, "dit_s": 30.0,
    "utc": "2013-10-09T17:58:00.000Z",
}  # fmt: skip
# Round 3 of the 2013 event: H at 0, 60, 120, 180 s and I at 300, 360 s after 18:20.
DOWNS_S = [0, 60, 120, 180, 300, 360]


def _edge(round_, element, key, hhmmss, transmit=True):
    return {
        "type": "edge", "event_id": "juno-2013-10-09", "callsign": "G4ABC/P", "round": round_,
        "element": element, "key": key, "planned_utc": f"2013-10-09T{hhmmss}.000Z",
        "sent_utc": f"2013-10-09T{hhmmss}.000Z", "actual_utc": f"2013-10-09T{hhmmss}.021Z",
        "error_ms": 21, "reply": "RPRT 0", "ptt": key == "down", "freq_hz": 28080000.0,
        "backend": "rigctld", "transmit": transmit,
    }  # fmt: skip


def _round3(transmit=True):
    lines = []
    for n, t in enumerate(DOWNS_S, 1):
        down, up = 20 * 60 + t, 20 * 60 + t + 30
        lines.append(_edge(3, n, "down", f"18:{down // 60:02d}:{down % 60:02d}", transmit))
        lines.append(_edge(3, n, "up", f"18:{up // 60:02d}:{up % 60:02d}", transmit))
    return lines


def _write(path, records, torn=""):
    text = "".join(json.dumps(r) + "\n" for r in records) + torn
    path.write_text(text, encoding="utf-8")
    return path


def _fields(text):
    body = text.split("<EOH>", 1)[1]
    out = []
    for rec in body.split("<EOR>")[:-1]:
        fields = {}
        for m in re.finditer(r"<(\w+):(\d+)>", rec):
            fields[m.group(1)] = rec[m.end() : m.end() + int(m.group(2))]
        out.append(fields)
    return out


def test_adif_from_a_log_with_a_torn_last_line(runner, tmp_path):
    log = _write(
        tmp_path / "tx.jsonl",
        [START, *_round3(), {"type": "stop", "utc": "2013-10-09T18:27:00Z", "reason": "SIGINT",
                             "message": "", "unkeyed": True, "edges": 12}],
        torn='{"type": "edge", "event_id": "juno-2013-10-09", "callsi',
    )  # fmt: skip
    result = invoke(runner, "log", "adif", log, "--power-w", "50")
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'tx.adi'}: 1 ADIF record" in result.stdout
    assert "torn line" in result.stderr
    text = (tmp_path / "tx.adi").read_text(encoding="ascii")
    assert "<ADIF_VER:5>3.1.4" in text and "<PROGRAMID:10>hi-station" in text
    (rec,) = _fields(text)
    assert rec == {
        "QSO_DATE": "20131009", "TIME_ON": "182000", "QSO_DATE_OFF": "20131009",
        "TIME_OFF": "182630", "CALL": "JUNO", "STATION_CALLSIGN": "G4ABC/P",
        "OPERATOR": "G4ABC", "FREQ": "28.080000", "BAND": "10m", "MODE": "CW",
        "MY_GRIDSQUARE": "IO91wm", "TX_PWR": "50",
        "COMMENT": "Say HI to Juno round 3/16: 6/6 key-downs at 30 s dits (hi-station)",
    }  # fmt: skip


def test_out_option_and_no_clobber(runner, tmp_path):
    log = _write(tmp_path / "tx.jsonl", [START, *_round3()])
    out = tmp_path / "juno.adi"
    assert invoke(runner, "log", "adif", log, "--out", out).exit_code == 0
    before = snapshot(tmp_path)
    result = invoke(runner, "log", "adif", log, "--out", out, "--power-w", "5")
    assert_one_error_line(result, "juno.adi", "already exists", "--overwrite")
    assert snapshot(tmp_path) == before
    assert invoke(runner, "log", "adif", log, "--out", out, "--overwrite").exit_code == 0


def test_dry_run_log_needs_the_flag(runner, tmp_path):
    log = _write(tmp_path / "dry.jsonl", [dict(START, transmit=False), *_round3(False)])
    result = invoke(runner, "log", "adif", log)
    assert_one_error_line(result, "dry.jsonl", "no keyed rounds in LOG", "--include-dry-run")
    assert not (tmp_path / "dry.adi").exists()
    result = invoke(runner, "log", "adif", log, "--include-dry-run")
    assert result.exit_code == 0, result.output
    (rec,) = _fields((tmp_path / "dry.adi").read_text())
    assert rec["COMMENT"].endswith("[dry run]")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("", ["holds no records"]),
        ("garbage\n", ["holds no records", "torn line"]),
        ("garbage\nmore garbage\n", [":1: not a hi-station log record"]),
        ('{"type": "stop", "reason": "completed"}\n', ["no keyed rounds in LOG"]),
        (json.dumps(START) + "\n", ["no keyed rounds in LOG"]),
        (json.dumps(START) + "\n" + json.dumps(dict(_round3()[0], round=0)) + "\n",
         ["round=0"]),
    ],
)  # fmt: skip
def test_empty_or_garbage_logs(runner, tmp_path, content, fragments):
    log = tmp_path / "tx.jsonl"
    log.write_text(content, encoding="utf-8")
    before = snapshot(tmp_path)
    assert_one_error_line(invoke(runner, "log", "adif", log), "tx.jsonl", *fragments)
    assert snapshot(tmp_path) == before


def test_missing_log_and_bad_power(runner, tmp_path):
    assert_one_error_line(invoke(runner, "log", "adif", tmp_path / "no.jsonl"), "no.jsonl")
    log = _write(tmp_path / "tx.jsonl", [START, *_round3()])
    assert_one_error_line(invoke(runner, "log", "adif", log, "--power-w", "0"), "--power-w=0")
