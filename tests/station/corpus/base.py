"""The sandbox of a corpus run and the well-formed inputs every mutation starts from.

A :class:`Sandbox` holds ``common/`` (base inputs many cases read), one folder per case
(``cases/<id>/``: its own inputs, and ``out/`` where it may write), ``cwd/`` (the working
directory of every case) and ``home/`` (``HOME`` and ``TMPDIR`` of the runners), so
anything a case writes that it should not lands where the runner's snapshot sees it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from station.recording import write_sigmf, write_wav
from station.waves.pds_csv import write_pds_csv

RATE = 500.0
START = datetime(2013, 10, 9, 17, 59, 58, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]


def _keyed_tone(n: int, rate: float, seed: int = 7) -> np.ndarray:
    """A keyed tone (dit 0.5 s, "E E") in light noise: something for decode to find."""
    t = np.arange(n) / rate
    key = ((t % 2.0) < 0.5) & (t > 0.5)
    rng = np.random.default_rng(seed)
    noise = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 0.05
    return (0.5 * key * np.exp(2j * np.pi * 20.0 * t) + noise).astype(np.complex64)


@dataclass
class Case:
    """One corpus case: the command line, where it may write, and what it must do.

    ``expect``: ``"any"`` (exit 0 or a one-line error), ``"error"`` (must be refused)
    or ``"ok"`` (must succeed).
    """

    id: str
    group: str
    argv: list[str]
    allowed: list[str] = field(default_factory=list)
    expect: str = "any"
    timeout_s: float = 20.0

    def as_json(self, sandbox: Sandbox) -> dict[str, Any]:
        """The case as the runner reads it."""
        return {
            "id": self.id, "group": self.group, "argv": self.argv, "expect": self.expect,
            "allowed": self.allowed, "timeout_s": self.timeout_s, "cwd": str(sandbox.cwd),
            "watch": [str(sandbox.common), str(sandbox.cwd), str(sandbox.case_dir(self.id))],
        }  # fmt: skip


class Sandbox:
    """Folders of one corpus run, under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.common = root / "common"
        self.cwd = root / "cwd"
        self.home = root / "home"
        for d in (self.common, self.cwd, self.home, root / "cases"):
            d.mkdir(parents=True, exist_ok=True)

    def case_dir(self, case_id: str) -> Path:
        """The folder of one case (made on first use)."""
        return self.root / "cases" / re.sub(r"[^A-Za-z0-9_.-]", "_", case_id)

    def new(self, case_id: str) -> Path:
        """Make and return the folder of a case."""
        d = self.case_dir(case_id)
        d.mkdir(parents=True, exist_ok=False)
        return d

    def out(self, case_id: str) -> Path:
        """The folder a case may write into (made, empty)."""
        d = self.case_dir(case_id) / "out"
        d.mkdir(parents=True, exist_ok=True)
        return d


def make_common(sb: Sandbox) -> dict[str, Path]:
    """Write the well-formed base inputs into ``common/``; return them by name."""
    c = sb.common
    iq = _keyed_tone(int(6 * RATE), RATE)
    paths = {
        "sigmf": write_sigmf(c / "iq", iq, RATE, center_freq_hz=28.4e6, start_utc=START),
        "wav_iq": write_wav(c / "iq.wav", iq, RATE),
        "wav_audio": write_wav(c / "audio.wav", (iq.real * 0.5).astype(np.float32), 4000.0),
    }
    u8 = np.clip(np.round(np.stack([iq.real, iq.imag], 1) * 127 + 128), 0, 255).astype(np.uint8)
    (c / "raw.cu8").write_bytes(u8.tobytes())
    paths["cu8"] = c / "raw.cu8"
    paths["event"] = write_event(c / "event.toml", {})
    paths["txlog"] = c / "tx.jsonl"
    paths["txlog"].write_text("".join(json.dumps(r) + "\n" for r in tx_records()))
    paths["pds"] = write_small_pds(c / "WAV_2013282T180000_E_V02.CSV")
    paths["das2"] = REPO / "tests/station/waves/data/juno_waves_excerpt_2017-01-01.d2t"
    paths["generic_csv"] = c / "rx.csv"
    rows = [f"2013-10-09T18:{m:02d}:{s:02d}Z,{1e-15 * (1 + (m * 60 + s) % 7)},3"
            for m in range(0, 12) for s in range(0, 60, 2)]  # fmt: skip
    paths["generic_csv"].write_text("# units: W\ntime_utc,28.5MHz,agc\n" + "\n".join(rows) + "\n")
    (c / "dir").mkdir()
    paths["dir"] = c / "dir"
    return paths


