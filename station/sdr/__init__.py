"""I/Q sources behind one protocol (:class:`~station.sdr.base.IQSource`).

RTL-SDR dongles (pyrtlsdr, imported lazily), the ``rtl_tcp`` wire protocol, file
replay, and a synthetic band.  Importing this package never needs librtlsdr, a
dongle or a network.
"""

from station._lazy import lazy_exports

_NAMES = {
    "FileSource": "station.sdr.filesource",
    "IQBlock": "station.sdr.base",
    "IQSource": "station.sdr.base",
    "RtlSdrSource": "station.sdr.rtlsdr_dongle",
    "RtlTcpSource": "station.sdr.rtltcp",
    "SourceInfo": "station.sdr.base",
    "SyntheticSource": "station.sdr.synthetic",
    "open_source": "station.sdr.factory",
    "parse_source": "station.sdr.spec",
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
