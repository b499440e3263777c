"""Validation rules for event files: each helper raises a ScheduleError naming the field."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import numpy as np

from dsp.errors import DspValueError
from dsp.morse import key_intervals
from station.clock import YEARS
from station.errors import ScheduleError
from station.utc import parse_iso

__all__ = [
    "LETTERS",
    "MAX_ROUNDS",
    "TEN_METRE_BAND_HZ",
    "band",
    "field",
    "frequencies",
    "key_downs",
    "names",
    "positive",
    "start_utc",
    "timing",
]

LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: The 10 m amateur band (ITU, all regions), Hz.  Nothing outside it is ever keyed.
TEN_METRE_BAND_HZ = (28_000_000.0, 29_700_000.0)
#: Most rounds an event may have (a day of 10-minute rounds is 144).
MAX_ROUNDS = 1000
_MIN_DIT_S = 0.5
#: Longest dit and longest time between round starts an event may have, s.
_MAX_DIT_S, _MAX_PERIOD_S = 3600.0, 7 * 86400.0
#: An event id names files (TX logs, reports): no separators, no leading dot.
_EVENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def field(data: dict[str, Any], table: str, key: str, kind: type | tuple, source: str,
           default: Any = ...) -> Any:  # fmt: skip
    where = f"{table}.{key}" if table else key
    if key not in data:
        if default is ...:
            raise ScheduleError(source, where, "is missing")
        return default
    value = data[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        value = None  # bool is an int subclass; never accept it as a number
    if value is None or not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ScheduleError(source, where, f"{data[key]!r} must be {names}")
    return value


def positive(value: float, where: str, source: str, minimum: float = 0.0) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= minimum:
        raise ScheduleError(source, where, f"{value:g} must be a finite number > {minimum:g}")
    return value


def start_utc(value: Any, source: str) -> datetime:
    where = "event.start_utc"
    if isinstance(value, str):
        try:
            value = parse_iso(value.replace("Z", "+00:00"))
        except ValueError:
            raise ScheduleError(
                source, where, f"{value!r} is not an ISO 8601 date-time like 2013-10-09T18:00:00Z"
            ) from None
    if not isinstance(value, datetime):
        raise ScheduleError(
            source, where, f"{value!r} must be a date-time like 2013-10-09T18:00:00Z"
        )
    if value.tzinfo is None:
        raise ScheduleError(
            source, where, f"{value.isoformat()} has no time zone; write it in UTC with Z "
            f"({value.isoformat()}Z)"
        )  # fmt: skip
    if not YEARS[0] <= value.year <= YEARS[1]:  # later times would overflow datetime
        raise ScheduleError(source, where, f"{value.isoformat()} must lie in the years "
                            f"{YEARS[0]}-{YEARS[1]}")  # fmt: skip
    return value.astimezone(UTC)


def key_downs(ev: dict[str, Any], message: str, dit_s: float, source: str):
    if "key_down_s" not in ev:
        try:
            iv = key_intervals(message, dit_s)
        except DspValueError as exc:
            raise ScheduleError(source, "event.message", str(exc)) from None
        return tuple((float(a), float(b)) for a, b in iv)
    raw = ev["key_down_s"]
    where = "event.key_down_s"
    if not isinstance(raw, list) or not raw:
        raise ScheduleError(source, where, "must be a non-empty list of [start, end] pairs in s")
    out: list[tuple[float, float]] = []
    for i, pair in enumerate(raw):
        ok = isinstance(pair, list) and len(pair) == 2
        ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pair)
        if not ok:
            raise ScheduleError(source, f"{where}[{i}]", f"{pair!r} must be [start_s, end_s]")
        a, b = float(pair[0]), float(pair[1])
        if not (np.isfinite(a) and np.isfinite(b) and 0 <= a < b):
            raise ScheduleError(source, f"{where}[{i}]", f"{pair!r} needs 0 <= start < end")
        if out and a < out[-1][1]:
            raise ScheduleError(
                source,
                f"{where}[{i}]",
                f"{pair!r} overlaps or precedes the previous element {list(out[-1])}; "
                "key-downs must be in time order and must not overlap",
            )
        out.append((a, b))
    if out[0][0] != 0.0:
        raise ScheduleError(source, f"{where}[0]", "the first key-down must start at 0 s")
    return tuple(out)


def frequencies(data: dict[str, Any], band: tuple[float, float], source: str):
    fr = field(data, "", "frequency", dict, source)
    rule = field(fr, "frequency", "rule", str, source)
    if rule == "last-letter":
        table = field(fr, "frequency", "table_hz", dict, source)
        keys = {str(k).upper() for k in table}
        missing = [c for c in LETTERS if c not in keys]
        extra = sorted(k for k in keys if k not in LETTERS)
        if missing or extra:
            raise ScheduleError(
                source,
                "frequency.table_hz",
                f"needs exactly the 26 letters A-Z (missing {''.join(missing) or 'none'}, "
                f"unknown {', '.join(extra) or 'none'})",
            )
        if len(keys) != len(table):
            twice = sorted({k.upper() for k in table if k != k.upper() and k.upper() in table})
            raise ScheduleError(
                source,
                "frequency.table_hz",
                f"gives letter(s) {', '.join(twice)} twice (in upper and lower case)",
            )
        out = {str(k).upper(): v for k, v in table.items()}
    elif rule == "single":
        out = {"*": field(fr, "frequency", "single_hz", (int, float), source)}
    else:
        raise ScheduleError(source, "frequency.rule", f"{rule!r} must be 'last-letter' or 'single'")
    checked: dict[str, float] = {}
    for key, value in out.items():
        where = "frequency.single_hz" if key == "*" else f"frequency.table_hz.{key}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScheduleError(source, where, f"{value!r} must be a number in Hz")
        if not band[0] <= value <= band[1]:
            raise ScheduleError(
                source,
                where,
                f"{value / 1e6:.6f} MHz is outside the event's band "
                f"{band[0] / 1e6:.6f}-{band[1] / 1e6:.6f} MHz",
            )
        checked[key] = float(value)
    recon = field(fr, "frequency", "reconstruction", bool, source, False)
    note = field(fr, "frequency", "note", str, source, "")
    return rule, dict(sorted(checked.items())), recon, note


def names(ev: dict[str, Any], source: str) -> tuple[str, str]:
    """Return ``event.id`` (it names files) and ``event.name`` (one line), checked."""
    ident_id = field(ev, "event", "id", str, source)
    if not _EVENT_ID_RE.fullmatch(ident_id):
        raise ScheduleError(source, "event.id", f"{ident_id[:40]!r} must be 1-64 letters, digits, "
                            "'-', '_' or '.', starting with a letter or digit (it names files)")
    name = field(ev, "event", "name", str, source)
    if len(name) > 200 or any(unicodedata.category(ch)[0] == "C" or
                              unicodedata.category(ch) in ("Zl", "Zp") for ch in name):
        raise ScheduleError(source, "event.name", f"{name[:40]!r} must be at most 200 "
                            "characters on one line (no control characters)")  # fmt: skip
    return ident_id, name


def timing(ev: dict[str, Any], source: str) -> tuple[float, float, int]:
    """Return ``event.dit_s``, ``event.round_period_s`` and ``event.rounds``, checked."""
    dit_s = positive(field(ev, "event", "dit_s", (int, float), source), "event.dit_s", source)
    if dit_s < _MIN_DIT_S:
        raise ScheduleError(source, "event.dit_s", f"{dit_s:g} s is shorter than {_MIN_DIT_S} s")
    if dit_s > _MAX_DIT_S:
        raise ScheduleError(source, "event.dit_s", f"{dit_s:g} s is longer than {_MAX_DIT_S:g} s")
    period_s = positive(
        field(ev, "event", "round_period_s", (int, float), source), "event.round_period_s", source
    )
    if period_s > _MAX_PERIOD_S:
        raise ScheduleError(source, "event.round_period_s", f"{period_s:g} s is more than "
                            f"{_MAX_PERIOD_S:g} s (a week)")  # fmt: skip
    rounds = field(ev, "event", "rounds", int, source)
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ScheduleError(source, "event.rounds", f"{rounds} must be 1-{MAX_ROUNDS}")
    return dit_s, period_s, rounds


def band(data: dict[str, Any], source: str) -> tuple[float, float]:
    """Return the ``[band]`` edges, Hz: a non-empty range inside 10 m."""
    bd = field(data, "", "band", dict, source)
    low = positive(field(bd, "band", "low_hz", (int, float), source), "band.low_hz", source)
    high = positive(field(bd, "band", "high_hz", (int, float), source), "band.high_hz", source)
    if not TEN_METRE_BAND_HZ[0] <= low < high <= TEN_METRE_BAND_HZ[1]:
        raise ScheduleError(
            source,
            "band",
            f"{low / 1e6:.6f}-{high / 1e6:.6f} MHz must be a non-empty range inside the 10 m "
            "band 28.000000-29.700000 MHz",
        )
    return low, high
