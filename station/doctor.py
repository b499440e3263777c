"""What this machine offers hi-station: versions, rigctld, librtlsdr, clock health.

Examples
--------
>>> report = check_station()
>>> report.hi_station == __import__("station").__version__
True
>>> sorted(report.to_dict())[:3]
['clock_max_error_s', 'clock_synchronized', 'clock_warning']
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

from station import __version__
from station.clock import clock_status

__all__ = ["StationReport", "check_station"]

_PACKAGES = ("numpy", "scipy", "sigmf", "soundfile", "typer", "icalendar", "pyserial")


@dataclass(frozen=True, slots=True)
class StationReport:
    """The result of :func:`check_station`.

    Attributes
    ----------
    hi_station, python : str
        Versions.
    packages : dict
        Distribution name -> version (or ``"missing"``).
    rigctld : str or None
        ``rigctld --version`` output, None when not on PATH.
    rtlsdr : str
        Whether pyrtlsdr and librtlsdr load, and why not.
    clock_synchronized : bool or None
    clock_max_error_s : float or None
    clock_warning : str
        Empty when the clock is fit for keying.
    """

    hi_station: str
    python: str
    packages: dict[str, str]
    rigctld: str | None
    rtlsdr: str
    clock_synchronized: bool | None
    clock_max_error_s: float | None
    clock_warning: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


def _rigctld() -> str | None:
    exe = shutil.which("rigctld")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{exe} (does not run: {exc})"
    return f"{exe}: {out.stdout.strip().splitlines()[0] if out.stdout.strip() else 'no version'}"


def _rtlsdr() -> str:
    if _version("pyrtlsdr") == "missing":
        return "pyrtlsdr not installed (pip install 'hi-station[rtlsdr]')"
    try:
        import rtlsdr  # noqa: F401
    except (ImportError, AttributeError, OSError) as exc:
        return f"pyrtlsdr installed but librtlsdr does not load: {exc} (pip install pyrtlsdrlib)"
    return f"pyrtlsdr {_version('pyrtlsdr')} loads librtlsdr"


def check_station() -> StationReport:
    """Look at the machine; never needs hardware, a network or privileges."""
    status = clock_status()
    return StationReport(
        hi_station=__version__,
        python=platform.python_version(),
        packages={name: _version(name) for name in _PACKAGES},
        rigctld=_rigctld(),
        rtlsdr=_rtlsdr(),
        clock_synchronized=status.synchronized,
        clock_max_error_s=status.max_error_s,
        clock_warning=status.warning,
    )
