"""`hi-station run` end to end: real processes, a synthetic source, practice events of seconds.

One module fixture starts three services at once (the suite's budget: about 25 s in
all): a full run with a dry-run transmit child, a run SIGKILLed after round 1 and
started again (it resumes in segments/002), and a run stopped by SIGTERM mid-event.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sigmf

from station.errors import InputError
from station.schedule.practice import write_practice_event
from station.service import ServiceRequest, run_service
from station.service.journal import read_jsonl
from tests.station.helpers import snapshot

ROOT = Path(__file__).resolve().parents[3]
_TIMEOUT_S = 60.0


def _event(path: Path, start: datetime, period_s: float, rounds: int = 2) -> Path:
    return write_practice_event(path, start_utc=start, dit_s=0.5, round_period_s=period_s,
                                rounds=rounds, ident_rule="none")  # fmt: skip


def _service(event: Path, out: Path, *extra: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "station.cli", "run", str(event), "--out", str(out),
            "--callsign", "N0CALL", "--source", "synthetic", "--lead-s", "1", "--tail-s", "1",
            "--seed", "1", *extra]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _kinds(run: Path) -> list[str]:
    """The journal's kinds of line, without the grabs (one per frame, checked apart)."""
    return [line["kind"] for line in read_jsonl(run / "journal.jsonl") if line["kind"] != "grab"]


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _until(check, deadline: float) -> None:
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the three services at once; return their folders, outputs and exit codes."""
    tmp = tmp_path_factory.mktemp("service")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    hooked = tmp / "hooked"
    hooked.mkdir()
    hook = (f"{sys.executable} -c \"import pathlib, sys; p = pathlib.Path(sys.argv[1]); "
            "pathlib.Path(sys.argv[2], p.name).write_bytes(p.read_bytes()[:8])\" "
            f"{{path}} {hooked}")
    full = _service(_event(tmp / "full.toml", start, 10.0), tmp / "full", "--key",
                    "--ignore-clock", "--on-grab", hook, "--palette", "magma")  # fmt: skip
    first = _service(_event(tmp / "restart.toml", start, 14.0), tmp / "restart")
    term = _service(_event(tmp / "term.toml", start, 10.0), tmp / "term", "--key",
                    "--ignore-clock")  # fmt: skip
    deadline = time.monotonic() + _TIMEOUT_S
    out: dict = {"tmp": tmp}
    try:
        # SIGTERM mid-event, once the transmit child has keyed.
        tx = tmp / "term" / "tx.jsonl"
        _until(lambda: sum(r.get("type") == "edge" for r in read_jsonl(tx)) >= 2, deadline)
        term.send_signal(signal.SIGTERM)
        out["term"] = (term.wait(_TIMEOUT_S), *term.communicate())
        # SIGKILL once round 1 is in, then start again on the same folder.
        _until(lambda: "round" in _kinds(tmp / "restart"), deadline)
        first.kill()
        first.communicate()
        out["seg1_before"] = _hashes(tmp / "restart" / "segments" / "001")
        again = _service(tmp / "restart.toml", tmp / "restart")
        out["full"] = (full.wait(_TIMEOUT_S), *full.communicate())
        out["restart"] = (again.wait(_TIMEOUT_S), *again.communicate())
        out["seg1_after"] = _hashes(tmp / "restart" / "segments" / "001")
    finally:
        for proc in (full, first, term):
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return out


def test_a_full_run_finishes_with_rounds_report_status_and_keying(runs: dict) -> None:
    code, _, err = runs["full"]
    run = runs["tmp"] / "full"
    assert code == 0, err
    assert _kinds(run) == ["start", "segment", "round", "round", "report", "stop"], err
    grabs = [r["path"] for r in read_jsonl(run / "journal.jsonl") if r["kind"] == "grab"]
    frames = sorted(p for p in grabs if "_stack_" not in p)
    assert len(frames) >= 2 and len(set(frames)) == len(frames), grabs  # one per frame, once
    assert sum("_stack_" in p for p in grabs) == 2, grabs  # the stack redrawn after each round
    assert all((run / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in grabs)
    # the --on-grab hook ran on each grab, with its path (it copied the PNG signature)
    hooked = runs["tmp"] / "hooked"
    assert {p.name for p in hooked.iterdir()} == {Path(p).name for p in grabs}
    assert all(p.read_bytes() == b"\x89PNG\r\n\x1a\n" for p in hooked.iterdir())
    fall = json.loads((run / "waterfall.json").read_text())
    pixels = base64.b64decode(fall["pixels_b64"])
    assert fall["version"] == 1 and len(pixels) == fall["n_time"] * fall["n_freq"] > 0
    rounds = read_jsonl(run / "rounds.jsonl")
    assert [r["round_number"] for r in rounds] == [1, 2]
    assert all(r["channels"][0]["detected"] for r in rounds), rounds
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "finished" and status["round"] == {"number": 2, "of": 2}
    assert status["station"]["keying"] is True and status["station"]["transmit"] is False
    assert len(status["key_downs_utc"]) == 12 and status["capture"]["segment"] == 1
    report = json.loads((run / "report.json").read_text())
    assert report["rounds_detected"] == 2 and report["channels"][0]["detected"] == 2
    assert "detected: 2" in (run / "report.md").read_text()
    # The transmit child keyed every edge (dry run), then ended on its own: exit 0.
    tx = read_jsonl(run / "tx.jsonl")
    edges = [r for r in tx if r["type"] == "edge"]
    assert len(edges) == 24 and not any(r["transmit"] for r in edges)
    assert [r["reason"] for r in tx if r["type"] == "stop"] == ["completed"]
    assert read_jsonl(run / "journal.jsonl")[-1]["transmit_exit_code"] == 0
    assert report["tx"]["edges"] == 24


def test_sigterm_stops_cleanly_and_stops_the_transmit_child(runs: dict) -> None:
    code, _, err = runs["term"]
    run = runs["tmp"] / "term"
    assert code == 0, err
    assert _kinds(run)[-1] == "stop" and "report" not in _kinds(run)
    stop = read_jsonl(run / "journal.jsonl")[-1]
    assert stop["state"] == "stopped" and stop["reason"] == "SIGTERM"
    assert stop["transmit_exit_code"] is not None
    assert json.loads((run / "status.json").read_text())["state"] == "stopped"
    tx_stops = [r for r in read_jsonl(run / "tx.jsonl") if r["type"] == "stop"]
    assert [(r["reason"], r["unkeyed"]) for r in tx_stops] == [("SIGTERM", True)]
    meta = next((run / "segments" / "001").glob("*.sigmf-meta"))
    assert sigmf.SHA512_KEY in json.loads(meta.read_text())["global"]  # closed cleanly


def test_a_restart_after_sigkill_resumes_in_a_new_segment(runs: dict) -> None:
    code, _, err = runs["restart"]
    run = runs["tmp"] / "restart"
    assert code == 0, err
    assert runs["seg1_after"] == runs["seg1_before"]  # segment 1 untouched (left as killed)
    kinds = _kinds(run)
    assert kinds[:3] == ["start", "segment", "round"] and "resume" in kinds
    resume = next(r for r in read_jsonl(run / "journal.jsonl") if r["kind"] == "resume")
    assert resume["segment"] == 2 and resume["previous_segment"] == "segments/001"
    assert 0 < resume["downtime_s"] < 5 and resume["rounds_done"] == [1]
    numbers = [r["round_number"] for r in read_jsonl(run / "rounds.jsonl")]
    assert numbers == [1, 2]  # round 2 from segment 2; none twice
    meta = next((run / "segments" / "002").glob("*.sigmf-meta"))
    notes = [a for a in json.loads(meta.read_text())["annotations"]
             if a["core:label"] == "resume"]  # fmt: skip
    assert len(notes) == 1 and notes[0]["core:sample_start"] == 0
    assert "s down" in notes[0]["core:comment"] and "segments/001" in notes[0]["core:comment"]
    report = json.loads((run / "report.json").read_text())
    assert report["segments"] == 2 and report["resumes"][0]["segment"] == 2


def test_a_bad_out_is_refused_with_nothing_touched(tmp_path: Path) -> None:
    start = datetime.now(UTC) + timedelta(hours=1)
    event = _event(tmp_path / "ev.toml", start, 10.0)
    other = _event(tmp_path / "other.toml", start, 10.0)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "journal.jsonl").write_text(json.dumps(
        {"utc": "2026-01-01T00:00:00Z", "kind": "start", "event_id": "other",
         "event_start_utc": "2026-01-01T00:00:00.000000Z"}) + "\n")  # fmt: skip
    before = snapshot(tmp_path)
    for out, words in ((a_file, "is a file"), (stranger, "not a run folder"),
                       (theirs, "is the run of event 'other'")):  # fmt: skip
        with pytest.raises(InputError, match=words):
            run_service(ServiceRequest(str(event), out, "N0CALL", "synthetic"))
    assert snapshot(tmp_path) == before
    # The command: one error line, exit 2.
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "station.cli", "run", str(other), "--out", str(stranger),
            "--callsign", "N0CALL", "--source", "synthetic"]  # fmt: skip
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: --out=") and "not a run folder" in done.stderr
    assert snapshot(tmp_path) == before
