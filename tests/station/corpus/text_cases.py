"""Malformed event files (TOML) and TX logs (JSON Lines)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.station.corpus.base import Case, Sandbox, event_text, tx_records

BIG = "1" + "0" * 4999

#: (name, [event] field overrides) for event files.
EVENT_FIELD_EDITS: list[tuple[str, dict[str, str | None]]] = (
    [(f"id-{n}", {"id": v}) for n, v in [
        ("dotdot", '"a/../../x"'), ("slash", '"a/b"'), ("dot", '".hidden"'), ("empty", '""'),
        ("space", '"a b"'), ("newline", '"a\\nb"'), ("long", '"' + "a" * 5000 + '"'),
        ("int", "5"), ("nul", '"a\\u0000b"'), ("unicode", '"ré"'), ("missing", None)]]
    + [(f"name-{n}", {"name": v}) for n, v in [
        ("newline", '"a\\nb"'), ("escape", '"\\u001b[31mRED\\u001b[0m"'), ("cr", '"a\\rb"'),
        ("nul", '"a\\u0000b"'), ("long", '"' + "n" * 100_000 + '"'), ("empty", '""'),
        ("int", "1"), ("bidi", '"\\u202eevil"')]]
    + [(f"start-{n}", {"start_utc": v}) for n, v in [
        ("9999", "9999-12-31T23:59:59Z"), ("0001", "0001-01-01T00:00:00Z"),
        ("str", '"2013-10-09T18:00:00Z"'), ("abc", '"abc"'), ("date", "2013-10-09"),
        ("naive", "2013-10-09T18:00:00"), ("offset", "2013-10-09T18:00:00+05:00"),
        ("time", "18:00:00"), ("int", "0"), ("missing", None)]]
    + [(f"dit-{n}", {"dit_s": v}) for n, v in [
        ("zero", "0.0"), ("neg", "-1.0"), ("nan", "nan"), ("inf", "inf"), ("1e308", "1e308"),
        ("1e-308", "1e-308"), ("str", '"30"'), ("bool", "true"), ("big", BIG), ("int", "1")]]
    + [(f"period-{n}", {"round_period_s": v}) for n, v in [
        ("1e308", "1e308"), ("zero", "0.0"), ("neg", "-600.0"), ("nan", "nan"), ("inf", "inf"),
        ("short", "1.0"), ("big", BIG), ("str", '"600"')]]
    + [(f"rounds-{n}", {"rounds": v}) for n, v in [
        ("zero", "0"), ("neg", "-1"), ("big", BIG), ("1e9", "1000000000"), ("float", "1.5"),
        ("str", '"3"'), ("bool", "true"), ("2p63", str(2**63))]]
    + [(f"message-{n}", {"message": v}) for n, v in [
        ("empty", '""'), ("unicode", '"ÄÖ"'), ("long", '"' + "HI " * 20_000 + '"'),
        ("braces", '"{x}"'), ("int", "5"), ("newline", '"H\\nI"')]]
    + [(f"target-{n}", {"target": v}) for n, v in [
        ("eor", '"<EOR>"'), ("newline", '"a\\nb"'), ("empty", '""'), ("long", '"' + "T" * 5000 + '"')]]
)  # fmt: skip

_GOOD = event_text({})


def _swap(old: str, new: str) -> str:
    assert old in _GOOD, old
    return _GOOD.replace(old, new, 1)


#: (name, whole file text or bytes) for the rest of an event file.
EVENT_TEXT_EDITS: list[tuple[str, str | bytes]] = [
    ("toml-deep-array", _GOOD + "deep = " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("toml-deep-table", _GOOD + "deep = " + "{a = " * 20_000 + "1" + "}" * 20_000 + "\n"),
    ("toml-bigint-extra", _GOOD + f"big = {BIG}\n"),
    ("toml-bigfloat", _swap("dit_s = 1.0", "dit_s = 1e99999")),
    ("toml-syntax", _GOOD + "this is not toml\n"), ("toml-empty", ""),
    ("toml-dup-key", _swap("rounds = 2", "rounds = 2\nrounds = 3")),
    ("toml-bom", "\ufeff" + _GOOD), ("toml-nul", _GOOD.replace("\n", "\x00", 1)),
    ("toml-bad-utf8", _GOOD.encode().replace(b"Practice", b"Pr\xffctice")),
    ("toml-utf16", _GOOD.encode("utf-16")), ("toml-crlf", _GOOD.replace("\n", "\r\n")),
    ("toml-cr-only", _GOOD.replace("\n", "\r")),
    ("schema-2", _swap("schema = 1", "schema = 2")), ("schema-str", _swap("schema = 1", 'schema = "1"')),
    ("schema-missing", _swap("schema = 1\n", "")), ("schema-big", _swap("schema = 1", f"schema = {BIG}")),
    ("event-missing", _swap("[event]", "[evnt]")), ("event-array", _swap("[event]", "[[event]]")),
    ("band-inverted", _swap("low_hz = 28000000\nhigh_hz = 29000000", "low_hz = 29000000\nhigh_hz = 28000000")),
    ("band-nan", _swap("low_hz = 28000000", "low_hz = nan")),
    ("band-huge", _swap("high_hz = 29000000", "high_hz = 1e308")),
    ("band-big", _swap("high_hz = 29000000", f"high_hz = {BIG}")),
    ("band-str", _swap("low_hz = 28000000", 'low_hz = "28 MHz"')),
    ("freq-rule", _swap('rule = "single"', 'rule = "random"')),
    ("freq-outside", _swap("single_hz = 28400000", "single_hz = 99000000")),
    ("freq-nan", _swap("single_hz = 28400000", "single_hz = nan")),
    ("freq-neg", _swap("single_hz = 28400000", "single_hz = -1")),
    ("freq-table-bad", _swap('rule = "single"\nsingle_hz = 28400000', 'rule = "last-letter"\n[frequency.table_hz]\nA = "x"\n1 = 28400000\n')),
    ("ident-huge-format", _swap('text = "DE {callsign}"', 'text = "DE {callsign:>3000000000}"')),
    ("ident-positional", _swap('text = "DE {callsign}"', 'text = "DE {0}"')),
    ("ident-attr", _swap('text = "DE {callsign}"', 'text = "DE {callsign.__class__}"')),
    ("ident-long", _swap('text = "DE {callsign}"', 'text = "' + "DE " * 2000 + '{callsign}"')),
    ("ident-rule", _swap('rule = "after-each-round"', 'rule = "sometimes"')),
    ("ident-wpm-zero", _swap("wpm = 20.0", "wpm = 0.0")), ("ident-wpm-huge", _swap("wpm = 20.0", "wpm = 1e308")),
    ("ident-wpm-nan", _swap("wpm = 20.0", "wpm = nan")),
    ("huge-file", _GOOD + "# " + "x" * 3_000_000 + "\n"),
    ("many-keys", _GOOD + "[junk]\n" + "".join(f"k{i} = {i}\n" for i in range(50_000))),
]  # fmt: skip

REFUSE_PREFIXES = ("id-dotdot", "id-slash", "id-newline", "name-newline", "name-escape",
                   "start-9999", "start-abc", "dit-zero", "dit-neg", "dit-nan", "dit-inf",
                   "dit-1e308", "period-1e308", "period-zero", "period-nan", "rounds-zero",
                   "rounds-big", "toml-deep", "toml-bigint", "toml-syntax", "toml-empty",
                   "ident-huge-format", "band-inverted")  # fmt: skip


def event_files(sb: Sandbox) -> Iterator[tuple[str, Path, str]]:
    """Write every malformed event file; yield (name, path, expectation)."""
    edits: list[tuple[str, str | bytes]] = [(n, event_text(o)) for n, o in EVENT_FIELD_EDITS]
    for name, text in edits + EVENT_TEXT_EDITS:
        folder = sb.new(f"event-{name}")
        path = folder / "event.toml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        yield name, path, "error" if name.startswith(REFUSE_PREFIXES) else "any"


def event_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Every event file through ``schedule show`` and ``schedule plan``; some further."""
    further = {"id-dotdot", "name-newline", "name-escape", "start-9999", "period-1e308",
               "dit-1e-308", "rounds-1e9", "toml-bigint-extra", "ident-huge-format",
               "message-long", "start-0001", "band-huge"}  # fmt: skip
    for k, (name, path, expect) in enumerate(event_files(sb)):
        out = sb.out(f"event-{name}")
        if k % 2 == 0:  # plan reads the file as show does; show too for half of them
            yield Case(f"event-{name}/show", "event:schedule-show",
                       ["schedule", "show", str(path)], expect=expect)  # fmt: skip
        yield Case(f"event-{name}/plan", "event:schedule-plan",
                   ["schedule", "plan", str(path), "--callsign", "G4ABC", "--ics",
                    str(out / "p.ics")], allowed=[str(out)], expect=expect)  # fmt: skip
        if name in further:
            yield Case(f"event-{name}/detect", "event:detect",
                       ["detect", str(common["sigmf"]), "--schedule", str(path)])  # fmt: skip
            yield Case(f"event-{name}/waves", "event:waves-analyze",
                       ["waves", "analyze", str(common["pds"]), "--schedule", str(path)])  # fmt: skip
            yield Case(f"event-{name}/simulate", "event:waves-simulate",
                       ["waves", "simulate", "--schedule", str(path), "--out", str(out),
                        "--band", "HFRH", "--operators", "10"], allowed=[str(out)])  # fmt: skip


