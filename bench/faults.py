"""Fault suite: keying against a real rigctld, capture against the rtl_tcp test server.

Keying trials (:mod:`faults_keying`): rigctld frozen (SIGSTOP) or killed (SIGKILL)
just before or during a key-down, resumed or restarted after a hold.  Bars: 0
key-downs after keying stopped, PTT 0 within 1 s of the daemon answering again.

Capture trials: ``hi-station capture --source rtl_tcp://... --raw --json`` as a real
process against :class:`~station.sdr.rtltcp_server.RtlTcpServer` (paced, in this
process), with one fault each: the output folder removed, moved, made read-only (a
read-only bind mount over it: new files fail with EROFS) or filled (a 1 MB tmpfs);
the server ten times too slow, stalled for 7 s, flooding (unpaced) or dropping the
connection.  Bar: 0 silent losses, i.e. every recording the output says it wrote
exists and reads back with the :mod:`sigmf` package (checksum verified) with the
sample count claimed; a failure is exit 2 with exactly one ``error:`` line and no
traceback; a flooding source is reported (a warning); nothing hangs.  The mount
faults need root and are skipped otherwise.

Usage::

    python bench/faults.py               # 32 keying + 24 capture trials
    python bench/faults.py --trials 1    # one of each
    python bench/faults.py --only capture
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import sigmf  # noqa: E402
from faults_keying import KEYING_FAULTS, keying_trial  # noqa: E402

from station.sdr.rtltcp_server import RtlTcpServer  # noqa: E402
from station.sdr.synthetic import Carrier, SyntheticSource  # noqa: E402

#: Keying holds (s) cycled through the trials: a hiccup shorter than the rig timeout
#: (keying rides through it), and freezes/outages longer than it.
HOLDS_S = (0.5, 2.0, 4.0, 5.3)
CAPTURE_FAULTS = (
    "folder removed", "folder moved", "folder read-only", "disk full",
    "server slow", "server stalled", "server flooding", "server dropping",
)  # fmt: skip
_RATE_HZ, _CENTER_HZ = 240_000.0, 28_280_000.0


@dataclass(frozen=True)
class CaptureTrial:
    """One capture trial's verdict."""

    fault: str
    exit_code: int | None
    silent_losses: int
    bad_exit: bool
    detail: str


def _band() -> Callable[[int, int, float, float], object]:
    src = SyntheticSource(center_freq_hz=_CENTER_HZ, sample_rate_hz=_RATE_HZ, seed=3,
                          carriers=[Carrier(28_250_100.0, "HI", 0.5, 1.0, 25.0)])  # fmt: skip
    return lambda s, n, rate, freq: src.samples_at(s, n)


def _sh(*args: str) -> bool:
    return subprocess.run(args, capture_output=True).returncode == 0


def _verify(out: dict, proc_rc: int, stderr: str) -> tuple[int, bool, str]:
    """Silent losses (claimed recordings missing or short) and whether the exit was bad."""
    losses, notes = 0, []
    for f in [*out.get("channels", []), *([out["raw"]] if out.get("raw") else [])]:
        try:
            handle = sigmf.fromfile(f["path"])  # verifies core:sha512
            if handle.sample_count != f["samples"]:
                losses += 1
                notes.append(f"{Path(f['path']).name}: {handle.sample_count} != {f['samples']}")
        except Exception as exc:  # missing, unreadable, checksum
            losses += 1
            notes.append(f"{Path(f['path']).name}: {type(exc).__name__}")
    errors = [x for x in stderr.splitlines() if x.startswith("error:")]
    bad = "Traceback" in stderr or (proc_rc != 0 and (proc_rc != 2 or len(errors) != 1))
    if proc_rc == 0 and not out:
        losses, bad = losses + 1, True
    detail = "; ".join(notes) or (errors[0][:110] if errors else ", ".join(out.get("warnings", [])))
    if not detail and out:
        detail = (f"{out['gaps']} gap(s), {out['samples_dropped'] / _RATE_HZ:.1f} s lost, "
                  f"{out['reconnects']} reconnect(s)")  # fmt: skip
    return losses, bad, detail


def capture_trial(fault: str, work: Path) -> CaptureTrial | None:
    """Run one capture fault trial; None when the fault cannot be staged here (no root)."""
    base = work / f"t{time.monotonic_ns()}"
    base.mkdir()
    mounted: list[Path] = []
    if fault == "disk full":
        if not _sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(base)):
            return None
        mounted.append(base)
    out = base / "cap"
    server = RtlTcpServer(_band(), pace=fault != "server flooding").start()
    duration = 12.0 if fault == "server stalled" else 4.0
    args = [sys.executable, "-m", "station.cli", "capture", "--source", server.url,
            "--freq-mhz", "28.25", "--raw", "--json", "--out", str(out),
            "--duration-s", str(duration)]  # fmt: skip
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    timer = threading.Thread(target=_inject, args=(fault, out, base, server, mounted, proc),
                             daemon=True)  # fmt: skip
    timer.start()
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return CaptureTrial(fault, None, 0, True, "hung: killed after 60 s")
    finally:
        timer.join(timeout=30)
        server.close()
        for m in reversed(mounted):
            _sh("umount", "-l", str(m))
    try:
        summary = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        summary = {"unparsed": stdout[:80]}
    losses, bad, detail = _verify(summary, proc.returncode, stderr)
    if fault == "server flooding" and proc.returncode == 0 and not summary.get("warnings"):
        losses, detail = losses + 1, "flooding not reported"
    with contextlib.suppress(OSError):
        shutil.rmtree(base)
    return CaptureTrial(fault, proc.returncode, losses, bad, detail)


