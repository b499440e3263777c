"""The one protocol every I/Q source follows, and the block it yields.

Sources (:mod:`station.sdr`): an RTL-SDR dongle through pyrtlsdr, an ``rtl_tcp``
server, a file being replayed, and a synthetic band of keyed carriers.  Each is
opened, read block by block, and closed; a block says where it sits in the stream
and how many samples were lost just before it (a dropped connection, a slow reader).

Examples
--------
>>> import numpy as np
>>> b = IQBlock(np.zeros(4, np.complex64), start_sample=8, dropped_before=2)
>>> b.end_sample
12
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["IQBlock", "IQSource", "SourceInfo"]


@dataclass(frozen=True, eq=False)
class IQBlock:
    """A run of consecutive samples.

    Attributes
    ----------
    samples : ndarray of complex64
        Scaled to about +-1 full scale.
    start_sample : int
        Index of the first sample in the stream, counting lost samples too (so time
        is ``start_sample / sample_rate_hz`` after the stream start).
    dropped_before : int
        Samples lost just before this block (0 normally).
    raw : bytes or None
        The bytes as received (interleaved u8 I/Q for RTL sources), for ``--raw``.
    """

    samples: np.ndarray
    start_sample: int
    dropped_before: int = 0
    raw: bytes | None = field(default=None, repr=False)

    @property
    def end_sample(self) -> int:
        """Index one past the last sample."""
        return self.start_sample + len(self.samples)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a source is, for SigMF capture metadata.

    Attributes
    ----------
    sample_rate_hz : float
    center_freq_hz : float
        RF frequency of 0 Hz baseband, Hz.
    start_utc : datetime or None
        UTC of sample 0 (None until known).
    hardware : str
        SigMF ``core:hw`` (e.g. ``"RTL-SDR R820T via rtl_tcp 127.0.0.1:1234"``).
    datatype : str
        SigMF datatype of :attr:`IQBlock.raw` (``"cu8"``), or ``""`` when there is none.
    freq_correction_ppm : float
    gain_db : float or None
        None = automatic gain.
    """

    sample_rate_hz: float
    center_freq_hz: float
    start_utc: datetime | None
    hardware: str
    datatype: str = ""
    freq_correction_ppm: float = 0.0
    gain_db: float | None = None


@runtime_checkable
class IQSource(Protocol):
    """A stream of complex baseband samples."""

    def open(self) -> SourceInfo:
        """Start the stream (tune, set the rate) and say what it is."""
        ...

    def read(self, n: int) -> IQBlock | None:
        """Return the next block of up to ``n`` samples, or None at the end of the stream."""
        ...

    def close(self) -> None:
        """Stop the stream and release the device or connection (idempotent)."""
        ...
