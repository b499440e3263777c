"""The event report: per round x channel, how many stations heard it, how strongly.

:func:`build_report` reads a batch folder (``hi-station batch --out DIR``:
``batch.json``, ``event.toml``, ``results/*.json``; see :mod:`station.batch.results`)
and :func:`aggregate` turns its result documents into one :class:`EventReport`.

A *cell* is an event round (1..rounds; 0 is the stack of all rounds) in a channel (a
letter frequency of the event, labelled as replay labels it).  A station *covered* a
cell when one of its recordings has a row for that round in that channel (replay tests
only the rounds lying wholly inside a recording, and stacks only recordings holding
two rounds or more); it *heard* the cell when such a row is detected at the batch's
false-alarm probability.  A cell nobody covered is "not covered", which is not "not
heard".  The best SNR2500 and the best significance (smallest false-alarm probability,
also as a one-sided Gaussian z) are over the stations that heard it.  Recordings that
replay refused are listed apart.  With TX logs (:mod:`station.batch.txmatch`) each cell
names the operators who keyed it, and each operator gets the rounds they keyed and
which of them were heard.

Examples
--------
>>> significance_z(1e-3) > 3.09
True
>>> significance_z(0.0)  # underflowed: the z of the smallest float, a lower bound
38.4...
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.batch.manifest import MANIFEST_SCHEMA, read_manifest
from station.batch.results import read_results, result_rows
from station.batch.txmatch import (
    Keying,
    OperatorSummary,
    TxLogs,
    channel_of,
    operator_summaries,
    read_keyings,
    txlog_paths,
)
from station.channels import DEFAULT_CHANNEL_RATE_HZ, Channel
from station.errors import InputError
from station.schedule import load_event
from station.schedule.event import Event

__all__ = [
    "BatchFolder",
    "Cell",
    "EventReport",
    "Refused",
    "aggregate",
    "build_report",
    "load_batch",
    "significance_z",
]

logger = logging.getLogger(__name__)

_SMALLEST = 5e-324


def significance_z(false_alarm_probability: float) -> float:
    """One-sided Gaussian z of a false-alarm probability (``norm.isf``; 0 is clipped)."""
    from scipy.stats import norm

    return float(norm.isf(max(float(false_alarm_probability), _SMALLEST)))


@dataclass(frozen=True)
class BatchFolder:
    """A batch folder read back: its options, its event and its result documents."""

    path: Path
    options: dict[str, Any]
    event: Event
    docs: tuple[dict[str, Any], ...]


def _manifest(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder; give the --out folder of hi-station batch")
    path = folder / "batch.json"
    if not path.is_file():
        raise InputError(f"{folder}: not a batch folder (no batch.json); "
                         "give the --out folder of hi-station batch")  # fmt: skip
    doc = read_manifest(folder)
    if doc is None:
        raise InputError(f"{path}: not a batch manifest (schema {MANIFEST_SCHEMA} with options)")
    return doc


def load_batch(folder: str | os.PathLike[str]) -> BatchFolder:
    """Read ``batch.json``, ``event.toml`` and every result of a batch folder.

    Raises
    ------
    InputError
        Not a batch folder, no results yet, a corrupt result file (named), or an
        event file that is not the batch's event.
    """
    root = Path(folder)
    options = dict(_manifest(root)["options"])
    event_path = root / "event.toml"
    if not event_path.is_file():
        raise InputError(f"{root}: not a batch folder (no event.toml); "
                         "give the --out folder of hi-station batch")  # fmt: skip
    event = load_event(event_path)
    if options.get("event_id") not in (None, event.id):
        raise InputError(f"{event_path}: event {event.id!r} is not the batch's "
                         f"event_id={options['event_id']!r}")  # fmt: skip
    digest = hashlib.sha256(event_path.read_bytes()).hexdigest()
    if options.get("event_sha256") not in (None, digest):
        logger.warning("%s differs from the event the batch was made with (event_sha256)",
                       event_path)  # fmt: skip
    docs = read_results(root)
    if not docs:
        raise InputError(f"{root}: holds no results yet (results/ is empty); "
                         "run hi-station batch --out there first")  # fmt: skip
    return BatchFolder(root, options, event, tuple(docs))


@dataclass(frozen=True)
class Cell:
    """One round (0: the stack) in one channel, over every station.

    Attributes
    ----------
    round_number : int
        Event round from 1; 0 for the stack of all rounds.
    label : str
        Channel label (the event's letters, as replay gives it).
    freq_hz : float
        Channel centre, Hz.
    covered_by : tuple of str
        Stations whose recording covered the round in this channel.
    heard_by : tuple of str
        Those of them whose recording detected it.
    best_snr2500_db : float or None
        Largest SNR2500 among the stations that heard it, dB.
    best_false_alarm_probability : float or None
        Smallest false-alarm probability among them.
    best_z : float or None
        That probability as a one-sided Gaussian z (:func:`significance_z`); a lower
        bound (about 38.5) when the probability underflowed to 0.
    keyed_by : tuple of str
        Operators whose TX log keyed the round on this channel.
    """

    round_number: int
    label: str
    freq_hz: float
    covered_by: tuple[str, ...] = ()
    heard_by: tuple[str, ...] = ()
    best_snr2500_db: float | None = None
    best_false_alarm_probability: float | None = None
    best_z: float | None = None
    keyed_by: tuple[str, ...] = ()

    @property
    def stations(self) -> int:
        """Stations that heard it."""
        return len(self.heard_by)

    @property
    def state(self) -> str:
        """``"heard"``, ``"not heard"`` (covered, nobody detected it) or ``"not covered"``."""
        return "heard" if self.heard_by else ("not heard" if self.covered_by else "not covered")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "round": self.round_number, "label": self.label, "freq_hz": self.freq_hz,
            "state": self.state, "stations": self.stations, "heard_by": list(self.heard_by),
            "covered_by": list(self.covered_by), "best_snr2500_db": self.best_snr2500_db,
            "best_false_alarm_probability": self.best_false_alarm_probability,
            "best_z": self.best_z, "keyed_by": list(self.keyed_by),
        }  # fmt: skip


@dataclass(frozen=True)
class Refused:
    """A recording that replay refused: who, which file, why (one line)."""

    station: str
    path: str
    error: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"station": self.station, "path": self.path, "error": self.error}


@dataclass(frozen=True)
class EventReport:
    """The whole report.

    Attributes
    ----------
    folder : str
        The batch folder.
    event_id, event_name : str
    rounds : int
        Rounds of the event (cells have rounds 1..rounds and 0, the stack).
    channels : tuple of Channel
        Every channel of the analysed recordings, by frequency.
    channel_rate_hz : float
        The batch's channel rate (a TX log's frequency matches within half of it).
    cells : tuple of Cell
        Rounds 1..rounds then the stack, each over :attr:`channels`.
    stations : tuple of str
        Stations with at least one analysed recording.
    refused : tuple of Refused
    operators : tuple of OperatorSummary
        From the TX logs (empty without).
    txlogs : tuple of str
        The TX logs read.
    notes : tuple of str
        TX logs or runs skipped (another event, dry runs) and why.
    """

    folder: str
    event_id: str
    event_name: str
    rounds: int
    channels: tuple[Channel, ...]
    channel_rate_hz: float
    cells: tuple[Cell, ...]
    stations: tuple[str, ...]
    refused: tuple[Refused, ...] = ()
    operators: tuple[OperatorSummary, ...] = ()
    txlogs: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def round_numbers(self) -> tuple[int, ...]:
        """The rows: rounds 1..rounds, then 0 (the stack)."""
        return (*range(1, self.rounds + 1), 0)

    def cell(self, round_number: int, label: str) -> Cell:
        """Return the cell of a round (0: the stack) and a channel label."""
        for c in self.cells:
            if c.round_number == round_number and c.label == label:
                return c
        raise KeyError((round_number, label))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``report --json``)."""
        return {
            "folder": self.folder, "event_id": self.event_id, "event_name": self.event_name,
            "rounds": self.rounds, "channel_rate_hz": self.channel_rate_hz,
            "channels": [{"label": c.label, "freq_hz": c.freq_hz} for c in self.channels],
            "stations": list(self.stations), "cells": [c.to_dict() for c in self.cells],
            "refused": [r.to_dict() for r in self.refused],
            "operators": [o.to_dict() for o in self.operators],
            "txlogs": list(self.txlogs), "notes": list(self.notes),
        }  # fmt: skip


