from tests.station.helpers import assert_one_error_line, invoke, snapshot


def test_demo_decodes_and_detects_hi(runner, tmp_path):
    out = tmp_path / "demo"
    result = invoke(runner, "demo", "--out", out)
    assert result.exit_code == 0, result.output
    assert "decoded: HI" in result.stdout
    assert "detected: yes" in result.stdout
    assert "demo: OK" in result.stdout
    assert "replayed shipped juno-2013-round1-qrss30-l.sigmf-meta" in result.stdout
    assert "round(s) 1 detected" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "N0CALL_10m_20131009_1800Z_L.png",
        "juno-2013-round1-hi-qrss30.sigmf-data",
        "juno-2013-round1-hi-qrss30.sigmf-meta",
        "juno-2013-waves-hi.png",
    ]
    assert "Waves (simulated survey WAV_2013282T173000_E_V02.CSV.gz): HI detected in rounds" \
        in result.stdout
    before = snapshot(out)
    assert_one_error_line(invoke(runner, "demo", "--out", out), "already exists", "--overwrite")
    assert snapshot(out) == before
    assert invoke(runner, "demo", "--out", out, "--overwrite").exit_code == 0
