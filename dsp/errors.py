"""The one exception type raised by :mod:`dsp` for impossible inputs.

:mod:`dsp` cannot import :mod:`station`, so it has its own small error class; the
CLI treats it like :class:`station.errors.StationError` (one line, exit code 2).
"""

__all__ = ["DspValueError"]


class DspValueError(ValueError):
    """A parameter or array is outside what the algorithm accepts.

    The message names the parameter, its value and the rule.
    """
