"""A whole transmit session (`run_transmit`) on a simulated clock, reported to a view."""

from __future__ import annotations

from datetime import timedelta

from station.clock import SimulatedClock
from station.keyer.records import EdgeRecord, IdentRecord
from station.keyer.session import TransmitRequest, key_state, run_transmit
from station.keyer.txlog import read_tx_log
from station.schedule import load_event


class _View:
    def __init__(self):
        self.lines, self.records, self.started, self.stopped = [], [], None, 0

    def note(self, text):
        self.lines.append(text)

    def warn(self, text):
        self.lines.append(f"warning: {text}")

    def start(self, plan, backend_name, clock_warning):
        self.started = (plan.callsign.text, backend_name)

    def tick(self, status):
        pass

    def action(self, act, record):
        self.records.append(record)

    def stop(self):
        self.stopped += 1


def test_a_dry_run_session_reports_each_action_and_ends_with_one_line(tmp_path):
    event = load_event("juno-2013-10-09")
    clock = SimulatedClock(event.start_utc - timedelta(seconds=5))
    view = _View()
    request = TransmitRequest("juno-2013-10-09", "VE3/N0CALL", log=tmp_path / "tx.jsonl")
    outcome = run_transmit(request, view, clock=clock)
    assert outcome.exit_code == 0 and not outcome.alarm
    assert outcome.text.startswith("done: 192 edges, 16 identifications, max |edge error| 0.0 ms")
    assert view.started == ("VE3/N0CALL", "dry-run") and view.stopped >= 1
    assert "dry run (nothing keyed; add --transmit)" in view.lines[-1]
    assert sum(isinstance(r, EdgeRecord) for r in view.records) == 192
    assert sum(isinstance(r, IdentRecord) for r in view.records) == 16
    log = read_tx_log(tmp_path / "tx.jsonl")
    assert [r.to_json() for r in view.records] == log[2:-1]
    assert key_state(None) == "key released"
