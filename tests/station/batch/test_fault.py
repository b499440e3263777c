"""`hi-station batch --scheduler` on a real CLI cluster (`dask scheduler` + 2 `dask worker`).

The test starts the scheduler and two workers as processes on 127.0.0.1, runs the
batch against them as a separate process, and SIGKILLs the worker running the first
task as soon as that task has logged its start: every recording's result is written
exactly once, and the rerun is counted in the progress output and the result.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from station.batch.results import read_results
from station.batch.task import EVENT_TOPIC

ROOT = Path(__file__).resolve().parents[3]


def _wait(check, timeout_s: float, what: str, proc=None) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: process exited {proc.returncode}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def _cluster(d: Path, workers: int, *worker_args: str, **env_extra: str):
    """A `dask scheduler` and ``workers`` `dask worker` processes; yields the scheduler file."""
    sf = d / "scheduler.json"
    exe = os.path.join(os.path.dirname(sys.executable), "dask")
    env = dict(os.environ, DASK_TEMPORARY_DIRECTORY=str(d), PYTHONPATH=str(ROOT), **env_extra)
    logs = [open(d / f"{i}.log", "w") for i in range(workers + 1)]  # noqa: SIM115
    sched = subprocess.Popen([exe, "scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard", "--scheduler-file", str(sf)], env=env,
                             stdout=logs[0], stderr=subprocess.STDOUT)  # fmt: skip
    procs: list[subprocess.Popen] = []
    try:
        _wait(lambda: sf.exists() and sf.stat().st_size > 0, 30, "dask scheduler file", sched)
        procs = [subprocess.Popen([exe, "worker", "--scheduler-file", str(sf), "--host",
                                   "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                                   "--death-timeout", "15", "--local-directory", str(d),
                                   "--name", f"w{i}", *worker_args], env=env,
                                  stdout=logs[1 + i], stderr=subprocess.STDOUT)
                 for i in range(workers)]  # fmt: skip
        yield sf
    finally:
        for p in procs:  # workers first, then the scheduler (fast, clean exits)
            p.terminate()
        for p in procs:
            _stop(p)
        _stop(sched)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def dask_cli(tmp_path_factory):
    """A scheduler and 2 workers (CLI processes); yields (client, scheduler address)."""
    from distributed import Client

    with _cluster(tmp_path_factory.mktemp("dask"), 2) as sf:
        client = Client(scheduler_file=str(sf), timeout="20s")
        client.wait_for_workers(2, timeout=60)
        yield client, json.loads(sf.read_text())["address"]
        client.close()


def _batch(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "station.cli", "batch", *args],
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)  # fmt: skip


def test_worker_killed_mid_task_every_result_once_rerun_counted(dask_cli, recordings, practice,
                                                                 tmp_path):  # fmt: skip
    client, address = dask_cli
    out = tmp_path / "out"
    batch = _batch(str(recordings), "--out", str(out), "--schedule", str(practice),
                   "--sample-rate-hz", "240000", "--center-mhz", "28.4", "--scheduler", address,
                   "--json")  # fmt: skip
    try:
        started: list = []

        def a_task_started() -> bool:
            started[:] = [e[1] for e in client.get_events(EVENT_TOPIC)]
            return bool(started)

        _wait(a_task_started, 60, "a task to start", batch)
        time.sleep(0.2)  # inside replay now
        victim = started[0]
        os.kill(victim["pid"], signal.SIGKILL)
        stdout, stderr = batch.communicate(timeout=90)
    finally:
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["done"] == 4 and summary["rerun"] == 1, summary
    docs = read_results(out)
    assert sorted(d["recording"]["sha256"] for d in docs) == sorted(
        p.stem for p in (out / "results").iterdir()) and len(docs) == 4  # fmt: skip
    killed = [d for d in docs if d["recording"]["sha256"] == victim["sha256"]]
    assert len(killed) == 1 and killed[0]["attempts"] == 2 and killed[0]["replay"]
    assert f"rerun: {killed[0]['recording']['path']} (its worker died)" in stderr
    assert "1 rerun" in stderr.splitlines()[-1]
    assert all(d["error"] is None for d in docs)


def test_a_task_whose_workers_keep_dying_fails_and_says_so(recordings, practice, tmp_path):
    """A worker with a memory limit below one replay's needs is killed by its nanny each
    time; after allowed-failures (1 here) the task's result says so, and the batch exits 2."""
    out = tmp_path / "out"
    rec = recordings / "b.sigmf-meta"
    with _cluster(tmp_path, 1, "--memory-limit", "150MB",
                  DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1") as sf:
        batch = _batch(str(rec), "--out", str(out), "--schedule", str(practice),
                       "--scheduler-file", str(sf), "--json")
        stdout, stderr = batch.communicate(timeout=90)
    assert batch.returncode == 2, stderr
    summary = json.loads(stdout)
    assert (summary["done"], summary["failed"]) == (0, 1)
    [doc] = read_results(out)
    assert doc["replay"] is None and doc["error"].startswith(f"failed: {rec}: its worker died")
    assert f"error: failed: {rec}: its worker died each time it ran (KilledWorker" in stderr
