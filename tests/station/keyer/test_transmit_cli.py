"""`hi-station transmit` as a real process: signals mid-dit, dead rig, bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from station.cli import app

from .conftest import practice_toml, start_rigctld


def _launch(sched, rig_address, cwd, *extra):
    """`hi-station transmit SCHED --callsign N0CALL --rig ADDR --transmit --quiet EXTRA`
    (--ignore-clock: the clock check has its own tests, test_transmit_clock.py)."""
    args = [str(sched), "--callsign", "N0CALL", "--rig", rig_address, "--transmit", "--quiet",
            "--ignore-clock"]  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli", "transmit", *args, *extra],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_ptt(rig, want: bool, timeout_s: float = 15.0) -> None:
    with rig.probe() as probe:
        deadline = time.monotonic() + timeout_s
        while probe.get_ptt() != want:
            if time.monotonic() > deadline:
                raise AssertionError(f"PTT never became {want}")
            time.sleep(0.01)


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGTSTP]
)
def test_signal_in_the_middle_of_a_dit_leaves_ptt_at_0(rigctld, tmp_path, sig):
    sched = practice_toml(tmp_path / "p.toml", lead_s=2.0, dit_s=4.0)
    with _launch(sched, rigctld.address, tmp_path, "--log", "tx.jsonl") as proc:
        try:
            _wait_for_ptt(rigctld, True)
            time.sleep(1.0)  # well inside the 4 s dit
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=10)
        finally:
            proc.kill()
    assert proc.returncode == 128 + sig
    assert rigctld.ptt() is False
    stop = json.loads((tmp_path / "tx.jsonl").read_text().splitlines()[-1])
    assert stop["type"] == "stop" and stop["reason"] == sig.name and stop["unkeyed"] is True
    assert f"stopped by {sig.name}: key released" in err


@pytest.mark.parametrize(
    ("sig", "within_s"),
    [(signal.SIGKILL, (0.0, 1.5)), (signal.SIGSTOP, (1.0, 3.5))],
)
def test_the_guardian_releases_ptt_when_the_process_dies_or_freezes(
    rigctld, tmp_path, sig, within_s
):
    """SIGKILL and SIGSTOP cannot be caught; the out-of-process guard acts instead
    (at once when the process dies; after dit + margin = 2.5 s when it is frozen)."""
    sched = practice_toml(tmp_path / "p.toml", lead_s=2.0, dit_s=2.0)
    with _launch(
        sched, rigctld.address, tmp_path, "--log", "tx.jsonl", "--watchdog-margin-s", "0.5"
    ) as proc:
        try:
            _wait_for_ptt(rigctld, True)
            t0 = time.monotonic()
            proc.send_signal(sig)
            _wait_for_ptt(rigctld, False, timeout_s=10)
            released_s = time.monotonic() - t0
        finally:
            proc.kill()
    assert within_s[0] <= released_s <= within_s[1]
    deadline = time.monotonic() + 5  # the guardian logs just after the read-back
    while time.monotonic() < deadline:
        records = [json.loads(x) for x in (tmp_path / "tx.jsonl").read_text().splitlines()]
        if records[-1]["type"] == "guardian":
            break
        time.sleep(0.05)
    assert records[-1]["type"] == "guardian" and "PTT released" in records[-1]["message"]


def test_rigctld_killed_mid_event_ends_with_one_clear_line(tmp_path):
    rig = start_rigctld()
    sched = practice_toml(tmp_path / "p.toml", lead_s=2.0, dit_s=1.0)
    with _launch(sched, rig.address, tmp_path, "--rig-timeout-s", "1") as proc:
        try:
            _wait_for_ptt(rig, True)
            rig.proc.kill()
            rig.proc.wait()
            out, err = proc.communicate(timeout=15)
        finally:
            proc.kill()
            rig.stop()
    assert proc.returncode == 2
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: rigctld at {rig.address}") and "keying stopped" in last


def test_dry_run_rehearsal_completes(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sched = practice_toml(tmp_path / "p.toml", lead_s=0.8, dit_s=0.5, message="EE")
    result = runner.invoke(app, ["transmit", str(sched), "--callsign", "G4ABC/P", "--quiet"])
    assert result.exit_code == 0, result.output
    log = (tmp_path / "tx-practice-G4ABC-P.jsonl").read_text().splitlines()
    records = [json.loads(x) for x in log]
    assert sum(r["type"] == "edge" for r in records) == 4
    assert all(r["transmit"] is False for r in records)
    assert records[-1]["reason"] == "completed"


def _one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--callsign", "HELLO"], "--callsign='HELLO' is not an amateur callsign"),
        (["--callsign", "N0CALL/"], "--callsign='N0CALL/' is not an amateur callsign"),
        (["--callsign", "N0CALL", "--freq-mhz", "29.8"], "outside the event's band"),
        (["--callsign", "N0CALL", "--freq-mhz", "14.074"], "outside the event's band"),
        (["--callsign", "N0CALL", "--watchdog-margin-s", "0"], "--watchdog-margin-s=0 must be"),
        (["--callsign", "N0CALL", "--watchdog-margin-s", "1e10"], "--watchdog-margin-s=1e+10"),
        (["--callsign", "N0CALL", "--watchdog-margin-s", "inf"], "--watchdog-margin-s=inf"),
        (["--callsign", "N0CALL", "--rig-timeout-s", "0"], "--rig-timeout-s=0 must be"),
        (["--callsign", "N0CALL", "--rig-timeout-s", "-1"], "--rig-timeout-s=-1 must be"),
        (["--callsign", "N0CALL", "--rig-timeout-s", "0.02"], "--rig-timeout-s=0.02 must be"),
        (["--callsign", "N0CALL", "--mode", "CWW"], "--mode='CWW' is not a Hamlib mode"),
        (["--callsign", "N0CALL", "--serial", "loop://"], "one of --rig HOST:PORT and --serial"),
        (["--callsign", "N0CALL", "--rig", "nohost:0"], "--rig='nohost:0'"),
    ],
)
def test_bad_input_keys_nothing(rigctld, tmp_path, runner, monkeypatch, extra, needle):
    monkeypatch.chdir(tmp_path)
    probe = rigctld.probe()
    probe.set_freq(28_000_000)
    sched = practice_toml(tmp_path / "p.toml", lead_s=0.5)
    args = ["transmit", str(sched), "--transmit", *extra]
    if "--rig" not in extra:
        args += ["--rig", rigctld.address]
    line = _one_error_line(runner.invoke(app, args))
    assert needle in line
    assert probe.get_freq() == 28_000_000 and probe.get_ptt() is False
    assert not list(tmp_path.glob("*.jsonl"))


def test_transmit_without_a_rig_is_refused(tmp_path, runner):
    sched = practice_toml(tmp_path / "p.toml")
    line = _one_error_line(
        runner.invoke(app, ["transmit", str(sched), "--callsign", "N0CALL", "--transmit"])
    )
    assert "--transmit needs a rig" in line


def test_event_in_the_past_is_refused(tmp_path, runner, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = _one_error_line(
        runner.invoke(app, ["transmit", "juno-2013-10-09", "--callsign", "N0CALL"])
    )
    assert "nothing to key" in line


def test_dead_rig_address_ends_with_one_error_line(tmp_path, runner, monkeypatch):
    from .conftest import free_port

    monkeypatch.chdir(tmp_path)
    sched = practice_toml(tmp_path / "p.toml", lead_s=5)
    address = f"127.0.0.1:{free_port()}"
    args = ["transmit", str(sched), "--callsign", "N0CALL", "--transmit", "--rig", address,
            "--ignore-clock"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    errors = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert len(errors) == 1 and errors[0] == result.stderr.strip().splitlines()[-1]
    assert f"cannot reach rigctld at {address}" in errors[0]
    stop = json.loads((tmp_path / "tx-practice-N0CALL.jsonl").read_text().splitlines()[-1])
    assert stop["reason"] == "error" and stop["edges"] == 0
