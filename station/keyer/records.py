"""The TX log's records as types, and their one JSON mapping.

Each kind of line in the TX log (:mod:`station.keyer.txlog` lists them) is a frozen
dataclass here.  The runner builds them, :class:`~station.keyer.txlog.TxLog` writes
them (:meth:`TxRecord.to_json`) and the ADIF export and the CLI read them
(:func:`record_from_json`).  Field names carry their units; a field whose JSON key
differs (``round_number`` is ``"round"``) says so once, in its metadata.

Times are aware :class:`~datetime.datetime` objects, written as ISO 8601 UTC with
``Z`` and milliseconds.  A record read back from a log may lack what a hand-written
or older log does not hold: such a field is None.  Only what identifies a record is
required (``event_id``, ``callsign``, an edge's ``round``, ``element`` and ``key``),
and a time that is there must parse; other fields of the wrong type read as None.

Examples
--------
>>> from datetime import UTC, datetime
>>> rec = SkipRecord(event_id="juno-2013-10-09", callsign="N0CALL", backend="dry-run",
...                  transmit=False, round_number=3, element_number=2,
...                  planned_utc=datetime(2013, 10, 9, 18, 21, tzinfo=UTC), late_ms=812.5)
>>> rec.to_json()["round"], rec.to_json()["planned_utc"]
(3, '2013-10-09T18:21:00.000Z')
>>> record_from_json(rec.to_json(), "line 1") == rec
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Self, TypeAlias

from station.errors import InputError
from station.utc import parse_aware, utc_z

__all__ = [
    "EdgeRecord",
    "GuardianRecord",
    "IdentRecord",
    "SkipRecord",
    "StartRecord",
    "StopRecord",
    "TuneRecord",
    "TxRecord",
    "record_from_json",
]

_Decode = Callable[[Mapping[str, Any], str, str], Any]


def _text(rec: Mapping[str, Any], key: str, where: str) -> str:
    value = rec.get(key)
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: {key}={value!r} must be a non-empty string")
    return value


def _whole(rec: Mapping[str, Any], key: str, where: str) -> int:
    value = rec.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{where}: {key}={value!r} must be a whole number >= 1")
    return value


def _edge_key(rec: Mapping[str, Any], key: str, where: str) -> str:
    value = rec.get(key)
    if value not in ("down", "up"):
        raise InputError(f"{where}: {key}={value!r} must be 'down' or 'up'")
    return str(value)


def _time(rec: Mapping[str, Any], key: str, where: str) -> datetime | None:
    text = rec.get(key)
    if text is None:
        return None
    when = parse_aware(str(text))
    if when is None:
        raise InputError(f"{where}: {key}={text!r} is not an ISO 8601 UTC time with Z")
    return when


def _any_time(rec: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """Read a time that nothing uses (when the run started); None if it does not parse."""
    try:
        return _time(rec, key, where)
    except InputError:
        return None


def _str(rec: Mapping[str, Any], key: str, where: str) -> str | None:
    value = rec.get(key)
    return value if isinstance(value, str) else None


def _name(rec: Mapping[str, Any], key: str, where: str) -> str | None:
    value = rec.get(key)
    return str(value) if value else None


def _number(rec: Mapping[str, Any], key: str, where: str) -> float | None:
    value = rec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _count(rec: Mapping[str, Any], key: str, where: str) -> int | None:
    value = rec.get(key)
    return None if isinstance(value, bool) or not isinstance(value, int) else value


def _flag(rec: Mapping[str, Any], key: str, where: str) -> bool | None:
    """Read a flag: True only for JSON ``true``; None when the key is absent."""
    return None if key not in rec else rec[key] is True


def _state(rec: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = rec.get(key)
    return value if isinstance(value, bool) else None


def _f(decode: _Decode, key: str | None = None) -> Any:
    """Declare a field read by ``decode``, written under ``key`` (default: its name)."""
    meta: dict[str, Any] = {"decode": decode}
    if key is not None:
        meta["json"] = key
    return field(metadata=meta)


class _Record:
    """The JSON mapping shared by every record: field order is the key order written."""

    __slots__ = ()
    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object written to the log, ``"type"`` first, keys in field order."""
        out: dict[str, Any] = {"type": self.kind}
        for f in fields(self):  # type: ignore[arg-type]  # every subclass is a dataclass
            value = getattr(self, f.name)
            out[f.metadata.get("json", f.name)] = (
                utc_z(value) if isinstance(value, datetime) else value
            )
        return out

    @classmethod
    def from_json(cls, rec: Mapping[str, Any], where: str) -> Self:
        """Read the record from one JSON object of the log (see the module notes).

        Raises
        ------
        InputError
            A field that identifies the record is missing or malformed, or a time
            does not parse; the message starts with ``where``.
        """
        return cls(**{
            f.name: f.metadata["decode"](rec, f.metadata.get("json", f.name), where)
            for f in fields(cls)  # type: ignore[arg-type]
        })  # fmt: skip


