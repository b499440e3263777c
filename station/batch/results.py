"""Batch result files: one JSON per recording, keyed by its content, and the combined table.

A batch folder ``DIR`` holds::

    DIR/batch.json               the options every result was made with (station.batch.manifest)
    DIR/results/<sha256>.json    one per recording, written atomically when its task ends
    DIR/results.parquet          every result as one table (rebuilt after each batch)

A result file is ``{"schema", "recording", "options", "replay", "error", "attempts",
"worker", "task_s", "peak_rss_mb", "task_start_utc"}``: ``replay`` is exactly what
``hi-station replay --json`` prints for the recording
(:meth:`station.replay.ReplayResult.to_dict`), or None when the recording was refused,
and then ``error`` holds the refusal's one line.
``recording`` names the file (``path``), its content (``sha256`` of the SigMF metadata
and data, or of the one file, ``bytes``), the ``station`` that recorded it and its
``start_utc``.

The table has one row per recording x channel x round (round 0: the stack of all
rounds; a channel without detection has one row with round None): see
:data:`TABLE_COLUMNS`.

Examples
--------
>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> rec = RecordingId("/data/g4abc.sigmf-meta", "ab" * 32, 1000, "G4ABC", None)
>>> path = write_result(out, rec, {"pfa": 1e-3}, None, error="cannot read it")
>>> path.name == "ab" * 32 + ".json"
True
>>> [r["error"] for r in read_results(out)]
['cannot read it']
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from station._atomic import make_output_dir, write_bytes_atomic, writing
from station.errors import InputError

__all__ = [
    "SCHEMA",
    "TABLE_COLUMNS",
    "RecordingId",
    "read_results",
    "result_path",
    "result_rows",
    "write_result",
    "write_table",
]

SCHEMA = "hi-station-batch-result/1"

#: Columns of ``results.parquet``, in order, with their meaning.
TABLE_COLUMNS = {
    "sha256": "content hash of the recording (the key of its result file)",
    "path": "the recording as given to batch",
    "station": "who recorded it (SigMF core:author, else the file's name)",
    "start_utc": "UTC of the recording's first sample (ISO 8601), or None",
    "label": "channel label (the event's letters, or the frequency)",
    "freq_hz": "channel centre, Hz",
    "round": "event round number; 0 for the stack of all rounds; None: no detection run",
    "detected": "the round (or stack) detected at the batch's false-alarm probability",
    "snr2500_db": "carrier SNR2500 estimated for the round, dB (None when not estimated)",
    "false_alarm_probability": "probability of noise giving this round's best track",
    "track_freq_hz": "the best track's carrier frequency, Hz, as replay --json gives it",
    "decoded_text": "the channel's blind decode (best window)",
    "decoded_snr2500_db": "SNR2500 of the blind decode, dB",
}


@dataclass(frozen=True)
class RecordingId:
    """A recording as batch knows it.

    Attributes
    ----------
    path : str
        As found from the inputs (absolute).
    sha256 : str
        Hex digest of its content (metadata and data for SigMF).
    bytes : int
        Bytes hashed.
    station : str
        Who recorded it.
    start_utc : str or None
        ISO 8601 UTC of sample 0, when the recording says.
    """

    path: str
    sha256: str
    bytes: int
    station: str
    start_utc: str | None


def result_path(out_dir: str | os.PathLike[str], sha256: str) -> Path:
    """Where the result of the recording with content ``sha256`` lives."""
    return Path(out_dir) / "results" / f"{sha256}.json"


def write_result(
    out_dir: str | os.PathLike[str],
    recording: RecordingId,
    options: Mapping[str, Any],
    replay: Mapping[str, Any] | None,
    *,
    error: str | None = None,
    attempts: int = 1,
    worker: str = "",
    task_s: float = 0.0,
    peak_rss_mb: float = 0.0,
    task_start_utc: str | None = None,
) -> Path:
    """Write one recording's result atomically (replacing an older one of the same key).

    Returns
    -------
    pathlib.Path
        The result file.
    """
    path = result_path(out_dir, recording.sha256)
    make_output_dir(path.parent)
    doc = {
        "schema": SCHEMA,
        "recording": asdict(recording),
        "options": dict(options),
        "replay": None if replay is None else dict(replay),
        "error": error,
        "attempts": int(attempts),
        "worker": worker,
        "task_s": float(task_s),
        "peak_rss_mb": float(peak_rss_mb),
        "task_start_utc": task_start_utc,
    }
    data = (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode()
    return write_bytes_atomic(path, data, overwrite=True)


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a batch result file ({exc})") from None
    ok = (isinstance(doc, dict) and doc.get("schema") == SCHEMA
          and isinstance(doc.get("recording"), dict)
          and doc["recording"].get("sha256") == path.stem)  # fmt: skip
    if not ok:
        raise InputError(f"{path}: not a batch result file (schema {SCHEMA}, named by its sha256)")
    return doc


def read_results(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every result file of a batch folder, sorted by recording path.

    Raises
    ------
    InputError
        A folder without ``results/``, or a file there that is not a result.
    """
    folder = Path(out_dir) / "results"
    if not folder.is_dir():
        raise InputError(f"{out_dir}: holds no batch results (no results/ folder): "
                         "give the --out folder of hi-station batch")  # fmt: skip
    docs = [_load(p) for p in sorted(folder.glob("*.json"))]
    return sorted(docs, key=lambda d: (str(d["recording"].get("path")), d["recording"]["sha256"]))


