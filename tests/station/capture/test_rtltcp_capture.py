"""Capture from the in-process rtl_tcp server: bit-exact raw, channels, annotations, a drop."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import sigmf

from station.recording import read_gaps
from tests.station.capture.conftest import (
    CENTER_HZ,
    CH_HZ,
    DIT_S,
    LEAD_S,
    RATE_HZ,
    TONE_OFFSET_HZ,
    annotations,
    band,
    expected_cu8,
    meta,
    peak_hz,
)
from tests.station.helpers import invoke

CH_RATE = 2000.0
D = int(RATE_HZ / CH_RATE)


def _capture(runner, server, out, *extra):
    result = invoke(
        runner, "capture", "--source", server.url, "--out", out, "--freq-mhz", CH_HZ[0] / 1e6,
        "--freq-mhz", CH_HZ[1] / 1e6, "--raw", "--json", "--gain-db", 29.7, "--ppm", -3, *extra,
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return json.loads(result.stdout)


def test_raw_is_bit_exact_channels_hold_the_tones_and_the_schedule(
    runner, tmp_path, server_factory, event_now
):
    src = band()
    server = server_factory(src, pace=False)
    out = tmp_path / "cap"
    summary = _capture(runner, server, out, "--duration-s", 4, "--schedule", event_now)
    n = int(4 * RATE_HZ)
    assert summary["samples"] == n and summary["stop_reason"] == "duration"
    assert summary["gaps"] == 0 and summary["samples_dropped"] == 0
    assert (summary["center_freq_hz"], summary["sample_rate_hz"]) == (CENTER_HZ, RATE_HZ)
    assert server.gain_tenth_db == 297 and server.freq_correction_ppm == -3 and not server.errors
    # An unpaced server delivers 4 s in a fraction of that: not a live receiver, and said so,
    # in the summary and over every recording.
    (warning,) = summary["warnings"]
    assert "faster than the sample rate: not a live receiver" in warning
    for path in out.glob("*.sigmf-meta"):
        (note,) = annotations(path, "source-rate")
        assert note["core:sample_start"] == 0 and note["core:comment"] == warning

    # The raw stream, read back by the sigmf package, is exactly what the server sent.
    raw_meta = out / "raw_28.280000MHz.sigmf-meta"
    rec = sigmf.fromfile(raw_meta)  # checks core:sha512
    rec.validate()
    assert rec.get_global_field("core:datatype") == "cu8" and rec.sample_count == n
    assert server.samples_sent >= n
    sent = expected_cu8(src, 0, n)
    assert (out / "raw_28.280000MHz.sigmf-data").read_bytes() == sent
    u8 = np.frombuffer(sent, np.uint8).astype(np.float32)
    assert np.array_equal(rec.read_samples(), ((u8 - 128) / 128).view(np.complex64))

    for (label, freq), offset in zip(zip(("f1", "f2"), CH_HZ, strict=True), TONE_OFFSET_HZ,
                                     strict=True):  # fmt: skip
        path = out / f"{label}_{freq / 1e6:.6f}MHz.sigmf-meta"
        handle = sigmf.fromfile(path)
        handle.validate()
        glob = handle.get_global_info()
        assert glob["core:datatype"] == "cf32_le" and glob["core:sample_rate"] == CH_RATE
        assert glob["core:hw"] == f"rtl_tcp {server.address[0]}:{server.address[1]} (tuner R820T)"
        assert glob["hi_station:freq_correction_ppm"] == -3.0 and "core:sha512" in glob
        capture = handle.get_captures()[0]
        assert capture["core:frequency"] == freq
        assert capture["core:datetime"] == summary["start_utc"]
        assert handle.sample_count == n // D
        x = handle.read_samples()
        # The keyed tone sits at its offset from the channel centre ...
        assert abs(peak_hz(x, CH_RATE) - offset) <= 2 * CH_RATE / x.size
        # ... and is on exactly during the scheduled key-downs, which are annotated.
        downs = annotations(path, "key-down")
        assert [a["core:comment"] for a in downs[:3]] == [f"round 1 element {m}" for m in (1, 2, 3)]
        assert all("element 5" not in a["core:comment"] for a in downs)
        first = downs[0]["core:sample_start"]
        # The schedule started at the fixture, the stream (and its keying) a moment
        # later: 0.1-0.25 s on a loaded 2-core machine.
        late_s = LEAD_S - first / CH_RATE
        assert 0 <= late_s < 0.3
        assert downs[0]["core:sample_count"] == round(DIT_S * CH_RATE)
        assert downs[0]["core:freq_lower_edge"] < freq < downs[0]["core:freq_upper_edge"]
        power = np.abs(x) ** 2
        inside = np.concatenate([power[a["core:sample_start"] + 100 :
                                       a["core:sample_start"] + a["core:sample_count"] - 100]
                                 for a in downs[:3]])  # fmt: skip
        # the first key-up, [0.5, 1.0) s after the keyed dit began, whatever late_s
        gaps_between = power[first + int((0.55 + late_s) * CH_RATE) :
                             first + int((0.95 + late_s) * CH_RATE)]  # fmt: skip
        assert inside.mean() > 30 * gaps_between.mean()
    validate = shutil.which("sigmf_validate") or str(Path(sys.executable).parent / "sigmf_validate")
    checked = subprocess.run([validate, *map(str, out.glob("*.sigmf-meta"))], capture_output=True,
                             text=True, timeout=60)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    raw_downs = annotations(raw_meta, "key-down")
    assert raw_downs[0]["core:comment"] == "round 1 element 1"
    assert abs(raw_downs[0]["core:sample_start"] / RATE_HZ - first / CH_RATE) < 1e-3


def test_a_dropped_connection_is_a_zero_filled_gap_and_time_stays_right(
    runner, tmp_path, server_factory
):
    src = band(seed=11)
    server = server_factory(src, pace=True)
    timer = threading.Timer(1.2, server.drop, kwargs={"refuse_s": 0.3})
    timer.start()
    out = tmp_path / "cap"
    try:
        summary = _capture(runner, server, out, "--duration-s", 3)
    finally:
        timer.cancel()
    n = int(3 * RATE_HZ)
    assert summary["samples"] == n and summary["reconnects"] == 1 and summary["gaps"] == 1
    assert summary["warnings"] == []  # paced in real time, the gap accounted for
    lost = summary["samples_dropped"]
    assert 0.25 * RATE_HZ < lost < 1.0 * RATE_HZ
    raw = out / "raw_28.280000MHz.sigmf-meta"
    ((g0, count),) = read_gaps(raw)
    # The drop comes 1.2 s after the timer starts, less the capture's start-up (which a
    # loaded machine stretches); where it lands in the stream is checked below, exactly.
    assert count == lost and 0.5 * RATE_HZ < g0 < 1.5 * RATE_HZ
    data = np.fromfile(out / "raw_28.280000MHz.sigmf-data", np.uint8)
    assert data.size == 2 * n and np.all(data[2 * g0 : 2 * (g0 + count)] == 128)
    # Before the gap the file is the stream; after it, the stream where the server was
    # (the client estimates the gap from its clock: a few ms of slack).
    assert data[: 2 * g0].tobytes() == expected_cu8(src, 0, g0)
    after = g0 + count + 1000
    probe = data[2 * after : 2 * (after + 4096)].tobytes()
    slack = int(0.05 * RATE_HZ)
    window = expected_cu8(src, after - slack, 2 * slack + 4096)
    found = window.find(probe)
    assert found >= 0 and found % 2 == 0
    assert abs(found // 2 - slack) < slack
    for label, freq in zip(("f1", "f2"), CH_HZ, strict=True):
        path = out / f"{label}_{freq / 1e6:.6f}MHz.sigmf-meta"
        sigmf.fromfile(path).validate()
        assert read_gaps(path) == ((-(-g0 // D), -(-(g0 + count) // D) - -(-g0 // D)),)
        assert meta(path)["global"]["core:sha512"]
        x = np.fromfile(path.with_suffix(".sigmf-data"), np.complex64)
        assert x.size == n // D
        c0, c1 = read_gaps(path)[0][0], sum(read_gaps(path)[0])
        assert np.abs(x[c0 + 100 : c1 - 100]).max() < 1e-6  # the channelizer saw zeros


def test_a_server_gone_for_good_ends_with_an_error_and_every_file_closed(tmp_path, server_factory):
    from station.capture import plan_capture, run_capture
    from station.errors import SourceError

    server = server_factory(band(), pace=True)
    plan = plan_capture(server.url, tmp_path / "cap", freqs_hz=list(CH_HZ), raw=True)
    plan.source.reconnect_timeout_s = 0.5
    timer = threading.Timer(1.5, server.close)
    timer.start()
    try:
        with pytest.raises(SourceError, match="not back after"):
            run_capture(plan)
    finally:
        timer.cancel()
    for path in plan.channel_paths + (plan.raw_path,):
        handle = sigmf.fromfile(path)  # final metadata with its checksum
        handle.validate()
        assert handle.sample_count > 0
    x = sigmf.fromfile(plan.channel_paths[0]).sample_count
    raw = sigmf.fromfile(plan.raw_path).sample_count
    assert x == -(-raw // D)  # the channelizer's last outputs were kept


def test_a_flooding_server_is_a_warning_line_not_a_clean_capture(runner, tmp_path, server_factory):
    # 4 s of samples delivered in a fraction of a second: not a live receiver, and the
    # text summary says so on a line of its own (the JSON test above: in "warnings").
    server = server_factory(band(), pace=False)
    result = invoke(runner, "capture", "--source", server.url, "--out", tmp_path / "cap",
                    "--freq-mhz", CH_HZ[0] / 1e6, "--duration-s", 4)  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(x.startswith("captured 4.0 s") for x in lines)
    (warning,) = [x for x in lines if x.startswith("warning: ")]
    assert "faster than the sample rate: not a live receiver (4.0 s of signal in" in warning


def test_a_server_far_slower_than_its_rate_stops_on_time_and_says_so(
    runner, tmp_path, server_factory
):
    # A tenth of the rate: --duration-s 2 would take 20 s of samples; the capture stops
    # LATE_S after the planned end by the clock, with what arrived, and says so.
    from station.capture.loop import LATE_S

    server = server_factory(band(), pace=True, block_s=0.05)
    server.speed = 0.1
    t0 = time.monotonic()
    summary = _capture(runner, server, tmp_path / "cap", "--duration-s", 2)
    took_s = time.monotonic() - t0
    assert took_s < 2 + LATE_S + 1.5 and summary["stop_reason"] == "duration"
    assert 0 < summary["samples"] < 0.5 * 2 * RATE_HZ
    (warning,) = summary["warnings"]
    assert "slower than the sample rate" in warning and "stopped at the planned end" in warning
    for f in [*summary["channels"], summary["raw"]]:
        assert sigmf.fromfile(f["path"]).sample_count == f["samples"]  # checksum verified
