"""Shared CLI plumbing: error reporting, old option spellings, consoles, the spinner.

:data:`ALIASES` is the one table of old option spellings still accepted (hidden from
``--help``); :class:`ReportingGroup` applies it, shows flags without a value
placeholder and turns expected errors into one line naming options as typed.
"""

from __future__ import annotations

import contextlib
import errno
import math
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.live import Live
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer._click import exceptions as click  # typer vendors click: its exceptions are these
from typer.core import TyperGroup

from dsp.errors import DspValueError
from station.cli._names import option_names, rename
from station.clock import YEARS
from station.errors import InputError, StationError

__all__ = [
    "ALIASES",
    "EXPECTED_ERRORS",
    "MAX_DRIFT_HZ_PER_MIN",
    "LiveLines",
    "ReportingGroup",
    "bare_flags",
    "bounded",
    "command_args",
    "err_console",
    "in_years",
    "out_console",
    "report_error",
    "report_usage_error",
    "spinner",
    "unalias",
]

#: Largest carrier drift a search may be asked to follow, Hz/min (10 Hz/s).
MAX_DRIFT_HZ_PER_MIN = 600.0

#: Exceptions that are the user's to fix: one line on stderr, exit code 2.
EXPECTED_ERRORS = (StationError, DspValueError)


def bounded(name: str, value: float | None, low: float, high: float, unit: str = "") -> None:
    """Refuse an absurd magnitude of an option: above ``high``, or below ``low`` in size.

    Checked at the command line so that ``1e308`` or ``1e-308`` is one error line,
    never an overflow or an allocation deep inside a search.  None, NaN, infinities,
    zero and values of the wrong sign pass: the library's own rule for the parameter
    names those.

    Raises
    ------
    InputError
        Naming the option, the value and the range.

    Examples
    --------
    >>> bounded("--dit-s", 30.0, 1e-3, 3600.0, " s")
    >>> bounded("--dit-s", 1e308, 1e-3, 3600.0, " s")
    Traceback (most recent call last):
    ...
    station.errors.InputError: --dit-s=1e+308 must be from 0.001 to 3600 s
    """
    if value is None or not math.isfinite(value):
        return
    if value > high or 0 < value < low or value < low < 0:
        raise InputError(f"{name}={value:g} must be from {low:g} to {high:g}{unit}")


def in_years(when: datetime, name: str) -> datetime:
    """Refuse a time outside :data:`station.clock.YEARS` (later ones overflow when dated)."""
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise InputError(f"{name}={when.isoformat()} must lie in the years {YEARS[0]}-{YEARS[1]}")
    return when


def report_error(exc: BaseException, names: dict[str, Any] | None = None) -> None:
    """Print ``error: <message>`` as one line on stderr, ``names`` renamed (:func:`rename`)."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"error: {rename(message, names or {})}", file=sys.stderr)


#: Old option spellings that still work for one release, hidden from ``--help``: per
#: command (its path below ``hi-station``), the old spelling and the one it stands for.
#: None stands for the "off" half of an old flag pair (``--no-overwrite``): the bare
#: flag's default, so the token is dropped (with an earlier ``--overwrite``: the last wins).
ALIASES: dict[str, dict[str, str | None]] = {
    "capture": {"--rate-hz": "--sample-rate-hz", "--until": "--until-utc"},
    "replay": {"--rate-hz": "--sample-rate-hz", "--no-overwrite": None},
    "decode": {"--center-hz": "--offset-hz"},
    "detect": {"--center-hz": "--offset-hz", "--start": "--start-utc"},
    "encode": {"--no-overwrite": None},
    "demo": {"--no-overwrite": None},
    "schedule new": {"--start": "--start-utc", "--no-overwrite": None},
    "schedule plan": {"--no-overwrite": None},
    "log adif": {"--no-overwrite": None},
    "waves analyze": {"--no-overwrite": None},
    "waves simulate": {"--no-overwrite": None},
}


def unalias(command: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    """Replace the old spellings (:data:`ALIASES`) of ``command``'s options in ``args``.

    Returns the new arguments and, for error messages, each new option name mapped to
    the old one the user typed.  Arguments after ``--`` are left alone.

    Examples
    --------
    >>> unalias("replay", ["x.cu8", "--rate-hz=500", "--overwrite", "--no-overwrite"])
    (['x.cu8', '--sample-rate-hz=500'], {'--sample-rate-hz': '--rate-hz'})
    """
    table = ALIASES.get(command, {})
    out: list[str] = []
    typed: dict[str, str] = {}
    for k, arg in enumerate(args):
        if arg == "--":
            out.extend(args[k:])
            break
        name, eq, value = arg.partition("=")
        if name not in table:
            out.append(arg)
            continue
        new = table[name]
        if new is None:
            flag = "--" + name.removeprefix("--no-")
            out = [a for a in out if a != flag]
            continue
        typed[new] = name
        out.append(new + eq + value)
    return out, typed


#: Key of the command line (as given to the root command, then the command's own
#: arguments with old spellings replaced) in ``ctx.meta``.
_ARGV = "hi_station.argv"
#: Key of the {new option: old spelling typed} of the command in ``ctx.meta``.
_TYPED = "hi_station.typed"


def command_args(ctx: Any) -> list[str]:
    """Return the command line of the command being run (old spellings replaced)."""
    return list(ctx.meta.get(_ARGV, ()))


def _given_value(exc: click.BadParameter, argv: list[str]) -> str | None:
    """Return the text given on the command line for the option of ``exc``, if found."""
    param = exc.param
    if param is None or not hasattr(param, "opts"):
        return None
    for k, arg in enumerate(argv):
        for opt in param.opts:
            if arg == opt and k + 1 < len(argv):
                return argv[k + 1]
            if arg.startswith(opt + "="):
                return arg[len(opt) + 1 :]
    return None


def report_usage_error(exc: click.UsageError) -> None:
    """Print a command-line mistake (bad value, unknown option) as one ``error:`` line."""
    message = exc.format_message().rstrip(".")
    meta = exc.ctx.meta if exc.ctx is not None else {}
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter):
        given = _given_value(exc, meta.get(_ARGV, sys.argv[1:]))
        if given is not None:
            shown = given if len(given) <= 40 else given[:40] + "..."
            message = f"{message} (given {shown!r})"
    hint = f"; see {exc.ctx.command_path} --help" if exc.ctx is not None else ""
    report_error(Exception(message + hint), meta.get(_TYPED, {}))


def bare_flags(params: list[Any]) -> list[Any]:
    """Give boolean flags no value placeholder (``<bool>``, ``BOOLEAN``) in ``--help``."""
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


def _command_path(ctx: Any, name: str) -> str:
    """``ctx``'s command path below the root, then ``name`` (e.g. ``schedule new``)."""
    names = [name]
    while ctx is not None and ctx.parent is not None:
        names.insert(0, ctx.info_name)
        ctx = ctx.parent
    return " ".join(names)


