"""A planned single-precision forward FFT of one size: FFTW when installed, else pocketfft.

The channelizer transforms one buffer of the same size over and over (3-4 frames per
second of a 240 kS/s stream, ~30 at 2.4 MS/s), which is what FFTW's planned
transforms are made for: on these machines FFTW (``pyfftw``, planned with
``FFTW_ESTIMATE`` in about a millisecond) is 2-3x faster than scipy's pocketfft for
the sizes the channelizer picks (see ``bench/throughput.py``, which times both in one
run).  ``pyfftw`` is optional (the ``fftw`` extra) because the FFTW library it bundles
is GPL-licensed while hi-station is MIT: without it, :func:`scipy.fft.fft` is used,
with the same results to single-precision rounding.

``FFTW_MEASURE`` planning is not used: it takes seconds to a minute for these sizes
(measured 2.7 s at 77,760 points, 55 s at 777,600) for a further 1.2-1.7x.

Examples
--------
>>> import numpy as np
>>> f = ForwardFft(8, engine="scipy")
>>> f.input[:] = np.exp(2j * np.pi * np.arange(8) / 8)
>>> spec = f()
>>> int(np.argmax(np.abs(spec))), f.engine
(1, 'scipy')
"""

from __future__ import annotations

import threading
from typing import Literal

import numpy as np
import scipy.fft

from dsp.errors import DspValueError

__all__ = ["ENGINES", "ForwardFft", "fftw_available", "release_plans"]

#: Accepted ``engine`` values: ``auto`` takes FFTW when ``pyfftw`` imports.
ENGINES = ("auto", "fftw", "scipy")
Engine = Literal["auto", "fftw", "scipy"]

#: Plans scipy's pocketfft keeps (an LRU cache per process, size fixed in its C++).
_POCKETFFT_PLANS = 16
#: Transforms at least this long release their plan afterwards (:func:`release_plans`).
LONG_FFT = 1 << 20


def release_plans(n: int) -> None:
    """Drop scipy's cached pocketfft plans after a transform of ``n`` >= :data:`LONG_FFT` points.

    pocketfft keeps its last 16 plans, and a plan holds about 8 bytes of twiddle
    factors per point: after one transform of a whole hour at 2,667 S/s, 77 MB stay
    allocated until 16 other sizes have been planned.  scipy has no call to empty
    that cache, so this plans 16 tiny distinct sizes (microseconds), which pushes the
    long plans out.  Short transforms (``n`` below the limit) keep their plans.

    Examples
    --------
    >>> release_plans(10)   # short: nothing to do
    """
    if n < LONG_FFT:
        return
    for k in range(_POCKETFFT_PLANS):
        scipy.fft.fft(np.zeros(3 + k, np.complex64))

_PLAN_LOCK = threading.Lock()  # FFTW's planner is not thread-safe


def fftw_available() -> bool:
    """Whether ``pyfftw`` (FFTW) can be imported.

    Examples
    --------
    >>> isinstance(fftw_available(), bool)
    True
    """
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return False
    return True


class ForwardFft:
    """A complex64 forward FFT of ``size`` points of :attr:`input`, planned once.

    Parameters
    ----------
    size : int
        Transform length (> 0).
    engine : {"auto", "fftw", "scipy"}, optional
        ``fftw`` needs ``pyfftw`` (``pip install 'hi-station[fftw]'``); ``auto``
        (default) uses it when installed, else scipy's pocketfft.

    Attributes
    ----------
    input : ndarray of complex64, shape (size,)
        Fill this, then call; calling leaves it unchanged.
    engine : str
        ``"fftw"`` or ``"scipy"``: the engine actually used.

    Raises
    ------
    DspValueError
        A size below 1, an unknown engine, or ``fftw`` without ``pyfftw``.
    """

    def __init__(self, size: int, engine: Engine = "auto") -> None:
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise DspValueError(f"size={size!r} must be a whole number of points >= 1")
        if engine not in ENGINES:
            raise DspValueError(f"engine={engine!r} must be one of {', '.join(ENGINES)}")
        if engine == "fftw" and not fftw_available():
            raise DspValueError(
                "engine='fftw' needs pyfftw: pip install 'hi-station[fftw]' (or use 'scipy')"
            )
        self.size = int(size)
        use_fftw = engine == "fftw" or (engine == "auto" and fftw_available())
        self.engine = "fftw" if use_fftw else "scipy"
        if self.engine == "fftw":
            import pyfftw

            self.input = pyfftw.empty_aligned(self.size, dtype="complex64")
            self._output = pyfftw.empty_aligned(self.size, dtype="complex64")
            self.input[:] = 0
            with _PLAN_LOCK:
                self._plan = pyfftw.FFTW(
                    self.input, self._output, flags=("FFTW_ESTIMATE",), threads=1
                )
        else:
            self.input = np.zeros(self.size, np.complex64)
            self._plan = None

    def __call__(self) -> np.ndarray:
        """Return the spectrum of :attr:`input` (complex64; valid until the next call)."""
        if self._plan is not None:
            return self._plan()
        return scipy.fft.fft(self.input, workers=1)
