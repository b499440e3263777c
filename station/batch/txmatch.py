"""Operators' TX logs against the batch's channels: who keyed which round where.

An operator (the ``callsign`` of a log's ``start`` record) *keyed* a (round, channel)
when their log holds a key-down ``edge`` record of that round (its ``"round"``) at a
frequency inside the channel: ``freq_hz`` within half the channel rate of the
channel's centre.  Only records of the batch's event count (a log of another event is
skipped with a note), and only transmitted ones (``transmit`` true) unless dry runs
are asked for; the dry-run logs skipped are named in the notes.

Examples
--------
>>> from station.channels import Channel
>>> chans = [Channel("A", 28_294_000.0), Channel("B", 28_298_000.0)]
>>> channel_of(28_294_600.0, chans, 2000.0), channel_of(28_296_000.0, chans, 2000.0)
(Channel(label='A', freq_hz=28294000.0), None)
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.channels import Channel
from station.errors import InputError
from station.keyer.records import EdgeRecord, StartRecord, record_from_json
from station.keyer.txlog import read_tx_log

__all__ = [
    "Keying",
    "OperatorSummary",
    "TxLogs",
    "channel_of",
    "operator_summaries",
    "read_keyings",
    "txlog_paths",
]


@dataclass(frozen=True)
class Keying:
    """One round an operator keyed (at least one key-down edge in it).

    Attributes
    ----------
    callsign : str
        The operator (their log's ``start`` record).
    round_number : int
        Event round, from 1.
    freq_hz : float
        Where they keyed it, Hz.
    transmit : bool
        On the air (False: a dry run, counted only when asked).
    log : str
        The TX log file.
    """

    callsign: str
    round_number: int
    freq_hz: float
    transmit: bool
    log: str


@dataclass(frozen=True)
class TxLogs:
    """What the TX logs given hold for the batch's event.

    Attributes
    ----------
    logs : tuple of str
        Every log read.
    keyings : tuple of Keying
        The rounds that count, one per (operator, round, frequency).
    notes : tuple of str
        Logs (or runs) skipped: another event, dry runs, torn lines.
    """

    logs: tuple[str, ...] = ()
    keyings: tuple[Keying, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OperatorSummary:
    """One operator's part: the rounds they keyed and which of them were heard.

    Attributes
    ----------
    callsign : str
    labels : tuple of str
        The channels they keyed in (empty when outside every channel of the batch).
    rounds_keyed : tuple of int
    rounds_heard : tuple of int
        Keyed rounds heard by at least one station on that channel.
    rounds_not_covered : tuple of int
        Keyed rounds no recording covered on that channel (neither heard nor missed).
    outside_hz : tuple of float
        Frequencies keyed outside every channel of the batch.
    """

    callsign: str
    labels: tuple[str, ...]
    rounds_keyed: tuple[int, ...]
    rounds_heard: tuple[int, ...]
    rounds_not_covered: tuple[int, ...]
    outside_hz: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "callsign": self.callsign, "labels": list(self.labels),
            "rounds_keyed": list(self.rounds_keyed), "rounds_heard": list(self.rounds_heard),
            "rounds_not_covered": list(self.rounds_not_covered),
            "outside_hz": list(self.outside_hz),
        }  # fmt: skip


def txlog_paths(items: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand ``--txlog`` values: files, folders (their ``*.jsonl``) and globs.

    Raises
    ------
    InputError
        A value that names nothing, or a folder or glob without a TX log.

    Examples
    --------
    >>> txlog_paths([])
    []
    """
    out: list[Path] = []
    for item in items:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            what = f"--txlog={text} is a folder without *.jsonl TX logs"
        elif path.exists():
            found = [path]
            what = ""
        elif glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
            what = f"--txlog={text} matches no file"
        else:
            raise InputError(f"--txlog={text}: no such file or folder")
        if not found:
            raise InputError(what)
        out.extend(p for p in found if p not in out)
    return out


def _edges(path: Path, notes: list[str]) -> Iterable[tuple[StartRecord | None, EdgeRecord]]:
    """Every key-down edge of a log with the ``start`` record of its run."""
    start: StartRecord | None = None
    for lineno, raw in enumerate(read_tx_log(path, notes=notes), 1):
        rec = record_from_json(raw, f"TX log {path}, record {lineno}")
        if isinstance(rec, StartRecord):
            start = rec
        elif isinstance(rec, EdgeRecord) and rec.key == "down":
            yield start, rec


def _read_one(path: Path, event_id: str, include_dry_run: bool,
              notes: list[str]) -> list[Keying]:  # fmt: skip
    keyed: dict[tuple[str, int, float], Keying] = {}
    other: set[str] = set()
    dry: set[str] = set()
    for start, edge in _edges(path, notes):
        if edge.event_id != event_id:
            other.add(edge.event_id)
            continue
        callsign = start.callsign if start is not None else edge.callsign
        transmit = edge.transmit if edge.transmit is not None else bool(start and start.transmit)
        freq = edge.freq_hz
        if freq is None and start is not None:
            freq = start.freq_hz
        if not transmit and not include_dry_run:
            dry.add(callsign)
            continue
        if freq is None:
            notes.append(f"{path}: {callsign} round {edge.round_number}: no frequency; skipped")
            continue
        key = (callsign, edge.round_number, float(freq))
        keyed.setdefault(key, Keying(callsign, edge.round_number, float(freq), transmit, str(path)))
    if other:
        notes.append(f"{path}: keyed for event {', '.join(sorted(other))}, not {event_id}; "
                     "skipped")  # fmt: skip
    if dry:
        notes.append(f"{path}: dry run of {', '.join(sorted(dry))} skipped "
                     "(give --include-dry-run to count it)")  # fmt: skip
    return list(keyed.values())


def read_keyings(paths: Sequence[Path], event_id: str, *, include_dry_run: bool = False) -> TxLogs:
    """Read TX logs (:func:`~station.keyer.txlog.read_tx_log`) for the rounds keyed.

    Raises
    ------
    InputError
        A log that cannot be read, or a record in it that does not parse (named).
    """
    notes: list[str] = []
    keyings: list[Keying] = []
    for path in paths:
        keyings.extend(_read_one(path, event_id, include_dry_run, notes))
    keyings.sort(key=lambda k: (k.callsign, k.round_number, k.freq_hz))
    return TxLogs(tuple(str(p) for p in paths), tuple(keyings), tuple(notes))


def channel_of(freq_hz: float, channels: Sequence[Channel], channel_rate_hz: float
               ) -> Channel | None:  # fmt: skip
    """Return the channel within half the channel rate of ``freq_hz`` (the nearest), or None."""
    near = [c for c in channels if abs(freq_hz - c.freq_hz) <= channel_rate_hz / 2]
    return min(near, key=lambda c: abs(freq_hz - c.freq_hz)) if near else None


def operator_summaries(
    keyings: Sequence[Keying],
    channels: Sequence[Channel],
    channel_rate_hz: float,
    state: Callable[[int, str], str],
) -> tuple[OperatorSummary, ...]:
    """Each operator's rounds keyed, heard and not covered.

    ``state(round, label)`` is the cell's ``"heard"``, ``"not heard"`` or
    ``"not covered"`` (:attr:`station.batch.report.Cell.state`).
    """
    out = []
    for call in sorted({k.callsign for k in keyings}):
        mine = [k for k in keyings if k.callsign == call]
        labels: list[str] = []
        keyed, heard, uncovered, outside = set(), set(), set(), set()
        for k in mine:
            keyed.add(k.round_number)
            ch = channel_of(k.freq_hz, channels, channel_rate_hz)
            if ch is None:
                outside.add(k.freq_hz)
                continue
            if ch.label not in labels:
                labels.append(ch.label)
            verdict = state(k.round_number, ch.label)
            if verdict == "heard":
                heard.add(k.round_number)
            elif verdict == "not covered":
                uncovered.add(k.round_number)
        out.append(
            OperatorSummary(
                call,
                tuple(labels),
                tuple(sorted(keyed)),
                tuple(sorted(heard)),
                tuple(sorted(uncovered - heard)),
                tuple(sorted(outside)),
            )
        )
    return tuple(out)