class ReportingGroup(TyperGroup):
    """Command group that turns expected errors into one stderr line and exit code 2.

    Expected errors (:data:`EXPECTED_ERRORS`) and command-line mistakes (a value that
    does not parse, an unknown option, a missing argument) both become one
    ``error: ...`` line, never a traceback or a usage box, naming options as the user
    typed them (:func:`rename`).  Doing it here (not only in :func:`station.cli.main`)
    gives the same behaviour under ``typer.testing.CliRunner``.  Old option spellings
    (:data:`ALIASES`) are replaced before a command parses its arguments, and boolean
    flags show no value placeholder in ``--help``.
    """

    def get_params(self, ctx: Any) -> list[Any]:  # noqa: D102
        return bare_flags(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:  # noqa: D102
        command = super().get_command(ctx, cmd_name)
        if command is not None and not isinstance(command, TyperGroup):
            bare_flags(command.get_params(ctx))
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:  # noqa: D102
        cmd_name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, TyperGroup):
            rest, typed = unalias(_command_path(ctx, cmd_name or ""), rest)
            ctx.meta[_ARGV], ctx.meta[_TYPED] = list(rest), typed
        return cmd_name, command, rest

    def make_context(  # noqa: D102
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
            ctx.meta.setdefault(_ARGV, list(args))  # shared by every sub-context
            return ctx
        except click.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            report_usage_error(exc)
            raise typer.Exit(2) from None

    def _names(self, ctx: Any) -> dict[str, Any]:
        """How the running command's errors name its options (:func:`rename`).

        Library parameters by their options; an option by the spelling the user typed,
        and an old spelling in a library's message by the new one unless it was typed.
        """
        name = ctx.invoked_subcommand
        command = None if name is None else self.commands.get(name)
        typed: dict[str, str] = ctx.meta.get(_TYPED, {})
        old = ALIASES.get(_command_path(ctx, name or ""), {})
        stale = {o: n for o, n in old.items() if n is not None and n not in typed}
        return {**option_names(command), **stale, **typed}

    def invoke(self, ctx: Any) -> Any:  # noqa: D102
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            report_error(exc, self._names(ctx))
            raise typer.Exit(2) from None
        except click.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            report_usage_error(exc)
            raise typer.Exit(2) from None
        except OSError as exc:
            if exc.errno != errno.ENAMETOOLONG:  # any other OSError is a bug: its traceback
                raise
            name = str(exc.filename or "")
            shown = name if len(name) <= 80 else f"{name[:40]}...{name[-30:]}"
            report_error(Exception(f"{shown}: file name too long (ENAMETOOLONG); the system "
                                   "allows 255 bytes a name, 4095 a path"))  # fmt: skip
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
