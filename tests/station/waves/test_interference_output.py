"""Vetoed rounds and masked bursts reach the figure, the text output and --json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from station.cli import app
from station.schedule import load_event
from station.waves.analyze import analyze_series, expected_key_downs
from station.waves.hostile import Burst, Scene, bursts_on_rounds, render_survey
from station.waves.pds_csv import write_pds_csv
from station.waves.plot import VETOED_BAR, render_waves_png

EVENT = load_event("juno-2013-10-09")


@pytest.fixture(scope="module")
def hostile():
    """Keying in every round; a broadband burst on round 3 and one just before round 1."""
    kd, rounds, _ = expected_key_downs(EVENT)
    bursts = bursts_on_rounds(kd, rounds, (3,), 1.5) + (Burst(kd[0, 0] - 300, kd[0, 0] - 260, 5.0),)
    series, _truth = render_survey(Scene(EVENT, round_z=8.0, bursts=bursts),
                                   np.random.default_rng(1))
    return series, analyze_series(series, EVENT)


def test_the_burst_round_is_vetoed_and_the_bursts_masked(hostile):
    _series, a = hostile
    r3 = a.rounds[2]
    assert r3.vetoed and r3.veto_reason
    assert r3.event_z is not None and r3.event_z > r3.z  # own z inflated by the burst
    assert not any(r.vetoed for r in a.rounds if r.number in (1, 2, 4))
    assert a.masked_utc and all(start < stop for start, stop in a.masked_utc)
    assert a.stack_z_strongest == pytest.approx(max(r.z for r in a.rounds if r.z is not None))


def test_png_fills_the_vetoed_round_red(hostile, tmp_path):
    import matplotlib.image as mpimg

    series, a = hostile
    out = render_waves_png(series, a, tmp_path / "veto.png")
    assert out.read_bytes()[1:4] == b"PNG"
    rgb = mpimg.imread(out)[..., :3]
    # the vetoed round's bar fill (the threshold line shares the outline red, not this)
    fill = np.array([int(VETOED_BAR[k:k + 2], 16) / 255 for k in (1, 3, 5)])
    assert (np.abs(rgb - fill).max(axis=-1) < 0.02).sum() > 100


def test_cli_text_shows_the_veto_and_json_carries_it(hostile, tmp_path, runner):
    series, a = hostile
    csv = write_pds_csv(tmp_path / "WAV_2013282T000000_E_V02.CSV", series.time_unix_s,
                        series.freq_hz, series.bandwidth_hz, series.power)
    res = runner.invoke(app, ["waves", "analyze", str(csv), "--schedule", EVENT.id])
    assert res.exit_code == 0, res.output
    assert "yes (veto)" in res.output or "no (veto)" in res.output
    line = next(x for x in res.stdout.splitlines() if x.startswith("round 3 veto:"))
    assert "references rise too" in line or "broadband bursts" in line
    assert "own z" in line
    assert "masked as broadband bursts in the references" in res.stdout
    assert "strongest round z" in res.stdout
    res = runner.invoke(app, ["waves", "analyze", str(csv), "--schedule", EVENT.id, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    r3 = data["rounds"][2]
    assert r3["vetoed"] is True and r3["veto_reason"] and r3["event_z"] > r3["z"]
    assert data["masked_utc"] and all(len(span) == 2 for span in data["masked_utc"])
    assert isinstance(data["n_outliers"], int) and data["stack_z_strongest"] is not None
    assert any(d["vetoed"] for d in data["dits"] if d["round"] == 3)
