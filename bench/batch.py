"""``hi-station batch`` on 1 and 2 local workers: speed-up, overhead, memory, results, rerun.

Makes ``--count`` (default 8) recordings of ``--minutes`` (default 10) at 240 kS/s cu8
with ``hi-station capture --source synthetic --fast --raw`` on a bench event (the 2013
frequency table, 5 s dits, a round every 2 minutes), HI keyed on three frequencies of
each (two sets of three), and one of ``--long-minutes`` (default 20); they, the event
and each recording's ``hi-station replay --json`` are cached in ``--data`` (default
/tmp/hi-station-bench-batch).  Then, each batch a ``hi-station batch`` process (run as
the installed command runs: a main script) timed
from outside: the recordings on 1 worker, on 2 workers, the 2-worker batch again (all
cached), and the long recording alone on 1 worker.  Prints a table beside the bars of
issue 18: speed-up >= 1.7x, scheduler overhead (wall x workers - sum of task_s) / sum
of task_s < 5 %, peak RSS per worker < 300 MB and flat in length, results identical to
``replay --json`` (wall-time fields aside), rerun < 5 % of the first run.

Usage::

    python bench/batch.py [--data DIR] [--minutes 10] [--count 8] [--long-minutes 20] [--repeat 1]

With ``--repeat N`` the 1- and 2-worker batches run N times, interleaved, each pair's
figures printed as it ends; the table takes the fastest run of each (as ``timeit``
does: this machine's other load only ever slows a run down).
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FREQ_SETS_MHZ = ((28.25, 28.28, 28.31), (28.34, 28.37, 28.40))
WALL = ("channelize_s", "analyse_s", "path")
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                os.environ.get("PYTHONPATH")])))


#: What pip's ``hi-station`` console script does, run as users run the command: a main
#: script (spawned Dask workers re-import a main script, never ``python -m``'s).
CONSOLE_SCRIPT = ("import sys\nfrom station.cli import main\n"
                  "if __name__ == '__main__':\n    sys.exit(main())\n")
_SCRIPT: list[Path] = []


def _cli(*args: str) -> list[str]:
    if not _SCRIPT:
        folder = Path(tempfile.mkdtemp(prefix="hi-station-bench-"))
        atexit.register(shutil.rmtree, folder, True)
        (folder / "hi-station").write_text(CONSOLE_SCRIPT, encoding="utf-8")
        _SCRIPT.append(folder / "hi-station")
    return [sys.executable, str(_SCRIPT[0]), *args]


def make_event(data: Path) -> Path:
    """Write the bench event once (cached: the recordings are keyed on its timing)."""
    path = data / "bench-event.toml"
    if path.exists():
        return path
    text = (ROOT / "schedules" / "juno-2013-10-09.toml").read_text(encoding="utf-8")
    start = (datetime.now(UTC) + timedelta(seconds=60)).replace(second=0, microsecond=0)
    for old, new in (('id = "juno-2013-10-09"', 'id = "bench-batch"'),
                     ("start_utc = 2013-10-09T18:00:00Z",
                      f"start_utc = {start.strftime('%Y-%m-%dT%H:%M:%SZ')}"),
                     ("dit_s = 30.0", "dit_s = 5.0"), ("round_period_s = 600.0",
                                                        "round_period_s = 120.0"),
                     ("rounds = 16", "rounds = 300")):  # fmt: skip
        text = text.replace(old, new)
    data.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_recordings(folder: Path, event: Path, minutes: float, count: int) -> list[Path]:
    """``count`` raw cu8 SigMF recordings in ``folder`` (made once; capture's channels removed)."""
    out = []
    for i in range(count):
        rec = folder / f"r{i}"
        metas = sorted(rec.glob("raw_*.sigmf-meta")) if rec.is_dir() else []
        if not metas:
            shutil.rmtree(rec, ignore_errors=True)
            freqs = [a for f in FREQ_SETS_MHZ[i % 2] for a in ("--freq-mhz", str(f))]
            subprocess.run(_cli("capture", "--source", "synthetic", "--fast", "--raw", "--quiet",
                                "--schedule", str(event), "--duration-s", str(minutes * 60),
                                "--out", str(rec), *freqs), check=True, env=ENV,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            for p in rec.iterdir():
                if not p.name.startswith("raw_"):
                    p.unlink()
            metas = sorted(rec.glob("raw_*.sigmf-meta"))
        out.append(metas[0])
    return out


def references(paths: list[Path], event: Path, folder: Path) -> dict[str, dict[str, Any]]:
    """``hi-station replay --json`` of each recording (cached in ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)

    def one(p: Path) -> dict[str, Any]:
        cached = folder / f"{p.parent.name}.json"
        if not cached.exists():
            run = subprocess.run(_cli("replay", str(p), "--schedule", str(event), "--json"),
                                 check=True, env=ENV, capture_output=True, text=True)  # fmt: skip
            cached.write_text(run.stdout, encoding="utf-8")
        return json.loads(cached.read_text(encoding="utf-8"))

    with ThreadPoolExecutor(2) as pool:
        return dict(zip((str(p) for p in paths), pool.map(one, paths), strict=True))


def batch(inputs: list[Path], event: Path, out: Path, workers: int) -> dict[str, Any]:
    """One timed ``hi-station batch`` process; its summary, results and outside wall time."""
    t0 = time.perf_counter()
    run = subprocess.run(_cli("batch", *map(str, inputs), "--schedule", str(event), "--out",
                              str(out), "--workers", str(workers), "--json"),
                         env=ENV, capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        sys.exit(f"batch failed ({run.returncode}):\n{run.stderr[-3000:]}")
    docs = [json.loads(p.read_text()) for p in sorted((out / "results").glob("*.json"))]
    return {"wall_s": wall, "summary": json.loads(run.stdout), "docs": docs}


def hash_time(paths: list[Path], index: Path, threads: int) -> float:
    """Seconds to key ``paths`` on the client with a fresh stat cache (files in page cache)."""
    from station.batch.identity import StatCache, identify

    t0 = time.perf_counter()
    identify(paths, StatCache(index), threads=threads)
    return time.perf_counter() - t0


def _bare(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in WALL}


def split_overhead(run: dict[str, Any], workers: int) -> dict[str, float]:
    """Where the workers' idle time went, worker-seconds (they add up to the overhead).

    ``start``: from the batch's start to each worker's first task (the cluster
    starting, the first recording hashed, the worker importing the analysis);
    ``between``: between a worker's tasks (Dask's dispatch); ``tail``: a worker done
    while another still runs its last task; ``end``: from the last task's end to the
    batch's (the last result and the table written, the cluster closing).
    """
    from station.utc import parse_iso

    t0 = parse_iso(run["summary"]["started_utc"]).timestamp()
    spans: dict[str, list[tuple[float, float]]] = {}
    for d in run["docs"]:
        a = parse_iso(d["task_start_utc"]).timestamp()
        spans.setdefault(d["worker"], []).append((a, a + d["task_s"]))
    last = max(b for v in spans.values() for _, b in v)
    out = {"start": 0.0, "between": 0.0, "tail": 0.0,
           "end": workers * (t0 + run["summary"]["seconds"] - last)}  # fmt: skip
    for v in spans.values():
        v.sort()
        out["start"] += v[0][0] - t0
        out["between"] += sum(v[i + 1][0] - v[i][1] for i in range(len(v) - 1))
        out["tail"] += last - v[-1][1]
    out["start"] += (workers - len(spans)) * run["summary"]["seconds"]  # a worker never used
    return out


def figures(run: dict[str, Any], workers: int) -> dict[str, Any]:
    """Task time, overhead (and where it went) and peak RSS per worker of one batch run."""
    docs = run["docs"]
    task_s = sum(d["task_s"] for d in docs)
    peaks: dict[str, float] = {}
    for d in docs:
        peaks[d["worker"]] = max(peaks.get(d["worker"], 0.0), d["peak_rss_mb"])
    inner = run["summary"]["seconds"]
    over = inner * workers - task_s
    return {"wall_s": run["wall_s"], "inner_s": inner, "task_s": task_s,
            "overhead": over / task_s, "per_task_s": over / len(docs),
            "outer_overhead": (run["wall_s"] * workers - task_s) / task_s,
            "peak_mb": max(peaks.values()), "workers_seen": len(peaks),
            "split": split_overhead(run, workers)}  # fmt: skip


def main() -> None:
    """Make or reuse the recordings, run the batches, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/tmp/hi-station-bench-batch"))
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--long-minutes", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=1,
                    help="pairs of 1- and 2-worker batches; the table takes the fastest of each")
    a = ap.parse_args()
    event = make_event(a.data)
    t0 = time.perf_counter()
    recs = make_recordings(a.data / f"min{a.minutes:g}", event, a.minutes, a.count)
    long_rec = make_recordings(a.data / f"min{a.long_minutes:g}", event, a.long_minutes, 1)
    refs = references(recs, event, a.data / f"min{a.minutes:g}-replay-json")
    print(f"recordings and references ready in {time.perf_counter() - t0:.0f} s", flush=True)
    runs = a.data / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    a.hash_s = {n: hash_time(recs, runs / f"index-{n}.json", n) for n in (1, 2)}
    pairs = []
    for k in range(a.repeat):  # interleaved, so a slow spell of the host hits both alike
        pairs.append((batch(recs, event, runs / f"w1-{k}", 1),
                      batch(recs, event, runs / f"w2-{k}", 2)))  # fmt: skip
        w1, w2 = (figures(r, n) for r, n in zip(pairs[-1], (1, 2), strict=True))
        print(f"pair {k + 1}: 1 worker {w1['wall_s']:.1f} s, 2 workers {w2['wall_s']:.1f} s, "
              f"speed-up {w1['wall_s'] / w2['wall_s']:.2f}x, overhead {100 * w2['overhead']:.1f} "
              f"%, task time 2 workers / 1 {w2['task_s'] / w1['task_s']:.2f}", flush=True)
    one = min((p[0] for p in pairs), key=lambda r: r["wall_s"])
    k2, two = min(enumerate(p[1] for p in pairs), key=lambda kr: kr[1]["wall_s"])
    again = batch(recs, event, runs / f"w2-{k2}", 2)
    long_run = batch(long_rec, event, runs / "long", 1)
    _table(a, refs, one, two, again, long_run)


