"""Default tuning of a live capture: the centre and rate for the channels wanted."""

from __future__ import annotations

import pytest

from station.capture.tuning import choose_tuning


@pytest.mark.parametrize(
    ("freqs", "center", "rate", "expected"),
    [
        ([28.25e6, 28.31e6], None, None, (28.28e6, 240e3)),
        ([28.1e6, 28.3e6], None, None, (28.2e6, 240e3)),  # +-100 kHz still fits
        ([28.1e6, 28.31e6], None, None, (28.205e6, 2.4e6)),
        ([28.3e6], 28.25e6, None, (28.25e6, 240e3)),
        ([28.3e6], 28.1e6, None, (28.1e6, 2.4e6)),
        ([28.3e6], None, 1.024e6, (28.3e6, 1.024e6)),
    ],
)
def test_default_tuning(freqs, center, rate, expected):
    assert choose_tuning(freqs, center_freq_hz=center, sample_rate_hz=rate) == expected
