"""The run folder's journal: append-only JSON Lines, fsynced per line; how a restart resumes.

``DIR/journal.jsonl`` holds one object per line, ``{"utc": ISO-Z, "kind": K, ...}``
with ``K`` one of :data:`KINDS`.  The first line (``start``) names the event (its id and
start); a service started again on the same folder reads the journal
(:func:`open_run_folder`) and resumes: a new ``segments/NNN/`` capture folder, a
``resume`` line with the downtime.  A folder holding another event's journal, a folder
that is neither a run folder nor empty, or a file, is refused (one line, exit 2).

The journal is locked (``flock``) while a service runs on it, so two services cannot
share a folder.  A torn last line (a crash mid-write) is skipped by the reader.

Examples
--------
>>> import tempfile
>>> from datetime import UTC, datetime
>>> folder = Path(tempfile.mkdtemp()) / "run"
>>> t = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
>>> state = open_run_folder(folder, "practice", t)
>>> state.resumed, state.next_segment
(False, 1)
>>> with Journal(folder) as journal:
...     _ = journal.write("start", t, event_id="practice", event_start_utc=format_utc(t))
>>> [line["kind"] for line in read_jsonl(folder / JOURNAL_NAME)]
['start']
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from station.errors import InputError
from station.keyer.txlog import append_line
from station.utc import format_utc, parse_aware

__all__ = [
    "JOURNAL_NAME",
    "KINDS",
    "SEGMENTS_DIR",
    "Journal",
    "RunState",
    "append_jsonl",
    "open_run_folder",
    "read_jsonl",
    "segment_dir",
]

JOURNAL_NAME = "journal.jsonl"
SEGMENTS_DIR = "segments"
#: The kinds of journal lines.
KINDS = ("start", "segment", "resume", "round", "grab", "warning", "stop", "report")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Return the objects of a JSON Lines file; a torn or unreadable line is skipped.

    A missing file is empty.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line to ``path`` (created when missing), flushed to disk."""
    data = (json.dumps(record, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        append_line(fd, data)
    finally:
        os.close(fd)


def segment_dir(run_dir: Path, number: int) -> Path:
    """``run_dir/segments/NNN`` (``001`` for the first capture)."""
    return run_dir / SEGMENTS_DIR / f"{number:03d}"


@dataclass(frozen=True)
class RunState:
    """What a run folder holds before the service starts on it.

    Attributes
    ----------
    run_dir : pathlib.Path
    resumed : bool
        A journal of the same event exists: this start is a restart.
    finished : bool
        That journal already has its ``report`` line (the run is over).
    next_segment : int
        Number of the capture folder to create (``segments/NNN``).
    last_utc : datetime or None
        Last time the previous service wrote (journal or status.json).
    rounds_done : frozenset of int
        Round numbers already in ``rounds.jsonl``.
    """

    run_dir: Path
    resumed: bool
    finished: bool
    next_segment: int
    last_utc: datetime | None
    rounds_done: frozenset[int]

    @property
    def previous_segment(self) -> Path | None:
        """The last capture folder of the previous service (None on a first start)."""
        if self.next_segment <= 1:
            return None
        return segment_dir(self.run_dir, self.next_segment - 1)


def _last_utc(run_dir: Path, lines: list[dict[str, Any]]) -> datetime | None:
    times = [parse_aware(str(line.get("utc", ""))) for line in lines]
    status = run_dir / "status.json"
    try:
        times.append(parse_aware(str(json.loads(status.read_text("utf-8")).get("updated_utc"))))
    except (OSError, ValueError, AttributeError):
        pass
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _next_segment(run_dir: Path) -> int:
    root = run_dir / SEGMENTS_DIR
    numbers = [int(p.name) for p in root.iterdir() if p.name.isdigit()] if root.is_dir() else []
    return max(numbers, default=0) + 1


def open_run_folder(run_dir: Path, event_id: str, event_start: datetime) -> RunState:
    """Check ``run_dir`` for a run of the event (``event_id`` starting at ``event_start``).

    Raises
    ------
    InputError
        ``run_dir`` is a file; a folder that is not empty and holds no journal; the
        journal of another event.  Nothing is created or changed.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(f"--out={run_dir} is a file; give a folder for the run")
    journal = run_dir / JOURNAL_NAME
    if not journal.exists():
        if run_dir.is_dir() and any(run_dir.iterdir()):
            raise InputError(f"--out={run_dir} is not empty and is not a run folder (no "
                             f"{JOURNAL_NAME}); give a new or empty folder")  # fmt: skip
        return RunState(run_dir, False, False, 1, None, frozenset())
    lines = read_jsonl(journal)
    start = next((line for line in lines if line.get("kind") == "start"), {})
    wanted = (event_id, format_utc(event_start))
    found = (start.get("event_id"), start.get("event_start_utc"))
    if found != wanted:
        raise InputError(
            f"--out={run_dir} is the run of event {found[0]!r} starting {found[1]}, not "
            f"{wanted[0]!r} starting {wanted[1]}; give another folder"
        )
    rounds = read_jsonl(run_dir / "rounds.jsonl")
    done = frozenset(int(r["round_number"]) for r in rounds if "round_number" in r)
    finished = any(line.get("kind") == "report" for line in lines)
    return RunState(run_dir, True, finished, _next_segment(run_dir), _last_utc(run_dir, lines),
                    done)  # fmt: skip


class Journal:
    """The journal, opened for appending (and locked) while the service runs.

    Each :meth:`write` is one ``write`` of one line, then ``fsync`` (thread-safe).

    Raises
    ------
    InputError
        Another service holds the folder's journal.
    """

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / JOURNAL_NAME
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise InputError(f"--out={run_dir}: another hi-station run is using this folder "
                             "(its journal is locked)") from None  # fmt: skip
        self._lock = threading.Lock()

    def write(self, kind: str, when: datetime, **fields: Any) -> dict[str, Any]:
        """Append one line ``{"utc": when, "kind": kind, **fields}``; return it."""
        if kind not in KINDS:
            raise ValueError(f"kind={kind!r} is not one of {KINDS}")
        record = {"utc": format_utc(when, "milliseconds"), "kind": kind, **fields}
        data = (json.dumps(record, default=str) + "\n").encode("utf-8")
        with self._lock:
            append_line(self._fd, data)
        return record

    def close(self) -> None:
        """Release the lock and close the file."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
