"""`hi-station batch` on a real LocalCluster: results as replay --json, reruns, refusals.

One module run analyses the four recordings of the conftest (2 worker processes);
the other tests rerun, change, add a broken file, or give bad inputs.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from station.batch.results import read_results
from tests.station.batch.conftest import write_recording
from tests.station.helpers import assert_one_error_line, invoke

ROOT = Path(__file__).resolve().parents[3]
RAW = ("--sample-rate-hz", "240000", "--center-mhz", "28.4")
WALL = ("channelize_s", "analyse_s", "path")


def _batch(runner, inputs, out, practice, *extra):
    return invoke(runner, "batch", *inputs, "--out", out, "--schedule", practice, *RAW, "--json",
                  *extra)


def _summary(result) -> dict:
    assert result.stdout.strip(), (result.exit_code, result.stderr)
    return json.loads(result.stdout)


def _bare(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in WALL}


@pytest.fixture(scope="module")
def first(recordings, practice, tmp_path_factory):
    """The first batch of the four recordings, TMPDIR watched."""
    tmp = tmp_path_factory.mktemp("tmpdir")
    out = tmp_path_factory.mktemp("batch") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(tmp))
        from typer.testing import CliRunner

        result = _batch(CliRunner(), [str(recordings)], out, practice, "--workers", "2")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return out, _summary(result), result.stderr, tmp


def test_results_equal_replay_json_for_each_recording(first, recordings, practice, runner):
    out, summary, stderr, tmp = first
    assert summary["done"] == 4 and summary["skipped"] == 0 and summary["cluster_started"]
    assert stderr.count("done: ") == 4 and "4 done" in stderr
    docs = read_results(out)
    assert len(docs) == 4 and all(d["attempts"] == 1 and d["error"] is None for d in docs)
    for doc in docs:
        path = doc["recording"]["path"]
        extra = RAW if path.endswith(".cu8") else ()
        alone = invoke(runner, "replay", path, "--schedule", practice, "--json", *extra)
        assert alone.exit_code == 0, alone.stderr
        assert _bare(doc["replay"]) == _bare(json.loads(alone.stdout)), path
        assert 0 < doc["peak_rss_mb"] < 300 and doc["worker"].startswith("tcp://127.0.0.1:")
    stations = sorted(d["recording"]["station"] for d in docs)
    assert stations == ["G4ABC", "b", "c", "d"]
    table = pq.read_table(out / "results.parquet").to_pylist()
    assert {r["station"] for r in table} == set(stations)
    assert any(r["round"] == 0 and r["detected"] for r in table)
    assert not (out / ".dask").exists() and list(tmp.iterdir()) == []  # scratch went in .dask
    manifest = json.loads((out / "batch.json").read_text())
    assert manifest["options"]["pfa"] == 1e-3 and (out / "event.toml").read_text()


def test_rerun_skips_all_without_starting_or_importing_dask(first, recordings, practice):
    out, summary, _, _ = first
    before = {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()}
    args = [sys.executable, "-X", "importtime", "-m", "station.cli", "batch", str(recordings),
            "--out", str(out), "--schedule", str(practice), *RAW, "--json"]  # fmt: skip
    run = subprocess.run(args, capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    again = json.loads(run.stdout)
    assert again["skipped"] == 4 and again["done"] == 0 and again["hashed"] == 0
    assert not again["cluster_started"] and not (out / ".dask").exists()
    assert "| distributed" not in run.stderr and "| dask" not in run.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (out / "results").iterdir()} == before


def test_changed_file_redone_broken_file_refused_others_skipped(first, recordings, practice,
                                                                runner, tmp_path):  # fmt: skip
    out0, _, _, _ = first
    recs, out = tmp_path / "recs", tmp_path / "out"
    shutil.copytree(recordings, recs)
    shutil.copytree(out0, out)
    moved = _summary(_batch(runner, [str(recs)], out, practice))  # new paths, same content
    assert moved["skipped"] == 4 and moved["hashed"] == 4 and not moved["cluster_started"]
    write_recording(recs / "sub" / "c", 99, overwrite=True)  # a new take of c: new content
    broken = recs / "e.sigmf-meta"
    broken.write_text("{ not json")
    result = _batch(runner, [str(recs)], out, practice, "--workers", "1")
    assert result.exit_code == 2
    summary = _summary(result)
    assert (summary["done"], summary["skipped"], summary["refused"], summary["hashed"]) \
        == (1, 3, 1, 2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and str(broken) in errors[0] and "not valid JSON" in errors[0]
    assert result.stderr.strip().splitlines()[-1].startswith("batch: 5 recordings: 1 done")
    docs = {d["recording"]["path"]: d for d in read_results(out)}
    assert docs[str(broken)]["replay"] is None and "JSON" in docs[str(broken)]["error"]
    assert docs[str(recs / "sub" / "c.sigmf-meta")]["replay"]["channels"]
    assert len(docs) == 6  # the old c's result stays (keyed by content)
    rerun = _batch(runner, [str(recs)], out, practice)  # the refusal is kept, and said again
    assert rerun.exit_code == 2 and _summary(rerun)["skipped"] == 5


@pytest.mark.parametrize("case", ["missing", "glob", "empty-folder", "out-file", "out-stray",
                                  "pfa", "sideband", "other-options", "workers"])  # fmt: skip
def test_bad_inputs_exit_2_with_one_line(case, first, recordings, practice, runner, tmp_path):
    out0, _, _, _ = first
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "file").write_text("x")
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "notes.txt").write_text("x")
    rec, out = str(recordings), str(tmp_path / "new")
    args, fragment = {
        "missing": ([str(tmp_path / "nope.cu8"), "--out", out], "does not exist"),
        "glob": ([str(tmp_path / "*.wav"), "--out", out], "matches no file or folder"),
        "empty-folder": ([str(empty), "--out", out], "holds no recordings"),
        "out-file": ([rec, "--out", str(tmp_path / "file")], "is a file"),
        "out-stray": ([rec, "--out", str(tmp_path / "stray")], "is not a batch folder"),
        "pfa": ([rec, "--out", out, "--pfa", "2"], "--pfa=2 must be"),
        "sideband": ([rec, "--out", out, "--sideband", "xsb"], "--sideband='xsb'"),
        "other-options": ([rec, "--out", str(out0), "--pfa", "0.01", "--schedule", str(practice),
                           *RAW], "holds a batch made with --pfa=0.001; give another --out"),
        "workers": ([rec, "--out", out, "--workers", "0"], "--workers=0 must be"),
    }[case]  # fmt: skip
    assert_one_error_line(invoke(runner, "batch", *args), fragment)
    assert not Path(out).exists()


def test_a_stopped_batch_keeps_its_results_and_the_next_run_does_the_rest(recordings, practice,
                                                                          tmp_path):  # fmt: skip
    out = tmp_path / "out"
    args = [sys.executable, "-m", "station.cli", "batch", str(recordings), "--out", str(out),
            "--schedule", str(practice), *RAW, "--workers", "1", "--json"]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(args, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (out / "results").is_dir() or not any((out / "results").glob("*.json")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped (SIGTERM)" in stderr.strip().splitlines()[-1]
    kept = len(list((out / "results").glob("*.json")))
    assert 1 <= kept < 4 and not (out / ".dask").exists()
    rest = subprocess.run([*args, "--workers", "2"], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    summary = json.loads(rest.stdout)
    assert (summary["done"], summary["skipped"]) == (4 - kept, kept), rest.stderr


def test_a_recording_gone_while_keying_stops_the_batch_and_closes_its_cluster(
    recordings, practice, runner, tmp_path, monkeypatch
):
    """The largest recording's task starts while the rest are keyed; one vanishes: exit 2."""
    import station.batch.identity as identity

    recs, out = tmp_path / "recs", tmp_path / "out"
    shutil.copytree(recordings, recs)
    victim = recs / "sub" / "d.cu8"  # the smallest (no metadata): keyed last
    real = identity.content_sha256

    def vanishing(path):
        if path == victim:  # deleted once the cluster is starting for the others
            deadline = time.monotonic() + 60
            while not (out / ".dask").exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            victim.unlink()
        return real(path)

    monkeypatch.setattr(identity, "content_sha256", vanishing)
    result = invoke(runner, "batch", str(recs), "--out", out, "--schedule", practice, *RAW)
    assert_one_error_line(result, f"{victim}: cannot read")
    assert not (out / ".dask").exists() and not list(out.glob("results/*.json"))
    index = json.loads((out / "index.json").read_text())  # the hashes made are kept
    assert len(index) == 3 and str(victim) not in index
