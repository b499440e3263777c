"""The dashboard's cost with browsers connected: server CPU and memory, and the key's lag.

A real rehearsal: ``hi-station run --key --source synthetic`` (a practice event of "HI"
at ``--dit-s`` dits every ``--period-s``; live grabs, per-round detection, a dry-run
transmit child writing tx.jsonl) in one child process, ``hi-station serve`` on its run
folder in another, ``--browsers`` headless Chromium pages connected to it; the server's
CPU (``/proc/PID/stat`` utime + stime over wall time) and the RSS of the server and of
the service are sampled every ``--sample-s``.  The
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/station/web

from station.schedule.event import load_event  # noqa: E402
from station.schedule.plan import OperatorPlan, make_plan  # noqa: E402
from station.schedule.practice import write_practice_event  # noqa: E402
from station.utc import utc_z  # noqa: E402
from tests.station.web.conftest import new_browser  # noqa: E402
from tests.station.web.test_browser import CALL, OBSERVE, ROOT  # noqa: E402

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


def _service(tmp: Path, dit_s: float, period_s: float, rounds: int) -> tuple[
    subprocess.Popen[bytes], OperatorPlan, Path]:  # fmt: skip
    """Start ``hi-station run`` on a practice event starting 12 s from now."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=12)
    event = write_practice_event(tmp / "event.toml", start_utc=start, dit_s=dit_s,
                                 round_period_s=period_s, rounds=rounds, ident_rule="none")
    run_dir = tmp / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "run", str(event), "--out", str(run_dir),
         "--callsign", CALL, "--source", "synthetic", "--seed", "1", "--key", "--ignore-clock"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=open(tmp / "run.log", "w"))  # fmt: skip
    while not run_dir.is_dir():
        if proc.poll() is not None:
            raise SystemExit(f"hi-station run exited: {(tmp / 'run.log').read_text()}")
        time.sleep(0.1)
    return proc, make_plan(load_event(event), CALL), run_dir


def _lags_ms(drv, plan: OperatorPlan, since_s: float) -> list[float]:
    seen = drv.execute_script("return window.__edges;") or []
    shown = {(e["planned"], e["key"]): e["t"] for e in seen if e["source"] == "tx" and e["planned"]}
    lags = []
    for edge in plan.edges():
        key = (utc_z(edge.at_utc), "down" if edge.key_down else "up")
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
        rounds = math.ceil(seconds / args.period_s) + 1  # the service outlives the sampling
        service, plan, run_dir = _service(Path(tmp), args.dit_s, args.period_s, rounds)
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
            _table(proc.pid, service.pid, seconds, sample_s, args.browsers)
            lags = _lags_ms(drivers[0], plan, observing_s)
            severe = sum(e["level"] == "SEVERE" for d in drivers for e in d.get_log("browser"))
        finally:
            for drv in drivers:
                drv.quit()
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=10)
            service.send_signal(signal.SIGTERM)
            service.wait(timeout=30)
    _summary(lags, severe)


def _table(pid: int, service: int, seconds: float, sample_s: float, browsers: int) -> None:
    t_start = time.monotonic()
    cpu_start = _cpu_s(pid)
    rss_start, svc_start = _rss_mb(pid), _rss_mb(service)
    print(f"server pid {pid}, service pid {service}, {browsers} browser(s) connected, "
          f"{seconds:.0f} s")
    print(f"{'elapsed s':>9} {'CPU % (interval)':>17} {'CPU % (so far)':>15} {'RSS MB':>8} "
          f"{'service RSS MB':>15}")
    print(f"{0.0:9.0f} {'':>17} {'':>15} {rss_start:8.1f} {svc_start:15.1f}")
    t_prev, cpu_prev = t_start, cpu_start
    while (elapsed := time.monotonic() - t_start) < seconds:
        time.sleep(min(sample_s, seconds - elapsed))
        now, cpu = time.monotonic(), _cpu_s(pid)
        print(f"{now - t_start:9.0f} {100 * (cpu - cpu_prev) / (now - t_prev):17.2f} "
              f"{100 * (cpu - cpu_start) / (now - t_start):15.2f} {_rss_mb(pid):8.1f} "
              f"{_rss_mb(service):15.1f}")  # fmt: skip
        t_prev, cpu_prev = now, cpu
    total = 100 * (_cpu_s(pid) - cpu_start) / (time.monotonic() - t_start)
    rss_end = _rss_mb(pid)
    verdict = "ok" if total < CPU_LIMIT_PERCENT else "OVER"
    print(f"server CPU {total:.2f} % of one core (bar < {CPU_LIMIT_PERCENT:.0f} %: {verdict}); "
          f"RSS start {rss_start:.1f} MB, end {rss_end:.1f} MB ({rss_end - rss_start:+.1f} MB); "
          f"service RSS start {svc_start:.1f} MB, end {_rss_mb(service):.1f} MB")


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
