"""Batch folders made as ``hi-station batch`` makes them, for the report (and batch) tests.

A short event (4 rounds of "HI" with 0.5 s dits every 25 s, letters A, B, C a few kHz
apart around 28.300 MHz), real recordings of a synthetic band made by station code
(:class:`~station.sdr.synthetic.SyntheticSource` through the SigMF stream writer),
each replayed by the real :func:`station.replay.replay`, and the folder written as
CONTRACT.md says: ``batch.json``, ``event.toml`` and one result per recording
(:func:`station.batch.results.write_result`).
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from station.batch.results import RecordingId, write_result
from station.clock import SimulatedClock
from station.errors import StationError
from station.keyer.base import DryRunKeyer, Keyer
from station.keyer.runner import run_plan
from station.keyer.safety import SafeKeyer
from station.keyer.txlog import TxLog
from station.recording import SigmfStreamWriter
from station.replay import replay
from station.schedule import load_event, make_plan
from station.schedule.event import Event
from station.sdr.synthetic import Carrier, SyntheticSource

__all__ = [
    "CENTER_HZ",
    "CHANNEL_RATE_HZ",
    "DIT_S",
    "EVENT_ID",
    "LETTER_HZ",
    "PERIOD_S",
    "RATE_HZ",
    "START",
    "Recorded",
    "event_toml",
    "make_batch",
    "make_recording",
    "recording_id",
    "write_tx_log",
]

EVENT_ID = "report-test"
START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
DIT_S = 0.5
PERIOD_S = 25.0
ROUNDS = 4
RATE_HZ = 24_000.0
CENTER_HZ = 28_300_000.0
CHANNEL_RATE_HZ = 2000.0
#: The letters inside a recording centred on CENTER_HZ (the others lie far above it).
LETTER_HZ = {"A": 28_294_000.0, "B": 28_298_000.0, "C": 28_303_000.0}


def event_toml(event_id: str = EVENT_ID, start_utc: datetime = START) -> str:
    """The test event: 4 rounds of HI, letters A-C near 28.300 MHz, D-Z above 28.4 MHz."""
    table = dict(LETTER_HZ)
    for i, letter in enumerate(string.ascii_uppercase[3:]):
        table[letter] = 28_400_000.0 + 20_000.0 * i
    rows = "\n".join(f"{k} = {int(v)}" for k, v in table.items())
    return f"""schema = 1
[event]
id = "{event_id}"
name = "Report test"
start_utc = {start_utc.strftime("%Y-%m-%dT%H:%M:%SZ")}
message = "HI"
dit_s = {DIT_S}
round_period_s = {PERIOD_S}
rounds = {ROUNDS}
target = "TEST"

[band]
low_hz = 28_000_000
high_hz = 29_000_000

[frequency]
rule = "last-letter"

[frequency.table_hz]
{rows}

[identification]
rule = "none"
"""


def keyed(
    letter: str,
    rounds: Sequence[int],
    rec_start_utc: datetime,
    snr2500_db: float,
    offset_hz: float = 37.0,
) -> list[Carrier]:
    """Carriers keying HI on ``letter``'s frequency in the event rounds ``rounds``."""
    out = []
    for n in rounds:
        at_s = (START + timedelta(seconds=PERIOD_S * (n - 1)) - rec_start_utc).total_seconds()
        out.append(Carrier(LETTER_HZ[letter] + offset_hz, "HI", DIT_S, at_s, snr2500_db))
    return out


def make_recording(
    path: Path,
    *,
    author: str,
    start_utc: datetime,
    duration_s: float,
    carriers: Sequence[Carrier],
    seed: int = 1,
) -> Path:
    """Write a cu8 SigMF recording of the synthetic band; return its ``.sigmf-meta``."""
    src = SyntheticSource(
        center_freq_hz=CENTER_HZ,
        sample_rate_hz=RATE_HZ,
        carriers=carriers,
        seed=seed,
        start_utc=start_utc,
        duration_s=duration_s,
        cu8=True,
    )
    info = src.open()
    with SigmfStreamWriter.from_source(path, info, author=author) as w:
        while (b := src.read(1 << 16)) is not None:
            w.write_block(b)
    return path.with_suffix(".sigmf-meta")


