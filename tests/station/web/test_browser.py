"""THE acceptance test of the dashboard: a real headless Chromium during a rehearsal.

A run folder fed like the service (tests/station/web/rehearsal.py: status.json and
waterfall.json each second, rounds.jsonl per round) plus a real ``hi-station transmit``
dry run writing tx.jsonl: 3 rounds of "H" at 1 s dits, 8 s apart (24 edges).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from station.web import start_server
from tests.station.web.rehearsal import Rehearsal

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
def rehearsal(tmp_path):
    with Rehearsal(tmp_path) as reh:
        yield reh


def test_dashboard_follows_a_rehearsal_in_chromium(browser, rehearsal, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    running = start_server(tmp_path)
    try:
        browser.get(running.url)
        browser.execute_script(OBSERVE)
        wait = WebDriverWait(browser, 10, poll_frequency=0.05)
        wait.until(lambda d: d.find_element(By.ID, "call").text == "N0CALL")
        assert browser.find_element(By.ID, "letter").text == "L"
        assert browser.find_element(By.ID, "freq").text == "28.350000 MHz"
        # the countdown decrements smoothly between messages (it runs on the page)
        a = _countdown_ms(browser)
        time.sleep(0.5)
        b = _countdown_ms(browser)
        assert a is not None and b is not None and 300 < a - b < 700, (a, b)
        wf = _canvas(browser)
        wait.until(lambda d: _canvas(d) != wf)  # the waterfall is redrawn with new columns
        # a detection row once round 1's line is written
        WebDriverWait(browser, 15, poll_frequency=0.1).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, '#rounds tr[data-round="1"]'))
        row = browser.find_element(By.CSS_SELECTOR, '#rounds tr[data-round="1"]').text
        assert "yes" in row and "-11.0 dB" in row, row
        WebDriverWait(browser, 3, poll_frequency=0.1).until(lambda d: d.execute_script(
            "const i = document.querySelector('#grabs img'); return i && i.naturalWidth === 1;"))
        assert browser.find_element(By.ID, "round").text in ("1", "2")
        assert browser.find_element(By.ID, "round-of").text == "3"
        last = rehearsal.plan.edges()[-1].at_utc
        time.sleep(max(0.0, (last - datetime.now(UTC)).total_seconds() + 0.6))
        seen = browser.execute_script("return window.__edges;")
        shot = tmp_path / "dashboard.png"
        assert browser.save_screenshot(str(shot))
        print(f"screenshot: {shot}")
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        running.stop()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert severe == []
    # every planned edge shown by the page within 0.5 s (the key follows tx.jsonl's records)
    shown = {(e["planned"], e["key"]): e["t"] for e in seen if e["source"] == "tx" and e["planned"]}
    lags_ms = []
    for edge in rehearsal.plan.edges():
        key = (edge.at_utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "down" if edge.key_down else "up")
        assert key in shown, (key, sorted(shown))
        lags_ms.append(shown[key] - edge.at_utc.timestamp() * 1000.0)
    print(f"{len(lags_ms)} edges, lag ms: min {min(lags_ms):.0f} median "
          f"{sorted(lags_ms)[len(lags_ms) // 2]:.0f} max {max(lags_ms):.0f}")
    assert len(lags_ms) >= 20 and all(-50 < lag < 500 for lag in lags_ms), lags_ms
