"""The TX log: JSON Lines, one object per line, flushed to disk line by line.

Each line is a JSON object with a ``"type"`` (each kind is a record type of
:mod:`station.keyer.records`, which holds their one JSON mapping):

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

A run that ends, however it ends, must say so in its log, even when the disk fills
mid-keying: an operator reading the log afterwards must not have to guess whether the
key came up.  So the log keeps :data:`STOP_RESERVE_BYTES` allocated on disk past its
end for the ``stop`` record (``fallocate`` with ``FALLOC_FL_KEEP_SIZE``: the file's
size, and what a reader sees, are unchanged).  Every other record is written only
when the disk can hold it *and* the reserve after it; when it cannot, the write
raises ``OutputError`` with nothing written (keying stops, the key is released) and
the ``stop`` record (:meth:`TxLog.write` with ``final=True``) goes into the reserve.
A log whose reserve cannot be allocated at all (a full disk) is refused when opened,
before anything is keyed.  On a file system without ``fallocate`` (or off Linux) the
reserve is skipped and a full disk can leave a run without its ``stop`` record; the
run's error line says so.  The reserve is not given back when the log closes (cutting
the file could race with the guardian appending to it): at most a few kB that the
file's size does not show, reused by the next run appending to the same log.

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
import ctypes
import errno
import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from station._atomic import writing
from station._textin import TXLOG_LIMIT_BYTES, read_text_input
from station.errors import InputError
from station.keyer.records import TxRecord

__all__ = ["STOP_RESERVE_BYTES", "TxLog", "append_line", "read_tx_log", "reserve_space"]

#: Bytes kept allocated past the log's end for its ``stop`` record (a few times its size).
STOP_RESERVE_BYTES = 4096
_FALLOC_FL_KEEP_SIZE = 1


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


def _load_fallocate() -> Any:
    """Return libc's ``fallocate`` (Linux), or None where there is none."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        func = getattr(libc, "fallocate64", None) or libc.fallocate
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    func.restype = ctypes.c_int
    return func


_fallocate = _load_fallocate()


def reserve_space(fd: int, nbytes: int) -> bool:
    """Allocate ``nbytes`` on disk past the end of ``fd`` without changing its size.

    Returns
    -------
    bool
        True when the space is allocated, False when the file system (or the
        platform) cannot reserve space this way.

    Raises
    ------
    OSError
        The disk cannot hold it (``ENOSPC``, ``EDQUOT``) or another I/O error.
    """
    if _fallocate is None:
        return False
    size = os.fstat(fd).st_size
    if _fallocate(fd, _FALLOC_FL_KEEP_SIZE, size, nbytes) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
        return False
    raise OSError(code, os.strerror(code))


class TxLog:
    """Append-only JSON Lines log, safe against crashes.

    Parameters
    ----------
    path : str or os.PathLike
        The log file; created if missing, appended to otherwise (never truncated).

    Attributes
    ----------
    reserved : bool
        Whether the ``stop`` record has its space kept on disk (see the module notes).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd = -1
        self.reserved = False
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
                self.reserved = reserve_space(self._fd, STOP_RESERVE_BYTES)
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

    def write(self, record: TxRecord | Mapping[str, Any], *, final: bool = False) -> None:
        """Append one record as one line, then flush it to disk.

        Parameters
        ----------
        record : TxRecord or dict
            A record (:mod:`station.keyer.records`), or one JSON object with a ``"type"``.
        final : bool, optional
            The run's last record (its ``stop``): written into the space kept for it,
            whatever the disk holds.  Any other record is written only when the disk
            can hold it and that space after it.

        Raises
        ------
        OutputError
            The line cannot be written whole (a full disk, an I/O error), or would
            leave no room for the ``stop`` record; nothing of it is left in the file.
        """
        obj = record if isinstance(record, Mapping) else record.to_json()
        data = (json.dumps(obj, separators=(",", ":"), sort_keys=False) + "\n").encode()
        with writing(self.path):
            if not final and self.reserved:
                reserve_space(self._fd, len(data) + STOP_RESERVE_BYTES)
            append_line(self._fd, data)

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
    except (ValueError, RecursionError):
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
        except (ValueError, RecursionError) as exc:
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
