"""Live grabs while capturing: a grab per frame, the stacked frame, the hook, the waterfall."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from station.capture import plan_capture, run_capture
from station.clock import SimulatedClock
from station.qrss import GrabSettings, grab_settings
from station.schedule import load_event
from station.schedule.practice import practice_event_toml

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 12, 5, 0, 0, 0, tzinfo=UTC)
PERIOD_S = 30.0


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    """Two rounds of HI at 2 s dits (26 s) every 30 s, from 2 s after the capture starts."""
    path = tmp_path_factory.mktemp("ev") / "practice.toml"
    path.write_text(practice_event_toml(
        start_utc=START + timedelta(seconds=2), dit_s=2.0, rounds=2, round_period_s=PERIOD_S,
        ident_rule="none", freq_hz=28.4e6,
    ), encoding="utf-8")  # fmt: skip
    return load_event(path)


def _capture(tmp_path: Path, event, look: GrabSettings, **kw):
    plan = plan_capture("synthetic", tmp_path / "cap", event=event, fast=True, grabs=look,
                        clock=SimulatedClock(START), seed=2)  # fmt: skip
    return run_capture(plan, detect_rounds=False, **kw)


def _white_px(path: Path, right: int = -30) -> int:
    """White pixels of the plot area below the stamp (the outlines), left of ``right``."""
    import matplotlib.image

    img = matplotlib.image.imread(path)[60:-50, 75:right, :3]
    return int(np.count_nonzero(img.min(axis=2) > 0.9))


def test_capture_writes_a_grab_per_frame_the_stack_and_runs_the_hook(tmp_path, event):
    log = tmp_path / "hook.log"
    hook = (f"{sys.executable} -c \"import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')\""
            f" {log} {{path}}")  # fmt: skip
    look = grab_settings(tmp_path / "grabs", callsign="N0CALL", on_grab=hook)
    seen, loops, waterfalls = [], [], []

    def on_grab(path: Path) -> None:
        seen.append(path)
        waterfalls.append(loops[0].grabber.waterfall())

    result = _capture(tmp_path, event, look, on_loop=loops.append, on_grab=on_grab)
    names = [p.name for p in result.grabs]
    # frames of 30 s from the event's start (00:00:02): 23:59:32 (2 s before it), the two
    # rounds, then the tail up to 30 s after the last key-up; the stack after each round
    assert names == [
        "N0CALL_10m_20261204_235932Z_event.png", "N0CALL_10m_20261205_000002Z_event.png",
        "N0CALL_10m_20261205_000002Z_stack_event.png", "N0CALL_10m_20261205_000032Z_event.png",
        "N0CALL_10m_20261205_000102Z_event.png",
    ]  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "grabs").iterdir()) == sorted(names)
    assert seen.count(tmp_path / "grabs" / names[2]) == 2  # rewritten after round 2
    assert log.read_text().splitlines() == [str(p) for p in seen]  # the hook got each path
    # the rounds' frames and the stack have their key-downs outlined; the tail has none
    assert _white_px(tmp_path / "grabs" / names[1]) > 500
    assert _white_px(tmp_path / "grabs" / names[2]) > 500
    assert _white_px(tmp_path / "grabs" / names[-1], right=600) == 0  # (its data: 26 s)
    wf = next(w for w in waterfalls if w is not None).to_json()
    assert wf["version"] == 1 and wf["label"] == "event" and wf["freq_hz"] == 28.4e6
    assert wf["column_s"] == 0.5 and wf["freq_step_hz"] == 1.0 and wf["n_freq"] == 101
    pixels = base64.b64decode(wf["pixels_b64"])
    assert len(pixels) == wf["n_time"] * wf["n_freq"] and wf["db_lo"] < wf["db_hi"]


def test_a_failing_or_hanging_hook_is_said_and_the_capture_goes_on(tmp_path, event, caplog):
    notes: list[str] = []
    hook = (f"{sys.executable} -c \"import sys, time; "
            f"time.sleep(30) if 'stack' in sys.argv[1] else sys.exit(3)\" {{path}}")  # fmt: skip
    look = grab_settings(tmp_path / "grabs", on_grab=hook, hook_timeout_s=0.5)
    with caplog.at_level(logging.WARNING, logger="station.qrss"):
        result = _capture(tmp_path, event, look, on_note=notes.append)
    assert result.stop_reason == "event end" and len(result.grabs) == 5
    timeouts = [n for n in notes if "timed out after 0.5 s (killed)" in n]
    assert len(timeouts) == 2 and timeouts[0].startswith("--on-grab ")  # the stack, twice
    assert sum(" exit 3 for " in n for n in notes) == 4  # the frames
    assert sum("--on-grab" in r.getMessage() for r in caplog.records) == 6


def test_capture_cli_refuses_a_bad_palette_in_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "station.cli", "capture", "--source", "synthetic", "--out",
         str(tmp_path / "c"), "--freq-mhz", "28.4", "--grabs", str(tmp_path / "g"),
         "--palette", "rainbowz", "--duration-s", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin",
             "HI_STATION_CONFIG": str(tmp_path / "none.toml")},
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --palette='rainbowz' is not a matplotlib colormap (e.g. viridis, magma, gray, "
        "inferno)"
    ]
    assert not (tmp_path / "c").exists()
