"""``hi-station recording``: repair recordings (:mod:`station.recording.recover`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import ReportingGroup, out_console
from station.cli.render import print_recovery
from station.errors import RecordingError
from station.recording import recover_recording

__all__ = ["app", "recover"]

app = typer.Typer(
    cls=ReportingGroup,
    name="recording",
    help="Repair SigMF recordings.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("recover")
def recover(
    path: Annotated[
        Path, typer.Argument(help="Recording cut short: NAME, NAME.sigmf-meta or NAME.sigmf-data.")
    ],
    checksum: Annotated[
        bool,
        typer.Option(
            "--checksum/--no-checksum", help="Write a fresh core:sha512 (reads the data once)."
        ),
    ] = True,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON only.")] = False,
) -> None:
    """Make a recording cut short by a crash valid again, in place.

    Cuts a partial last sample off the data, drops annotations past its end and
    rewrites the metadata (atomically) with a fresh checksum.
    """
    if not path.name:
        raise RecordingError(path, "names a folder; give NAME, NAME.sigmf-meta or NAME.sigmf-data")
    report = recover_recording(path, checksum=checksum)
    if json_:
        print(json.dumps(report.to_dict(), indent=2))
        return
    print_recovery(out_console(), report)
