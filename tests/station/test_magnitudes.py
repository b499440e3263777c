"""Magnitudes are checked where they enter: no value asks for terabytes or overflows."""

from __future__ import annotations

import numpy as np
import pytest

from dsp.errors import DspValueError
from dsp.radiometer import radiometer_test
from tests.station.helpers import assert_one_error_line, invoke


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--sample-rate-hz", "1e12"], "--sample-rate-hz=1000000000000.0 must be at most"),
        (["--lead-s", "1e9"], "more than the 2e+07 one recording may hold"),
        (["--snr2500-db", "1e308"], "--snr2500-db=1e+308 must be within -200..200 dB"),
    ],
)
def test_encode_refuses_values_that_would_exhaust_the_machine(runner, tmp_path, args, fragment):
    result = invoke(runner, "encode", "HI", "--out", str(tmp_path / "x"), "--dit-s", "1", *args)
    assert_one_error_line(result, fragment)
    assert list(tmp_path.iterdir()) == []


def test_capture_refuses_an_endless_duration(runner, tmp_path):
    result = invoke(runner, "capture", "--source", "synthetic", "--freq-mhz", "28.25",
                    "--out", str(tmp_path / "cap"), "--duration-s", "1e308")  # fmt: skip
    assert_one_error_line(result, "--duration-s=1e+308 must be a time > 0 s and at most")
    assert not (tmp_path / "cap").exists()


def test_a_background_that_bends_faster_than_the_keying_is_refused():
    t = np.arange(0.0, 600.0)
    with pytest.raises(DspValueError, match="at least twice the longest key-down"):
        radiometer_test(t, np.ones_like(t), [[100.0, 130.0]], [1], background_knot_s=1e-6)
