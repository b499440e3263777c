"""`hi-station report`: a batch folder of real replays, real TX logs, the table, JSON, PNG.

One module fixture records four stations (three real synthetic-band recordings replayed
by the real replay, one refused file) and keys five operators' TX logs with the real
runner (two against a real rigctld, so ``transmit`` is true), as a batch and an event
would leave them.  What each recording holds:

- G4AAA: rounds 1-3; HI on A in rounds 1 and 2 (-8 dB), on C in round 3 (-10 dB)
- bravo (no author: the file's name): rounds 2-3; nothing keyed
- K1CCC: rounds 2-3; HI on A in round 2 (-12 dB)
- delta: a SigMF file that is not JSON (refused)
- round 4: nobody recorded it (not covered)
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from scipy.stats import norm

from station.batch.heatmap import heatmap_size_px
from station.batch.report import build_report, significance_z
from station.cli import app
from station.keyer.rigctld import RigctldKeyer
from tests.station.batch.batchdir import (
    START,
    Recorded,
    event_toml,
    keyed,
    make_batch,
    write_tx_log,
)
from tests.station.keyer.conftest import start_rigctld


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("report")
    early, late = START - timedelta(seconds=2), START + timedelta(seconds=20)
    recordings = [
        Recorded("alpha", "G4AAA", early, 62.0,
                 (*keyed("A", [1, 2], early, -8.0), *keyed("C", [3], early, -10.0)), seed=1),
        Recorded("bravo", "", late, 40.0, (), seed=2),
        Recorded("charlie", "K1CCC", late, 40.0, tuple(keyed("A", [2], late, -12.0)), seed=3),
        Recorded("delta", "", early, 1.0, broken=True),
    ]  # fmt: skip
    out, event = make_batch(tmp / "out", recordings, work=tmp / "work")
    logs = tmp / "txlogs"
    logs.mkdir()
    rig = start_rigctld()
    try:
        for call, first in (("W1ABA", 1), ("W1ABC", 3), ("W1ABD", 1)):
            write_tx_log(
                logs / f"{call}.jsonl",
                event,
                call,
                backend=RigctldKeyer(rig.host, rig.port, timeout_s=5.0),
                from_round=first,
            )
    finally:
        rig.stop()
    write_tx_log(logs / "N0DRB.jsonl", event, "N0DRB")  # a dry run on B
    (tmp / "other.toml").write_text(event_toml(event_id="other-event"), encoding="utf-8")
    from station.schedule import load_event

    write_tx_log(logs / "other.jsonl", load_event(tmp / "other.toml"), "W1ABA")
    return {"out": out, "event": event, "logs": logs, "tmp": tmp}


def test_counts_per_round_and_channel(batch):
    report = build_report(batch["out"])
    assert [c.label for c in report.channels] == ["A", "B", "C"]
    assert report.stations == ("G4AAA", "K1CCC", "bravo")
    assert report.round_numbers == (1, 2, 3, 4, 0)
    heard = {(c.round_number, c.label): c.heard_by for c in report.cells if c.heard_by}
    assert heard == {
        (1, "A"): ("G4AAA",), (2, "A"): ("G4AAA", "K1CCC"), (3, "C"): ("G4AAA",),
        (0, "A"): ("G4AAA", "K1CCC"), (0, "C"): ("G4AAA",),
    }  # fmt: skip
    assert report.cell(1, "A").covered_by == ("G4AAA",)  # the others started at round 2
    assert report.cell(3, "A").covered_by == ("G4AAA", "K1CCC", "bravo")
    assert report.cell(3, "A").state == "not heard" and report.cell(3, "A").best_snr2500_db is None
    assert all(report.cell(4, ch).state == "not covered" for ch in "ABC")
    assert report.cell(2, "B").state == "not heard"
    two = report.cell(2, "A")
    assert two.stations == 2 and -9.5 < two.best_snr2500_db < -6.5  # G4AAA's -8 dB, not -12
    c3 = report.cell(3, "C")
    assert -11.5 < c3.best_snr2500_db < -8.5
    assert 0 < c3.best_false_alarm_probability < 1e-10
    assert c3.best_z == pytest.approx(norm.isf(c3.best_false_alarm_probability))
    assert significance_z(0.0) > 38  # an underflowed probability: the largest z
    [refused] = report.refused
    assert refused.station == "delta" and "not valid JSON" in refused.error
    assert report.operators == () and report.notes == ()


def test_tx_logs_matched_per_round_and_channel(batch):
    report = build_report(batch["out"], txlogs=[batch["logs"]])
    ops = {o.callsign: o for o in report.operators}
    assert set(ops) == {"W1ABA", "W1ABC", "W1ABD"}  # the dry run and the other event skipped
    a, c, d = ops["W1ABA"], ops["W1ABC"], ops["W1ABD"]
    assert (a.labels, a.rounds_keyed, a.rounds_heard, a.rounds_not_covered) == (
        ("A",),
        (1, 2, 3, 4),
        (1, 2),
        (4,),
    )
    assert (c.labels, c.rounds_keyed, c.rounds_heard, c.rounds_not_covered) == (
        ("C",),
        (3, 4),
        (3,),
        (4,),
    )
    assert d.labels == () and d.rounds_heard == () and d.outside_hz == (28_400_000.0,)
    assert report.cell(1, "A").keyed_by == ("W1ABA",) and report.cell(3, "C").keyed_by == ("W1ABC",)
    assert report.cell(1, "C").keyed_by == () and report.cell(0, "A").keyed_by == ()
    notes = " ".join(report.notes)
    assert "N0DRB" in notes and "--include-dry-run" in notes
    assert "other-event" in notes and "other.jsonl" in notes
    dry = build_report(batch["out"], txlogs=[str(batch["logs"] / "N0*.jsonl")],
                       include_dry_run=True)  # fmt: skip
    [b] = dry.operators
    assert (b.callsign, b.labels, b.rounds_keyed, b.rounds_heard) == (
        "N0DRB",
        ("B",),
        (1, 2, 3, 4),
        (),
    )
    assert dry.cell(2, "B").keyed_by == ("N0DRB",) and dry.cell(2, "B").state == "not heard"


def test_cli_table_json_round_trip_and_png(batch, runner, tmp_path):
    out = str(batch["out"])
    table = runner.invoke(app, ["report", out, "--txlog", str(batch["logs"] / "W1ABA.jsonl")])
    assert table.exit_code == 0, table.output
    text = table.stdout
    assert "2 / -" in text and "n/c" in text and "TX W1ABA" in text and "refused: delta" in text
    as_json = runner.invoke(app, ["report", out, "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data == json.loads(json.dumps(build_report(out).to_dict()))
    a2 = [c for c in data["cells"] if (c["round"], c["label"]) == (2, "A")][0]
    assert a2["stations"] == 2 and a2["heard_by"] == ["G4AAA", "K1CCC"] and a2["state"] == "heard"
    png = tmp_path / "map.png"
    args = ["report", out, "--png", str(png), "--txlog", str(batch["logs"])]
    assert runner.invoke(app, args).exit_code == 0
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == heatmap_size_px(4, 3)
    before = png.read_bytes()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "--overwrite" in again.stderr and png.read_bytes() == before
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0


def _copy(batch: dict, tmp: Path) -> Path:
    return Path(shutil.copytree(batch["out"], tmp / "copy"))


def _corrupt_result(d: Path) -> str:
    victim = sorted((d / "results").glob("*.json"))[0]
    victim.write_text('{"schema": "hi-station-batch-result/1", "recor', encoding="utf-8")
    return victim.name


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("missing", "no such folder"),
        ("no-manifest", "not a batch folder (no batch.json)"),
        ("foreign-manifest", "not a batch manifest (schema hi-station-batch/1 with options)"),
        ("empty", "holds no results yet"),
        ("corrupt", "not a batch result file"),
        ("png-folder", "does not exist; create it first"),
        ("txlog-garbage", "not a hi-station log record"),
        ("txlog-missing", "no such file or folder"),
        ("txlog-glob", "matches no file"),
        ("other-event", "is not the batch's event_id"),
    ],
)
def test_bad_input_is_one_line_exit_2(batch, runner, tmp_path, case, needle):
    d = _copy(batch, tmp_path)
    extra: list[str] = []
    name = ""
    if case == "missing":
        d = tmp_path / "nowhere"
    elif case == "no-manifest":
        (d / "batch.json").unlink()
    elif case == "foreign-manifest":
        (d / "batch.json").write_text('{"schema": "other/1"}', encoding="utf-8")
    elif case == "empty":
        for p in (d / "results").glob("*.json"):
            p.unlink()
    elif case == "corrupt":
        name = _corrupt_result(d)
    elif case == "png-folder":
        extra = ["--png", str(tmp_path / "no" / "map.png")]
    elif case == "txlog-garbage":
        bad = tmp_path / "bad.jsonl"
        bad.write_text('garbage\n{"type": "stop"}\n', encoding="utf-8")
        extra = ["--txlog", str(bad)]
    elif case == "txlog-missing":
        extra = ["--txlog", str(tmp_path / "none.jsonl")]
    elif case == "txlog-glob":
        extra = ["--txlog", str(tmp_path / "*.jsonl")]
    elif case == "other-event":
        (d / "event.toml").write_text(event_toml(event_id="other-event"), encoding="utf-8")
    result = runner.invoke(app, ["report", str(d), *extra])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
    assert name in lines[0]
    assert not (tmp_path / "no").exists()


def test_a_torn_last_line_of_a_tx_log_is_skipped_and_said(batch, tmp_path):
    log = tmp_path / "W1ABA.jsonl"
    log.write_bytes((batch["logs"] / "W1ABA.jsonl").read_bytes() + b'{"type": "edge", "ro')
    report = build_report(batch["out"], txlogs=[log])
    [op] = report.operators
    assert op.rounds_keyed == (1, 2, 3, 4)
    assert any("torn" in n for n in report.notes)
