"""The exception type raised by :mod:`dsp` for impossible inputs.

:mod:`dsp` cannot import :mod:`station`, so it has its own small error class; the
CLI treats it like :class:`station.errors.StationError` (one line, exit code 2).
"""

__all__ = ["DspValueError", "check_search", "check_samples"]


import numpy as np


class DspValueError(ValueError):
    """A parameter or array is outside what the algorithm accepts.

    The message names the parameter, its value and the rule.
    """


def check_samples(samples, sample_rate_hz: float, **positive: float) -> np.ndarray:
    """Return ``samples`` as a 1-D finite array; check the rate and ``positive`` parameters.

    Examples
    --------
    >>> check_samples([1.0, 2.0], 10.0, dit_s=0.0)
    Traceback (most recent call last):
    ...
    dsp.errors.DspValueError: dit_s=0.0 must be a finite number > 0
    """
    x = np.asarray(samples)
    if x.ndim != 1 or x.size == 0:
        raise DspValueError(f"samples has shape {x.shape}; expected one non-empty channel (1-D)")
    if not (np.isfinite(sample_rate_hz) and sample_rate_hz > 0):
        raise DspValueError(f"sample_rate_hz={sample_rate_hz} must be a finite rate > 0 Hz")
    if not np.all(np.isfinite(x)):
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise DspValueError(f"samples[{bad}]={x[bad]} is not finite; the recording holds NaN/inf")
    for name, value in positive.items():
        if not (np.isfinite(value) and value > 0):
            raise DspValueError(f"{name}={value} must be a finite number > 0")
    return x


def check_search(pfa: float, max_drift_hz_per_s: float) -> None:
    """Check a false-alarm probability and a drift range."""
    if not 0 < pfa < 1:
        raise DspValueError(f"pfa={pfa} must be a probability between 0 and 1")
    if not (np.isfinite(max_drift_hz_per_s) and max_drift_hz_per_s >= 0):
        raise DspValueError(f"max_drift_hz_per_s={max_drift_hz_per_s} must be >= 0")
