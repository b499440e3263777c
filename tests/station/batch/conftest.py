"""Shared by the batch tests: four small recordings of a practice event, made by station code.

Three SigMF cu8 recordings (20 s at 240 kS/s, each its own noise; one with a
``core:author``) and one raw ``.cu8`` (no metadata), the synthetic band keying HI on
the practice event's frequency on its timing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from station.recording import SigmfStreamWriter
from station.schedule.practice import write_practice_event
from station.sdr.synthetic import Carrier, SyntheticSource

START = datetime(2024, 5, 1, 11, 59, 58, tzinfo=UTC)
RATE = 240_000.0
FREQ = 28.4e6
SECONDS = 20.0


def write_recording(path: Path, seed: int, *, author: str = "", raw: bool = False,
                    overwrite: bool = False) -> Path:
    """A SigMF cu8 (or raw .cu8 data only) of HI keyed as the practice event keys it."""
    carriers = [Carrier(FREQ, "HI", 0.5, 2.0, 10.0, period_s=10.0)]
    src = SyntheticSource(center_freq_hz=FREQ, sample_rate_hz=RATE, carriers=carriers, seed=seed,
                          start_utc=START, duration_s=SECONDS, cu8=True)  # fmt: skip
    info = src.open()
    with SigmfStreamWriter.from_source(path, info, author=author, overwrite=overwrite) as w:
        while (b := src.read(1 << 17)) is not None:
            w.write_block(b)
    if raw:
        data = path.with_name(path.name + ".sigmf-data")
        target = path.with_suffix(".cu8")
        data.rename(target)
        path.with_name(path.name + ".sigmf-meta").unlink()
        return target
    return path.with_name(path.name + ".sigmf-meta")


@pytest.fixture(scope="session")
def practice(tmp_path_factory) -> Path:
    """A practice event: HI at 0.5 s dits, 2 rounds 10 s apart, from START + 2 s."""
    path = tmp_path_factory.mktemp("event") / "practice.toml"
    return write_practice_event(path, start_utc=datetime(2024, 5, 1, 12, tzinfo=UTC), dit_s=0.5,
                                round_period_s=10.0, rounds=2, ident_rule="none")  # fmt: skip


@pytest.fixture(scope="session")
def recordings(tmp_path_factory) -> Path:
    """A folder with g4abc (author G4ABC), b, c (SigMF) and d.cu8 (raw), in sub-folders."""
    folder = tmp_path_factory.mktemp("recs")
    (folder / "sub").mkdir()
    write_recording(folder / "a", 1, author="G4ABC")
    write_recording(folder / "b", 2)
    write_recording(folder / "sub" / "c", 3)
    write_recording(folder / "sub" / "d", 4, raw=True)
    return folder
