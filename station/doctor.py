"""What this machine offers hi-station: versions, rigctld, librtlsdr, the clock, a rig.

The clock is read twice: the kernel's view (:func:`station.clock.clock_status`) and a
measurement against NTP servers (:func:`station.sntp.measure_offset`).  With a rig
address, that rigctld is checked without keying (:mod:`station.keyer.rig_check`).

Examples
--------
>>> report = check_station(servers=["127.0.0.1:9"])
>>> report.hi_station == __import__("station").__version__
True
>>> sorted(report.to_dict())[:4]
['clock_delay_s', 'clock_max_error_s', 'clock_max_offset_s', 'clock_measured_utc']
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

from station import __version__
from station.clock import clock_status
from station.errors import InputError
from station.keyer.rig_check import RigReport, check_rigctld
from station.keyer.rigctld_client import parse_rig_address
from station.sntp import DEFAULT_SERVERS, ClockLimits, ClockOffset, judge_offset, measure_offset
from station.utc import utc_z

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
    clock_offset : ClockOffset
        The clock measured against NTP.
    rig : RigReport or None
        The checks of the rigctld asked about.
    clock_limits : ClockLimits
        What ``transmit`` refuses and warns at (the config's ``[clock]`` limits).
    """

    hi_station: str
    python: str
    packages: dict[str, str]
    rigctld: str | None
    rtlsdr: str
    clock_synchronized: bool | None
    clock_max_error_s: float | None
    clock_warning: str
    clock_offset: ClockOffset
    rig: RigReport | None = None
    clock_limits: ClockLimits = ClockLimits()

    @property
    def clock_offset_note(self) -> str:
        """What ``transmit`` would do with this offset (at :attr:`clock_limits`); empty when fine.

        Examples
        --------
        >>> from datetime import UTC, datetime
        >>> off = ClockOffset(3.0, 0.001, "h:123", datetime(2026, 1, 1, tzinfo=UTC))
        >>> StationReport("", "", {}, None, "", None, None, "", off).clock_offset_note
        'transmit --transmit refuses: above the 0.5 s limit'
        """
        limits = self.clock_limits
        refusal, warning = judge_offset(self.clock_offset, limits)
        if refusal is not None and self.clock_offset.measured:
            return f"transmit --transmit refuses: above the {limits.max_offset_s:g} s limit"
        if refusal is not None:
            return "transmit --transmit refuses without a server (--ntp-server, --ignore-clock)"
        return "transmit warns: edges will be off by that much" if warning else ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the offset's fields flattened: ``clock_offset_s`` ...)."""
        skip = ("clock_offset", "rig", "clock_limits")
        out = {k: v for k, v in asdict(self).items() if k not in skip}
        offset = self.clock_offset
        out |= {
            "clock_offset": offset.describe(),
            "clock_offset_s": offset.offset_s,
            "clock_delay_s": offset.delay_s,
            "clock_server": offset.server,
            "clock_measured_utc": utc_z(offset.measured_utc),
            "clock_offset_error": offset.error,
            "clock_offset_note": self.clock_offset_note,
            "clock_max_offset_s": self.clock_limits.max_offset_s,
            "clock_warn_offset_s": self.clock_limits.warn_offset_s,
            "rig": None if self.rig is None else self.rig.to_dict(),
        }
        return out


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


def check_station(
    *,
    servers: Sequence[str] = DEFAULT_SERVERS,
    rig: str | None = None,
    ptt_test: bool = False,
    rig_timeout_s: float = 2.0,
    limits: ClockLimits | None = None,
) -> StationReport:
    """Look at the machine, measure the clock against ``servers``, check ``rig``.

    Needs no hardware or privileges; the clock measurement takes up to 2 s without
    a network.  The rig is keyed only with ``ptt_test`` (0.2 s, always released).

    Raises
    ------
    InputError
        ``ptt_test`` without ``rig``; a malformed server or rig address.
    """
    if ptt_test and rig is None:
        raise InputError("--ptt-test needs --rig HOST:PORT (the rigctld to key)")
    if rig is not None:
        parse_rig_address(rig)  # a bad address is refused before the clock is measured
    offset = measure_offset(servers)
    rig_report = None
    if rig is not None:
        rig_report = check_rigctld(rig, timeout_s=rig_timeout_s, ptt_test=ptt_test)
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
        clock_offset=offset,
        rig=rig_report,
        clock_limits=limits or ClockLimits(),
    )
