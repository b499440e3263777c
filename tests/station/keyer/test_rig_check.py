"""First-run checks against a real rigctld: with ``-P RIG``, and without ``-P`` (refuses PTT)."""

from __future__ import annotations

import json

import pytest

from station.cli import app
from station.keyer.rig_check import check_rigctld
from station.keyer.rigctld_client import PTT_FIX

from .conftest import practice_toml, start_rigctld

FIX = "start rigctld with -P RIG (CAT PTT), or -P DTR|RTS -p PORT"


@pytest.fixture
def rigctld_no_ptt():
    rig = start_rigctld(ptt=None)
    try:
        yield rig
    finally:
        rig.stop()


def test_the_fix_is_named_once():
    assert FIX in PTT_FIX


def test_a_rigctld_without_p_fails_the_ptt_check_naming_the_fix(rigctld_no_ptt):
    report = check_rigctld(rigctld_no_ptt.address)
    assert [c.name for c in report.checks] == ["connection", "frequency", "mode", "PTT"]
    assert [c.ok for c in report.checks] == [True, True, True, False]
    assert "RPRT -11" in report.checks[-1].detail and FIX in report.checks[-1].detail
    assert report.summary().startswith(f"rigctld at {rigctld_no_ptt.address}: PTT FAILED")


def test_a_rigctld_without_p_is_never_keyed_by_the_ptt_test(rigctld_no_ptt):
    held = []
    report = check_rigctld(rigctld_no_ptt.address, ptt_test=True, sleep=held.append)
    assert not report.ok and report.checks[-1].name == "PTT" and held == []


def test_a_rigctld_with_p_rig_passes_without_keying(rigctld):
    probe = rigctld.probe()
    probe.set_freq(28_400_000)
    probe.set_mode("CW", 0)
    report = check_rigctld(rigctld.address)
    assert report.ok, report
    assert report.summary() == (
        f"rigctld at {rigctld.address} answers: 28.400000 MHz, mode CW, "
        "PTT 0 (read back; \\set_ptt 0 accepted)"
    )
    assert rigctld.ptt() is False


def test_the_ptt_test_keys_for_the_hold_and_releases(rigctld):
    seen = []
    report = check_rigctld(
        rigctld.address, ptt_test=True, sleep=lambda s: seen.append((s, rigctld.ptt()))
    )
    assert report.ok and report.checks[-1].name == "PTT test"
    assert seen == [(0.2, True)]  # an independent observer saw the key down during the hold
    assert rigctld.ptt() is False


def test_the_ptt_test_releases_when_interrupted(rigctld):
    def interrupt(_s):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_rigctld(rigctld.address, ptt_test=True, sleep=interrupt)
    assert rigctld.ptt() is False


def test_a_rig_already_transmitting_is_not_touched(rigctld):
    probe = rigctld.probe()
    probe.set_ptt(1)
    report = check_rigctld(rigctld.address, ptt_test=True, sleep=lambda s: None)
    assert not report.ok and "the rig is transmitting now" in report.checks[-1].detail
    assert rigctld.ptt() is True
    probe.set_ptt(0)


def test_doctor_rig_prints_each_check_and_exits_1_on_a_failure(
    rigctld_no_ptt, rigctld, ntp_server, runner
):
    server = ntp_server()
    bad = runner.invoke(app, ["doctor", "--rig", rigctld_no_ptt.address, "--ntp-server", server])
    assert bad.exit_code == 1
    assert "rig frequency: ok: 145.000000 MHz" in bad.stdout
    assert (
        f"rig PTT: FAILED: rigctld at {rigctld_no_ptt.address}" in bad.stdout and FIX in bad.stdout
    )
    assert "NTP: offset " in bad.stdout and f"against {server}" in bad.stdout
    good = runner.invoke(app, ["doctor", "--rig", rigctld.address, "--ptt-test", "--json",
                               "--ntp-server", server])  # fmt: skip
    assert good.exit_code == 0, good.output
    report = json.loads(good.stdout)
    assert report["rig"]["ok"] is True and report["rig"]["checks"][-1]["name"] == "PTT test"
    assert abs(report["clock_offset_s"]) < 0.020 and report["clock_server"] == server
    assert rigctld.ptt() is False


def test_doctor_ptt_test_needs_a_rig(runner):
    result = runner.invoke(app, ["doctor", "--ptt-test"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --ptt-test needs --rig HOST:PORT (the rigctld to key)"


def test_transmit_against_a_rigctld_without_p_stops_before_keying_naming_the_fix(
    rigctld_no_ptt, tmp_path, runner
):
    sched = practice_toml(tmp_path / "p.toml", lead_s=3.0, dit_s=0.5, message="E")
    log = tmp_path / "tx.jsonl"
    args = ["transmit", str(sched), "--callsign", "N0CALL", "--rig", rigctld_no_ptt.address,
            "--quiet", "--log", str(log), "--ignore-clock"]  # fmt: skip
    dry = runner.invoke(app, args)
    assert dry.exit_code == 0, dry.output
    assert "warning: rigctld at" in dry.stderr and FIX in dry.stderr
    assert "(--transmit would stop there)" in dry.stderr
    log.unlink()
    practice_toml(sched, lead_s=3.0, dit_s=0.5, message="E")  # the dry run used it up
    result = runner.invoke(app, [*args, "--transmit"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert [x for x in lines if x.startswith("error:")] == [lines[-1]]
    assert "'\\set_ptt 0' failed: RPRT -1 (invalid parameter)" in lines[-1] and FIX in lines[-1]
    records = [json.loads(x) for x in log.read_text().splitlines()]
    assert [r["type"] for r in records] == ["start", "stop"] and records[-1]["edges"] == 0


def test_a_dry_run_with_rig_reads_the_rig_and_keys_nothing(rigctld, tmp_path, runner):
    sched = practice_toml(tmp_path / "p.toml", lead_s=1.0, dit_s=0.5, message="E")
    args = ["transmit", str(sched), "--callsign", "N0CALL", "--rig", rigctld.address,
            "--quiet", "--log", str(tmp_path / "tx.jsonl"), "--ignore-clock"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"rigctld at {rigctld.address} answers: 145.000000 MHz, mode FM, PTT 0" in result.stderr
    assert "warning: clock not measured (--ignore-clock)" in result.stderr
    assert rigctld.probe().get_freq() == 145_000_000  # a dry run does not tune
