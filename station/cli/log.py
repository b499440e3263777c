"""``hi-station log``: exports of the JSON Lines TX log (:mod:`station.keyer.txlog`)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from station._atomic import write_bytes_atomic
from station.cli._common import ReportingGroup, out_console
from station.errors import InputError
from station.keyer.adif import tx_log_to_adif
from station.keyer.txlog import read_tx_log

__all__ = ["adif", "app"]

app = typer.Typer(
    cls=ReportingGroup,
    name="log",
    help="Export the TX log written by `hi-station transmit`.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("adif")
def adif(
    log: Annotated[Path, typer.Argument(help="TX log, JSON Lines (from transmit --log).")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="ADIF file to write (default: LOG.adi).")
    ] = None,
    include_dry_run: Annotated[
        bool, typer.Option(help="Also export rounds keyed in a dry run (nothing transmitted).")
    ] = False,
    power_w: Annotated[
        float | None, typer.Option(help="Transmitter power, W (ADIF TX_PWR).")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
) -> None:
    """Write an ADIF (.adi) file with one record per keyed round of LOG."""
    notes: list[str] = []
    records = read_tx_log(log, notes=notes)
    try:
        text = tx_log_to_adif(
            records,
            created_utc=datetime.now(UTC),
            include_dry_run=include_dry_run,
            power_w=power_w,
        )
    except InputError as exc:
        if str(exc).startswith("--"):  # about an option, not the log
            raise
        raise InputError(f"{log}: {exc}") from None
    target = out if out is not None else log.with_name(log.name + ".adi")
    if out is None and log.suffix:
        target = log.with_suffix(".adi")
    path = write_bytes_atomic(target, text.encode("ascii"), overwrite=overwrite)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    n = text.count("<EOR>")
    out_console().print(f"wrote {path}: {n} ADIF record(s), one per keyed round", markup=False)
