"""The one exception hierarchy of :mod:`station`.

Every message names the parameter or file, the value and the rule, and says how to
fix it where there is a fix.  The CLI prints these (and
:class:`dsp.errors.DspValueError`) as one line ``error: <message>`` on stderr with
exit code 2; any other exception is a bug and shows its traceback.

Examples
--------
>>> err = RecordingExistsError("cap.sigmf-meta")
>>> isinstance(err, FileExistsError), isinstance(err, StationError)
(True, True)
>>> print(err)
cap.sigmf-meta: already exists; use --overwrite (overwrite=True) to replace it
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "InputError",
    "OutputError",
    "RecordingError",
    "RecordingExistsError",
    "RigError",
    "RigReplyError",
    "ScheduleError",
    "SourceError",
    "StationError",
    "WatchdogTripped",
    "WavesFormatError",
]


class StationError(Exception):
    """Base class of every expected, user-facing error in :mod:`station`."""


class InputError(StationError, ValueError):
    """A parameter or value given by the user breaks a rule.

    The message names the parameter, its value and the rule.
    """


class OutputError(StationError):
    """An output file or folder cannot be written: read-only, full disk, no permission.

    Parameters
    ----------
    path : str or os.PathLike
        The file (or folder) being written; kept as :attr:`path`.
    message : str
        What failed and how to fix it; the path is prefixed to it.

    Attributes
    ----------
    path : pathlib.Path
    detail : str
        ``message`` (without the path).

    Examples
    --------
    >>> print(OutputError("plan.ics", "cannot write: No space left on device (ENOSPC)"))
    plan.ics: cannot write: No space left on device (ENOSPC)
    """

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = Path(path)
        self.detail = message
        super().__init__(f"{self.path}: {message}")


class RecordingError(StationError):
    """A recording file is missing, unreadable or inconsistent.

    Parameters
    ----------
    path : str or os.PathLike
        The offending file; kept as :attr:`path`.
    message : str
        What is wrong with it (and the fix, if there is one); the file name is
        prefixed to it.

    Attributes
    ----------
    path : pathlib.Path
        The offending file.
    """

    def __init__(self, path: str | os.PathLike[str], message: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {message}")


class RecordingExistsError(RecordingError, FileExistsError):
    """Writing would replace an existing file and overwriting was not asked for.

    Parameters
    ----------
    path : str or os.PathLike
        The file that already exists.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, "already exists; use --overwrite (overwrite=True) to replace it")


class ScheduleError(StationError, ValueError):
    """An event file breaks a rule.

    Parameters
    ----------
    source : str
        The file (or ``"<event>"`` for one built in memory).
    field : str
        Dotted name of the offending field, e.g. ``"event.start_utc"``; empty when
        the whole file is at fault (e.g. malformed TOML).
    message : str
        The value and the rule.

    Examples
    --------
    >>> print(ScheduleError("x.toml", "event.dit_s", "-1 must be > 0"))
    x.toml: event.dit_s: -1 must be > 0
    """

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source = source
        self.field = field
        where = f"{source}: {field}: " if field else f"{source}: "
        super().__init__(where + message)


class SourceError(StationError):
    """An I/Q source (RTL-SDR dongle, ``rtl_tcp`` server) cannot be opened or stopped delivering.

    The message names the device or address, what failed and how to fix it.
    """


class RigError(StationError):
    """The rig (or its control daemon or serial line) refused a command or stopped answering.

    Keying ends when this is raised; the safety layer has already tried to unkey.
    """


class RigReplyError(RigError):
    """The rig answered a command with an error code (it is still talking to us).

    Attributes
    ----------
    code : int
        Hamlib's (negative) error code.
    """

    def __init__(self, message: str, code: int) -> None:
        self.code = code
        super().__init__(message)


class WatchdogTripped(RigError):
    """The independent watchdog unkeyed a key-down that lasted too long.

    Keying ends: a main loop that overstays a key-down cannot be trusted with the
    next one.
    """


class WavesFormatError(RecordingError):
    """A Waves survey file (PDS CSV, das2 stream, generic CSV/NPZ) breaks its layout.

    Parameters
    ----------
    path : str or os.PathLike
        The offending file.
    message : str
        What was found and what was expected.
    line : int, optional
        1-based line number in the file (0 or None when not line-oriented).
    column : int, optional
        0-based field index within the line, named as ``column N``.

    Examples
    --------
    >>> print(WavesFormatError("WAV.CSV", "'abc' is not a number", line=7, column=141))
    WAV.CSV: line 7, column 141: 'abc' is not a number
    >>> print(WavesFormatError("x.npz", "array 'power' is missing"))
    x.npz: array 'power' is missing
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.line = line
        self.column = column
        where = []
        if line:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(path, prefix + message)