def _channels(docs: Iterable[Mapping[str, Any]]) -> tuple[Channel, ...]:
    seen: dict[float, str] = {}
    for doc in docs:
        for ch in (doc.get("replay") or {}).get("channels", ()):
            seen.setdefault(float(ch["freq_hz"]), str(ch["label"]))
    return tuple(Channel(label, f) for f, label in sorted(seen.items()))


def _cell(number: int, ch: Channel, rows: Sequence[Mapping[str, Any]],
          keyed_by: Iterable[str]) -> Cell:  # fmt: skip
    heard = [r for r in rows if r["detected"]]
    snrs = [r["snr2500_db"] for r in heard if r["snr2500_db"] is not None]
    pfas = [r["false_alarm_probability"] for r in heard
            if r["false_alarm_probability"] is not None]  # fmt: skip
    best_p = min(pfas) if pfas else None
    return Cell(
        number, ch.label, ch.freq_hz,
        covered_by=tuple(sorted({r["station"] for r in rows})),
        heard_by=tuple(sorted({r["station"] for r in heard})),
        best_snr2500_db=max(snrs) if snrs else None, best_false_alarm_probability=best_p,
        best_z=None if best_p is None else significance_z(best_p),
        keyed_by=tuple(sorted(set(keyed_by))),
    )  # fmt: skip


