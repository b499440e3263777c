"""The ``hi-station`` command line (typer).

One module per command group; commands parse options, call one :mod:`station`
function, and print.  :class:`~station.errors.StationError` and
:class:`~dsp.errors.DspValueError` become one ``error: ...`` line on stderr with exit
code 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from station import __version__
from station._memory import pin_mmap_threshold
from station.cli import (
    batch,
    capture,
    config,
    decode,
    demo,
    detect,
    doctor,
    encode,
    log,
    recording,
    replay,
    report,
    run,
    schedule,
    serve,
    transmit,
    waves,
)
from station.cli._common import EXPECTED_ERRORS, ReportingGroup, command_args, report_error
from station.config import load_config
from station.errors import InputError

__all__ = ["app", "main"]

app = typer.Typer(
    cls=ReportingGroup,
    name="hi-station",
    help="Ground station for coordinated very-slow-Morse events (Say HI to Juno).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"hi-station {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv: debug).")
    ] = 0,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Ground station for coordinated very-slow-Morse events (Say HI to Juno)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(level)
    if ctx.invoked_subcommand != "config":  # `config init --overwrite` mends a broken file
        # The station config file gives the options' defaults; typed options win.
        try:
            cfg = load_config()
        except InputError as exc:  # reported as it is: its names are the file's keys
            report_error(exc)
            raise typer.Exit(2) from None
        name = ctx.invoked_subcommand or ""
        ctx.default_map = config.default_map(cfg, name, command_args(ctx))


app.command("encode")(encode.encode)
app.command("decode")(decode.decode)
app.command("detect")(detect.detect)
app.command("demo")(demo.demo)
app.add_typer(schedule.app, name="schedule")
app.add_typer(log.app, name="log")
app.add_typer(recording.app, name="recording")
app.command("transmit")(transmit.transmit)
app.command("doctor")(doctor.doctor)
app.command("replay")(replay.replay_command)
app.command("capture")(capture.capture)
app.command("run")(run.run)
app.command("serve")(serve.serve_command)
app.command("batch")(batch.batch)
app.command("report")(report.report_command)
app.add_typer(waves.app, name="waves")
app.add_typer(config.app, name="config")


def main() -> None:
    """Run the ``hi-station`` console script."""
    pin_mmap_threshold()  # freed large arrays leave at once (station._memory)
    try:
        app()
    except EXPECTED_ERRORS as exc:  # raised outside a command (belt and braces)
        report_error(exc)
        sys.exit(2)
