"""Representative cases of the fault suite (bench/faults.py), kept as fast tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sigmf

from bench.faults_keying import keying_trial
from station.sdr.rtltcp_server import RtlTcpServer
from tests.station.capture.conftest import band

ROOT = Path(__file__).resolve().parents[2]


def test_rigctld_frozen_during_a_key_down_releases_at_once_and_never_keys_again(tmp_path):
    trial = keying_trial("rigctld frozen during key-down", 2.0, tmp_path)
    assert trial.outcome == "error"  # the key-up timed out: keying stopped
    assert trial.rises == 0 and trial.queued_run == 0
    assert trial.latency_s < 1.0


def test_rigctld_frozen_before_a_key_down_never_runs_it_on_waking(tmp_path):
    trial = keying_trial("rigctld frozen before key-down", 2.0, tmp_path)
    assert trial.outcome == "error"
    assert trial.rises == 0 and trial.queued_run == 0  # the daemon's own trace
    assert trial.latency_s < 1.0


@pytest.fixture
def tiny_tmpfs(tmp_path):
    where = tmp_path / "small"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
                      capture_output=True).returncode:  # fmt: skip
        pytest.skip("mounting a tmpfs needs root")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_disk_filling_mid_capture_is_one_error_and_nothing_claimed(tiny_tmpfs):
    src = band()
    with RtlTcpServer(lambda s, n, rate, freq: src.samples_at(s, n)) as server:
        out = tiny_tmpfs / "cap"
        proc = subprocess.run(
            [sys.executable, "-m", "station.cli", "capture", "--source", server.url,
             "--freq-mhz", "28.25", "--raw", "--json", "--out", str(out), "--duration-s", "4"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert lines[-1].startswith("error: ") and "No space left on device" in lines[-1]
    assert sum(x.startswith("error") for x in lines) == 1 and "Traceback" not in proc.stderr
    assert not proc.stdout.strip()  # no recording reported written
    # The channel recording, closed first, is whole; the raw one keeps what fitted.
    for meta in out.glob("f1_*.sigmf-meta"):
        rec = json.loads(meta.read_text())
        if "core:sha512" in rec["global"]:
            assert sigmf.fromfile(meta).sample_count > 0