def recording_id(path: Path) -> RecordingId:
    """The recording as batch names it: content hash, station (author, else the stem)."""
    meta, data = path.with_suffix(".sigmf-meta"), path.with_suffix(".sigmf-data")
    h = hashlib.sha256()
    parts = [p for p in (meta, data) if p.exists()] if meta.exists() else [path]
    for p in parts:
        h.update(p.read_bytes())
    author, start = "", None
    try:
        doc = json.loads(meta.read_text(encoding="utf-8"))
        author = doc["global"].get("core:author", "")
        start = doc["captures"][0].get("core:datetime")
    except (OSError, ValueError, KeyError, IndexError, AttributeError):
        pass
    stem = path.name.split(".")[0]
    return RecordingId(
        str(path.resolve()),
        h.hexdigest(),
        sum(p.stat().st_size for p in parts),
        author or stem,
        start,
    )


@dataclass(frozen=True)
class Recorded:
    """One recording of a test batch: who, when, what they heard."""

    name: str
    author: str
    start_utc: datetime
    duration_s: float
    carriers: tuple[Carrier, ...] = ()
    seed: int = 1
    broken: bool = False  # a metadata file that is not JSON: refused by replay
    extra: dict[str, Any] = field(default_factory=dict)


def options(event_text: str) -> dict[str, Any]:
    """batch.json options of a test batch."""
    return {
        "event_id": EVENT_ID, "event_sha256": hashlib.sha256(event_text.encode()).hexdigest(),
        "freqs_hz": None, "pfa": 1e-3, "channel_rate_hz": CHANNEL_RATE_HZ,
        "sample_rate_hz": None, "center_freq_hz": None, "dial_hz": None, "sideband": "usb",
    }  # fmt: skip


def make_batch(
    out: Path, recordings: Sequence[Recorded], *, work: Path, event_text: str | None = None
) -> tuple[Path, Event]:
    """Record, replay and write a batch folder ``out``; return it and the event."""
    text = event_text or event_toml()
    work.mkdir(parents=True, exist_ok=True)
    (work / "event.toml").write_text(text, encoding="utf-8")
    event = load_event(work / "event.toml")
    opts = options(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "event.toml").write_text(text, encoding="utf-8")
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = {"schema": "hi-station-batch/1", "options": opts, "created_utc": created}
    (out / "batch.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    for r in recordings:
        path = work / r.name
        if r.broken:
            path = path.with_suffix(".sigmf-meta")
            path.write_text("{not json", encoding="utf-8")
        else:
            path = make_recording(
                path,
                author=r.author,
                start_utc=r.start_utc,
                duration_s=r.duration_s,
                carriers=r.carriers,
                seed=r.seed,
            )
        rec = recording_id(path)
        try:
            result = replay(path, event=event, channel_rate_hz=CHANNEL_RATE_HZ, pfa=opts["pfa"])
        except StationError as exc:
            write_result(out, rec, opts, None, error=" ".join(str(exc).split()))
        else:
            write_result(out, rec, opts, result.to_dict(), worker="test", task_s=1.0)
    return out, event


def write_tx_log(
    path: Path, event: Event, callsign: str, *, backend: Keyer | None = None, from_round: int = 1
) -> Path:
    """Key ``event`` as ``hi-station transmit`` does (the real runner, a simulated clock).

    ``backend`` keys (default the dry run: ``transmit`` false in the log); keying starts
    just before round ``from_round``, so the earlier rounds are not keyed.
    """
    plan = make_plan(event, callsign)
    clock = SimulatedClock(event.round_start_utc(from_round - 1) - timedelta(seconds=1))
    keyer = SafeKeyer(
        backend or DryRunKeyer(), allowed_hz=event.band_hz, max_key_down_s=30.0, clock=clock
    )
    try:
        with TxLog(path) as log:
            summary = run_plan(plan, keyer, clock, log)
    finally:
        keyer.close()
    assert summary.reason == "completed", summary
    return path
