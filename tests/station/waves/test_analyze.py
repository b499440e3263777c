"""Simulator -> file -> reader -> analyzer, end to end, against the truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from station.cli import app
from station.errors import InputError
from station.schedule import load_event
from station.waves.analyze import analyze_series
from station.waves.simulate import SimulationConfig, predict, simulate
from station.waves.workflow import analyze_path, write_simulation

EVENT = load_event("juno-2013-10-09")


@pytest.fixture(scope="module")
def default_sim():
    return simulate(EVENT, SimulationConfig(seed=7))


def test_per_round_detections_match_the_truth_through_a_real_file(default_sim, tmp_path):
    csv, truth_path = write_simulation(default_sim, tmp_path)
    truth = json.loads(truth_path.read_text())
    result = analyze_path(csv, EVENT, png=tmp_path / "hi.png")
    assert result.png.read_bytes()[1:4] == b"PNG"
    thr = result.analysis.z_threshold_round
    for r, t in zip(result.analysis.rounds, truth["rounds"], strict=True):
        assert r.number == t["number"]
        if not t["has_data"]:  # safe mode: rows absent
            assert r.detected is None
        elif t["expected_z"] > thr + 3:  # clear in the truth: must be found
            assert r.detected, (r.number, r.z, t["expected_z"])
            assert abs(r.z - t["expected_z"]) < 4 + 0.25 * t["expected_z"]
        assert r.range_km == pytest.approx(t["range_km"], rel=1e-6)
    assert [t["has_data"] for t in truth["rounds"]].count(True) == 9
    assert result.analysis.stack_detected
    # off-band references see nothing: the hams are all inside 28-29 MHz
    assert all(abs(z) < 4 for r in result.analysis.rounds for z in r.reference_z if z is not None)


def test_noise_only_twenty_seeds_give_no_detection():
    hits = 0
    for seed in range(20):
        sim = simulate(EVENT, SimulationConfig(n_operators=0, seed=seed))
        a = analyze_series(sim.series, EVENT, pfa=1e-3)
        hits += sum(bool(r.detected) for r in a.rounds) + bool(a.stack_detected)
        hits += sum(bool(d.detected) for d in a.dits)
    assert hits == 0


def test_power_scales_detectability_as_predicted():
    weak = predict(EVENT, SimulationConfig(power_w=10.0))
    strong = predict(EVENT, SimulationConfig(power_w=1000.0))
    z_weak = [r.expected_z for r in weak.rounds if r.has_data]
    z_strong = [r.expected_z for r in strong.rounds if r.has_data]
    assert all(s > 5 * w for s, w in zip(z_strong, z_weak, strict=True) if w > 0.5)
    # 100x the power needs far fewer operators (not 100x fewer: the noise grows with it)
    assert strong.rounds[0].operators_for_pd90 < weak.rounds[0].operators_for_pd90 / 30


def test_schedule_outside_the_file_is_refused(default_sim):
    late = load_event("juno-2013-10-09")
    series = default_sim.series.between(0, default_sim.series.time_unix_s[0] + 600)
    with pytest.raises(InputError, match="outside the file's span"):
        analyze_series(series, late)


def test_cli_analyze_json_inspect_simulate_and_bad_input(runner, tmp_path):
    out = tmp_path / "sim"
    out.mkdir()
    res = runner.invoke(app, ["waves", "simulate", "--schedule", "juno-2013-10-09", "--out",
                              str(out), "--seed", "3", "--report"])
    assert res.exit_code == 0, res.output
    assert "ops Pd 0.9" in res.output
    csv = next(out.glob("WAV_*_E_V02.CSV"))
    res = runner.invoke(app, ["waves", "analyze", str(csv), "--schedule", "juno-2013-10-09",
                              "--json"])
    data = json.loads(res.stdout)
    assert data["rounds"][3]["detected"] is True and data["rounds"][12]["detected"] is None
    res = runner.invoke(app, ["waves", "inspect", str(csv), "--json"])
    assert json.loads(res.stdout)["channels"][1]["freq_hz"] == 28.5e6
    again = runner.invoke(app, ["waves", "simulate", "--schedule", "juno-2013-10-09", "--out",
                                str(out), "--seed", "3"])
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = tmp_path / "bad.CSV"
    bad.write_text("a\nb\nc\n" + "," * 28 + "x\n" + "," * 28 + "1e6\n")
    res = runner.invoke(app, ["waves", "analyze", str(bad), "--schedule", "juno-2013-10-09"])
    assert res.exit_code == 2
    assert res.stderr.count("\n") == 1 and "line 4, column 28" in res.stderr
    res = runner.invoke(app, ["waves", "simulate", "--schedule", "juno-2013-10-09"])
    assert res.exit_code == 2 and "nothing to do" in res.stderr


def test_real_das2_sample_is_inspected(runner):
    from pathlib import Path

    sample = Path(__file__).parent / "data" / "juno_waves_excerpt_2017-01-01.d2t"
    res = runner.invoke(app, ["waves", "inspect", str(sample), "--json"])
    assert res.exit_code == 0, res.output
    ch = {c["freq_hz"]: c for c in json.loads(res.stdout)["channels"]}
    c = ch[28.5e6]
    assert c["median"] == 1.277e-15
    assert c["amplitude_levels"][:2] == [6, 7] or 7 in c["amplitude_levels"]
    assert np.isclose(c["amplitude_step"], 5.1e-9, rtol=0.01)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["simulate", "--report", "--operators", "-1"], "operators -1: must be >= 0"),
        (["simulate", "--report", "--active-fraction", "2"], "--active-fraction 2.0: must be in"),
        (["simulate", "--report", "--safe-mode-utc", "tomorrow"], "--safe-mode-utc 'tomorrow'"),
        (["simulate", "--report", "--clock-error-s", "-1"], "--clock-error-s -1.0"),
        (["analyze", "SHIPPED", "--pfa", "0"], "--pfa=0.0 must be between 0 and 1"),
        (["analyze", "SHIPPED", "--channel-mhz", "100"], "channel 100 MHz: no channel"),
        (["analyze", "MISSING"], "no such file or folder"),
    ],
)
def test_cli_bad_values_are_one_line_exit_2(runner, tmp_path, args, match):
    from station.demo import shipped_waves

    args = [str(shipped_waves()) if a == "SHIPPED" else str(tmp_path / "nope.CSV")
            if a == "MISSING" else a for a in args]
    res = runner.invoke(app, ["waves", *args[:1], *args[1:], "--schedule", "juno-2013-10-09"])
    assert res.exit_code == 2, res.output
    assert res.stderr.count("\n") == 1 and match in res.stderr


def test_cli_outputs_are_never_overwritten(runner, tmp_path):
    from station.demo import shipped_waves

    png = tmp_path / "hi.png"
    png.write_bytes(b"keep")
    base = ["waves", "analyze", str(shipped_waves()), "--schedule", "juno-2013-10-09"]
    res = runner.invoke(app, [*base, "--png", str(png)])
    assert res.exit_code == 2 and "already exists" in res.stderr and png.read_bytes() == b"keep"
    res = runner.invoke(app, ["waves", "simulate", "--schedule", "juno-2013-10-09", "--out",
                              str(tmp_path), "--band", "XYZ"])
    assert res.exit_code == 2 and "band XYZ: not a receiver band" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hi.png"]


def test_the_default_false_alarm_probability_is_the_documented_one(default_sim, runner):
    from station.waves.analyze import DEFAULT_PFA

    assert DEFAULT_PFA == 1e-4
    a = analyze_series(default_sim.series, EVENT)
    assert a.pfa == DEFAULT_PFA
    assert predict(EVENT, SimulationConfig(seed=7)).pfa == DEFAULT_PFA
    help_text = runner.invoke(app, ["waves", "analyze", "--help"]).output
    assert "0.0001" in help_text
