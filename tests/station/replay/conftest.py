"""Shared by the replay tests: a 32 s band with HI on three 2013 frequencies, a fast event."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.recording import SigmfStreamWriter
from station.schedule.event import load_event
from station.sdr.synthetic import Carrier, SyntheticSource

JUNO = load_event("juno-2013-10-09")
START = datetime(2013, 10, 9, 17, 59, 58, tzinfo=UTC)
RATE = 240_000.0
CENTER = 28.3e6
HI_AT = ("G", "H", "I")  # 28.250, 28.280, 28.310 MHz in the reconstructed table


@pytest.fixture(scope="module")
def fast_event(tmp_path_factory):
    """The 2013 event's frequency table with 2 s dits (so a round fits in 26 s)."""
    text = JUNO.source and Path(JUNO.source).read_text(encoding="utf-8")
    text = text.replace("dit_s = 30.0", "dit_s = 2.0").replace(
        "round_period_s = 600.0", "round_period_s = 40.0"
    )
    text = text.replace("start_utc = 2013-10-09T18:00:00Z", "start_utc = 2013-10-09T18:00:00Z")
    path = tmp_path_factory.mktemp("ev") / "fast.toml"
    path.write_text(text, encoding="utf-8")
    return load_event(path)


def synthetic_band(**kw):
    """HI at -15 dB on three channels of the 2013 table, 32 s from :data:`START`."""
    carriers = [Carrier(JUNO.table_hz[c], "HI", 2.0, 2.0, -15.0) for c in HI_AT]
    return SyntheticSource(center_freq_hz=CENTER, sample_rate_hz=RATE, carriers=carriers,
                           seed=7, start_utc=START, duration_s=32.0, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def band_cu8(tmp_path_factory):
    src = synthetic_band(cu8=True)
    info = src.open()
    path = tmp_path_factory.mktemp("band") / "band"
    with SigmfStreamWriter.from_source(path, info) as w:
        while (b := src.read(1 << 17)) is not None:
            w.write_block(b)
    return path
