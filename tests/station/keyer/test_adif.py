"""ADIF export of the TX log, read back with a small ADIF parser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from station import __version__
from station.errors import InputError
from station.keyer.adif import adif_field, band_for_hz, tx_log_to_adif
from station.schedule.event import load_event
from station.schedule.plan import make_plan
from station.utc import utc_z

CREATED = datetime(2013, 10, 9, 21, 0, 5, tzinfo=UTC)
_TAG = re.compile(r"<([A-Za-z_]+)(?::(\d+)(?::[A-Za-z])?)?>")


def parse_adif(text: str) -> tuple[str, dict[str, str], list[dict[str, str]]]:
    """(preamble, header fields, records); checks each length against the value."""
    preamble = text[: text.index("<")]
    header: dict[str, str] = {}
    records: list[dict[str, str]] = []
    current: dict[str, str] = header
    pos = len(preamble)
    while (m := _TAG.search(text, pos)) is not None:
        name = m.group(1).upper()
        if name == "EOH":
            current = {}
            pos = m.end()
            continue
        if name == "EOR":
            records.append(current)
            current = {}
            pos = m.end()
            continue
        n = int(m.group(2))
        value = text[m.end() : m.end() + n]
        after = text[m.end() + n : m.end() + n + 1]
        assert after in ("", " ", "\n"), (name, value, after)  # length is exact
        current[name] = value
        pos = m.end() + n
    return preamble, header, records


def juno_log(call="VE3/N0CALL", rounds=(1, 2, 3), transmit=True, grid="FN03", lag_ms=12):
    """A TX log as transmit writes it: start, the edges of some rounds, idents, stop."""
    plan = make_plan(load_event("juno-2013-10-09"), call, grid=grid)
    lag = timedelta(milliseconds=lag_ms)
    out = [{
        "type": "start", "event_id": plan.event.id, "event_name": "Say HI to Juno",
        "target": "JUNO", "callsign": plan.callsign.text, "grid": grid,
        "freq_hz": plan.freq_hz, "mode": "CW", "backend": "rigctld", "transmit": transmit,
        "rounds": 16, "dit_s": 30.0, "utc": "2013-10-09T17:59:00.000Z",
    }]  # fmt: skip
    for rnd in plan.rounds:
        if rnd.round_number not in rounds:
            continue
        for kd in rnd.key_downs:
            for key, t in (("down", kd.start_utc), ("up", kd.end_utc)):
                out.append({
                    "type": "edge", "event_id": plan.event.id, "callsign": plan.callsign.text,
                    "round": rnd.round_number, "element": kd.element_number, "key": key,
                    "planned_utc": utc_z(t), "sent_utc": utc_z(t),
                    "actual_utc": utc_z(t + lag), "error_ms": lag_ms, "reply": "RPRT 0",
                    "ptt": key == "down", "freq_hz": plan.freq_hz, "backend": "rigctld",
                    "transmit": transmit,
                })  # fmt: skip
        out.append({"type": "ident", "event_id": plan.event.id, "callsign": call,
                    "round": rnd.round_number, "text": f"DE {call}", "wpm": 20,
                    "planned_utc": utc_z(rnd.ident_utc), "actual_utc": utc_z(rnd.ident_utc),
                    "reply": "RPRT 0", "backend": "rigctld", "transmit": transmit})  # fmt: skip
    out.append({"type": "stop", "utc": "2013-10-09T20:40:00Z", "reason": "completed",
                "message": "", "unkeyed": True, "edges": 2 * 6 * len(rounds)})  # fmt: skip
    return out


def test_header():
    preamble, header, records = parse_adif(tx_log_to_adif(juno_log(), created_utc=CREATED))
    assert preamble.strip() and not preamble.startswith("<")
    assert header == {
        "ADIF_VER": "3.1.4",
        "PROGRAMID": "hi-station",
        "PROGRAMVERSION": __version__,
        "CREATED_TIMESTAMP": "20131009 210005",
    }
    assert len(records) == 3


def test_one_record_per_keyed_round_with_the_log_values():
    _, _, records = parse_adif(
        tx_log_to_adif(juno_log(rounds=(2, 5, 16)), created_utc=CREATED, power_w=100)
    )
    assert [r["TIME_ON"] for r in records] == ["181000", "184000", "203000"]
    r = records[2]
    assert r["QSO_DATE"] == "20131009" and r["QSO_DATE_OFF"] == "20131009"
    assert r["TIME_OFF"] == "203630"  # last key-up at 20:36:30.012
    assert r["CALL"] == "JUNO"
    assert r["STATION_CALLSIGN"] == "VE3/N0CALL" and r["OPERATOR"] == "N0CALL"
    assert r["FREQ"] == "28.400000" and r["BAND"] == "10m" and r["MODE"] == "CW"
    assert r["MY_GRIDSQUARE"] == "FN03" and r["TX_PWR"] == "100"
    assert r["COMMENT"] == ("Say HI to Juno round 16/16: 6/6 key-downs at 30 s dits (hi-station)")


def test_partial_round_counts_its_key_downs_and_ends_at_the_last_edge():
    log = juno_log(rounds=(1, 2))
    log = [r for r in log if not (r.get("round") == 2 and r.get("element", 0) > 2)]
    log = [r for r in log if not (r.get("round") == 2 and r.get("key") == "up" and
                                  r.get("element") == 2)]  # fmt: skip
    log[0]["message"] = "HI"
    _, _, records = parse_adif(tx_log_to_adif(log, created_utc=CREATED))
    assert records[1]["COMMENT"] == (
        "Say HI to Juno round 2/16: 2/6 key-downs, HI at 30 s dits (hi-station)"
    )
    assert records[1]["TIME_OFF"] == "181100"  # key-down 2 at 18:11:00, no key-up logged


def test_dry_run_is_skipped_unless_asked():
    log = juno_log(transmit=False)
    with pytest.raises(InputError, match=r"no keyed rounds in LOG \(dry-run logs need"):
        tx_log_to_adif(log, created_utc=CREATED)
    _, _, records = parse_adif(tx_log_to_adif(log, created_utc=CREATED, include_dry_run=True))
    assert len(records) == 3 and all(r["COMMENT"].endswith("[dry run]") for r in records)
    assert "TX_PWR" not in records[0]


def test_several_callsigns_and_fallbacks():
    a = juno_log("G4ABC/P", rounds=(1,), grid=None)
    b = juno_log("KD0L", rounds=(1,))
    del b[0]["target"]
    _, _, records = parse_adif(tx_log_to_adif(a + b, created_utc=CREATED))
    by_call = {r["STATION_CALLSIGN"]: r for r in records}
    assert by_call["G4ABC/P"]["OPERATOR"] == "G4ABC" and "MY_GRIDSQUARE" not in by_call["G4ABC/P"]
    assert by_call["G4ABC/P"]["FREQ"] == "28.080000" and by_call["G4ABC/P"]["CALL"] == "JUNO"
    assert by_call["KD0L"]["CALL"] == "JUNO-2013-10-09"


def test_midnight_crossing_sets_qso_date_off():
    log = juno_log(rounds=(1,))
    for rec in log:
        if rec["type"] == "edge" and rec["element"] == 6 and rec["key"] == "up":
            rec["actual_utc"] = "2013-10-10T00:00:01Z"
    _, _, (record,) = parse_adif(tx_log_to_adif(log, created_utc=CREATED))
    assert (record["QSO_DATE"], record["QSO_DATE_OFF"]) == ("20131009", "20131010")
    assert record["TIME_OFF"] == "000001"


def test_non_ascii_is_replaced_and_lengths_count_characters():
    log = juno_log(rounds=(1,))
    log[0]["event_name"] = "Sag HI zu Juno – Größe"
    text = tx_log_to_adif(log, created_utc=CREATED)
    assert text.isascii()
    _, _, (record,) = parse_adif(text)
    assert record["COMMENT"].startswith("Sag HI zu Juno ? Gro?e round 1/16")
    assert adif_field("comment", "é") == "<COMMENT:1>e"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda log: log[1].update(round="one"), "round='one'"),
        (lambda log: log[1].update(key="sideways"), "key='sideways'"),
        (lambda log: log[1].update(actual_utc="18:00"), "actual_utc='18:00'"),
        (lambda log: log[1].update(callsign="HELLO"), "'HELLO' is not an amateur callsign"),
        (lambda log: log.insert(1, ["not", "a", "record"]), "is not a JSON object"),
    ],
)
def test_malformed_records_raise_input_errors(change, fragment):
    log = juno_log(rounds=(1,))
    change(log)
    with pytest.raises(InputError) as info:
        tx_log_to_adif(log, created_utc=CREATED)
    assert fragment in str(info.value)


def test_bad_arguments():
    with pytest.raises(InputError, match="power-w"):
        tx_log_to_adif(juno_log(), created_utc=CREATED, power_w=-5)
    with pytest.raises(InputError, match="created_utc"):
        tx_log_to_adif(juno_log(), created_utc=datetime(2013, 10, 9))


def test_bands():
    assert band_for_hz(28.0e6) == "10m" and band_for_hz(29.7e6) == "10m"
    assert band_for_hz(7.03e6) == "40m" and band_for_hz(144.3e6) == "2m"
    assert band_for_hz(29.8e6) is None


def test_adif_io_reads_the_output_when_installed():
    adif_io = pytest.importorskip("adif_io")
    qsos, header = adif_io.read_from_string(tx_log_to_adif(juno_log(), created_utc=CREATED))
    assert len(qsos) == 3 and qsos[0]["CALL"] == "JUNO" and header["ADIF_VER"] == "3.1.4"
