"""SigMF metadata: its shape checked, the one datatype table, the one annotation builder.

Every SigMF reader and writer of hi-station (:mod:`station.recording.sigmf`,
:mod:`station.recording.sigmf_stream`, :mod:`station.recording.recover` and the replay
source :class:`station.sdr.filesource.FileSource`) takes its datatypes from
:data:`DATATYPES` and builds annotations with :func:`make_annotation`.


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
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import sigmf

from dsp.channelize import cu8_to_complex64
from station import __version__
from station.clock import YEARS
from station.errors import InputError, RecordingError
from station.recording.model import Annotation
from station.utc import format_utc, parse_aware

__all__ = [
    "DATATYPES", "META_LIMIT_BYTES", "RATE_LIMITS_HZ", "SUPPORTED_SIGMF_DATATYPES",
    "WRITER_DATATYPES", "Datatype", "annotation_at", "capture_fields", "check_metadata",
    "encode_meta", "global_fields",
    "is_datatype", "load_metadata", "make_annotation", "parse_datetime", "sample_bytes",
    "sample_rate",
]  # fmt: skip

#: Largest metadata file read, bytes (a recording's annotations stay far below it).
META_LIMIT_BYTES = 64 * 2**20
#: Sample rates a recording may have, S/s (below 1 S/s nothing is keyed; above 10 MS/s
#: is no receiver hi-station reads, and the searches would ask for terabytes).
RATE_LIMITS_HZ = (1.0, 10e6)
#: Any SigMF datatype (real or complex; float, signed or unsigned; with endianness).
_DATATYPE_RE = re.compile(r"^(c|r)(f32|f64|i32|i16|u32|u16|i8|u8)(_le|_be)?$")


def _cu8(raw: bytes) -> np.ndarray:
    u8 = np.frombuffer(raw, dtype=np.uint8)
    return cu8_to_complex64(u8[: u8.size - u8.size % 2])


def _ci16(raw: bytes) -> np.ndarray:
    return (np.frombuffer(raw, "<i2").astype(np.float32) * np.float32(1 / 32768)).view(np.complex64)


def _cf32(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, "<f4").astype(np.float32).view(np.complex64)


def _rf32(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, "<f4").astype(np.float32)


def _ri16(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, "<i2").astype(np.float32) * np.float32(1 / 32768)


def _to_cu8(x: np.ndarray) -> np.ndarray:
    iq = np.empty(2 * x.size, np.float32)
    iq[0::2], iq[1::2] = x.real, x.imag
    return np.clip(np.rint(iq * 128 + 128), 0, 255).astype(np.uint8)


def _to_cf32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype="<c8").view(np.uint8)


def _not_written(x: np.ndarray) -> np.ndarray:
    raise InputError("this datatype is read, never written")


@dataclass(frozen=True, slots=True)
class Datatype:
    """A SigMF datatype hi-station reads (see :data:`DATATYPES`).

    Attributes
    ----------
    sample_bytes : int
        Bytes of one sample (complex: both parts).
    to_samples : callable
        Raw little-endian bytes -> complex64 (complex types) or float32 (real audio,
        ``real``), scaled as sigmf's autoscale: ``(u8 - 128) / 128`` for ``cu8``,
        ``i16 / 32768`` for ``ci16_le`` and ``ri16_le``.
    written : bool
        Whether the streaming writer produces it.
    from_complex64 : callable
        Complex samples -> the bytes written (as uint8), the inverse of
        ``to_samples`` (``cu8``: ``round(128 x + 128)`` clipped to 0..255).
    real : bool
        Real samples: mono audio (e.g. from an SSB receiver), not I/Q.

    Examples
    --------
    >>> DATATYPES["ri16_le"].to_samples(np.array([16384, -32768], "<i2").tobytes())
    array([ 0.5, -1. ], dtype=float32)
    """

    sample_bytes: int
    to_samples: Callable[[bytes], np.ndarray]
    written: bool
    from_complex64: Callable[[np.ndarray], np.ndarray] = _not_written
    real: bool = False


#: The one datatype table: the SigMF datatypes hi-station reads, by name.
DATATYPES: dict[str, Datatype] = {
    "cf32_le": Datatype(8, _cf32, written=True, from_complex64=_to_cf32),
    "ci16_le": Datatype(4, _ci16, written=False),
    "cu8": Datatype(2, _cu8, written=True, from_complex64=_to_cu8),
    "rf32_le": Datatype(4, _rf32, written=False, real=True),
    "ri16_le": Datatype(2, _ri16, written=False, real=True),
}
#: Names of the datatypes read.
SUPPORTED_SIGMF_DATATYPES = tuple(DATATYPES)
#: Bytes per sample of the datatypes the streaming writer produces.
WRITER_DATATYPES = {name: d.sample_bytes for name, d in DATATYPES.items() if d.written}


def sample_bytes(datatype: str, channels: Any, where: Path) -> int:
    """Bytes of one sample of any SigMF ``datatype`` over ``channels`` channels.

    Examples
    --------
    >>> sample_bytes("cu8", 1, Path("x")), sample_bytes("ri16_le", 2, Path("x"))
    (2, 4)
    """
    match = _DATATYPE_RE.match(datatype)
    if match is None:
        raise RecordingError(where, f"global core:datatype={datatype!r} is invalid")
    kind, fmt, _ = match.groups()
    if not isinstance(channels, int) or isinstance(channels, bool) or channels < 1:
        raise RecordingError(where, f"core:num_channels={channels!r} must be an integer >= 1")
    return (2 if kind == "c" else 1) * int(fmt[1:]) // 8 * channels


def is_datatype(value: Any) -> bool:
    """Whether ``value`` is a valid SigMF datatype name (any, not only those read)."""
    return isinstance(value, str) and _DATATYPE_RE.match(value) is not None


def encode_meta(meta: dict[str, Any]) -> bytes:
    """Check ``meta`` against the SigMF schema (sigmf's validator) and return its JSON bytes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sigmf.validate.validate(meta)
    return (json.dumps(meta, indent=4) + "\n").encode("utf-8")


def global_fields(
    datatype: str, sample_rate_hz: float, *, hardware: str = "", description: str = "",
    author: str = "",
) -> dict[str, Any]:
    """Return the ``global`` fields every hi-station writer puts in SigMF metadata.

    Datatype, sample rate and recorder, and ``core:hw``, ``core:description`` and
    ``core:author`` when not empty.

    Examples
    --------
    >>> sorted(global_fields("cf32_le", 2000.0, author="N0CALL"))
    ['core:author', 'core:datatype', 'core:recorder', 'core:sample_rate']
    """
    glob: dict[str, Any] = {
        sigmf.DATATYPE_KEY: datatype,
        sigmf.SAMPLE_RATE_KEY: float(sample_rate_hz),
        sigmf.RECORDER_KEY: f"hi-station {__version__}",
    }
    for key, text in (
        (sigmf.HW_KEY, hardware), (sigmf.DESCRIPTION_KEY, description), (sigmf.AUTHOR_KEY, author),
    ):  # fmt: skip
        if text:
            glob[key] = text
    return glob


def capture_fields(center_freq_hz: float, start_utc: datetime | None) -> dict[str, Any]:
    """Return a capture's ``core:frequency`` and, when known, ``core:datetime`` (``Z``)."""
    capture: dict[str, Any] = {sigmf.FREQUENCY_KEY: float(center_freq_hz)}
    if start_utc is not None:
        capture[sigmf.DATETIME_KEY] = format_utc(start_utc)
    return capture


def make_annotation(
    start_sample: int,
    count: int,
    label: str,
    comment: str = "",
    freq_lower_hz: float | None = None,
    freq_upper_hz: float | None = None,
) -> dict[str, Any]:
    """Check and build one SigMF annotation object (generator ``hi-station``).

    Examples
    --------
    >>> make_annotation(10, 5, "gap")
    {'core:sample_start': 10, 'core:sample_count': 5, 'core:label': 'gap', \
'core:generator': 'hi-station'}
    """
    if start_sample < 0 or count < 1:
        raise InputError(
            f"annotation {label!r}: need start_sample >= 0 and count >= 1, "
            f"got {start_sample}, {count}"
        )
    if not label:
        raise InputError("annotation label must not be empty")
    if (freq_lower_hz is None) != (freq_upper_hz is None) or (
        freq_lower_hz is not None
        and freq_upper_hz is not None
        and not freq_lower_hz <= freq_upper_hz
    ):
        raise InputError(
            f"annotation {label!r}: give both frequency edges (lower <= upper) "
            f"or neither, got {freq_lower_hz}, {freq_upper_hz}"
        )
    ann: dict[str, Any] = {
        sigmf.SAMPLE_START_KEY: int(start_sample),
        sigmf.SAMPLE_COUNT_KEY: int(count),
        sigmf.LABEL_KEY: label,
        sigmf.GENERATOR_KEY: "hi-station",
    }
    if comment:
        ann[sigmf.COMMENT_KEY] = comment
    if freq_lower_hz is not None and freq_upper_hz is not None:  # both or neither (above)
        ann[sigmf.FREQ_LOWER_EDGE_KEY] = float(freq_lower_hz)
        ann[sigmf.FREQ_UPPER_EDGE_KEY] = float(freq_upper_hz)
    return ann


def annotation_at(a: Annotation, rate: float, n: int) -> dict[str, Any]:
    """Build the SigMF annotation of ``a`` (edges in seconds) for ``n`` samples at ``rate``."""
    if not (0 <= a.start_s < a.stop_s <= n / rate + 1 / rate):
        raise InputError(
            f"annotation {a.label!r} [{a.start_s}, {a.stop_s}] s must satisfy "
            f"0 <= start_s < stop_s <= {n / rate:g} s (the recording length)"
        )
    if (a.freq_lower_edge_hz is None) != (a.freq_upper_edge_hz is None):
        raise InputError(f"annotation {a.label!r} needs both frequency edges or neither")
    start = min(int(round(a.start_s * rate)), n - 1)
    count = max(1, min(int(round(a.stop_s * rate)), n) - start)
    return make_annotation(start, count, a.label, a.comment,
                           a.freq_lower_edge_hz, a.freq_upper_edge_hz)  # fmt: skip


def parse_datetime(value: object, where: Path) -> datetime:
    """``core:datetime`` as aware UTC (RFC 3339 with a zone, years :data:`~station.clock.YEARS`)."""
    parsed = parse_aware(str(value))
    if parsed is None:
        raise RecordingError(
            where,
            f"core:datetime={value!r} is not an RFC 3339 time with a zone "
            "(e.g. 2013-10-09T18:00:00.000000Z)",
        )
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise RecordingError(where, f"core:datetime={value!r} must lie in the years "
                             f"{YEARS[0]}-{YEARS[1]}")  # fmt: skip
    return parsed


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
