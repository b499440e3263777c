"""A run folder fed as the service (helper B's ``hi-station run``) feeds it, for the dashboard.

:class:`Rehearsal` writes a practice event (2 edges a dit), then a thread writes
``status.json`` and ``waterfall.json`` once a second and a ``rounds.jsonl`` line as
each round ends (the contract's schemas, a real ``RoundDetection.to_dict()``), while a
real ``hi-station transmit`` dry run writes ``tx.jsonl``.  Used by
tests/station/web/test_browser.py and bench/dashboard.py.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import threading
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from station.capture.rounds import ChannelRound, RoundDetection
from station.schedule.event import load_event
from station.schedule.plan import OperatorPlan, make_plan
from station.schedule.practice import write_practice_event
from station.utc import utc_z

ROOT = Path(__file__).resolve().parents[3]
CALL = "N0CALL"


def tiny_png(level: int = 0) -> bytes:
    """A valid 1 x 1 grey PNG (a stand-in for a grab)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(bytes([0, level]))) + chunk(b"IEND", b""))  # fmt: skip


def _write_json(path: Path, value: object) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)


class Rehearsal:
    """Feed ``run_dir`` like the service would, on the real clock."""

    def __init__(self, run_dir: Path, *, message: str = "H", dit_s: float = 1.0,
                 rounds: int = 3, period_s: float = 8.0, lead_s: float = 4.0) -> None:  # fmt: skip
        self.run_dir = run_dir
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead_s + 1)
        self.event_path = write_practice_event(
            run_dir / "event.toml", start_utc=start, message=message, dit_s=dit_s,
            round_period_s=period_s, rounds=rounds, ident_rule="none",
            freq_hz=28_350_000.0)  # fmt: skip
        self.plan: OperatorPlan = make_plan(load_event(self.event_path), CALL)
        self.end_utc = self.plan.rounds[-1].end_utc
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._rng = np.random.default_rng(17)
        self.tx: subprocess.Popen[bytes] | None = None

    def start(self, *, transmit: bool = True) -> Rehearsal:
        self._write_status("waiting", 0)
        if transmit:
            self.tx = subprocess.Popen(
                [sys.executable, "-m", "station.cli", "transmit", str(self.event_path),
                 "--callsign", CALL, "--log", str(self.run_dir / "tx.jsonl"), "--quiet",
                 "--ignore-clock"],
                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        if self.tx is not None:
            if self.tx.poll() is None:
                self.tx.terminate()
            self.tx.wait(10)

    def __enter__(self) -> Rehearsal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_status(self, state: str, number: int) -> None:
        ev = self.plan.event
        _write_json(self.run_dir / "status.json", {
            "version": 1, "updated_utc": utc_z(datetime.now(UTC)), "state": state,
            "event": {"id": ev.id, "name": ev.name, "rounds": ev.rounds,
                      "round_period_s": ev.round_period_s, "dit_s": ev.dit_s,
                      "start_utc": utc_z(self.plan.rounds[0].start_utc),
                      "end_utc": utc_z(self.end_utc)},
            "station": {"callsign": CALL, "grid": None, "letter": self.plan.letter,
                        "freq_hz": self.plan.freq_hz, "keying": True, "transmit": False},
            "key_downs_utc": [[utc_z(k.start_utc), utc_z(k.end_utc)]
                              for k in self.plan.key_downs()],
            "round": {"number": number, "of": ev.rounds},
            "clock": {"offset_s": 0.002, "server": "127.0.0.1:123", "measured_utc": None},
            "capture": {"samples": 0, "dropped": 0, "gaps": 0, "levels_dbfs": [-40.0],
                        "segment": 1},
            "warnings": ["rehearsal: synthetic run folder"]})  # fmt: skip

    def _write_waterfall(self, now: datetime) -> None:
        period = self.plan.event.round_period_s
        t0 = self.plan.rounds[0].start_utc
        into = max(0.0, (now - t0).total_seconds())
        frame_start = t0 + timedelta(seconds=period * int(into // period))
        n_time = max(1, int((now - frame_start).total_seconds() / 0.5))
        px = self._rng.integers(0, 60, size=(n_time, 200), dtype=np.uint8)
        for k in self.plan.key_downs():  # the keyed carrier at +0 Hz (bin 100)
            a = (k.start_utc - frame_start).total_seconds() / 0.5
            b = (k.end_utc - frame_start).total_seconds() / 0.5
            px[max(0, int(a)) : max(0, min(n_time, int(b))), 99:102] = 230
        _write_json(self.run_dir / "waterfall.json", {
            "version": 1, "label": self.plan.letter, "freq_hz": self.plan.freq_hz,
            "start_utc": utc_z(frame_start), "column_s": 0.5, "freq_lo_hz": -50.0,
            "freq_step_hz": 0.5, "n_freq": 200, "n_time": n_time, "db_lo": -3.0, "db_hi": 25.0,
            "pixels_b64": base64.b64encode(px.tobytes()).decode()})  # fmt: skip

    def _write_round(self, number: int) -> None:
        rnd = self.plan.rounds[number - 1]
        det = RoundDetection(number, rnd.start_utc, (
            ChannelRound(self.plan.letter, self.plan.freq_hz, True, 1e-9, -12.0 + number, 0.5),))
        with open(self.run_dir / "rounds.jsonl", "a") as f:
            f.write(json.dumps(det.to_dict()) + "\n")
        grabs = self.run_dir / "grabs"
        grabs.mkdir(exist_ok=True)
        stamp = rnd.start_utc.strftime("%Y%m%d_%H%M")
        (grabs / f"{CALL}_10m_{stamp}Z_{self.plan.letter}_r{number}.png").write_bytes(
            tiny_png((40 * number) % 256))

    def _run(self) -> None:
        done = 0
        while not self._stop.wait(1.0 - datetime.now(UTC).microsecond / 1e6):
            now = datetime.now(UTC)
            while done < len(self.plan.rounds) and now >= self.plan.rounds[done].end_utc:
                done += 1
                self._write_round(done)
            started = sum(r.start_utc <= now for r in self.plan.rounds)
            state = "waiting" if not started else "finished" if now > self.end_utc else "capturing"
            self._write_status(state, max(started, 1 if state == "waiting" else started))
            self._write_waterfall(now)
