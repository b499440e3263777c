"""Source strings of the CLI, and the settings an RTL-SDR accepts.

:func:`station.sdr.factory.open_source` turns ``--source`` strings into an (unopened)
:class:`~station.sdr.base.IQSource`:

==========================  ===============================================
``rtlsdr``                  first RTL-SDR dongle (pyrtlsdr, index 0)
``rtlsdr:N``                dongle number ``N`` (up to 3 digits, no leading 0)
``rtlsdr:SERIAL``           dongle with that USB serial (e.g. ``00000001``)
``rtl_tcp://host:port``     an ``rtl_tcp`` server (port 1234 when omitted)
``file:PATH``               replay of a recording (SigMF, raw ``.cu8``, I/Q WAV)
``synthetic``               keyed carriers plus noise, no hardware
``audio:DEVICE``            a sound card (PortAudio device name or index) fed by an
                            SSB receiver's audio (needs the dial and sideband)
==========================  ===============================================

:class:`RtlSettings` checks tuning before any device or connection is touched: the
R820T/R820T2 tunes 24-1766 MHz, and librtlsdr accepts only sample rates of
225 001-300 000 and 900 001-3 200 000 S/s (others fail with ``-EINVAL``).

Examples
--------
>>> s = RtlSettings.checked(center_freq_hz=28.2e6, sample_rate_hz=240e3, gain_db=29.7)
>>> s.center_freq_hz, s.sample_rate_hz, s.gain_tenth_db, s.freq_correction_ppm
(28200000, 240000, 297, 0)
>>> parse_source("rtl_tcp://192.168.1.5:1234")
('rtl_tcp', ('192.168.1.5', 1234))
>>> parse_source("rtlsdr:2"), parse_source("rtlsdr")
(('rtlsdr', '2'), ('rtlsdr', '0'))
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from station.errors import InputError

__all__ = [
    "GAIN_RANGE_DB",
    "PPM_LIMIT",
    "SAMPLE_RATE_RANGES_HZ",
    "SOURCE_FORMS",
    "TUNER_RANGE_HZ",
    "RtlSettings",
    "check_sample_rate",
    "parse_source",
]

logger = logging.getLogger(__name__)

#: Sample rates librtlsdr accepts (``rtlsdr_set_sample_rate``), inclusive, S/s.
SAMPLE_RATE_RANGES_HZ = ((225_001, 300_000), (900_001, 3_200_000))
#: Tuning range of the R820T/R820T2 tuner, Hz.
TUNER_RANGE_HZ = (24_000_000, 1_766_000_000)
#: Tuner gains hi-station accepts, dB (R820T: 0-49.6 dB; E4000 starts at -1 dB).
GAIN_RANGE_DB = (-10.0, 60.0)
#: Largest frequency correction accepted, ppm (a dongle is typically within +-100).
PPM_LIMIT = 1000
#: The ``--source`` forms, for help texts and error messages.
SOURCE_FORMS = (
    "rtlsdr, rtlsdr:N, rtlsdr:SERIAL, rtl_tcp://HOST:PORT, file:PATH, synthetic, audio:DEVICE"
)
_DEFAULT_RTL_TCP_PORT = 1234


def check_sample_rate(sample_rate_hz: float) -> int:
    """Round ``sample_rate_hz`` to whole S/s and check that the RTL2832U accepts it.

    Raises
    ------
    InputError
        Non-finite, or outside 225 001-300 000 and 900 001-3 200 000 S/s.

    Examples
    --------
    >>> check_sample_rate(2.4e6)
    2400000
    >>> check_sample_rate(500e3)
    Traceback (most recent call last):
    ...
    station.errors.InputError: sample_rate_hz=500000 is not a rate the RTL2832U accepts: \