def aggregate(
    docs: Sequence[Mapping[str, Any]],
    event: Event,
    *,
    channel_rate_hz: float = DEFAULT_CHANNEL_RATE_HZ,
    txlogs: TxLogs | None = None,
    folder: str = "",
) -> EventReport:
    """Combine result documents (:func:`~station.batch.results.read_results`) per cell.

    Parameters
    ----------
    docs : sequence of dict
        Result documents of one batch.
    event : Event
        The batch's event (its rounds are the rows).
    channel_rate_hz : float, optional
        Width of a channel, for matching the TX logs' frequencies.
    txlogs : TxLogs, optional
        :func:`~station.batch.txmatch.read_keyings` of the operators' logs.
    folder : str, optional
        Named in the report.
    """
    channels = _channels(docs)
    rows: dict[tuple[int, float], list[dict[str, Any]]] = {}
    for doc in docs:
        for row in result_rows(doc):
            if row["round"] is not None:
                rows.setdefault((row["round"], row["freq_hz"]), []).append(row)
    keyings: Sequence[Keying] = txlogs.keyings if txlogs is not None else ()
    keyed: dict[tuple[int, str], list[str]] = {}
    for k in keyings:
        ch = channel_of(k.freq_hz, channels, channel_rate_hz)
        if ch is not None:
            keyed.setdefault((k.round_number, ch.label), []).append(k.callsign)
    numbers = (*range(1, event.rounds + 1), 0)
    cells = tuple(_cell(n, ch, rows.get((n, ch.freq_hz), []), keyed.get((n, ch.label), []))
                  for n in numbers for ch in channels)  # fmt: skip
    by_key = {(c.round_number, c.label): c for c in cells}
    operators = operator_summaries(keyings, channels, channel_rate_hz,
                                   lambda n, label: by_key[(n, label)].state
                                   if (n, label) in by_key else "not covered")  # fmt: skip
    refused = tuple(Refused(d["recording"]["station"], d["recording"]["path"], str(d["error"]))
                    for d in docs if not d.get("replay"))  # fmt: skip
    stations = tuple(sorted({d["recording"]["station"] for d in docs if d.get("replay")}))
    return EventReport(
        folder=folder, event_id=event.id, event_name=event.name, rounds=event.rounds,
        channels=channels, channel_rate_hz=channel_rate_hz, cells=cells, stations=stations,
        refused=refused, operators=operators,
        txlogs=txlogs.logs if txlogs is not None else (),
        notes=txlogs.notes if txlogs is not None else (),
    )  # fmt: skip


def build_report(
    folder: str | os.PathLike[str],
    *,
    txlogs: Sequence[str | os.PathLike[str]] = (),
    include_dry_run: bool = False,
) -> EventReport:
    """Read a batch folder (and TX logs: files, folders, globs) into its report.

    Raises
    ------
    InputError
        See :func:`load_batch` and :func:`~station.batch.txmatch.read_keyings`.
    """
    batch = load_batch(folder)
    rate = batch.options.get("channel_rate_hz")
    if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
        rates = [d["replay"]["channel_rate_hz"] for d in batch.docs if d.get("replay")]
        rate = rates[0] if rates else DEFAULT_CHANNEL_RATE_HZ
    logs = None
    if txlogs:
        logs = read_keyings(txlog_paths(txlogs), batch.event.id, include_dry_run=include_dry_run)
    return aggregate(batch.docs, batch.event, channel_rate_hz=float(rate), txlogs=logs,
                     folder=str(folder))  # fmt: skip
