"""``hi-station doctor``: versions, rigctld, librtlsdr, the clock (measured) and a rig."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from station.cli._common import out_console
from station.cli.render import print_doctor
from station.doctor import check_station
from station.sntp import DEFAULT_SERVERS, ClockLimits

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
    max_clock_offset_s: Annotated[
        float, typer.Option(help="Judge the clock as transmit does: refused above this, s.")
    ] = 0.5,
    warn_clock_offset_s: Annotated[
        float, typer.Option(help="Judge the clock as transmit does: warned above this, s.")
    ] = 0.1,
) -> None:
    """Check this machine: versions, rigctld, librtlsdr, the clock, and a rig (--rig)."""
    servers = tuple(ntp_server or DEFAULT_SERVERS)
    limits = ClockLimits(max_clock_offset_s, warn_clock_offset_s)
    report = check_station(servers=servers, rig=rig, ptt_test=ptt_test,
                           rig_timeout_s=rig_timeout_s, limits=limits)  # fmt: skip
    if json_:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print_doctor(out_console(), report)
    if report.rig is not None and not report.rig.ok:
        raise typer.Exit(1)
