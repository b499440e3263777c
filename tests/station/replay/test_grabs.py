"""A channel's QRSS grabs: clock-aligned frames named by the convention, one stacked frame."""

from __future__ import annotations

import numpy as np

from station.qrss.settings import GrabSettings
from station.recording import Recording
from station.replay.grabs import channel_grabs
from station.sdr.synthetic import Carrier, SyntheticSource
from tests.station.replay.conftest import START


def _channel(duration_s: float, start=START) -> Recording:
    """HI 20 Hz above a 2 kS/s channel's centre, keyed like the fast event (40 s rounds)."""
    carrier = Carrier(28.25e6 + 20.0, "HI", 2.0, 2.0, 0.0, period_s=40.0)
    src = SyntheticSource(center_freq_hz=28.25e6, sample_rate_hz=2000.0, carriers=[carrier],
                          seed=3, start_utc=START, duration_s=duration_s)  # fmt: skip
    src.open()
    x = np.concatenate([b.samples for b in iter(lambda: src.read(1 << 16), None)])
    return Recording(x, 2000.0, 28.25e6, start, "iq")


def test_frames_and_a_stack_of_the_rounds(tmp_path, fast_event):
    paths = channel_grabs(_channel(100.0), GrabSettings(tmp_path, callsign="N0CALL"), label="G",
                          event=fast_event)  # fmt: skip
    # 17:59:58 + 100 s in frames of the round period (40 s) from the event's start: the
    # 17:59:20 frame holds 2 s, then 18:00:00, 18:00:40 and 18:01:20 (18 s); the two
    # whole rounds (18:00:00, 18:00:40) are stacked.
    assert [p.name for p in paths] == [
        "N0CALL_10m_20131009_175920Z_G.png", "N0CALL_10m_20131009_1800Z_G.png",
        "N0CALL_10m_20131009_180040Z_G.png", "N0CALL_10m_20131009_180120Z_G.png",
        "N0CALL_10m_20131009_1800Z_stack_G.png",
    ]  # fmt: skip
    assert all(p.parent == tmp_path and p.read_bytes()[:4] == b"\x89PNG" for p in paths)


def test_without_a_schedule_or_a_start_time_no_stack(tmp_path):
    paths = channel_grabs(_channel(100.0), GrabSettings(tmp_path), label="G")
    assert [p.name for p in paths] == ["NOCALL_10m_20131009_1800Z_G.png"]
    # no start time: named from the recording's stem and the frame's number, never 1970
    look = GrabSettings(tmp_path, frame_s=20.0, dit_s=2.0)
    unstamped = channel_grabs(_channel(30.0, start=None), look, label="X", stem="rx")
    assert [p.name for p in unstamped] == ["rx_f1_X.png", "rx_f2_X.png"]
    assert unstamped[0].read_bytes()[:4] == b"\x89PNG"
