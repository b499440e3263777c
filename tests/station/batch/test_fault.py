"""`hi-station batch --scheduler` on a real CLI cluster (`dask scheduler` + 2 `dask worker`).

The test starts the scheduler and two workers as processes on 127.0.0.1, runs the
batch against them as a separate process, and SIGKILLs the worker running the first
task as soon as that task has logged its start: every recording's result is written
exactly once, and the rerun is counted in the progress output and the result.
"""

from __future__ import annotations

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


@pytest.fixture(scope="module")
def dask_cli(tmp_path_factory):
    """A scheduler and 2 workers (CLI processes); yields (client, scheduler address)."""
    from distributed import Client

    d = tmp_path_factory.mktemp("dask")
    sf = d / "scheduler.json"
    exe = os.path.join(os.path.dirname(sys.executable), "dask")
    env = dict(os.environ, DASK_TEMPORARY_DIRECTORY=str(d), PYTHONPATH=str(ROOT))
    logs = [open(d / f"{name}.log", "w") for name in ("scheduler", "w0", "w1")]  # noqa: SIM115
    sched = subprocess.Popen([exe, "scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard", "--scheduler-file", str(sf)], env=env,
                             stdout=logs[0], stderr=subprocess.STDOUT)  # fmt: skip
    workers: list[subprocess.Popen] = []
    try:
        _wait(lambda: sf.exists() and sf.stat().st_size > 0, 30, "dask scheduler file", sched)
        workers = [subprocess.Popen([exe, "worker", "--scheduler-file", str(sf), "--host",
                                     "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                                     "--death-timeout", "15", "--local-directory", str(d),
                                     "--name", f"w{i}"], env=env,
                                    stdout=logs[1 + i], stderr=subprocess.STDOUT)
                   for i in range(2)]  # fmt: skip
        client = Client(scheduler_file=str(sf), timeout="20s")
        client.wait_for_workers(2, timeout=60)
        yield client, json.loads(sf.read_text())["address"]
        client.close()
    finally:
        for p in workers:  # workers first, then the scheduler (fast, clean exits)
            p.terminate()
        for p in workers:
            _stop(p)
        _stop(sched)
        for log in logs:
            log.close()


def test_worker_killed_mid_task_every_result_once_rerun_counted(dask_cli, recordings, practice,
                                                                 tmp_path):  # fmt: skip
    client, address = dask_cli
    out = tmp_path / "out"
    args = [sys.executable, "-m", "station.cli", "batch", str(recordings), "--out", str(out),
            "--schedule", str(practice), "--sample-rate-hz", "240000", "--center-mhz", "28.4",
            "--scheduler", address, "--json"]  # fmt: skip
    batch = subprocess.Popen(args, env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
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
