"""``hi-station doctor``: versions, rigctld, librtlsdr, the clock (measured) and a rig."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from station.cli._common import out_console
from station.cli.render import print_doctor
from station.doctor import check_station
from station.sntp import DEFAULT_SERVERS

__all__ = ["doctor"]


def doctor(
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON only.")] = False,
    ntp_server: Annotated[
        list[str] | None,
        typer.Option(help="NTP server HOST[:PORT] to measure the clock against (repeatable)."),
    ] = None,
    rig: Annotated[
        str | None,
        typer.Option(help="Check this rigctld HOST:PORT: frequency, mode, PTT (no keying)."),
    ] = None,
    ptt_test: Annotated[
        bool, typer.Option("--ptt-test", help="With --rig: key for 0.2 s, then release.")
    ] = False,
    rig_timeout_s: Annotated[float, typer.Option(help="Rig reply timeout, s.")] = 2.0,
) -> None:
    """Check this machine: versions, rigctld, librtlsdr, the clock, and a rig (--rig)."""
    servers = tuple(ntp_server or DEFAULT_SERVERS)
    report = check_station(servers=servers, rig=rig, ptt_test=ptt_test, rig_timeout_s=rig_timeout_s)
    if json_:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print_doctor(out_console(), report)
    if report.rig is not None and not report.rig.ok:
        raise typer.Exit(1)
