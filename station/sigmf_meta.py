"""The shape of SigMF metadata, checked before anything reads a field of it.

:func:`load_metadata` parses a ``.sigmf-meta`` file (refusing JSON nested too deeply
and integers over Python's conversion limit) and :func:`check_metadata` checks the
fields hi-station reads: ``global``, ``captures`` and ``annotations`` have their JSON
types, ``core:datatype`` is text, ``core:num_channels`` and sample indices are whole
numbers, ``core:frequency`` is a finite number and ``core:datetime`` is text.  Both
raise :class:`~station.errors.RecordingError` naming the field and the rule, so a
malformed file is one error line, never a traceback from deep inside :mod:`sigmf`.

Examples
--------
>>> from pathlib import Path
>>> check_metadata({"global": {"core:datatype": "cu8"}, "captures": []}, Path("x"))
>>> check_metadata({"global": "x"}, Path("x.sigmf-meta"))
Traceback (most recent call last):
...
station.errors.RecordingError: x.sigmf-meta: "global" is 'x'; it must be a JSON object
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station.clock import YEARS
from station.errors import RecordingError

__all__ = [
    "META_LIMIT_BYTES", "RATE_LIMITS_HZ", "check_metadata", "load_metadata",
    "parse_datetime", "sample_rate",
]  # fmt: skip

#: Largest metadata file read, bytes (a recording's annotations stay far below it).
META_LIMIT_BYTES = 64 * 2**20
#: Sample rates a recording may have, S/s (below 1 S/s nothing is keyed; above 10 MS/s
#: is no receiver hi-station reads, and the searches would ask for terabytes).
RATE_LIMITS_HZ = (1.0, 10e6)


def parse_datetime(value: object, where: Path) -> datetime:
    """``core:datetime`` as aware UTC (RFC 3339 with a zone, years :data:`~station.clock.YEARS`)."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise RecordingError(
            where,
            f"core:datetime={value!r} is not an RFC 3339 time with a zone "
            "(e.g. 2013-10-09T18:00:00.000000Z)",
        )
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise RecordingError(where, f"core:datetime={value!r} must lie in the years "
                             f"{YEARS[0]}-{YEARS[1]}")  # fmt: skip
    return parsed.astimezone(UTC)


def sample_rate(rate: Any, where: Path, required: bool = True) -> float | None:
    """``core:sample_rate`` checked: a finite number within :data:`RATE_LIMITS_HZ`."""
    if rate is None:
        if not required:
            return None
        raise RecordingError(
            where, "core:sample_rate is missing; add the sample rate in Hz to the metadata"
        )
    low, high = RATE_LIMITS_HZ
    if not _is_number(rate) or not math.isfinite(rate) or not low <= rate <= high:
        raise RecordingError(where, f"core:sample_rate={rate!r:.40} must be a finite rate "
                             f"of {low:g}-{high:g} S/s")  # fmt: skip
    return float(rate)


def load_metadata(path: Path) -> dict[str, Any]:
    """Parse ``path`` as SigMF metadata JSON and check its shape (:func:`check_metadata`)."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(META_LIMIT_BYTES + 1)
    except OSError as exc:
        raise RecordingError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > META_LIMIT_BYTES:
        raise RecordingError(path, f"metadata is larger than {META_LIMIT_BYTES >> 20} MiB")
    bad = "cannot read as SigMF: metadata is not valid JSON"
    try:
        doc = json.loads(raw)
    except RecursionError:
        raise RecordingError(path, f"{bad} (nested too deeply)") from None
    except json.JSONDecodeError as exc:
        raise RecordingError(path, f"{bad} ({exc})") from None
    except ValueError as exc:  # bad UTF-8, or an integer over the 4300-digit limit
        reason = "a number has too many digits" if "digits" in str(exc) else str(exc)
        raise RecordingError(path, f"{bad} ({reason})") from None
    check_metadata(doc, path)
    return doc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _objects(doc: dict[str, Any], key: str, where: Path) -> list[dict[str, Any]]:
    items = doc.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise RecordingError(where, f'"{key}" must be a JSON array of objects')
    return items


def _index(item: dict[str, Any], key: str, where: Path, section: str) -> None:
    value = item.get(key, 0)
    if not _is_int(value) or value < 0 or value >= 2**63:
        raise RecordingError(where, f"{section} {key}={value!r} must be a whole number >= 0")


def check_metadata(doc: Any, where: Path) -> None:
    """Check the JSON types of the fields hi-station reads from SigMF metadata ``doc``.

    Raises
    ------
    RecordingError
        A field of the wrong type or out of its range (named in the message).
    """
    if not isinstance(doc, dict):
        raise RecordingError(where, "metadata must be a JSON object with a \"global\" object")
    glob = doc.get("global")
    if not isinstance(glob, dict):
        raise RecordingError(where, f'"global" is {glob!r:.40}; it must be a JSON object')
    datatype = glob.get("core:datatype")
    if not isinstance(datatype, str):
        raise RecordingError(where, f"core:datatype={datatype!r:.40} must be text such as cf32_le")
    channels = glob.get("core:num_channels", 1)
    if not _is_int(channels) or channels < 1:
        raise RecordingError(
            where, f"core:num_channels={channels!r:.40} must be a whole number >= 1"
        )
    for capture in _objects(doc, "captures", where):
        _index(capture, "core:sample_start", where, "capture")
        freq = capture.get("core:frequency", 0.0)
        if not _is_number(freq) or not math.isfinite(freq):
            raise RecordingError(where, f"core:frequency={freq!r:.40} must be a finite number (Hz)")
        stamp = capture.get("core:datetime", "")
        if not isinstance(stamp, str):
            raise RecordingError(where, f"core:datetime={stamp!r:.40} must be RFC 3339 text")
    for annotation in _objects(doc, "annotations", where):
        _index(annotation, "core:sample_start", where, "annotation")
        _index(annotation, "core:sample_count", where, "annotation")
