"""``hi-station log``: exports of the JSON Lines TX log (:mod:`station.keyer.txlog`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import ReportingGroup, out_console
from station.keyer.adif_file import write_adif

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
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output file.")
    ] = False,
) -> None:
    """Write an ADIF (.adi) file with one record per keyed round of LOG."""
    done = write_adif(log, out, include_dry_run=include_dry_run, power_w=power_w,
                      overwrite=overwrite)  # fmt: skip
    for note in done.notes:
        print(f"warning: {note}", file=sys.stderr)
    out_console().print(f"wrote {done.path}: {done.records} ADIF record(s), one per keyed round",
                        markup=False)  # fmt: skip
