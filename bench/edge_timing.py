"""Edge timing against a real rigctld: a short-dit rehearsal on the real clock.

Starts ``rigctld -m 1 -P RIG`` (Hamlib dummy rig with working PTT) on loopback,
writes a practice event (``HI``, ``--dit-s`` dits, ``--rounds`` rounds) starting a
few seconds from now, keys it through ``station.keyer.session.transmit_plan`` with
the system clock, and prints the distribution of edge errors from the TX log:

* ``error`` = when the PTT command left for rigctld minus the scheduled UTC instant
  (the edge as the rig sees it: the dummy rig switches on receipt);
* ``ack`` = rigctld's reply latency (Hamlib's rig_set_ptt sleeps 50 ms *after*
  switching PTT off, so key-up acknowledgements arrive 50 ms late by design).

Usage::

    python bench/edge_timing.py --rounds 3 --dit-s 2
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from station.clock import SystemClock, clock_status
from station.keyer.rigctld import RigctldKeyer
from station.keyer.session import transmit_plan
from station.keyer.txlog import read_tx_log
from station.schedule import load_event, make_plan
from station.schedule.practice import practice_event_toml

LIMIT_MEDIAN_MS = 10.0
LIMIT_MAX_MS = 50.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rigctld(port: int) -> subprocess.Popen:
    exe = shutil.which("rigctld")
    if exe is None:
        sys.exit("rigctld not found: apt-get install libhamlib-utils")
    proc = subprocess.Popen(
        [exe, "-m", "1", "-P", "RIG", "-T", "127.0.0.1", "-t", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.02)
    proc.kill()
    sys.exit("rigctld did not start")


def _event_file(folder: Path, dit_s: float, rounds: int, period_s: float, lead_s: float) -> Path:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead_s + 1)
    path = folder / "rehearsal.toml"
    text = practice_event_toml(
        start_utc=start, dit_s=dit_s, round_period_s=period_s, rounds=rounds, ident_rule="none"
    )
    path.write_text(text, encoding="utf-8")
    return path


def _row(name: str, values_ms: np.ndarray) -> str:
    a = np.abs(values_ms)
    return (
        f"| {name} | {values_ms.size} | {np.median(a):.3f} | {np.percentile(a, 95):.3f} | "
        f"{a.max():.3f} | {values_ms.mean():+.3f} |"
    )


def main() -> None:
    """Run the rehearsal and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dit-s", type=float, default=2.0)
    ap.add_argument("--lead-s", type=float, default=3.0)
    args = ap.parse_args()
    period_s = 14 * args.dit_s + 4.0  # HI keys for 13 dits
    port = _free_port()
    proc = _rigctld(port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            event = load_event(_event_file(folder, args.dit_s, args.rounds, period_s, args.lead_s))
            plan = make_plan(event, "N0CALL")
            keyer = RigctldKeyer("127.0.0.1", port)
            print(
                f"rehearsal: {args.rounds} rounds of HI at {args.dit_s:g} s dits, "
                f"{len(plan.edges())} edges, rigctld -m 1 -P RIG on 127.0.0.1:{port}; "
                f"clock: {clock_status().warning or 'NTP-synchronized'}",
                flush=True,
            )
            t0 = time.monotonic()
            summary = transmit_plan(plan, keyer, SystemClock(), folder / "tx.jsonl")
            wall_s = time.monotonic() - t0
            edges = [r for r in read_tx_log(folder / "tx.jsonl") if r["type"] == "edge"]
    finally:
        proc.kill()
        proc.wait()
    err = np.array([r["error_ms"] for r in edges])
    down = np.array([r["key"] == "down" for r in edges])
    ack = np.array([r["latency_ms"] for r in edges])
    print(f"\n{summary.reason}: {summary.edges} edges in {wall_s:.1f} s, key released: "
          f"{summary.unkeyed}, PTT read back after every edge: "
          f"{all(r['ptt'] == (r['key'] == 'down') for r in edges)}\n")  # fmt: skip
    print("| edges | n | median abs ms | p95 abs ms | max abs ms | mean ms |")
    print("|---|---|---|---|---|---|")
    print(_row("error (sent - planned), all", err))
    print(_row("error, key-down", err[down]))
    print(_row("error, key-up", err[~down]))
    print(_row("ack latency, key-down", ack[down]))
    print(_row("ack latency, key-up", ack[~down]))
    med, mx = float(np.median(np.abs(err))), float(np.abs(err).max())
    print(
        f"\nbar: median |error| {med:.3f} ms <= {LIMIT_MEDIAN_MS:g} ms "
        f"(ratio {med / LIMIT_MEDIAN_MS:.3f}): {'met' if med <= LIMIT_MEDIAN_MS else 'NOT met'}; "
        f"max |error| {mx:.3f} ms <= {LIMIT_MAX_MS:g} ms (ratio {mx / LIMIT_MAX_MS:.3f}): "
        f"{'met' if mx <= LIMIT_MAX_MS else 'NOT met'}"
    )
    hist, edges_ms = np.histogram(np.abs(err), bins=[0, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 1e9])
    bins = zip(edges_ms[:-1], edges_ms[1:], hist, strict=True)
    print("\n|error| histogram (ms): " + ", ".join(f"[{a:g},{b:g}): {n}" for a, b, n in bins if n))


if __name__ == "__main__":
    main()
