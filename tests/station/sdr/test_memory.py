"""Sources stream in constant memory: peak allocation does not grow with the length read.

Measured with tracemalloc (numpy reports its buffers to it); nothing here is timed.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from station.sdr.filesource import FileSource
from station.sdr.synthetic import SyntheticSource

RATE = 240_000
BLOCK = 65_536


def peak_bytes_while_draining(src) -> int:
    src.open()
    tracemalloc.start()
    try:
        while (block := src.read(BLOCK)) is not None:
            del block
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        src.close()


@pytest.mark.parametrize("kind", ["cu8", "sigmf"])
def test_file_replay_peak_memory_does_not_grow_with_file_length(tmp_path, kind):
    peaks = []
    for samples in (1_000_000, 4_000_000):
        u8 = np.full(2 * samples, 128, np.uint8)
        if kind == "cu8":
            path = tmp_path / f"n{samples}.cu8"
            u8.tofile(path)
            src = FileSource(path, sample_rate_hz=RATE, center_freq_hz=28.2e6)
        else:
            import sigmf

            data = tmp_path / f"n{samples}.sigmf-data"
            u8.tofile(data)
            info = {sigmf.DATATYPE_KEY: "cu8", sigmf.SAMPLE_RATE_KEY: RATE}
            handle = sigmf.SigMFFile(data_file=data, global_info=info, skip_checksum=True)
            handle.add_capture(0, metadata={sigmf.FREQUENCY_KEY: 28.2e6})
            handle.tofile(tmp_path / f"n{samples}")
            src = FileSource(tmp_path / f"n{samples}")
        peaks.append(peak_bytes_while_draining(src))
    block_bytes = BLOCK * (8 + 2)  # complex64 samples plus the raw bytes
    assert peaks[1] < 4 * block_bytes
    assert peaks[1] < 1.5 * peaks[0] + 100_000


def test_synthetic_peak_memory_does_not_grow_with_duration():
    carriers = [(28_210_000.0, "HI", 0.5, 0.0, 0.0)]
    peaks = [
        peak_bytes_while_draining(
            SyntheticSource(
                center_freq_hz=28.2e6,
                sample_rate_hz=RATE,
                carriers=carriers,
                seed=1,
                duration_s=seconds,
            )  # fmt: skip
        )
        for seconds in (4, 16)
    ]
    assert peaks[1] < 1.5 * peaks[0] + 100_000
    assert peaks[1] < 10_000_000  # a few 65 536-sample frames in float64 while generating
