r"""Read a run folder and turn its changes into events.

The run folder is the only interface between the service (``hi-station run --out
DIR``) and the dashboard; what the dashboard reads of it:

- ``status.json`` (rewritten atomically): state, event, station (callsign, letter,
  freq_hz), ``key_downs_utc`` (every key-down ``[start, end]`` of the plan), round
  ``{"number", "of"}``, clock ``{"offset_s", "server"}``, warnings;
- ``waterfall.json`` (rewritten atomically, once a second): the last frame of one
  channel, ``n_time`` rows x ``n_freq`` uint8 pixels (base64, time-major) from
  ``start_utc`` every ``column_s``, ``freq_lo_hz`` + ``freq_step_hz`` offsets;
- ``rounds.jsonl``: one ``RoundDetection.to_dict()`` per line, as rounds end;
- ``tx.jsonl``: the keyer's TX log (:mod:`station.keyer.records`);
- ``grabs/*.png``: the QRSS grabs.

:class:`RunFeed` is polled (about 10 times a second, by :mod:`station.web.hub`): every
poll stats each file once and reads only what changed: ``status.json`` and
``waterfall.json`` when their size or mtime changes (both are replaced atomically),
the new complete lines of ``rounds.jsonl`` and ``tx.jsonl`` (a half-written last line
waits for its newline), and the newest names in ``grabs/`` when the folder changes.
It keeps the latest of each so that a page connecting later gets a snapshot.

Events are ``(name, payload)``: ``status`` (dict), ``waterfall`` (dict), ``round``
(one ``RoundDetection.to_dict()``), ``tx`` (one TX log record) and ``grabs`` (list of
``{"name", "mtime"}``, newest last).

Examples
--------
>>> import json, tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     feed = RunFeed(Path(tmp))
...     _ = (Path(tmp) / "status.json").write_text(json.dumps({"state": "waiting"}))
...     with open(Path(tmp) / "tx.jsonl", "w") as f:
...         _ = f.write('{"type": "start"}\n{"type": "ed')  # a half-written line
...     [name for name, _ in feed.poll()]
['status', 'tx']
"""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["GRAB_PATTERN", "Event", "RunFeed"]

#: A grab name the dashboard serves (no path separators, no hidden files).
GRAB_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.png$"

Event = tuple[str, Any]


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class _WholeFile:
    """A JSON file replaced atomically: read again when its signature changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._sig: tuple[int, int, int] | None = None
        self.value: Any = None

    def poll(self) -> bool:
        sig = _signature(self.path)
        if sig is None or sig == self._sig:
            return False
        self._sig = sig
        try:
            value = json.loads(self.path.read_bytes())
        except (OSError, ValueError):  # replaced under us, or not JSON: try next time
            self._sig = None
            return False
        self.value = value
        return True


class _Lines:
    """A JSON Lines file that grows: its new complete lines, each parsed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ino: int | None = None
        self._offset = 0
        self._rest = b""

    def poll(self) -> list[Any]:
        sig = _signature(self.path)
        if sig is None:
            return []
        ino, size, _ = sig
        if ino != self._ino or size < self._offset:  # a new file: read from the start
            self._ino, self._offset, self._rest = ino, 0, b""
        if size == self._offset:
            return []
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read(size - self._offset)
        except OSError:
            return []
        self._offset += len(data)
        *lines, self._rest = (self._rest + data).split(b"\n")
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:  # a corrupt line is skipped, never fatal
                continue
        return out


class RunFeed:
    """The latest state of one run folder, and what changed since the last poll.

    Parameters
    ----------
    run_dir : Path
        The run folder (it may be empty; files appear as the service writes them).
    tx_tail : int
        TX log records kept for a snapshot.
    grabs_shown : int
        Newest grab names reported.
    max_rounds : int
        Round lines kept for a snapshot.
    """

    def __init__(self, run_dir: Path, *, tx_tail: int = 40, grabs_shown: int = 6,
                 max_rounds: int = 400) -> None:  # fmt: skip
        self.run_dir = Path(run_dir)
        self._status = _WholeFile(self.run_dir / "status.json")
        self._waterfall = _WholeFile(self.run_dir / "waterfall.json")
        self._rounds_file = _Lines(self.run_dir / "rounds.jsonl")
        self._tx_file = _Lines(self.run_dir / "tx.jsonl")
        self.grabs_dir = self.run_dir / "grabs"
        self._grabs_sig: int | None = None
        self._grabs_shown = grabs_shown
        self.rounds: collections.deque[Any] = collections.deque(maxlen=max_rounds)
        self.tx: collections.deque[Any] = collections.deque(maxlen=tx_tail)
        self.grabs: list[dict[str, Any]] = []

    @property
    def status(self) -> Any:
        """The latest ``status.json`` (None before there is one)."""
        return self._status.value

    def _poll_grabs(self) -> bool:
        try:
            sig = os.stat(self.grabs_dir).st_mtime_ns
        except OSError:
            return False
        if sig == self._grabs_sig:
            return False
        self._grabs_sig = sig
        found = []
        try:
            with os.scandir(self.grabs_dir) as it:
                for entry in it:
                    if entry.name.endswith(".png") and not entry.name.startswith("."):
                        found.append((entry.stat().st_mtime_ns, entry.name))
        except OSError:
            return False
        found.sort()
        self.grabs = [{"name": n, "mtime": m} for m, n in found[-self._grabs_shown :]]
        return True

    def poll(self) -> list[Event]:
        """Read what changed since the last call; return it as events (oldest first)."""
        events: list[Event] = []
        if self._status.poll():
            events.append(("status", self._status.value))
        if self._waterfall.poll():
            events.append(("waterfall", self._waterfall.value))
        for rec in self._rounds_file.poll():
            self.rounds.append(rec)
            events.append(("round", rec))
        for rec in self._tx_file.poll():
            self.tx.append(rec)
            events.append(("tx", rec))
        if self._poll_grabs():
            events.append(("grabs", self.grabs))
        return events

    def snapshot(self) -> list[Event]:
        """Everything a page that connects now needs, as events."""
        events: list[Event] = []
        if self._status.value is not None:
            events.append(("status", self._status.value))
        if self._waterfall.value is not None:
            events.append(("waterfall", self._waterfall.value))
        events += [("round", r) for r in self.rounds]
        events += [("tx", r) for r in self.tx]
        events.append(("grabs", self.grabs))
        return events
