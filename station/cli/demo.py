"""``hi-station demo``: the whole chain on synthesized data, no hardware."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from station.cli._common import spinner
from station.cli.render_demo import print_demo
from station.demo import run_demo

__all__ = ["demo"]


def demo(
    out: Annotated[
        Path | None,
        typer.Option(help="Directory for the demo recording (default: a new temporary directory)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a demo recording in --out.")
    ] = False,
) -> None:
    """Plan and rehearse the 2013 event, then synthesize, decode and detect its first round."""
    with spinner("demo") as say:
        result = run_demo(out, overwrite=overwrite, step=say)
    print_demo(result)
