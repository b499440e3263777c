"""Fixtures of the capture tests: schedules starting now, a synthetic band, an rtl_tcp server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from dsp.fft import fftw_available
from station.schedule.practice import practice_event_toml
from station.sdr.rtltcp import complex_to_cu8
from station.sdr.rtltcp_server import RtlTcpServer
from station.sdr.synthetic import Carrier, SyntheticSource

# The schedules below start "now + LEAD_S" and the synthetic band keys LEAD_S after
# the stream starts, so a capture should start soon after the fixture: import FFTW
# (0.3 s, once per process, on the first channelizer) before any of that.
fftw_available()

CENTER_HZ = 28_280_000.0
RATE_HZ = 240_000.0
CH_HZ = (28_250_000.0, 28_310_000.0)
#: The keyed carriers sit this far from their channel centres.
TONE_OFFSET_HZ = (100.0, -200.0)
DIT_S = 0.5
LEAD_S = 1.0  # first key-down, s after the stream (and the schedule) start


def write_event(
    path: Path, start_utc: datetime, *, dit_s: float = DIT_S, rounds: int = 1,
    period_s: float = 600.0, freq_hz: float = 28_400_000.0,
) -> Path:  # fmt: skip
    text = practice_event_toml(
        start_utc=start_utc, dit_s=dit_s, rounds=rounds, round_period_s=period_s,
        ident_rule="none", freq_hz=freq_hz,
    )  # fmt: skip
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def event_now(tmp_path):
    """A one-round HI schedule (0.5 s dits) whose first key-down is LEAD_S from now."""
    return write_event(tmp_path / "now.toml", datetime.now(UTC) + timedelta(seconds=LEAD_S))


def band(seed: int = 5) -> SyntheticSource:
    """HI at 0.5 s dits on both channels, offset from their centres, keyed from LEAD_S."""
    carriers = [
        Carrier(f + off, "HI", DIT_S, LEAD_S, 25.0)
        for f, off in zip(CH_HZ, TONE_OFFSET_HZ, strict=True)
    ]
    return SyntheticSource(center_freq_hz=CENTER_HZ, sample_rate_hz=RATE_HZ, carriers=carriers,
                           seed=seed)  # fmt: skip


def expected_cu8(src: SyntheticSource, start: int, n: int) -> bytes:
    """The bytes an RtlTcpServer streaming ``src`` sends for stream positions start..start+n."""
    return complex_to_cu8(src.samples_at(start, n))


@pytest.fixture
def server_factory():
    servers = []

    def make(src: SyntheticSource, **kwargs) -> RtlTcpServer:
        server = RtlTcpServer(lambda s, n, rate, freq: src.samples_at(s, n), **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def meta(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def annotations(path: Path, label: str) -> list[dict]:
    return [a for a in meta(path)["annotations"] if a["core:label"] == label]


def peak_hz(x: np.ndarray, rate: float) -> float:
    spec = np.abs(np.fft.fft(x * np.hanning(x.size)))
    return float(np.fft.fftfreq(x.size, 1 / rate)[int(np.argmax(spec))])
