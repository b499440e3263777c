"""Shared CLI plumbing: error reporting, consoles, the progress spinner, unit conversions."""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from dsp.errors import DspValueError
from station.errors import StationError

__all__ = [
    "EXPECTED_ERRORS",
    "LiveLines",
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


class LiveLines:
    """Lines and a live panel drawn by their own thread, so the caller never waits on them.

    The data path (a keying loop, a capture) only queues lines and stores state; a
    slow or blocked terminal (Ctrl-S, a stalled SSH session) can never delay it.

    Parameters
    ----------
    console : rich.console.Console
    render : callable
        Returns the panel to show (or None for nothing yet); called on this thread.
    live : bool
        Show the panel (a terminal, not ``--quiet``); lines are printed either way.
    refresh_s : float, optional
        How often the panel is redrawn.
    """

    def __init__(
        self,
        console: Console,
        render: Callable[[], Any],
        *,
        live: bool,
        refresh_s: float = 0.125,
        name: str = "live-view",
    ) -> None:
        self._console, self._render, self._refresh_s = console, render, refresh_s
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._live = Live(console=console, refresh_per_second=8, transient=True) if live else None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def line(self, text: str) -> None:
        """Queue one line to print above the panel."""
        self._lines.put(text)

    def _run(self) -> None:
        if self._live is not None:
            self._live.start()
        while True:
            try:
                line = self._lines.get(timeout=self._refresh_s)
            except queue.Empty:
                line = ""
            if line is None:
                break
            if line:
                self._console.print(line, highlight=False, markup=False)
            if self._live is not None and (panel := self._render()) is not None:
                self._live.update(panel)
        if self._live is not None:
            self._live.stop()

    def stop(self) -> None:
        """Print what is queued, take the panel down and end the thread."""
        if self._thread.is_alive():
            self._lines.put(None)
            self._thread.join(timeout=2)
