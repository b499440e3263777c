"""The TX log's record types: one JSON mapping, read back as written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from station.clock import SimulatedClock
from station.errors import InputError
from station.keyer.base import DryRunKeyer
from station.keyer.records import EdgeRecord, StartRecord, record_from_json
from station.keyer.runner import run_plan
from station.keyer.safety import SafeKeyer
from station.keyer.txlog import TxLog, read_tx_log
from station.schedule import load_event, make_plan


def test_every_record_a_run_writes_reads_back_to_the_same_json(tmp_path):
    plan = make_plan(load_event("juno-2013-10-09"), "VE3/N0CALL", grid="FN03")
    clock = SimulatedClock(plan.event.start_utc + timedelta(seconds=65))
    keyer = SafeKeyer(DryRunKeyer(), allowed_hz=plan.event.band_hz, max_key_down_s=30,
                      clock=clock)  # fmt: skip
    with TxLog(tmp_path / "tx.jsonl") as log:
        run_plan(plan, keyer, clock, log)
    keyer.close()
    lines = read_tx_log(tmp_path / "tx.jsonl")
    assert {r["type"] for r in lines} == {"start", "tune", "edge", "ident", "stop"}
    for n, obj in enumerate(lines, 1):
        record = record_from_json(obj, f"line {n}")
        assert record is not None and record.to_json() == obj


def test_a_hand_written_edge_reads_with_what_it_has():
    edge = EdgeRecord.from_json({"type": "edge", "event_id": "e", "callsign": "N0CALL",
                                 "round": 1, "element": 2, "key": "up"}, "here")  # fmt: skip
    assert (edge.round_number, edge.element_number, edge.actual_utc, edge.transmit) == (
        1, 2, None, None)  # fmt: skip
    start = StartRecord.from_json({"event_id": "e", "callsign": "N0CALL", "rounds": True}, "s")
    assert start.rounds is None and start.transmit is None
    assert record_from_json({"type": "future"}, "here") is None
    with pytest.raises(InputError, match="here: element=0 must be a whole number >= 1"):
        EdgeRecord.from_json({"event_id": "e", "callsign": "C", "round": 1, "element": 0}, "here")
