"""I/Q sources behind one protocol (:class:`~station.sdr.base.IQSource`).

RTL-SDR dongles (pyrtlsdr, imported lazily), the ``rtl_tcp`` wire protocol, file
replay, and a synthetic band.  Importing this package never needs librtlsdr, a
dongle or a network.
"""
