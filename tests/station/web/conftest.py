"""A real headless Chromium (chromium + chromium-driver, Debian) for the dashboard tests."""

from __future__ import annotations

import os

import pytest

CHROMEDRIVER = "/usr/bin/chromedriver"


def new_browser(home: str):
    """One headless Chromium (shared/reference/real-components.md section 3)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # no Selenium Manager, no outbound attempts
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1000,900"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    svc = Service(executable_path=CHROMEDRIVER, env=dict(os.environ, HOME=home, TMPDIR=home))
    return webdriver.Chrome(service=svc, options=opts)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not os.path.exists(CHROMEDRIVER):
        pytest.skip("chromium-driver not installed")
    drv = new_browser(str(tmp_path_factory.mktemp("chromium")))
    yield drv
    drv.quit()
