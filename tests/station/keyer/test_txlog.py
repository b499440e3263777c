"""The TX log survives crashes: torn lines are skipped, later runs start on a fresh line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rich.console import Console

from station.cli.transmit import _countdown
from station.errors import InputError
from station.keyer.actions import Action, RunStatus
from station.keyer.txlog import TxLog, read_tx_log
from station.schedule import load_event, make_plan


def test_a_run_after_a_crash_starts_on_a_new_line(tmp_path):
    path = tmp_path / "tx.jsonl"
    path.write_text('{"type": "start", "utc": "x"}\n{"type": "edge", "rou', encoding="utf-8")
    with TxLog(path) as log:
        log.write({"type": "start", "utc": "y"})
        log.write({"type": "stop", "reason": "completed"})
    notes: list[str] = []
    records = read_tx_log(path, notes=notes)
    assert [r["type"] for r in records] == ["start", "start", "stop"]
    assert len(notes) == 1 and ":2: skipped a torn line" in notes[0]


def test_a_bad_line_in_the_middle_is_an_error_naming_it(tmp_path):
    path = tmp_path / "tx.jsonl"
    lines = [{"type": "start"}, "not json", {"type": "edge"}, {"type": "stop"}]
    path.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"tx.jsonl:2: not a hi-station log record"):
        read_tx_log(path)


def test_log_in_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        TxLog(tmp_path / "nope" / "tx.jsonl")


def test_countdown_shows_round_key_state_next_edge_frequency_and_clock_warning():
    plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
    act = Action(datetime(2013, 10, 9, 18, 21, 0, tzinfo=UTC), "up", 3, 2)
    status = RunStatus(datetime(2013, 10, 9, 18, 20, 47, 500000, tzinfo=UTC), act, True, 16)
    console = Console(record=True, width=100)
    console.print(_countdown(plan, "rigctld", status, "system clock is not NTP-synchronized"))
    text = console.export_text()
    for needle in ("3 of 16", "KEY DOWN", "key up at 18:21:00Z in   12.5 s", "28.400000 MHz CW",
                   "rigctld", "not NTP-synchronized", "N0CALL"):  # fmt: skip
        assert needle in text, needle
