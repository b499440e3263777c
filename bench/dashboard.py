"""The dashboard's cost with browsers connected: server CPU and memory, and the key's lag.

Feeds a run folder as the service would (tests/station/web/rehearsal.py: status.json
and waterfall.json each second, a rounds.jsonl line and a grab per round, a real
``hi-station transmit`` dry run writing tx.jsonl: "HI" at ``--dit-s`` dits every
``--period-s``), serves it with ``hi-station serve DIR`` in a child process, connects
``--browsers`` headless Chromium pages, and samples the server's CPU
(``/proc/PID/stat`` utime + stime over wall time) and RSS every ``--sample-s``.  The
first browser records when its key indicator changes (a MutationObserver); the end
compares each change with the plan's edge.  Bars: CPU under 10 % of one core with 3
browsers; RSS flat over a 1-hour rehearsal (``--minutes 60``); each edge shown within
0.5 s.  Needs Debian ``chromium`` and ``chromium-driver``.

Usage::

    python bench/dashboard.py --minutes 2
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/station/web

from tests.station.web.conftest import new_browser  # noqa: E402
from tests.station.web.rehearsal import ROOT, Rehearsal  # noqa: E402
from tests.station.web.test_browser import OBSERVE  # noqa: E402

CPU_LIMIT_PERCENT = 10.0
LAG_LIMIT_MS = 500.0


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return math.nan


def _serve(run_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "serve", str(run_dir), "--port", "0"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        text=True)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "dashboard: URL (...)"
    if not line.startswith("dashboard: "):
        proc.kill()
        proc.wait()
        raise SystemExit(f"hi-station serve did not start: {line!r}")
    return proc, line.split()[1]


def _lags_ms(drv, reh: Rehearsal, since_s: float) -> list[float]:
    seen = drv.execute_script("return window.__edges;") or []
    shown = {(e["planned"], e["key"]): e["t"] for e in seen if e["source"] == "tx" and e["planned"]}
    lags = []
    for edge in reh.plan.edges():
        key = (edge.at_utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "down" if edge.key_down else "up")  # fmt: skip
        if since_s < edge.at_utc.timestamp() < time.time() - 1.0:
            lags.append(shown[key] - edge.at_utc.timestamp() * 1000.0 if key in shown else math.inf)
    return lags


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="how long (the bar: 60)")
    parser.add_argument("--browsers", type=int, default=3)
    parser.add_argument("--dit-s", type=float, default=2.0)
    parser.add_argument("--period-s", type=float, default=60.0)
    parser.add_argument("--sample-s", type=float, default=0.0, help="row every (default: ~10 rows)")
    args = parser.parse_args()
    seconds = args.minutes * 60.0
    sample_s = args.sample_s or max(5.0, seconds / 10.0)
    with tempfile.TemporaryDirectory(prefix="hi-dashboard-") as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        rounds = max(1, math.ceil(seconds / args.period_s))
        reh = Rehearsal(run_dir, message="HI", dit_s=args.dit_s, rounds=rounds,
                        period_s=args.period_s, lead_s=8.0).start()  # fmt: skip
        proc, url = _serve(run_dir)
        drivers = []
        try:
            for i in range(args.browsers):
                home = Path(tmp) / f"chromium{i}"
                home.mkdir()
                drv = new_browser(str(home))
                drv.get(url)
                drivers.append(drv)
                if i == 0:
                    drv.execute_script(OBSERVE)
                    observing_s = time.time() + 0.2
            time.sleep(2.0)  # every page connected and drawn once
            _table(proc.pid, seconds, sample_s, args.browsers)
            lags = _lags_ms(drivers[0], reh, observing_s)
            severe = sum(e["level"] == "SEVERE" for d in drivers for e in d.get_log("browser"))
        finally:
            for drv in drivers:
                drv.quit()
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
            reh.stop()
    _summary(lags, severe)


def _table(pid: int, seconds: float, sample_s: float, browsers: int) -> None:
    t_start = time.monotonic()
    cpu_start = _cpu_s(pid)
    rss_start = _rss_mb(pid)
    print(f"server pid {pid}, {browsers} browser(s) connected, {seconds:.0f} s")
    print(f"{'elapsed s':>9} {'CPU % (interval)':>17} {'CPU % (so far)':>15} {'RSS MB':>8}")
    print(f"{0.0:9.0f} {'':>17} {'':>15} {rss_start:8.1f}")
    t_prev, cpu_prev = t_start, cpu_start
    while (elapsed := time.monotonic() - t_start) < seconds:
        time.sleep(min(sample_s, seconds - elapsed))
        now, cpu = time.monotonic(), _cpu_s(pid)
        print(f"{now - t_start:9.0f} {100 * (cpu - cpu_prev) / (now - t_prev):17.2f} "
              f"{100 * (cpu - cpu_start) / (now - t_start):15.2f} {_rss_mb(pid):8.1f}")  # fmt: skip
        t_prev, cpu_prev = now, cpu
    total = 100 * (_cpu_s(pid) - cpu_start) / (time.monotonic() - t_start)
    rss_end = _rss_mb(pid)
    verdict = "ok" if total < CPU_LIMIT_PERCENT else "OVER"
    print(f"server CPU {total:.2f} % of one core (bar < {CPU_LIMIT_PERCENT:.0f} %: {verdict}); "
          f"RSS start {rss_start:.1f} MB, end {rss_end:.1f} MB ({rss_end - rss_start:+.1f} MB)")


def _summary(lags: list[float], severe: int) -> None:
    if not lags:
        print("key indicator: no edge yet (run longer)")
        return
    lags = sorted(lags)
    late = sum(lag > LAG_LIMIT_MS or lag < -50.0 for lag in lags)
    print(f"key indicator: {len(lags)} edges, lag ms min {lags[0]:.0f} median "
          f"{lags[len(lags) // 2]:.0f} max {lags[-1]:.0f}; {late} outside "
          f"-50..{LAG_LIMIT_MS:.0f} ms; {severe} SEVERE console entries")  # fmt: skip


if __name__ == "__main__":
    main()
