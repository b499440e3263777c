"""An RTL-SDR dongle through pyrtlsdr (the ``rtlsdr`` extra), imported only in :meth:`open`.

Pitfalls handled (``reference/sdr-and-rig.md`` section 1):

- ``import rtlsdr`` fails in three ways without a compatible librtlsdr
  (``ImportError``; ``AttributeError`` for a missing symbol such as
  ``rtlsdr_set_dithering`` with Debian's 0.6.0 library; ``OSError``); each becomes
  one :class:`~station.errors.SourceError` saying what to install.
- Direct sampling is switched off explicitly: 28 MHz is tuned by the R820T, and the
  direct-sampling path would alias everything above 14.4 MHz.
- ``read_bytes`` returns a ctypes buffer that the next call reuses, so it is copied;
  sync reads are kept to whole 512-byte USB packets (the surplus is kept for the
  next read).
- The frequency correction is only set when non-zero (librtlsdr returns an error
  for "unchanged", which pyrtlsdr raises).

Samples are converted exactly like the ``rtl_tcp`` client
(:func:`station.sdr.rtltcp.cu8_to_complex64`), so recordings from both match.

Examples
--------
>>> src = RtlSdrSource("0", center_freq_hz=28.2e6, sample_rate_hz=240e3, gain_db=None)
>>> src.device, src.settings.sample_rate_hz
(0, 240000)
>>> RtlSdrSource("00000001", center_freq_hz=28.2e6, sample_rate_hz=2.4e6).device
'00000001'
"""

from __future__ import annotations

import logging
import re
from typing import Any

from station.clock import Clock, SystemClock
from station.errors import InputError, SourceError
from station.sdr.base import IQBlock, SourceInfo
from station.sdr.rtltcp import TUNER_TYPES, cu8_to_complex64
from station.sdr.spec import RtlSettings

__all__ = ["INSTALL_HINT", "RtlSdrSource"]

logger = logging.getLogger(__name__)

#: What to do when pyrtlsdr or librtlsdr is missing.
INSTALL_HINT = (
    "install it with: pip install 'hi-station[rtlsdr]' (pyrtlsdr plus pyrtlsdrlib, which "
    "bundles librtlsdr); with Debian's librtlsdr 0.6.0 use pyrtlsdr<=0.3.0 instead"
)
_USB_PACKET_BYTES = 512
_SETTLE_BYTES = 32 * _USB_PACKET_BYTES  # discarded after tuning (8192 samples)
# pyrtlsdr raises LibUSBError (an IOError) from librtlsdr, ValueError/LookupError for
# a serial it cannot find or a setting it cannot take.
_DEVICE_ERRORS = (OSError, ValueError, LookupError)
_INDEX = re.compile(r"0|[1-9][0-9]{0,2}")


def _import_rtlsdr() -> Any:
    try:
        import rtlsdr
    except (ImportError, AttributeError, OSError) as exc:
        first = (str(exc).splitlines() or [""])[0] or type(exc).__name__
        raise SourceError(f"RTL-SDR support is not available ({first}); {INSTALL_HINT}") from None
    return rtlsdr


