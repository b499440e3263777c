"""Known-template detection (stub; being implemented)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dsp.results import Detection

__all__ = ["detect"]


def detect(
    samples: np.ndarray,
    sample_rate_hz: float,
    rounds_s: Sequence[np.ndarray],
    *,
    center_hz: float = 0.0,
    search_hz: float = 1000.0,
    max_drift_hz_per_s: float = 1 / 60,
    pfa: float = 1e-3,
) -> Detection:
    """Detect scheduled key-down intervals (one (n, 2) array per round, seconds from sample 0)."""
    raise NotImplementedError
