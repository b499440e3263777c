import json
import shutil

from station.cli import app


def test_doctor_reports_rigctld_packages_and_clock(runner):
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["packages"]["sigmf"] != "missing"
    assert (report["rigctld"] is not None) == (shutil.which("rigctld") is not None)
    assert report["rigctld"] is None or "Hamlib" in report["rigctld"]
    assert isinstance(report["clock_warning"], str)
    text = runner.invoke(app, ["doctor"]).stdout
    assert "rigctld:" in text and "clock:" in text and "RTL-SDR:" in text
