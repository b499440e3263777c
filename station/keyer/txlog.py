"""The TX log: JSON Lines, one object per line, flushed to disk line by line.

Each line is a JSON object with a ``"type"``:

``"start"``
    ``event_id``, ``event_name``, ``target``, ``callsign``, ``grid``, ``freq_hz``,
    ``mode``, ``backend``, ``transmit`` (bool: False = dry run), ``rounds``,
    ``message``, ``key_downs_per_round``, ``dit_s``, ``skipped_key_downs``, ``utc``
    (when keying started).
``"tune"``
    ``utc``, ``reply`` (the backend's answer to tuning and setting the mode).
``"edge"``
    ``event_id``, ``callsign``, ``round``, ``element``, ``key`` (``"down"``/``"up"``),
    ``planned_utc``, ``sent_utc`` (when the command left: the edge), ``actual_utc``
    (when the backend acknowledged), ``error_ms`` (sent - planned), ``latency_ms``
    (acknowledged - sent), ``reply`` (the backend's answer), ``ptt`` (the state read
    back, or null), ``freq_hz``, ``backend``, ``transmit``.
``"ident"``
    ``event_id``, ``callsign``, ``round``, ``text``, ``wpm``, ``planned_utc``,
    ``actual_utc``, ``reply``, ``backend``, ``transmit``.
``"skip"``
    ``round``, ``element``, ``planned_utc``, ``late_ms``: a key-down not sent because
    the loop reached it too late (a shortened, misplaced element is worse than none).
``"guardian"``
    ``utc``, ``message``: written by the out-of-process guard
    (:mod:`station.keyer.guardian`) when it had to act.
``"stop"``
    ``utc``, ``reason`` (``"completed"``, ``"SIGTERM"``, ``"SIGINT"``, ``"watchdog"``,
    ``"error"``), ``message``, ``unkeyed`` (bool or null), ``edges`` (count).

Times are ISO 8601 UTC with ``Z``.  A line is written with one ``write`` and then
flushed and fsynced, so a crash loses at most the line being written; the reader
skips a torn last line.  A line that cannot be written whole (a full disk) is cut off
again (:func:`append_line`) and the write raises
:class:`~station.errors.OutputError`: the log never holds a torn line it wrote.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tx.jsonl"
>>> with TxLog(path) as log:
...     log.write({"type": "stop", "reason": "completed"})
>>> read_tx_log(path)[0]["reason"]
'completed'
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from station._atomic import writing
from station._textin import TXLOG_LIMIT_BYTES, read_text_input
from station.errors import InputError

__all__ = ["TxLog", "append_line", "read_tx_log"]


def append_line(fd: int, data: bytes) -> None:
    """Append ``data`` to the ``O_APPEND`` file ``fd`` whole, and flush it to disk.

    When it cannot be written whole (e.g. the disk fills mid-line), the part that was
    written is cut off again before the error is raised, so the file keeps only whole
    lines.

    Raises
    ------
    OSError
        The write or the flush failed (the file is as it was before).
    """
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:])
        os.fsync(fd)
    except OSError:
        if done:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, os.fstat(fd).st_size - done)
        raise


logger = logging.getLogger(__name__)


class TxLog:
    """Append-only JSON Lines log, safe against crashes.

    Parameters
    ----------
    path : str or os.PathLike
        The log file; created if missing, appended to otherwise (never truncated).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd = -1
        if self.path.is_dir():
            raise InputError(f"--log={self.path} is a directory; give a file name")
        if not self.path.parent.is_dir():
            raise InputError(f"--log={self.path}: directory {self.path.parent} does not exist")
        if self.path.exists() and not stat.S_ISREG(self.path.stat().st_mode):
            raise InputError(f"--log={self.path} is not a regular file (a device, FIFO or "
                             "socket); give a file name")
        self._created = not self.path.exists()
        with writing(self.path):
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                self._end_torn_line()
            except BaseException:
                self.close()
                raise

    def _end_torn_line(self) -> None:
        """Start on a fresh line after a torn one (a previous run killed mid-line)."""
        size = os.fstat(self._fd).st_size
        if size:
            with open(self.path, "rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    append_line(self._fd, b"\n")

    def write(self, record: dict[str, Any]) -> None:
        """Append one record as one line, then flush it to disk.

        Raises
        ------
        OutputError
            The line cannot be written whole (a full disk, an I/O error); nothing of
            it is left in the file.
        """
        line = json.dumps(record, separators=(",", ":"), sort_keys=False) + "\n"
        with writing(self.path):
            append_line(self._fd, line.encode("utf-8"))

    def close(self) -> None:
        """Close the file (idempotent); a log created here that stayed empty is removed."""
        if self._fd >= 0:
            empty = os.fstat(self._fd).st_size == 0
            os.close(self._fd)
            self._fd = -1
            if empty and self._created:  # e.g. not even the start record fitted
                with contextlib.suppress(OSError):
                    self.path.unlink()

    def __enter__(self) -> TxLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _starts_run(line: str) -> bool:
    try:
        rec = json.loads(line)
    except ValueError:
        return False
    return isinstance(rec, dict) and rec.get("type") == "start"


def read_tx_log(
    path: str | os.PathLike[str], *, notes: list[str] | None = None
) -> list[dict[str, Any]]:
    """Read a TX log, skipping torn lines.

    A line torn by a crash is the last line, or the last before the ``"start"``
    record of a later run.  Each skipped line is described in ``notes`` when a list
    is given, else logged as a warning.

    Raises
    ------
    InputError
        Missing file, or a line other than the last that is not a JSON object (the
        line number is named).
    """
    p = Path(path)
    lines = read_text_input(p, what="TX log", limit_bytes=TXLOG_LIMIT_BYTES,
                            fail=lambda why: InputError(f"TX log {p}: {why}")).splitlines()
    records: list[dict[str, Any]] = []
    torn: list[str] = []
    content = [(i, line) for i, line in enumerate(lines, 1) if line.strip()]
    for n, (lineno, line) in enumerate(content):
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict) or "type" not in rec:
                raise ValueError("not an object with a 'type'")
        except ValueError as exc:
            if n == len(content) - 1 or _starts_run(content[n + 1][1]):
                torn.append(f"{p}:{lineno}: skipped a torn line ({exc})")
                continue
            raise InputError(
                f"TX log {p}:{lineno}: not a hi-station log record ({exc}); "
                "expected one JSON object with a 'type' per line"
            ) from None
        records.append(rec)
    if not records:
        detail = f" ({torn[0]})" if torn else ""
        raise InputError(f"TX log {p}: holds no records{detail}")
    if notes is not None:
        notes.extend(torn)
    else:
        for note in torn:
            logger.warning("%s", note)
    return records
