"""A capture process stopped by SIGINT/SIGTERM closes its files; SIGKILL leaves recoverable ones."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sigmf

from tests.station.capture.conftest import band, meta
from tests.station.helpers import invoke

ROOT = Path(__file__).resolve().parents[3]


# Sets the stop signals as a shell would for a foreground command (those named in
# argv[1] ignored, as by nohup), then runs the CLI with the rest of argv.
_LAUNCH = """import runpy, signal, sys
ignored = {int(x) for x in sys.argv.pop(1).split(",") if x}
for num in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    default = signal.default_int_handler if num == signal.SIGINT else signal.SIG_DFL
    signal.signal(num, signal.SIG_IGN if num in ignored else default)
runpy.run_module("station.cli", run_name="__main__", alter_sys=True)
"""


def _popen(args: list[str], ignore: tuple[int, ...] = ()) -> subprocess.Popen:
    """Start ``hi-station *args`` with the usual stop signals (``ignore`` ignored).

    A suite run in the background or under nohup ignores SIGINT or SIGHUP, children
    inherit that, and a capture keeps a signal it was started ignoring ignored: so the
    child sets its own (in the child, not in a ``preexec_fn``, unsafe with threads).
    """
    flags = ",".join(str(int(x)) for x in ignore)
    return subprocess.Popen([sys.executable, "-c", _LAUNCH, flags, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _start(out: Path, ignore: tuple[int, ...] = ()) -> subprocess.Popen:
    args = ["capture", "--source", "synthetic", "--freq-mhz", "28.25", "--freq-mhz", "28.31",
            "--raw", "--out", str(out), "--duration-s", "120"]  # fmt: skip
    return _popen(args, ignore)


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


def test_a_capture_started_under_nohup_is_not_stopped_by_a_hangup(tmp_path):
    out = tmp_path / "cap"
    proc = _start(out, ignore=(signal.SIGHUP,))
    try:
        _wait_for_data(proc, out)
        proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert proc.poll() is None  # still capturing
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "stopped: SIGINT" in stdout, stderr


@pytest.mark.parametrize("fault", ["refused", "stalled", "slow"])
def test_the_first_sigint_ends_a_capture_blocked_on_a_lost_server_within_1_s(
    tmp_path, server_factory, fault
):
    # The client waits to reconnect (connections refused), on a server that sends
    # nothing (a 5 s silence before it counts as a drop) or on one far slower than the
    # sample rate (a 0.1 s block every 2 s): the first Ctrl-C still ends the capture
    # at once with what has arrived, every file closed, exit 0.
    server = server_factory(band(), pace=True, block_s=0.1)
    out = tmp_path / "cap"
    args = ["capture", "--source", server.url, "--freq-mhz", "28.25", "--freq-mhz", "28.31",
            "--raw", "--json", "--out", str(out)]  # fmt: skip
    proc = _popen(args)
    try:
        _wait_for_data(proc, out)
        if fault == "refused":
            server.drop(refuse_s=60)
        elif fault == "stalled":
            server.stall(60)
        else:
            server.speed = 0.05
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
    summary = json.loads(stdout)
    assert summary["stop_reason"] == "SIGINT"
    for f in [*summary["channels"], summary["raw"]]:  # reported as written
        handle = sigmf.fromfile(f["path"])  # closed with a checksum
        handle.validate()
        assert handle.sample_count == f["samples"] > 0


def test_the_first_sigint_ends_a_capture_waiting_for_a_server_header_within_1_s(tmp_path):
    # A peer that accepts the connection and sends nothing (the header would be waited
    # for 5 s): Ctrl-C ends it at once, one error line, nothing created.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        out = tmp_path / "cap"
        proc = _popen(["capture", "--source", f"rtl_tcp://127.0.0.1:{port}", "--freq-mhz",
                       "28.25", "--out", str(out)])
        try:
            conn, _ = listener.accept()
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            t0 = time.monotonic()
            _, stderr = proc.communicate(timeout=30)
            took_s = time.monotonic() - t0
            conn.close()
        finally:
            proc.kill()
    assert took_s < 1.0 and proc.returncode == 2, stderr
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "stopped" in lines[0], stderr
    assert not out.exists()


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
