"""Hardware stays optional and dependencies point one way (station -> dsp)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_importing_everything_never_imports_rtlsdr():
    code = """
import pkgutil, sys, importlib
import dsp, station
for pkg in (dsp, station):
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if not m.name.endswith("__main__"):
            importlib.import_module(m.name)
bad = sorted(m for m in sys.modules if m == "rtlsdr" or m.startswith("rtlsdr."))
print(bad)
"""
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_dsp_never_imports_station():
    code = """
import pkgutil, sys, importlib
import dsp
for m in pkgutil.walk_packages(dsp.__path__, "dsp."):
    importlib.import_module(m.name)
print(sorted(m for m in sys.modules if m == "station" or m.startswith("station.")))
"""
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_never_imports_rtlsdr():
    code = """
import sys
sys.argv = ["hi-station", "--help"]
from station.cli import main
try:
    main()
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
print("RTLSDR" if any(m.split(".")[0] == "rtlsdr" for m in sys.modules) else "CLEAN")
"""
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert "encode" in result.stdout and result.stdout.strip().endswith("CLEAN")


@pytest.mark.skipif(shutil.which("hi-station") is None, reason="console script not installed")
def test_console_script_help_runs():
    result = subprocess.run(
        ["hi-station", "--help"], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert "decode" in result.stdout


def test_every_package_offers_a_curated_api_whose_names_resolve():
    """dsp and every station package list their public names in ``__all__``; each one
    is there (loaded lazily or not), and a lazy package imports none of them early."""
    code = """
import importlib, pkgutil, sys
import dsp, station
packages = ["dsp", "station"] + [m.name for m in pkgutil.walk_packages(station.__path__,
            "station.") if m.ispkg]
for name in packages:
    pkg = importlib.import_module(name)
    assert isinstance(getattr(pkg, "__all__", None), list) and pkg.__all__, name
    for public in pkg.__all__:
        assert getattr(pkg, public) is not None, (name, public)
print(len(packages))
"""
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= 10
    light = _python(
        "import sys, station.keyer, station.sdr; "
        "print(any(m.startswith(('station.keyer.', 'station.sdr.')) for m in sys.modules))"
    )
    assert light.stdout.strip() == "False", light.stderr
