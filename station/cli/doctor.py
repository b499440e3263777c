"""``hi-station doctor``: versions, rigctld, librtlsdr and the system clock."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from station.cli._common import out_console
from station.doctor import check_station

__all__ = ["doctor"]


def doctor(
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON only.")] = False,
) -> None:
    """Check what this machine offers: versions, rigctld, librtlsdr, clock synchronization."""
    report = check_station()
    if json_:
        print(json.dumps(report.to_dict(), indent=2))
        return
    console = out_console()
    console.print(f"hi-station {report.hi_station} on Python {report.python}")
    console.print("packages: " + ", ".join(f"{k} {v}" for k, v in report.packages.items()))
    console.print(
        f"rigctld: {report.rigctld or 'not found (apt-get install libhamlib-utils)'}",
        markup=False,
    )
    console.print(f"RTL-SDR: {report.rtlsdr}", markup=False)
    clock = report.clock_warning or (
        f"NTP-synchronized (max error {report.clock_max_error_s:.3g} s)"
    )
    console.print(f"clock: {clock}", markup=False)
