"""``DIR/batch.json`` and ``DIR/event.toml``: the options every result of a batch was made with.

A batch folder holds results of one set of analysis options (:func:`batch_options`):
the event (its id and the SHA-256 of its file's text, the text itself kept as
``DIR/event.toml`` so the report needs no other path), the channels, the false-alarm
probability, the channel rate and the raw/audio tuning options.  A rerun with other
options is refused by :func:`open_manifest`, naming the first option that differs.

Examples
--------
>>> import tempfile
>>> out = Path(tempfile.mkdtemp()) / "b"
>>> opts = batch_options(None, "", freqs_hz=None, pfa=1e-3, channel_rate_hz=2000.0)
>>> open_manifest(out, opts, "")
>>> open_manifest(out, {**opts, "pfa": 1e-4}, "")
Traceback (most recent call last):
...
station.errors.InputError: --out=... holds a batch made with --pfa=0.001; give another --out
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from station._atomic import make_output_dir, write_bytes_atomic
from station.errors import InputError
from station.schedule.event import Event
from station.utc import format_utc

__all__ = ["MANIFEST_SCHEMA", "OPTION_NAMES", "batch_options", "event_text", "open_manifest",
           "read_manifest"]  # fmt: skip

#: ``batch.json``'s schema.
MANIFEST_SCHEMA = "hi-station-batch/1"

#: Each option of ``batch.json`` -> the command-line option that sets it (and its scale).
OPTION_NAMES: dict[str, tuple[str, float]] = {
    "event_id": ("--schedule", 1.0),
    "event_sha256": ("--schedule", 1.0),
    "freqs_hz": ("--freq-mhz", 1e-6),
    "pfa": ("--pfa", 1.0),
    "channel_rate_hz": ("--channel-rate-hz", 1.0),
    "sample_rate_hz": ("--sample-rate-hz", 1.0),
    "center_freq_hz": ("--center-mhz", 1e-6),
    "dial_hz": ("--dial-mhz", 1e-6),
    "sideband": ("--sideband", 1.0),
}


def event_text(event: Event | None) -> str:
    """Return the text of ``event``'s file ("" without an event)."""
    if event is None:
        return ""
    try:
        return Path(event.source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--schedule={event.source}: cannot read it again ({exc})") from None


def batch_options(
    event: Event | None,
    text: str,
    *,
    freqs_hz: Sequence[float] | None,
    pfa: float,
    channel_rate_hz: float,
    sample_rate_hz: float | None = None,
    center_freq_hz: float | None = None,
    dial_hz: float | None = None,
    sideband: str = "usb",
) -> dict[str, Any]:
    """Return the ``options`` of ``batch.json`` (and of every result file)."""
    return {
        "event_id": None if event is None else event.id,
        "event_sha256": hashlib.sha256(text.encode()).hexdigest() if event is not None else None,
        "freqs_hz": None if not freqs_hz else [float(f) for f in freqs_hz],
        "pfa": float(pfa),
        "channel_rate_hz": float(channel_rate_hz),
        "sample_rate_hz": None if sample_rate_hz is None else float(sample_rate_hz),
        "center_freq_hz": None if center_freq_hz is None else float(center_freq_hz),
        "dial_hz": None if dial_hz is None else float(dial_hz),
        "sideband": sideband,
    }


def _shown(key: str, value: Any) -> str:
    name, scale = OPTION_NAMES.get(key, (key, 1.0))
    if key.startswith("event_"):
        return f"{name} event {value!r}" if key == "event_id" else f"{name} (another event file)"
    if value is None:
        return f"no {name}"
    if isinstance(value, list):
        return " ".join(f"{name}={v * scale:g}" for v in value)
    if isinstance(value, float):
        return f"{name}={value * scale:g}"
    return f"{name}={value}"


def read_manifest(out_dir: Path) -> dict[str, Any] | None:
    """Return ``out_dir``'s ``batch.json`` if it is a manifest of this schema, else None.

    None for a missing, unreadable or foreign file: the caller says what that means.

    Examples
    --------
    >>> import tempfile
    >>> print(read_manifest(Path(tempfile.mkdtemp())))
    None
    """
    try:
        doc = json.loads((out_dir / "batch.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not (isinstance(doc, dict) and doc.get("schema") == MANIFEST_SCHEMA
            and isinstance(doc.get("options"), dict)):  # fmt: skip
        return None
    return doc


def open_manifest(out_dir: Path, options: dict[str, Any], text: str) -> None:
    """Check ``out_dir``'s ``batch.json`` against ``options``, or write it (and ``event.toml``).

    Raises
    ------
    InputError
        The folder holds a batch made with other options.
    """
    manifest = out_dir / "batch.json"
    if manifest.exists():
        doc = read_manifest(out_dir)
        if doc is None:
            raise InputError(f"--out={out_dir}: batch.json is unreadable; give another --out")
        old = doc["options"]
        for key in OPTION_NAMES:
            if old.get(key) != options.get(key):
                raise InputError(f"--out={out_dir} holds a batch made with "
                                 f"{_shown(key, old.get(key))}; give another --out")  # fmt: skip
        return
    make_output_dir(out_dir)
    if text:
        write_bytes_atomic(out_dir / "event.toml", text.encode(), overwrite=True)
    doc = {"schema": MANIFEST_SCHEMA, "options": options,
           "created_utc": format_utc(datetime.now(UTC))}  # fmt: skip
    write_bytes_atomic(manifest, (json.dumps(doc, indent=1) + "\n").encode(), overwrite=True)
