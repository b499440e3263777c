"""Build the corpus, run it in two runner processes, judge each case, print a summary.

The contract (issue 13): exit 0, or exit 2 with exactly one ``error:`` line on stderr;
never a traceback, a usage box or a warning line; nothing touched outside the paths
the case names; within its time limit and under :data:`PEAK_MB_LIMIT` of peak RSS.

``python -m tests.station.corpus.harness`` (or ``python bench/corpus.py``) prints the
summary table and the failures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.station.corpus.arg_cases import option_cases, string_cases
from tests.station.corpus.base import REPO, Case, Sandbox, make_common
from tests.station.corpus.path_cases import input_path_cases, output_path_cases
from tests.station.corpus.raw_cases import cu8_cases, wav_cases
from tests.station.corpus.sigmf_cases import sigmf_cases
from tests.station.corpus.text_cases import event_cases, txlog_cases
from tests.station.corpus.waves_cases import waves_cases

PEAK_MB_LIMIT = 500.0
#: Cases that still break the contract, each an open defect (issue 13), by case id.
KNOWN_OPEN: dict[str, str] = {}
WORKERS = 2


def build(root: Path) -> tuple[Sandbox, list[Case]]:
    """Write every input under ``root``; return the sandbox and the cases."""
    sb = Sandbox(root)
    common = make_common(sb)
    cases: list[Case] = []
    for make in (sigmf_cases, wav_cases, cu8_cases, event_cases, txlog_cases, waves_cases,
                 option_cases, string_cases, input_path_cases, output_path_cases):  # fmt: skip
        cases.extend(make(sb, common))
    ids = Counter(c.id for c in cases)
    assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1]
    return sb, cases


def _child_env(sb: Sandbox, home: Path) -> dict[str, str]:
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), TMPDIR=str(home), MPLBACKEND="Agg",
               COLUMNS="100", PYTHONPATH=str(REPO))  # fmt: skip
    env.pop("TERM", None)
    return env


def _run_batch(batch: list[dict[str, Any]], sb: Sandbox, log: Path) -> dict[str, dict]:
    """Run a batch in one runner; restart it past a case that hung it for good."""
    results: dict[str, dict] = {}
    todo = batch
    while todo:
        limit = 60 + sum(c["timeout_s"] for c in todo[:1]) + 3 * len(todo)
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.station.corpus.runner", str(log)],
            stdin=subprocess.PIPE, cwd=REPO, env=_child_env(sb, sb.home / log.stem),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _, err = proc.communicate(json.dumps(todo).encode(), timeout=limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        started = None
        for line in log.read_text().splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                results[record["id"]] = record
                started = None
        if started is not None and started not in results:
            results[started] = {"id": started, "exit": None, "hang": True, "stdout": "",
                                "stderr": err.decode(errors="replace")[-2000:], "seconds": 0.0,
                                "peak_mb": 0.0, "outside": [], "crashed": True, "err_lines": 0,
                                "err_first_ok": False, "marks": []}  # fmt: skip
        todo = [c for c in todo if c["id"] not in results]
        if todo and started is None:  # the runner died between cases
            raise RuntimeError(f"corpus runner failed: {err.decode(errors='replace')[-2000:]}")
    return results


def run(cases: list[Case], sb: Sandbox, workers: int = WORKERS) -> dict[str, dict]:
    """Run the cases split over ``workers`` runner processes; results by case id."""
    payload = [c.as_json(sb) for c in cases]
    batches = [payload[k::workers] for k in range(workers)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        logs = [sb.root / f"results-{k}.jsonl" for k in range(workers)]
        parts = pool.map(_run_batch, batches, [sb] * workers, logs)
        merged: dict[str, dict] = {}
        for part in parts:
            merged.update(part)
    return merged


def verdict(case: Case, result: dict[str, Any]) -> list[str]:
    """What the result breaks of the contract (empty: it keeps it)."""
    problems: list[str] = []
    if result["hang"]:
        problems.append("hang")
    elif "Traceback (most recent call last)" in result["marks"] or result["exit"] not in (0, 2):
        problems.append("traceback")
    elif result["exit"] == 2 and (result["err_lines"] != 1 or not result["err_first_ok"]):
        problems.append("multi-line")
    elif result["marks"]:
        problems.append("multi-line")
    if result["outside"]:
        problems.append("writes-outside")
    if result["peak_mb"] > PEAK_MB_LIMIT:
        problems.append("memory")
    if not result["hang"] and case.expect == "error" and result["exit"] == 0:
        problems.append("accepted")
    if not result["hang"] and case.expect == "ok" and result["exit"] != 0:
        problems.append("refused")
    return problems


@dataclass
class Summary:
    """Counts per group and over all, and the failures."""

    rows: dict[str, Counter]
    failures: list[tuple[Case, dict[str, Any], list[str]]]
    total: Counter
    peak_mb: dict[str, float]
    seconds: dict[str, float]

    def table(self) -> str:
        """The summary as a fixed-width table."""
        head = ("group", "cases", "exit 0", "exit 2", "traceback", "multi-line", "hang",
                "outside", "accepted", "peak MB", "s")  # fmt: skip
        keys = ("cases", "exit0", "exit2", "traceback", "multi-line", "hang", "writes-outside",
                "accepted")  # fmt: skip
        rows = [head]
        for group in sorted(self.rows):
            counts = self.rows[group]
            rows.append((group, *(str(counts[k]) for k in keys), f"{self.peak_mb[group]:.0f}",
                         f"{self.seconds[group]:.1f}"))  # fmt: skip
        rows.append(("all", *(str(self.total[k]) for k in keys),
                     f"{max(self.peak_mb.values(), default=0):.0f}",
                     f"{sum(self.seconds.values()):.0f}"))  # fmt: skip
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                         for r in rows)  # fmt: skip


def summarize(cases: list[Case], results: dict[str, dict]) -> Summary:
    """Judge every case and count by group."""
    rows: dict[str, Counter] = defaultdict(Counter)
    peak: dict[str, float] = defaultdict(float)
    seconds: dict[str, float] = defaultdict(float)
    total: Counter = Counter()
    failures = []
    for case in cases:
        result = results[case.id]
        problems = verdict(case, result)
        counts = Counter({"cases": 1, f"exit{result['exit']}": 1, **dict.fromkeys(problems, 1)})
        rows[case.group].update(counts)
        total.update(counts)
        peak[case.group] = max(peak[case.group], result["peak_mb"])
        seconds[case.group] += result["seconds"]
        if problems:
            failures.append((case, result, problems))
    return Summary(dict(rows), failures, total, dict(peak), dict(seconds))


def describe(failure: tuple[Case, dict[str, Any], list[str]]) -> str:
    """One failure, for a report."""
    case, result, problems = failure
    err = result["stderr"].strip().splitlines()
    tail = " | ".join(err[-3:])[:400]
    argv = " ".join(a if len(a) < 80 else a[:40] + "..." for a in case.argv)
    return f"{case.id} [{', '.join(problems)}] exit {result['exit']}: {argv}\n    {tail}" + (
        f"\n    outside: {result['outside'][:3]}" if result["outside"] else ""
    )


def main() -> None:
    """Build, run and print the summary (and the failures)."""
    with tempfile.TemporaryDirectory(prefix="hi-corpus-") as tmp:
        began = time.perf_counter()
        sb, cases = build(Path(tmp))
        built = time.perf_counter()
        results = run(cases, sb)
        summary = summarize(cases, results)
        print(summary.table())
        print(f"{len(cases)} cases: built in {built - began:.1f} s, run in "
              f"{time.perf_counter() - built:.1f} s on {WORKERS} runners")  # fmt: skip
        slow = sorted(results.values(), key=lambda r: -r["seconds"])[:15]
        print("slowest:", ", ".join(f"{r['id']} {r['seconds']:.1f}s" for r in slow))
        for failure in summary.failures:
            known = KNOWN_OPEN.get(failure[0].id)
            print(describe(failure) + (f"\n    KNOWN OPEN: {known}" if known else ""))
        _restore_permissions(sb.root)


def _restore_permissions(root: Path) -> None:
    for folder, dirs, _ in os.walk(root):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(0o755)


if __name__ == "__main__":
    main()
