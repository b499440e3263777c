"""Progress and summary of ``hi-station batch`` (printing only, no logic).

:func:`batch_progress` is a rich progress bar on stderr fed by task completion when
stderr is a terminal, else one line per finished recording (logs and pipes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from station.cli._common import err_console

__all__ = ["LineProgress", "batch_progress"]


class LineProgress:
    """One line per finished recording (and per note) on ``console``."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.count = 0

    def start(self, total: int) -> None:  # noqa: D102
        self.total = total
        self.console.print(f"batch: {total} recordings to analyse", markup=False)

    def advance(self, line: str) -> None:  # noqa: D102
        self.count += 1
        self.console.print(f"[{self.count}/{self.total}] {line}", markup=False)

    def note(self, line: str) -> None:  # noqa: D102
        self.console.print(line, markup=False)


class _BarProgress(LineProgress):
    """A rich bar; notes and refusals print above it."""

    def __init__(self, console: Console, bar: Progress) -> None:
        super().__init__(console)
        self.bar = bar
        self.task = bar.add_task("analysing", total=None)

    def start(self, total: int) -> None:  # noqa: D102
        self.total = total
        self.bar.update(self.task, total=total)

    def advance(self, line: str) -> None:  # noqa: D102
        self.count += 1
        self.bar.update(self.task, advance=1)
        if not line.startswith("done: "):
            self.bar.console.print(line, markup=False, highlight=False)

    def note(self, line: str) -> None:  # noqa: D102
        self.bar.console.print(line, markup=False, highlight=False)


@contextlib.contextmanager
def batch_progress() -> Iterator[LineProgress]:
    """Yield the batch's progress on stderr: a bar on a terminal, else lines."""
    console = err_console()
    if not console.is_terminal:
        yield LineProgress(console)
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)  # fmt: skip
    with bar:
        yield _BarProgress(console, bar)
