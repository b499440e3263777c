"""``hi-station report DIR``: the event report of a batch folder (:mod:`station.batch.report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from station.batch.heatmap import check_png_target, write_heatmap
from station.batch.report import build_report
from station.cli.render import print_json_or
from station.cli.render_report import print_report

__all__ = ["report_command"]


def report_command(
    batch_dir: Annotated[
        Path, typer.Argument(help="Batch folder (from `hi-station batch --out`).")
    ],
    txlog: Annotated[
        list[str] | None,
        typer.Option(
            help="Operators' TX log (JSON Lines), a folder of *.jsonl or a glob; repeatable."
        ),
    ] = None,
    include_dry_run: Annotated[
        bool, typer.Option("--include-dry-run", help="Count dry-run TX logs as keyed.")
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON only.")] = False,
    png: Annotated[
        Path | None, typer.Option(help="Write the heat map (rounds x channels) to this PNG.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing --png file.")
    ] = False,
) -> None:
    """Per round x channel of the event: how many stations heard it, how strongly, who keyed it."""
    if png is not None:
        check_png_target(png, overwrite=overwrite)  # refused before any work
    report = build_report(batch_dir, txlogs=txlog or [], include_dry_run=include_dry_run)
    written = None if png is None else write_heatmap(report, png, overwrite=overwrite)
    print_json_or(report, json_, lambda r: print_report(r, written))