def write_small_pds(path: Path) -> Path:
    """A PDS survey CSV of round 1 of the 2013 event, two channels, 4 s cadence."""
    t0 = START.replace(second=0).timestamp()
    t = t0 + np.arange(0, 660, 4.0)
    rng = np.random.default_rng(3)
    power = np.abs(rng.standard_normal((t.size, 2))) * 1e-15 + 1e-15
    return write_pds_csv(path, t, np.array([27.5e6, 28.5e6]), np.array([1e6, 1e6]), power)


EVENT_FIELDS: dict[str, str] = {
    "id": '"practice-1"', "name": '"Practice"', "start_utc": "2013-10-09T18:00:00Z",
    "message": '"HI"', "dit_s": "1.0", "round_period_s": "60.0", "rounds": "2",
    "target": '"PRACTICE"',
}  # fmt: skip


def event_text(overrides: dict[str, str | None], extra: str = "") -> str:
    """An event TOML with ``[event]`` fields replaced (``None`` drops one) and ``extra``."""
    fields = {**EVENT_FIELDS, **overrides}
    body = "".join(f"{k} = {v}\n" for k, v in fields.items() if v is not None)
    return (
        "schema = 1\n\n[event]\n" + body + 'mode = "CW"\nnotes = ""\nsources = []\n\n'
        "[band]\nlow_hz = 28000000\nhigh_hz = 29000000\n\n"
        '[frequency]\nrule = "single"\nsingle_hz = 28400000\nreconstruction = false\n'
        'note = ""\n\n[identification]\nrule = "after-each-round"\n'
        'text = "DE {callsign}"\nwpm = 20.0\n' + extra
    )


def write_event(path: Path, overrides: dict[str, str | None], extra: str = "") -> Path:
    """Write :func:`event_text` to ``path``."""
    path.write_text(event_text(overrides, extra), encoding="utf-8")
    return path


def tx_records(**start: Any) -> list[dict[str, Any]]:
    """A TX log of one keyed round (start, two edges per key-down, stop)."""
    first = {
        "type": "start", "event_id": "practice-1", "event_name": "Practice",
        "target": "PRACTICE", "callsign": "G4ABC", "grid": "IO91wm", "freq_hz": 28400000.0,
        "mode": "CW", "backend": "rigctld", "transmit": True, "rounds": 1, "dit_s": 1.0,
        "utc": "2013-10-09T17:59:00.000Z", **start,
    }  # fmt: skip
    records: list[dict[str, Any]] = [first]
    for n, (down, up) in enumerate([(0, 1), (2, 3), (4, 5), (6, 7), (10, 11), (12, 13)], 1):
        for key, s in (("down", down), ("up", up)):
            records.append({
                "type": "edge", "event_id": "practice-1", "callsign": "G4ABC", "round": 1,
                "element": n, "key": key, "planned_utc": f"2013-10-09T18:00:{s:02d}.000Z",
                "sent_utc": f"2013-10-09T18:00:{s:02d}.000Z",
                "actual_utc": f"2013-10-09T18:00:{s:02d}.020Z", "error_ms": 0,
                "reply": "RPRT 0", "ptt": key == "down", "freq_hz": 28400000.0,
                "backend": "rigctld", "transmit": True,
            })  # fmt: skip
    records.append({"type": "stop", "utc": "2013-10-09T18:01:00.000Z", "reason": "completed",
                    "message": "", "unkeyed": True, "edges": 12})  # fmt: skip
    return records
