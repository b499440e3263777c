"""``hi-station doctor``: versions, rigctld, librtlsdr and the system clock."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from station.cli._common import out_console
from station.cli.render import print_doctor
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
    print_doctor(out_console(), report)
