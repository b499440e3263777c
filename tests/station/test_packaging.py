"""The installed package: every package listed, and the shipped events inside it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_in_pyproject():
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = set(find_packages(str(ROOT), include=["dsp*", "station*"]))
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == {"station.events", "station.samples"}  # schedules/, recordings/


def test_wheel_ships_the_events_and_an_installed_copy_reads_them(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
         "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("hi_station-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert "station/events/juno-2013-10-09.toml" in names
    assert "station/samples/juno-2013-round1-qrss30-l.sigmf-data" in names
    assert {f"station/web/static/{n}" for n in ("index.html", "app.js", "style.css")} <= names
    shipped = sorted(p.name for p in (ROOT / "schedules").glob("*.toml"))
    assert all(f"station/events/{n}" in names for n in shipped)
    code = (
        "import station.schedule.event as e; ev = e.load_event('juno-2013-10-09');"
        "print(e.shipped_folder().parent.parent == __import__('pathlib').Path('site').resolve(),"
        " ev.rounds)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["True", "16"]
