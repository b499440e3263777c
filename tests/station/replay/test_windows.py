"""Long channels decoded window by window (memory bounded), one window per round with an event."""

from __future__ import annotations

from station.replay import replay
from tests.station.replay.conftest import JUNO


def test_long_channels_are_decoded_in_windows(band_cu8, fast_event, monkeypatch):
    import station.replay.windows as windows

    monkeypatch.setattr(windows, "DECODE_WINDOW_S", 10.0)
    freqs = [JUNO.table_hz["G"]]
    r = replay(band_cu8, freqs_hz=freqs)
    # 32 s in 10 s windows; the last 2 s are too short to decode alone
    assert [s for s, _ in r.channels[0].windows] == [0.0, 10.0, 20.0]
    r = replay(band_cu8, freqs_hz=freqs, event=fast_event)
    ((start, decoded),) = r.channels[0].windows  # one window: the round and a minute around it
    assert start == 0.0 and decoded.text == "HI" and r.channels[0].decoded is decoded
