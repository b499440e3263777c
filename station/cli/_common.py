"""Shared CLI plumbing: error reporting, consoles, the progress spinner, unit conversions."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from dsp.errors import DspValueError
from station.errors import StationError

__all__ = [
    "EXPECTED_ERRORS",
    "ReportingGroup",
    "err_console",
    "out_console",
    "report_error",
    "spinner",
]

#: Exceptions that are the user's to fix: one line on stderr, exit code 2.
EXPECTED_ERRORS = (StationError, DspValueError)


def report_error(exc: BaseException) -> None:
    """Print ``error: <message>`` as one line on stderr."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"error: {message}", file=sys.stderr)


class ReportingGroup(TyperGroup):
    """Command group that turns expected errors into one stderr line and exit code 2.

    Doing it here (not only in :func:`station.cli.main`) gives the same behaviour under
    ``typer.testing.CliRunner``.
    """

    def invoke(self, ctx: Any) -> Any:  # noqa: D102
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            report_error(exc)
            raise typer.Exit(2) from None


def out_console() -> Console:
    """Rich console on the current stdout (results)."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def err_console() -> Console:
    """Rich console on the current stderr (progress, notes)."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def spinner(description: str) -> Iterator[Callable[[str], None]]:
    """Transient spinner with elapsed time on stderr; yields a function to change its text.

    Shown only when stderr is a terminal, so logs and pipes get no stray lines.
    """
    console = err_console()
    if not console.is_terminal:
        yield lambda _text: None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task(description, total=None)
        yield lambda text: progress.update(task, description=text)