use 225001-300000 or 900001-3200000 S/s (e.g. 240000 or 2400000)
    """
    rate = float(sample_rate_hz)
    if not math.isfinite(rate):
        raise InputError(f"sample_rate_hz={sample_rate_hz} must be a finite rate in S/s")
    whole = int(round(rate))
    if not any(lo <= whole <= hi for lo, hi in SAMPLE_RATE_RANGES_HZ):
        ranges = " or ".join(f"{lo}-{hi}" for lo, hi in SAMPLE_RATE_RANGES_HZ)
        raise InputError(
            f"sample_rate_hz={sample_rate_hz:g} is not a rate the RTL2832U accepts: use "
            f"{ranges} S/s (e.g. 240000 or 2400000)"
        )
    return whole


@dataclass(frozen=True, slots=True)
class RtlSettings:
    """Checked tuning of an RTL-SDR, in the integers librtlsdr and ``rtl_tcp`` take.

    Attributes
    ----------
    center_freq_hz : int
    sample_rate_hz : int
    gain_tenth_db : int or None
        Manual tuner gain in tenths of dB; None for automatic gain.
    freq_correction_ppm : int
    """

    center_freq_hz: int
    sample_rate_hz: int
    gain_tenth_db: int | None
    freq_correction_ppm: int

    @property
    def gain_db(self) -> float | None:
        """Manual gain in dB, None for automatic."""
        return None if self.gain_tenth_db is None else self.gain_tenth_db / 10

    @classmethod
    def checked(
        cls,
        *,
        center_freq_hz: float,
        sample_rate_hz: float,
        gain_db: float | None = None,
        freq_correction_ppm: float = 0,
    ) -> RtlSettings:
        """Validate settings (rounding frequency and rate to whole Hz).

        Raises
        ------
        InputError
            A value outside what the tuner or librtlsdr accepts; the message names it.
        """
        freq = float(center_freq_hz)
        if not math.isfinite(freq):
            raise InputError(f"center_freq_hz={center_freq_hz} must be a finite frequency in Hz")
        lo, hi = TUNER_RANGE_HZ
        if not lo <= round(freq) <= hi:
            raise InputError(
                f"center_freq_hz={freq:g} is outside the R820T tuning range {lo / 1e6:g}-"
                f"{hi / 1e6:g} MHz (direct sampling below it is not supported)"
            )
        rate = check_sample_rate(sample_rate_hz)
        tenths = None
        if gain_db is not None:
            g = float(gain_db)
            if not (math.isfinite(g) and GAIN_RANGE_DB[0] <= g <= GAIN_RANGE_DB[1]):
                raise InputError(
                    f"gain_db={gain_db} must be within {GAIN_RANGE_DB[0]:g}..{GAIN_RANGE_DB[1]:g}"
                    " dB (R820T: 0-49.6 dB), or None for automatic gain"
                )
            tenths = int(round(g * 10))
        ppm = float(freq_correction_ppm)
        if not (math.isfinite(ppm) and ppm == round(ppm) and abs(ppm) <= PPM_LIMIT):
            raise InputError(
                f"freq_correction_ppm={freq_correction_ppm} must be a whole number of ppm "
                f"within +-{PPM_LIMIT} (librtlsdr takes integers)"
            )
        return cls(int(round(freq)), rate, tenths, int(ppm))


def parse_source(spec: str) -> tuple[str, Any]:
    """Split a ``--source`` string into its kind and argument.

    Returns
    -------
    tuple
        ``("rtlsdr", device)`` with device an index or serial (str),
        ``("rtl_tcp", (host, port))``, ``("file", path)``, ``("synthetic", None)`` or
        ``("audio", device)``.

    Raises
    ------
    InputError
        Anything else; the message lists the forms.
    """
    text = str(spec).strip()
    low = text.lower()
    bad = InputError(f"--source {spec!r} is not a source; use one of {SOURCE_FORMS}")
    if low == "synthetic":
        return "synthetic", None
    if low == "rtlsdr":
        return "rtlsdr", "0"
    if low.startswith("rtlsdr:"):
        device = text.split(":", 1)[1].strip()
        if not device:
            raise bad
        return "rtlsdr", device
    if low.startswith("audio:"):
        device = text.split(":", 1)[1].strip()
        if not device:
            raise bad
        return "audio", device
    if low.startswith("file:"):
        path = text.split(":", 1)[1]
        if not path:
            raise bad
        return "file", Path(path)
    if low.startswith("rtl_tcp://"):
        try:
            # urlsplit does not take "_" in a scheme: parse the part after it.
            parts = urlsplit("//" + text[len("rtl_tcp://") :])
            port = _DEFAULT_RTL_TCP_PORT if parts.port is None else parts.port
            if port == 0:
                raise ValueError("port 0")
        except ValueError:
            raise InputError(
                f"--source {spec!r}: the port must be a number 1-65535 (rtl_tcp://HOST:PORT)"
            ) from None
        if not parts.hostname or parts.path not in ("", "/"):
            raise bad
        return "rtl_tcp", (parts.hostname, port)
    raise bad
