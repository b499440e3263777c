from datetime import UTC, datetime

import numpy as np
import pytest

from dsp.spectrogram import qrss_spectrogram
from station.errors import RecordingExistsError
from station.replay.qrss import Outline, frame_starts_utc, grab_name, render_grab


def test_grab_is_a_png_with_its_conventional_name_and_never_overwritten(tmp_path):
    t0 = datetime(2013, 10, 9, 18, 0, tzinfo=UTC)
    x = np.random.default_rng(0).standard_normal(200 * 120).astype(np.complex64)
    spec = qrss_spectrogram(x, 200.0, bin_hz=0.5, span_hz=50.0)
    path = tmp_path / grab_name("G4ABC/P", t0)
    assert path.name == "G4ABC-P_10m_20131009_1800Z.png"
    out = render_grab(
        spec, path, frame_start_utc=t0, frame_s=600, dial_freq_hz=28.4e6, callsign="G4ABC/P",
        grid="IO91wm", outlines=[Outline(0, 30, "lime")],
    )  # fmt: skip
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    with pytest.raises(RecordingExistsError):
        render_grab(spec, path, frame_start_utc=t0, frame_s=600, dial_freq_hz=None)
    assert out.read_bytes() == data


def test_frames_are_aligned_to_the_clock():
    t0 = datetime(2013, 10, 9, 18, 5, 0, tzinfo=UTC)
    assert [f"{t:%H:%M}" for t in frame_starts_utc(t0, 1200.0)] == ["18:00", "18:10", "18:20"]
