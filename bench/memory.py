"""Peak memory of ``decode`` and ``detect`` on wide cu8 recordings: flat in their length.

Writes 240 kS/s cu8 SigMF recordings of ``--minutes`` (default 7 and 60) holding "HI"
at 20 s dits, +250 Hz off centre, SNR2500 ``--snr2500-db`` (default -30 dB), keyed
every 10 minutes from 30 s (cu8 noise of 8 counts rms, as an RTL-SDR at moderate gain),
with :class:`station.recording.sigmf_stream.SigmfStreamWriter`.  Then runs ``hi-station decode`` and
``hi-station detect`` on each in a fresh process and reads that process's peak resident
memory (``ru_maxrss`` from ``os.wait4``) against the 400 MB limit of issue 13.

As a peer, the shortest recording is also analysed the way ``decode`` read recordings
before it streamed them: loaded whole (:func:`station.recording.reader.read_recording`) and
decoded at the full rate (``--no-peer`` skips it: it needs about 12x the file size).

Usage::

    python bench/memory.py [--minutes 7 60] [--snr2500-db -30] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dsp.morse import key_intervals
from station.recording import SigmfStreamWriter

RATE_HZ = 240e3
OFFSET_HZ = 250.0
DIT_S = 20.0
PERIOD_S = 600.0
FIRST_S = 30.0
NOISE_COUNTS = 8.0
LIMIT_MB = 400.0
_BLOCK = 1 << 20


def write_recording(path: Path, minutes: float, snr2500_db: float, seed: int = 1) -> Path:
    """Write a cu8 SigMF recording with HI every :data:`PERIOD_S` (see the module docstring)."""
    n = int(minutes * 60 * RATE_HZ)
    rounds = int((minutes * 60 - FIRST_S) // PERIOD_S) + 1
    iv = np.concatenate([key_intervals("HI", DIT_S, start_s=FIRST_S + k * PERIOD_S)
                         for k in range(rounds)])  # fmt: skip
    sigma = NOISE_COUNTS / 128  # per component, full scale 1
    n0 = 2 * sigma**2 / RATE_HZ
    amp = np.sqrt(10 ** (snr2500_db / 10) * 2500 * n0) * 128  # in counts
    rng = np.random.default_rng(seed)
    with SigmfStreamWriter(
        path, datatype="cu8", sample_rate_hz=RATE_HZ, center_freq_hz=28.3e6,
        start_utc=datetime(2013, 10, 9, 18, 0, tzinfo=UTC), hardware="bench/memory.py",
        overwrite=True,
    ) as writer:  # fmt: skip
        for i in range(0, n, _BLOCK):
            m = min(_BLOCK, n - i)
            t = (i + np.arange(m)) / RATE_HZ
            key = np.zeros(m, bool)
            for a, b in iv:
                key |= (t >= a) & (t < b)
            z = amp * key * np.exp(2j * np.pi * OFFSET_HZ * t)
            iq = np.empty(2 * m)
            iq[0::2] = 127.5 + z.real + rng.normal(0, NOISE_COUNTS, m)
            iq[1::2] = 127.5 + z.imag + rng.normal(0, NOISE_COUNTS, m)
            writer.write(np.clip(np.rint(iq), 0, 255).astype(np.uint8))
    return path.with_suffix(".sigmf-meta")


PEER = """
import json, sys
from station.recording import read_recording
from station.analysis import decode_recording
d = decode_recording(read_recording(sys.argv[1]))
print(json.dumps({"text": d.text}))
"""


def _measure(argv: list[str]) -> tuple[float, float, str]:
    """Peak RSS of ``argv`` alone: each run gets its own parent (RUSAGE_CHILDREN is a max)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps([p.returncode, r, time.perf_counter() - t, p.stdout, p.stderr]))\n"
    )
    import json

    out = subprocess.run([sys.executable, "-c", wrapper, *argv], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    code, rss, wall, stdout, stderr = json.loads(out)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({code}):\n{stderr}")
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    return rss, wall, _summary(lines)


def _summary(lines: list[str]) -> str:
    for ln in lines:
        if ln.startswith(("text ", "decoded", "stack", "round")) or "HI" in ln:
            return ln.strip()[:60]
    return (lines[-1].strip() if lines else "")[:60]


def main(argv: list[str] | None = None) -> None:
    """Write the recordings, run the commands, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[7.0, 60.0])
    ap.add_argument("--snr2500-db", type=float, default=-30.0)
    ap.add_argument("--keep", type=Path, help="write the recordings here (kept)")
    ap.add_argument("--no-peer", action="store_true", help="skip the whole-load peer")
    args = ap.parse_args(argv)
    cli = [sys.executable, "-m", "station.cli"]
    with tempfile.TemporaryDirectory(prefix="hi-bench-mem-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        rows = []
        for minutes in args.minutes:
            t0 = time.perf_counter()
            meta = write_recording(where / f"wide-{minutes:g}min", minutes, args.snr2500_db)
            size_mb = meta.with_suffix(".sigmf-data").stat().st_size / 1e6
            print(f"wrote {meta.name}: {size_mb:.0f} MB in {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip
            rounds = int((minutes * 60 - FIRST_S) // PERIOD_S) + 1
            runs = [
                ("decode", [*cli, "decode", str(meta)]),
                ("detect", [*cli, "detect", str(meta), "--text", "HI", "--dit-s", f"{DIT_S:g}",
                            "--start-offset-s", f"{FIRST_S:g}", "--rounds", str(rounds),
                            "--period-s", f"{PERIOD_S:g}"]),
            ]  # fmt: skip
            if not args.no_peer and minutes == min(args.minutes):
                runs.append(("decode, loaded whole (before)", [sys.executable, "-c", PEER,
                                                               str(meta)]))
            for name, cmd in runs:
                rss, wall, what = _measure(cmd)
                rows.append((minutes, size_mb, name, rss, wall, what))
                print(f"  {name}: {rss:.0f} MB, {wall:.1f} s", flush=True)
    print()
    print(f"| minutes | file MB | run | peak RSS MB | / {LIMIT_MB:g} MB limit | wall s | result |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for minutes, size_mb, name, rss, wall, what in rows:
        print(f"| {minutes:g} | {size_mb:.0f} | {name} | {rss:.0f} | {rss / LIMIT_MB:.2f} | "
              f"{wall:.1f} | {what} |")  # fmt: skip


if __name__ == "__main__":
    main()