def _finite(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def result_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Turn one result into its table rows (none for a refused recording)."""
    replay = doc.get("replay")
    if not replay:
        return []
    rec = doc["recording"]
    rows = []
    for ch in replay["channels"]:
        dec = ch.get("decoded") or {}
        base = {
            "sha256": rec["sha256"], "path": rec["path"], "station": rec["station"],
            "start_utc": rec.get("start_utc"), "label": ch["label"],
            "freq_hz": float(ch["freq_hz"]), "decoded_text": dec.get("text", ""),
            "decoded_snr2500_db": _finite(dec.get("snr2500_db")),
        }  # fmt: skip
        det = ch.get("detection")
        if not det:
            rows.append({**base, "round": None, "detected": False, "snr2500_db": None,
                         "false_alarm_probability": None, "track_freq_hz": None})  # fmt: skip
            continue
        numbers = list(ch.get("round_numbers") or [])
        rounds = list(det.get("rounds") or [])
        pairs = [(numbers[i] if i < len(numbers) else r.get("index"), r)
                 for i, r in enumerate(rounds)]  # fmt: skip
        if det.get("stacked"):
            pairs.append((0, det["stacked"]))
        for number, r in pairs:
            rows.append({**base, "round": int(number), "detected": bool(r.get("detected")),
                         "snr2500_db": _finite(r.get("snr2500_db")),
                         "false_alarm_probability": _finite(r.get("false_alarm_probability")),
                         "track_freq_hz": _finite(r.get("freq_hz"))})  # fmt: skip
    return [{k: row[k] for k in TABLE_COLUMNS} for row in rows]


def write_table(out_dir: str | os.PathLike[str], docs: Iterable[Mapping[str, Any]]) -> Path:
    """Write ``DIR/results.parquet`` (pyarrow) from result documents, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row for doc in docs for row in result_rows(doc)]
    schema = pa.schema([
        ("sha256", pa.string()), ("path", pa.string()), ("station", pa.string()),
        ("start_utc", pa.string()), ("label", pa.string()), ("freq_hz", pa.float64()),
        ("round", pa.int32()), ("detected", pa.bool_()), ("snr2500_db", pa.float64()),
        ("false_alarm_probability", pa.float64()), ("track_freq_hz", pa.float64()),
        ("decoded_text", pa.string()), ("decoded_snr2500_db", pa.float64()),
    ])  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=schema)
    target = Path(out_dir) / "results.parquet"
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with writing(target):
        try:
            pq.write_table(table, staged)
            os.replace(staged, target)
        finally:
            staged.unlink(missing_ok=True)
    return target
