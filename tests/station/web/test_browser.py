"""THE acceptance test of the dashboard: a real headless Chromium during a real rehearsal.

A real ``hi-station run --key --web`` (synthetic band, dry-run transmit child, live grabs,
per-round detection) on a practice event of "HI" at 1 s dits, 2 rounds 16 s apart (24
key edges); the browser opens the URL the service prints and watches it to the end.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.schedule.event import load_event
from station.schedule.plan import make_plan
from station.schedule.practice import write_practice_event
from station.utc import utc_z

ROOT = Path(__file__).resolve().parents[3]
CALL = "N0CALL"

OBSERVE = """
window.__edges = [];
const el = document.getElementById('key');
new MutationObserver(() => window.__edges.push({t: Date.now(), key: el.dataset.key,
    source: el.dataset.source, planned: el.dataset.planned}))
  .observe(el, {attributes: true, attributeFilter: ['data-key', 'data-planned']});
"""


def _canvas(drv) -> str:
    return drv.execute_script("return document.getElementById('waterfall').toDataURL();")


def _countdown_ms(drv) -> int | None:
    text = drv.execute_script("return document.getElementById('countdown').dataset.ms;")
    return int(text) if text else None


@pytest.fixture
def service(tmp_path):
    """A rehearsal service with its dashboard; yields (process, url, plan, run folder)."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    event = write_practice_event(tmp_path / "event.toml", start_utc=start, dit_s=1.0,
                                 round_period_s=16.0, rounds=2, ident_rule="none")  # fmt: skip
    run = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "run", str(event), "--out", str(run),
         "--callsign", CALL, "--source", "synthetic", "--seed", "1", "--lead-s", "2",
         "--tail-s", "1", "--key", "--ignore-clock", "--web", "--port", "0"],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True)
    reader.start()
    try:
        url, said = None, []
        deadline = time.monotonic() + 20
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                said.append(lines.get(timeout=0.2))
            except queue.Empty:
                continue
            if said[-1].startswith("dashboard: "):
                url = said[-1].split(" ", 1)[1].strip()
        assert url is not None and url.startswith("http://127.0.0.1:"), said
        yield proc, url, make_plan(load_event(event), CALL), run
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(20)
        reader.join(5)
        proc.stderr.close()


def test_dashboard_follows_a_rehearsal_in_chromium(browser, service, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    proc, url, plan, run = service
    browser.get(url)
    browser.execute_script(OBSERVE)
    wait = WebDriverWait(browser, 10, poll_frequency=0.05)
    wait.until(lambda d: d.find_element(By.ID, "call").text == CALL)
    assert browser.find_element(By.ID, "letter").text == plan.letter
    assert browser.find_element(By.ID, "freq").text == f"{plan.freq_hz / 1e6:.6f} MHz"
    assert browser.find_element(By.ID, "round-of").text == "2"
    # the countdown decrements smoothly between messages (it runs on the page)
    a = _countdown_ms(browser)
    time.sleep(0.5)
    b = _countdown_ms(browser)
    assert a is not None and b is not None and 300 < a - b < 700, (a, b)
    # the waterfall canvas is redrawn with new columns once the capture runs
    wf = _canvas(browser)
    WebDriverWait(browser, 20, poll_frequency=0.1).until(lambda d: _canvas(d) != wf)
    # a detection row once round 1 has been detected by the service
    WebDriverWait(browser, 40, poll_frequency=0.1).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#rounds tr[data-round="1"]'))
    row = browser.find_element(By.CSS_SELECTOR, '#rounds tr[data-round="1"]').text
    assert "yes" in row, row
    WebDriverWait(browser, 10, poll_frequency=0.1).until(lambda d: d.execute_script(
        "const i = document.querySelector('#grabs img'); return i && i.naturalWidth > 100;"))
    assert proc.wait(60) == 0  # the service ran to the event's end
    seen = browser.execute_script("return window.__edges;")
    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot))
    print(f"screenshot: {shot}")
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert severe == []
    # every planned edge shown by the page within 0.5 s (the key follows tx.jsonl's records)
    shown = {(e["planned"], e["key"]): e["t"] for e in seen if e["source"] == "tx" and e["planned"]}
    lags_ms = []
    for edge in plan.edges():
        key = (utc_z(edge.at_utc), "down" if edge.key_down else "up")
        assert key in shown, (key, sorted(shown))
        lags_ms.append(shown[key] - edge.at_utc.timestamp() * 1000.0)
    print(f"{len(lags_ms)} edges, lag ms: min {min(lags_ms):.0f} median "
          f"{sorted(lags_ms)[len(lags_ms) // 2]:.0f} max {max(lags_ms):.0f}")
    assert len(lags_ms) >= 20 and all(-50 < lag < 500 for lag in lags_ms), lags_ms
    assert (run / "report.md").exists()
