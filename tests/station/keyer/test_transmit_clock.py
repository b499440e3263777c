"""`transmit` and the measured clock: a real chronyd (true, or shifted by faketime) and a
real rigctld on loopback."""

from __future__ import annotations

import json

from station.cli import app

from ..ntp_server import _free_udp_port
from .conftest import practice_toml


def _transmit(runner, sched, rig, *extra):
    args = ["transmit", str(sched), "--callsign", "N0CALL", "--rig", rig.address, "--quiet",
            "--log", str(sched.with_suffix(".jsonl")), *extra]  # fmt: skip
    return runner.invoke(app, args)


def _records(sched):
    return [json.loads(x) for x in sched.with_suffix(".jsonl").read_text().splitlines()]


def test_transmit_against_a_true_server_keys_and_logs_the_offset(
    rigctld, ntp_server, tmp_path, runner
):
    server = ntp_server()
    sched = practice_toml(tmp_path / "p.toml", lead_s=3.0, dit_s=0.5, message="E")
    result = _transmit(runner, sched, rigctld, "--transmit", "--ntp-server", server)
    assert result.exit_code == 0, result.output
    assert "clock offset +0.0" in result.stderr or "clock offset -0.0" in result.stderr
    start = _records(sched)[0]
    assert start["type"] == "start" and start["clock_server"] == server
    assert abs(start["clock_offset_s"]) < 0.020 and 0 <= start["clock_delay_s"] < 0.1
    assert sum(r["type"] == "edge" for r in _records(sched)) == 2
    assert rigctld.ptt() is False


def test_transmit_refuses_a_clock_3_s_off_and_keys_with_ignore_clock(
    rigctld, ntp_server, tmp_path, runner
):
    server = ntp_server("+3s")
    probe = rigctld.probe()
    probe.set_freq(28_000_000)
    sched = practice_toml(tmp_path / "p.toml", lead_s=3.0, dit_s=0.5, message="E")
    refused = _transmit(runner, sched, rigctld, "--transmit", "--ntp-server", server)
    assert refused.exit_code == 2
    line = refused.stderr.strip().splitlines()[-1]
    assert line.startswith("error: clock offset +3.0") and f"({server})" in line
    assert "above the 0.5 s limit: not keying" in line and "--ignore-clock" in line
    assert probe.get_freq() == 28_000_000 and probe.get_ptt() is False
    assert not sched.with_suffix(".jsonl").exists()

    sched = practice_toml(tmp_path / "q.toml", lead_s=3.0, dit_s=0.5, message="E")
    keyed = _transmit(runner, sched, rigctld, "--transmit", "--ntp-server", server,
                      "--ignore-clock")  # fmt: skip
    assert keyed.exit_code == 0, keyed.output
    start = _records(sched)[0]
    assert start["clock_offset_s"] is None and start["clock_server"] is None
    assert sum(r["type"] == "edge" and r["transmit"] for r in _records(sched)) == 2
    assert rigctld.ptt() is False


def test_a_larger_limit_lets_a_clock_3_s_off_key_with_a_warning(
    rigctld, ntp_server, tmp_path, runner
):
    server = ntp_server("+3s")
    sched = practice_toml(tmp_path / "p.toml", lead_s=3.0, dit_s=0.5, message="E")
    result = _transmit(runner, sched, rigctld, "--transmit", "--ntp-server", server,
                       "--max-clock-offset-s", "5")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: clock offset +3.0" in result.stderr and "above 0.1 s" in result.stderr
    assert abs(_records(sched)[0]["clock_offset_s"] - 3.0) < 0.020


def test_a_dry_run_only_warns_about_a_clock_off(ntp_server, tmp_path, runner, rigctld):
    server = ntp_server("-2.5s")
    sched = practice_toml(tmp_path / "p.toml", lead_s=3.0, dit_s=0.5, message="E")
    result = _transmit(runner, sched, rigctld, "--ntp-server", server)
    assert result.exit_code == 0, result.output
    assert "warning: clock offset -2.5" in result.stderr
    assert abs(_records(sched)[0]["clock_offset_s"] + 2.5) < 0.020
    sched = practice_toml(tmp_path / "q.toml", lead_s=3.0, dit_s=0.5, message="E")
    calm = _transmit(runner, sched, rigctld, "--ntp-server", server, "--warn-clock-offset-s", "3")
    assert calm.exit_code == 0, calm.output
    assert "clock offset -2.5" in calm.stderr and "warning: clock offset" not in calm.stderr


def test_no_server_answering_refuses_transmit_naming_the_fix(rigctld, tmp_path, runner):
    silent = f"127.0.0.1:{_free_udp_port()}"
    sched = practice_toml(tmp_path / "p.toml", lead_s=5.0, dit_s=0.5, message="E")
    result = _transmit(runner, sched, rigctld, "--transmit", "--ntp-server", silent)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [x for x in lines if x.startswith("error:")] == [lines[-1]]
    assert lines[-1].startswith(f"error: no NTP server answered ({silent}: no answer)")
    assert "--ntp-server HOST[:PORT]" in lines[-1] and "--ignore-clock" in lines[-1]
    assert rigctld.ptt() is False and not sched.with_suffix(".jsonl").exists()


def test_an_older_start_record_without_the_clock_still_reads():
    from station.keyer.records import StartRecord

    old = {"type": "start", "utc": "2013-10-09T17:59:55.000Z", "event_id": "juno-2013-10-09",
           "callsign": "N0CALL", "backend": "rigctld", "transmit": True}  # fmt: skip
    rec = StartRecord.from_json(old, "line 1")
    assert rec.clock_offset_s is None and rec.clock_delay_s is None and rec.clock_server is None
    assert rec.to_json()["clock_offset_s"] is None
