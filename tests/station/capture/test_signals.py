"""A capture process stopped by SIGINT/SIGTERM closes its files; SIGKILL leaves recoverable ones."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sigmf

from tests.station.capture.conftest import band, meta
from tests.station.helpers import invoke

ROOT = Path(__file__).resolve().parents[3]


def _start(out: Path) -> subprocess.Popen:
    args = [sys.executable, "-m", "station.cli", "capture", "--source", "synthetic",
            "--freq-mhz", "28.25", "--freq-mhz", "28.31", "--raw", "--out", str(out),
            "--duration-s", "120"]  # fmt: skip
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def _wait_for_data(proc: subprocess.Popen, out: Path, min_bytes: int = 2000 * 8) -> list[Path]:
    """Wait until every data file holds a second of channel output (or its raw share)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        data = sorted(out.glob("*.sigmf-data"))
        if len(data) == 3 and all(p.stat().st_size >= min_bytes for p in data):
            return sorted(out.glob("*.sigmf-meta"))
        time.sleep(0.05)
    raise AssertionError("no data written")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_closes_every_file_and_exits_0(tmp_path, signum):
    out = tmp_path / "cap"
    proc = _start(out)
    try:
        metas = _wait_for_data(proc, out)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    name = signal.Signals(signum).name
    assert proc.returncode == 0, stderr
    assert f"stopped by {name}; files closed" in stderr and "Traceback" not in stderr
    assert f"stopped: {name}" in stdout
    for path in metas:
        assert meta(path)["global"]["core:sha512"]
        handle = sigmf.fromfile(path)  # checksum verified
        handle.validate()
        assert handle.sample_count > 0


def test_sigkill_leaves_recordings_that_recover_makes_valid(tmp_path, runner):
    out = tmp_path / "cap"
    proc = _start(out)
    try:
        metas = _wait_for_data(proc, out)
        time.sleep(1.2)  # past a sync of every file
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    for path in metas:
        assert "core:sha512" not in meta(path)["global"]  # cut short
        result = invoke(runner, "recording", "recover", path, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["sha512_written"] and report["samples_kept"] > 0
        assert report["duration_s"] > 1.0
        handle = sigmf.fromfile(path)
        handle.validate()
        assert handle.sample_count == report["samples_kept"]


@pytest.mark.parametrize("fault", ["refused", "stalled"])
def test_the_first_sigint_ends_a_capture_blocked_on_a_lost_server_within_1_s(
    tmp_path, server_factory, fault
):
    # The client waits to reconnect (connections refused) or on a server that sends
    # nothing (a 5 s silence before it counts as a drop): the first Ctrl-C still
    # ends the capture at once, every file closed, exit 0.
    server = server_factory(band(), pace=True)
    out = tmp_path / "cap"
    args = [sys.executable, "-m", "station.cli", "capture", "--source", server.url,
            "--freq-mhz", "28.25", "--freq-mhz", "28.31", "--raw", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        metas = _wait_for_data(proc, out)
        if fault == "refused":
            server.drop(refuse_s=60)
        else:
            server.stall(60)
        time.sleep(0.6)
        proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        stdout, stderr = proc.communicate(timeout=30)
        took_s = time.monotonic() - t0
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert took_s < 1.0
    assert "stopped by SIGINT; files closed" in stderr and "Traceback" not in stderr
    assert "stopped: SIGINT" in stdout
    for path in metas:
        handle = sigmf.fromfile(path)  # closed with a checksum
        handle.validate()
        assert handle.sample_count > 0


@pytest.mark.parametrize("how", ["rm -rf", "mv"])
def test_capture_whose_output_folder_goes_away_stops_with_one_error(tmp_path, how):
    # The folder removed (or moved) mid-capture: the samples would go on into files
    # that are no longer there.  Capture stops at the next sync, with one error line
    # and exit 2, and never reports a recording written.
    out = tmp_path / "cap"
    proc = _start(out)
    try:
        _wait_for_data(proc, out)
        if how == "rm -rf":
            shutil.rmtree(out)
        else:
            out.rename(tmp_path / "moved")
        t0 = time.monotonic()
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2, stderr
    assert time.monotonic() - t0 < 5
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert lines[-1].startswith("error: ") and "removed, moved or replaced" in lines[-1]
    assert sum(x.startswith("error") or "ERROR" in x for x in lines) == 1, stderr
    assert "Traceback" not in stderr and "wrote" not in stdout
