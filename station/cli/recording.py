"""``hi-station recording``: repair recordings (:mod:`station.recording.recover`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import ReportingGroup, out_console
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
    console = out_console()
    duration = "" if report.duration_s is None else f" ({report.duration_s:.3f} s)"
    console.print(f"recovered {report.meta_path}", markup=False)
    console.print(
        f"kept {report.samples_kept} {report.datatype} samples{duration}; "
        f"dropped {report.bytes_dropped} trailing bytes",
        markup=False,
    )
    console.print(
        f"annotations: {report.annotations_dropped} dropped, {report.annotations_clipped} cut "
        f"at the end; capture segments dropped: {report.captures_dropped}",
        markup=False,
    )
    sha = "fresh core:sha512 written" if report.sha512_written else "no core:sha512"
    console.print(f"checksum: previous {report.previous_sha512}; {sha}", markup=False)
