"""Blind slow-Morse decoding (stub; being implemented)."""

from __future__ import annotations

import numpy as np

from dsp.results import Decoded

__all__ = ["decode"]


def decode(
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    center_hz: float = 0.0,
    search_hz: float = 1000.0,
    min_dit_s: float = 0.04,
    max_dit_s: float = 130.0,
    max_drift_hz_per_s: float = 1 / 60,
    pfa: float = 1e-3,
) -> Decoded:
    """Decode Morse of unknown text, speed, frequency and drift."""
    raise NotImplementedError
