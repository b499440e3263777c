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
    python bench/faults.py --verbose     # with the keyer's messages (on stderr)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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
    elapsed_s: float = 0.0
    hung: bool = False


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
    tail = [x for x in stderr.splitlines() if x.strip()][-1:]
    detail = "; ".join(notes) or (errors[0][:110] if errors else ", ".join(out.get("warnings", [])))
    if bad and not errors:
        detail = f"exit {proc_rc}, stderr ends: {tail[0][:90] if tail else '(nothing)'}"
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
    t0 = time.monotonic()
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return CaptureTrial(fault, None, 0, True, "hung: killed after 60 s", 60.0, True)
    finally:
        timer.join(timeout=30)
        server.close()
        for m in reversed(mounted):
            _sh("umount", "-l", str(m))
    try:
        summary = json.loads(stdout) if stdout.strip() else {}
    except json.JSONDecodeError:
        summary = {"unparsed": stdout[:80]}
    elapsed_s = time.monotonic() - t0
    losses, bad, detail = _verify(summary, proc.returncode, stderr.replace(str(base), "..."))
    if fault == "server flooding" and proc.returncode == 0 and not summary.get("warnings"):
        losses, detail = losses + 1, "flooding not reported"
    with contextlib.suppress(OSError):
        shutil.rmtree(base)
    return CaptureTrial(fault, proc.returncode, losses, bad, detail, elapsed_s)


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


def _counts(values: list[str]) -> str:
    """``"6x error, 2x completed"``: each distinct value with how often it occurred."""
    return ", ".join(f"{n}x {v}" for v, n in sorted(Counter(values).items()))


#: Columns of the keying table (after the fault).
KEYING_HEAD = ("fault", "trials", "outcomes (run_plan reason)", "key-downs after stop",
               "queued PTT 1 run", "worst PTT-0 latency")  # fmt: skip


def run_keying(trials: int, work: Path) -> list[tuple]:
    """Rows of the keying table (:data:`KEYING_HEAD`)."""
    rows = []
    for fault in KEYING_FAULTS:
        results = [keying_trial(fault, HOLDS_S[k % len(HOLDS_S)], work) for k in range(trials)]
        rows.append((fault, len(results), _counts([r.outcome for r in results]),
                     sum(r.rises for r in results), sum(r.queued_run for r in results),
                     _fmt_latency([r.latency_s for r in results])))  # fmt: skip
    return rows


#: Columns of the capture table (after the fault).
CAPTURE_HEAD = ("fault", "trials", "outcomes", "silent losses", "bad exits", "hangs",
                "worst run", "last trial")  # fmt: skip


def run_capture(trials: int, work: Path) -> list[tuple]:
    """Rows of the capture table (:data:`CAPTURE_HEAD`)."""
    rows: list[tuple] = []
    mount_ok = _can_mount()
    for fault in CAPTURE_FAULTS:
        if fault in ("folder read-only", "disk full") and not mount_ok:
            rows.append((fault, 0, "-", 0, 0, 0, "-", "skipped: mounting needs root"))
            continue
        results = [r for r in (capture_trial(fault, work) for _ in range(trials)) if r]
        detail = results[-1].detail if results else ""
        rows.append((fault, len(results),
                     _counts(["hung" if r.hung else f"exit {r.exit_code}" for r in results]),
                     sum(r.silent_losses for r in results), sum(r.bad_exit for r in results),
                     sum(r.hung for r in results),
                     f"{max((r.elapsed_s for r in results), default=0.0):.1f} s",
                     detail if len(detail) <= 90 else detail[:87] + "..."))  # fmt: skip
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
    ap.add_argument("--verbose", action="store_true",
                    help="show the keyer's own messages during the keying trials")  # fmt: skip
    args = ap.parse_args(argv)
    if args.verbose:
        logging.basicConfig(format="%(message)s")
    else:  # "could not release the key: ..." is every frozen-daemon trial's expected news
        logging.getLogger("station").addHandler(logging.NullHandler())
    work = Path(tempfile.mkdtemp(prefix="hi-faults-"))
    t0 = time.monotonic()
    failed = False
    try:
        if args.only != "capture":
            rows = run_keying(args.trials or 8, work)
            _table("keying faults (real rigctld -m 1 -P RIG)", KEYING_HEAD, rows)
            total, downs = sum(r[1] for r in rows), sum(r[3] for r in rows)
            lat = [float(r[5].split()[0]) if r[5] != "never" else math.inf for r in rows]
            print(f"total: {total} trials, {downs} key-downs after stop, "
                  f"{sum(r[4] for r in rows)} queued key-downs run, worst PTT-0 latency "
                  f"{_fmt_latency(lat)} (bars: >= 30 trials, 0 key-downs, <= 1 s)")  # fmt: skip
            failed |= downs > 0 or max(lat) > 1.0
        if args.only != "keying":
            rows = run_capture(args.trials or 3, work)
            _table("capture faults (hi-station capture vs the rtl_tcp test server)",
                   CAPTURE_HEAD, rows)  # fmt: skip
            total, losses = sum(r[1] for r in rows), sum(r[3] for r in rows)
            bad, hangs = sum(r[4] for r in rows), sum(r[5] for r in rows)
            print(f"total: {total} trials, {losses} silent losses, {bad} bad exits, {hangs} "
                  "hangs (bars: >= 20 trials, 0 losses, 0 bad exits, 0 hangs)")  # fmt: skip
            failed |= losses > 0 or bad > 0 or hangs > 0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{time.monotonic() - t0:.0f} s; {'FAIL' if failed else 'all bars met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