def _lines(records: list[Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _edge_edit(**fields: Any) -> str:
    recs = tx_records()
    recs[1] = {**recs[1], **fields}
    return _lines(recs)


_LOG = _lines(tx_records())

#: (name, TX log text or bytes).
TXLOG_EDITS: list[tuple[str, str | bytes]] = (
    [("empty", ""), ("not-json", "hello\n"), ("array", "[1, 2]\n"), ("null", "null\n"),
     ("number", "5\n"), ("deep", "[" * 200_000 + "]" * 200_000 + "\n"),
     ("deep-dict", '{"a":' * 100_000 + "1" + "}" * 100_000 + "\n"),
     ("bigint", _LOG.replace('"rounds": 1', f'"rounds": {BIG}')),
     ("bigint-round", _LOG.replace('"round": 1', f'"round": {BIG}', 1)),
     ("torn", _LOG[:-20]), ("no-start", _lines(tx_records()[1:])),
     ("only-start", _lines(tx_records()[:1])), ("edge-first", _lines(tx_records()[1:] + tx_records()[:1])),
     ("bom", "\ufeff" + _LOG), ("nul", _LOG.replace("\n", "\x00", 2)),
     ("bad-utf8", _LOG.encode().replace(b"G4ABC", b"G4\xffBC", 1)), ("crlf", _LOG.replace("\n", "\r\n")),
     ("huge", _LOG + ('{"type": "tune", "utc": "2013-10-09T18:00:00Z", "reply": "' + "x" * 1000 + '"}\n') * 60_000),
     ("long-line", _LOG + '{"type": "tune", "reply": "' + "x" * 5_000_000 + '"}\n'),
     ("nan", _LOG.replace('"freq_hz": 28400000.0', '"freq_hz": NaN', 1)),
     ("start-freq-str", _lines([{**tx_records()[0], "freq_hz": "abc"}] + tx_records()[1:])),
     ("start-freq-neg", _lines([{**tx_records()[0], "freq_hz": -1}] + tx_records()[1:])),
     ("start-freq-huge", _lines([{**tx_records()[0], "freq_hz": 1e308}] + tx_records()[1:])),
     ("start-call-eor", _lines([{**tx_records()[0], "callsign": "<EOR><CALL:3>BAD"}] + tx_records()[1:])),
     ("start-call-newline", _lines([{**tx_records()[0], "callsign": "G4\nABC"}] + tx_records()[1:])),
     ("start-call-long", _lines([{**tx_records()[0], "callsign": "G" * 10_000}] + tx_records()[1:])),
     ("start-call-int", _lines([{**tx_records()[0], "callsign": 5}] + tx_records()[1:])),
     ("start-grid-bad", _lines([{**tx_records()[0], "grid": "ZZ99<EOH>"}] + tx_records()[1:])),
     ("start-dit-nan", _lines([{**tx_records()[0], "dit_s": None}] + tx_records()[1:])),
     ("start-utc-9999", _lines([{**tx_records()[0], "utc": "9999-12-31T23:59:59Z"}] + tx_records()[1:])),
     ("start-transmit-str", _lines([{**tx_records()[0], "transmit": "yes"}] + tx_records()[1:])),
     ("type-unknown", _LOG.replace('"type": "stop"', '"type": "explode"')),
     ("type-missing", _lines([{k: v for k, v in r.items() if k != "type"} for r in tx_records()]))]
    + [(f"edge-{n}", _edge_edit(**f)) for n, f in [
        ("utc-9999", {"sent_utc": "9999-12-31T23:59:59.999Z"}), ("utc-abc", {"sent_utc": "abc"}),
        ("utc-naive", {"sent_utc": "2013-10-09T18:00:00"}), ("utc-int", {"sent_utc": 5}),
        ("utc-0001", {"sent_utc": "0001-01-01T00:00:00Z"}), ("round-neg", {"round": -1}),
        ("round-str", {"round": "1"}), ("round-float", {"round": 1.5}), ("key-side", {"key": "sideways"}),
        ("freq-str", {"freq_hz": "abc"}), ("freq-inf", {"freq_hz": 1e400}),
        ("transmit-null", {"transmit": None}), ("element-big", {"element": 10**30}),
        ("call-eor", {"callsign": "<EOR>"})]]
)  # fmt: skip


def txlog_cases(sb: Sandbox, common: dict[str, Path]) -> Iterator[Case]:
    """Every TX log through ``log adif`` (default output beside it, and ``--out``)."""
    for k, (name, text) in enumerate(TXLOG_EDITS):
        folder = sb.new(f"txlog-{name}")
        path = folder / "tx.jsonl"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        out = sb.out(f"txlog-{name}")
        expect = "error" if name in {"empty", "not-json", "deep", "deep-dict", "bigint"} else "any"
        yield Case(f"txlog-{name}/default", "txlog:log-adif", ["log", "adif", str(path)],
                   allowed=[str(folder / "tx.jsonl.adi"), str(folder / "tx.adi")], expect=expect)  # fmt: skip
        if k % 2:
            continue
        yield Case(f"txlog-{name}/dry", "txlog:log-adif",
                   ["log", "adif", str(path), "--include-dry-run", "--out", str(out / "x.adi")],
                   allowed=[str(out)], expect=expect)  # fmt: skip