class RtlSdrSource:
    """An :class:`~station.sdr.base.IQSource` reading a local RTL-SDR dongle.

    Parameters
    ----------
    device : str or int, optional
        Index (``"0"``, ``"1"``: up to 3 digits without a leading zero) or USB serial
        (anything else, e.g. ``"00000001"``).
    center_freq_hz, sample_rate_hz : float
        Checked by :class:`~station.sdr.spec.RtlSettings` before the dongle is opened.
    gain_db : float or None, optional
        Tuner gain (snapped by pyrtlsdr to the nearest supported value); None = auto.
    freq_correction_ppm : int, optional
    clock : Clock, optional
        For ``start_utc``; defaults to the system clock.
    """

    def __init__(
        self,
        device: str | int = "0",
        *,
        center_freq_hz: float,
        sample_rate_hz: float,
        gain_db: float | None = None,
        freq_correction_ppm: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self.settings = RtlSettings.checked(
            center_freq_hz=center_freq_hz,
            sample_rate_hz=sample_rate_hz,
            gain_db=gain_db,
            freq_correction_ppm=freq_correction_ppm,
        )
        text = str(device).strip()
        if not text:
            raise InputError(f"device={device!r} must be a dongle index or USB serial")
        self.device: int | str = int(text) if _INDEX.fullmatch(text) else text
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._sdr: Any = None
        self._info: SourceInfo | None = None
        self._carry = b""
        self._next_sample = 0

    @property
    def _which(self) -> str:
        return f"{'index' if isinstance(self.device, int) else 'serial'} {self.device}"

    @property
    def _name(self) -> str:
        return f"RTL-SDR {self._which}"

    def open(self) -> SourceInfo:
        """Import pyrtlsdr, open and tune the dongle, and start reading.

        Raises
        ------
        SourceError
            pyrtlsdr/librtlsdr missing or incompatible, no such dongle, or the dongle
            refused a setting.
        """
        if self._info is not None:
            return self._info
        rtlsdr = _import_rtlsdr()
        s = self.settings
        try:
            if isinstance(self.device, int):
                sdr = rtlsdr.RtlSdr(device_index=self.device)
            else:
                sdr = rtlsdr.RtlSdr(serial_number=self.device)
        except _DEVICE_ERRORS as exc:
            raise SourceError(
                f"{self._name}: cannot open ({exc}); is a dongle plugged in and free? "
                "check with rtl_test"
            ) from None
        try:
            sdr.set_direct_sampling(0)
            sdr.sample_rate = s.sample_rate_hz
            sdr.center_freq = s.center_freq_hz
            if s.freq_correction_ppm:
                sdr.freq_correction = s.freq_correction_ppm
            sdr.gain = "auto" if s.gain_db is None else s.gain_db
            tuner = TUNER_TYPES.get(sdr.get_tuner_type(), "unknown")
            self._sdr = sdr
            bytes(sdr.read_bytes(_SETTLE_BYTES))
        except _DEVICE_ERRORS as exc:  # a refused setting or a failed first read
            self._sdr = None
            sdr.close()
            raise SourceError(f"{self._name}: setup failed ({exc})") from None
        self._info = SourceInfo(
            sample_rate_hz=float(s.sample_rate_hz),
            center_freq_hz=float(s.center_freq_hz),
            start_utc=self._clock.now(),
            hardware=f"RTL-SDR {tuner} ({self._which}) via pyrtlsdr",
            datatype="cu8",
            freq_correction_ppm=float(s.freq_correction_ppm),
            gain_db=s.gain_db,
        )
        logger.info("%s: tuner %s, %d Hz at %d S/s", self._name, tuner, s.center_freq_hz,
                    s.sample_rate_hz)  # fmt: skip
        return self._info

    def read(self, n: int) -> IQBlock:
        """Return the next ``n`` samples.

        Raises
        ------
        SourceError
            The read failed (e.g. the dongle was unplugged).
        """
        if self._info is None:
            raise RuntimeError("RtlSdrSource.read() before open()")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise InputError(f"n={n!r} must be a whole number of samples > 0")
        want = 2 * n - len(self._carry)
        if want > 0:
            nbytes = -(-want // _USB_PACKET_BYTES) * _USB_PACKET_BYTES
            try:
                fresh = bytes(self._sdr.read_bytes(nbytes))  # copy: the buffer is reused
            except _DEVICE_ERRORS as exc:
                raise SourceError(f"{self._name}: read failed ({exc}); unplugged?") from None
            data = self._carry + fresh
        else:
            data = self._carry
        raw, self._carry = data[: 2 * n], data[2 * n :]
        block = IQBlock(cu8_to_complex64(raw), start_sample=self._next_sample, raw=raw)
        self._next_sample += n
        return block

    def close(self) -> None:
        """Release the dongle (idempotent)."""
        sdr, self._sdr = self._sdr, None
        self._info = None
        if sdr is not None:
            sdr.close()

    def __enter__(self) -> RtlSdrSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