@dataclass(frozen=True, slots=True)
class StartRecord(_Record):
    """Keying started: what is keyed, where, by whom, with what."""

    kind: ClassVar[str] = "start"
    utc: datetime | None = _f(_any_time)
    event_id: str = _f(_text)
    callsign: str = _f(_text)
    backend: str | None = _f(_str)
    transmit: bool | None = _f(_flag)
    event_name: str | None = _f(_name)
    target: str | None = _f(_str)
    grid: str | None = _f(_str)
    freq_hz: float | None = _f(_number)
    mode: str | None = _f(_str)
    rounds: int | None = _f(_count)
    message: str | None = _f(_str)
    key_downs_per_round: int | None = _f(_count)
    dit_s: float | None = _f(_number)
    skipped_key_downs: int | None = _f(_count)
    #: The measured clock (:mod:`station.sntp`): server minus this machine, s; the
    #: round trip, s; the server.  None when not measured (``--ignore-clock``, older logs).
    clock_offset_s: float | None = _f(_number)
    clock_delay_s: float | None = _f(_number)
    clock_server: str | None = _f(_str)


@dataclass(frozen=True, slots=True)
class TuneRecord(_Record):
    """The rig tuned and set to the mode; ``reply`` is its answer."""

    kind: ClassVar[str] = "tune"
    utc: datetime | None = _f(_any_time)
    event_id: str = _f(_text)
    callsign: str = _f(_text)
    backend: str | None = _f(_str)
    transmit: bool | None = _f(_flag)
    reply: str | None = _f(_str)


@dataclass(frozen=True, slots=True)
class EdgeRecord(_Record):
    """One key edge: planned, sent (the edge), acknowledged (``actual_utc``)."""

    kind: ClassVar[str] = "edge"
    event_id: str = _f(_text)
    callsign: str = _f(_text)
    backend: str | None = _f(_str)
    transmit: bool | None = _f(_flag)
    round_number: int = _f(_whole, "round")
    element_number: int = _f(_whole, "element")
    key: str = _f(_edge_key)
    planned_utc: datetime | None = _f(_time)
    sent_utc: datetime | None = _f(_time)
    actual_utc: datetime | None = _f(_time)
    error_ms: float | None = _f(_number)
    latency_ms: float | None = _f(_number)
    reply: str | None = _f(_str)
    ptt: bool | None = _f(_state)
    freq_hz: float | None = _f(_number)


@dataclass(frozen=True, slots=True)
class IdentRecord(_Record):
    """An identification sent in CW after a round."""

    kind: ClassVar[str] = "ident"
    event_id: str = _f(_text)
    callsign: str = _f(_text)
    backend: str | None = _f(_str)
    transmit: bool | None = _f(_flag)
    round_number: int = _f(_whole, "round")
    text: str | None = _f(_str)
    wpm: float | None = _f(_number)
    planned_utc: datetime | None = _f(_time)
    actual_utc: datetime | None = _f(_time)
    reply: str | None = _f(_str)


@dataclass(frozen=True, slots=True)
class SkipRecord(_Record):
    """A key-down not sent, reached ``late_ms`` too late (never a shortened element)."""

    kind: ClassVar[str] = "skip"
    event_id: str = _f(_text)
    callsign: str = _f(_text)
    backend: str | None = _f(_str)
    transmit: bool | None = _f(_flag)
    round_number: int = _f(_whole, "round")
    element_number: int = _f(_whole, "element")
    planned_utc: datetime | None = _f(_time)
    late_ms: float | None = _f(_number)


@dataclass(frozen=True, slots=True)
class StopRecord(_Record):
    """Keying ended: why, and whether the backend confirmed the key released."""

    kind: ClassVar[str] = "stop"
    utc: datetime | None = _f(_any_time)
    event_id: str | None = _f(_str)
    callsign: str | None = _f(_str)
    backend: str | None = _f(_str)
    transmit: bool | None = _f(_flag)
    reason: str | None = _f(_str)
    message: str | None = _f(_str)
    unkeyed: bool | None = _f(_state)
    edges: int | None = _f(_count)


@dataclass(frozen=True, slots=True)
class GuardianRecord(_Record):
    """What the out-of-process guard had to do (:mod:`station.keyer.guardian`)."""

    kind: ClassVar[str] = "guardian"
    utc: datetime | None = _f(_any_time)
    message: str | None = _f(_str)


#: Any record of the TX log.
TxRecord: TypeAlias = (
    StartRecord | TuneRecord | EdgeRecord | IdentRecord | SkipRecord | StopRecord | GuardianRecord
)

_KINDS: dict[str, type[_Record]] = {
    cls.kind: cls
    for cls in (
        StartRecord, TuneRecord, EdgeRecord, IdentRecord, SkipRecord, StopRecord, GuardianRecord
    )
}  # fmt: skip


def record_from_json(rec: Mapping[str, Any], where: str) -> TxRecord | None:
    """Read one JSON object of the log; None for a ``"type"`` this version does not know.

    Raises
    ------
    InputError
        A field that identifies the record is missing or malformed, or a time does
        not parse; the message starts with ``where``.
    """
    cls = _KINDS.get(str(rec.get("type")))
    if cls is None:
        return None
    record: Any = cls.from_json(rec, where)  # one of the TxRecord types, by _KINDS
    return record