def _inject(fault: str, out: Path, base: Path, server: RtlTcpServer, mounted: list[Path],
            proc: subprocess.Popen) -> None:  # fmt: skip
    """Stage ``fault`` once the capture has streamed for a moment (its raw file grows)."""
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        raw = list(out.glob("raw_*.sigmf-data"))
        if raw and raw[0].stat().st_size > 2 * _RATE_HZ * 0.3:
            break
        time.sleep(0.02)
    else:
        return
    if fault == "folder removed":
        shutil.rmtree(out, ignore_errors=True)
    elif fault == "folder moved":
        out.rename(base / "moved")
    elif fault == "folder read-only":
        if _sh("mount", "--bind", "-o", "ro", str(out), str(out)):
            mounted.append(out)
    elif fault == "server slow":
        server.speed = 0.1
    elif fault == "server stalled":
        server.stall(7.0)
    elif fault == "server dropping":
        server.drop(refuse_s=0.5)


def _can_mount() -> bool:
    probe = Path(tempfile.mkdtemp())
    ok = _sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    if ok:
        _sh("umount", str(probe))
    probe.rmdir()
    return ok


def _fmt_latency(values: list[float]) -> str:
    worst = max(values, default=0.0)
    return "never" if math.isinf(worst) else f"{worst:.2f} s"


def run_keying(trials: int, work: Path) -> list[tuple[str, int, int, str, str]]:
    """Rows of the keying table: fault, trials, key-downs after stop, latency, notes."""
    rows = []
    for fault in KEYING_FAULTS:
        results = [keying_trial(fault, HOLDS_S[k % len(HOLDS_S)], work) for k in range(trials)]
        queued = sum(r.queued_run for r in results)
        outcomes = sorted({r.outcome for r in results})
        rows.append((fault, len(results), sum(r.rises for r in results),
                     _fmt_latency([r.latency_s for r in results]),
                     f"queued PTT 1 run by the daemon: {queued}; ended: {'/'.join(outcomes)}"))
    return rows


def run_capture(trials: int, work: Path) -> list[tuple[str, int, int, str, str]]:
    """Rows of the capture table: fault, trials, silent losses, bad exits, notes."""
    rows = []
    mount_ok = _can_mount()
    for fault in CAPTURE_FAULTS:
        if fault in ("folder read-only", "disk full") and not mount_ok:
            rows.append((fault, 0, 0, "-", "skipped: mounting needs root"))
            continue
        results = [r for r in (capture_trial(fault, work) for _ in range(trials)) if r]
        codes = sorted({str(r.exit_code) for r in results})
        rows.append((fault, len(results), sum(r.silent_losses for r in results),
                     str(sum(r.bad_exit for r in results)),
                     f"exit {'/'.join(codes)}: {results[-1].detail}" if results else ""))
    return rows


def _table(title: str, head: tuple[str, ...], rows: list[tuple]) -> None:
    print(f"\n{title}")
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=False)]
    for row in (head, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=False)).rstrip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=None,
                    help="trials per fault (default: 8 keying, 3 capture)")  # fmt: skip
    ap.add_argument("--only", choices=("keying", "capture"), default=None)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hi-faults-"))
    t0 = time.monotonic()
    failed = False
    try:
        if args.only != "capture":
            rows = run_keying(args.trials or 8, work)
            _table("keying faults (real rigctld -m 1 -P RIG)",
                   ("fault", "trials", "key-downs after stop", "worst PTT-0 latency", "notes"),
                   rows)  # fmt: skip
            total = sum(r[1] for r in rows)
            downs = sum(r[2] for r in rows)
            lat = [float(r[3].split()[0]) if r[3] != "never" else math.inf for r in rows]
            print(f"total: {total} trials, {downs} key-downs after stop, worst latency "
                  f"{_fmt_latency(lat)}")  # fmt: skip
            failed |= downs > 0 or max(lat) > 1.0
        if args.only != "keying":
            rows = run_capture(args.trials or 3, work)
            _table("capture faults (hi-station capture vs the rtl_tcp test server)",
                   ("fault", "trials", "silent losses", "bad exits", "notes"), rows)
            total = sum(r[1] for r in rows)
            losses = sum(r[2] for r in rows)
            bad = sum(int(r[3]) for r in rows if r[3] != "-")
            print(f"total: {total} trials, {losses} silent losses, {bad} bad exits")
            failed |= losses > 0 or bad > 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.monotonic() - t0:.0f} s; {'FAIL' if failed else 'all bars met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