def _split(f: dict[str, Any]) -> str:
    return ", ".join(f"{v:.1f}" for v in f["split"].values())


def _table(a: argparse.Namespace, refs: dict[str, dict[str, Any]], one: dict[str, Any],
           two: dict[str, Any], again: dict[str, Any], long_run: dict[str, Any]) -> None:
    f1, f2, fl = figures(one, 1), figures(two, 2), figures(long_run, 1)
    a.gbytes = sum(d["recording"]["bytes"] for d in one["docs"]) / 1e9
    mean_task = f1["task_s"] / a.count
    same = [sum(_bare(d["replay"]) == _bare(refs[d["recording"]["path"]]) for d in r["docs"])
            for r in (one, two)]  # fmt: skip
    speedup = f1["wall_s"] / f2["wall_s"]
    rerun = again["wall_s"] / two["wall_s"]
    s = again["summary"]
    n = a.count
    rows = [
        ("recordings", f"{n} x {a.minutes:g} min, 240 kS/s cu8", "", ""),
        ("wall time of the batch process, s", f"{f1['wall_s']:.1f}", f"{f2['wall_s']:.1f}", ""),
        ("wall time of run_batch (summary seconds), s", f"{f1['inner_s']:.1f}",
         f"{f2['inner_s']:.1f}", ""),
        ("sum of task_s, s", f"{f1['task_s']:.1f}", f"{f2['task_s']:.1f}", ""),
        ("speed-up 2 workers / 1 (process wall)", "", f"{speedup:.2f}x", ">= 1.7x"),
        ("  sum of task_s, 2 workers / 1 (the host's contention)", "",
         f"{f2['task_s'] / f1['task_s']:.2f}", ""),
        ("overhead (wall x W - sum task_s) / sum task_s", f"{100 * f1['overhead']:.1f} %",
         f"{100 * f2['overhead']:.1f} %", "< 5 %"),
        ("  the same with the process wall (+ CLI start)", f"{100 * f1['outer_overhead']:.1f} %",
         f"{100 * f2['outer_overhead']:.1f} %", ""),
        ("  of it, worker-s: start, between tasks, tail, end", _split(f1), _split(f2), ""),
        ("  Dask's dispatch alone (between tasks) / sum task_s",
         f"{100 * f1['split']['between'] / f1['task_s']:.2f} %",
         f"{100 * f2['split']['between'] / f2['task_s']:.2f} %", ""),
        ("overhead per task, s (% of a task)", f"{f1['per_task_s']:.2f}",
         f"{f2['per_task_s']:.2f} ({100 * f2['per_task_s'] / mean_task:.1f} %)", "< 5 %"),
        ("peak RSS per worker (max), MB", f"{f1['peak_mb']:.0f}", f"{f2['peak_mb']:.0f}",
         "< 300 MB"),
        (f"peak RSS, {a.long_minutes:g} min vs {a.minutes:g} min (1 worker), MB",
         f"{fl['peak_mb']:.0f} vs {f1['peak_mb']:.0f}", "", "flat"),
        ("results identical to replay --json", f"{same[0]}/{n}", f"{same[1]}/{n}", f"{n}/{n}"),
        ("client hashing of all recordings (1 / 2 threads), s",
         f"{a.hash_s[1]:.2f} ({a.gbytes / a.hash_s[1]:.1f} GB/s)",
         f"{a.hash_s[2]:.2f} ({a.gbytes / a.hash_s[2]:.1f} GB/s)", ""),
        ("rerun (all cached): wall s, % of first run", "",
         f"{again['wall_s']:.2f} s, {100 * rerun:.1f} %", "< 5 %"),
        ("rerun: skipped, hashed, cluster started", "",
         f"{s['skipped']}, {s['hashed']}, {s['cluster_started']}", f"{n}, 0, False"),
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    head = ("measure", "1 worker", "2 workers", "bar")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    for r in (head, tuple("-" * w for w in widths), *rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
