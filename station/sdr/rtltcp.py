"""Client of the osmocom ``rtl_tcp`` wire protocol, and the cu8 sample format.

The protocol (``rtl_tcp.c``; ``reference/sdr-and-rig.md`` section 2) is not the one
pyrtlsdr's ``RtlSdrTcpClient`` speaks:

- on connect the server sends 12 bytes: ``b"RTL0"``, ``uint32`` big-endian tuner
  type, ``uint32`` big-endian number of tuner gains;
- the client sends 5-byte commands ``struct.pack(">BI", cmd, param)``, never
  answered: 0x01 frequency (Hz), 0x02 sample rate (S/s), 0x03 gain mode (0 auto,
  1 manual), 0x04 gain (tenths of dB), 0x05 frequency correction (ppm, a signed
  ``int`` sent as its 32-bit two's complement), ...;
- the server streams interleaved unsigned 8-bit I, Q from the moment of connecting
  (so the first few milliseconds may still use the previous tuning).

cu8 scaling, shared by every RTL source and by cu8 file replay: ``x = (u8 - 128) /
128`` in float32, exactly what the :mod:`sigmf` package's autoscale gives, so a SigMF
``cu8`` capture reads back bit for bit through either (pyrtlsdr's ``read_samples``
uses ``u8 / 127.5 - 1`` instead: a 0.4 % gain and half-LSB offset apart).

Examples
--------
>>> cu8_to_complex64(bytes([0, 255, 127, 128]))
array([-1.       +0.9921875j, -0.0078125+0.j       ], dtype=complex64)
>>> complex_to_cu8(np.array([-1 + 1j, 0j], np.complex64)).hex()
'00ff8080'
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from collections.abc import Callable
from datetime import datetime

import numpy as np

from dsp.channelize import cu8_to_complex64 as dsp_cu8_to_complex64
from station.clock import Clock, SystemClock
from station.errors import InputError, SourceError
from station.sdr.base import IQBlock, SourceInfo
from station.sdr.netwait import POLL_S, Stopped, dial, recv_exact
from station.sdr.spec import RtlSettings

__all__ = [
    "CMD_SET_FREQ",
    "CMD_SET_FREQ_CORRECTION",
    "CMD_SET_GAIN",
    "CMD_SET_GAIN_MODE",
    "CMD_SET_SAMPLE_RATE",
    "HEADER_MAGIC",
    "TUNER_TYPES",
    "RtlTcpSource",
    "complex_to_cu8",
    "cu8_to_complex64",
    "pack_command",
]

logger = logging.getLogger(__name__)

HEADER_MAGIC = b"RTL0"
_HEADER = struct.Struct(">4sII")
_COMMAND = struct.Struct(">BI")
CMD_SET_FREQ = 0x01
CMD_SET_SAMPLE_RATE = 0x02
CMD_SET_GAIN_MODE = 0x03
CMD_SET_GAIN = 0x04
CMD_SET_FREQ_CORRECTION = 0x05
#: ``rtlsdr_tuner`` enum of ``rtl-sdr.h``.
TUNER_TYPES = {0: "unknown", 1: "E4000", 2: "FC0012", 3: "FC0013", 4: "FC2580", 5: "R820T",
               6: "R828D"}  # fmt: skip

_RCVBUF_BYTES = 1 << 22
def cu8_to_complex64(raw: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    """Interleaved u8 I/Q -> complex64 scaled ``(u8 - 128) / 128`` (as :mod:`sigmf`).

    Accepts bytes as received; a trailing odd byte (half a sample) is ignored.  The
    scaling itself is :func:`dsp.channelize.cu8_to_complex64`.
    """
    u8 = np.frombuffer(raw, dtype=np.uint8) if not isinstance(raw, np.ndarray) else raw
    u8 = u8.reshape(-1)
    return dsp_cu8_to_complex64(u8[: u8.size - u8.size % 2])


def complex_to_cu8(samples: np.ndarray) -> bytes:
    """Complex samples -> interleaved u8 I/Q bytes, the inverse of :func:`cu8_to_complex64`.

    Values are rounded to the nearest level and clipped to the 8-bit range, as an
    ADC would; bytes converted by :func:`cu8_to_complex64` come back unchanged.
    """
    x = np.ascontiguousarray(samples, dtype=np.complex64).view(np.float32)
    u = x * np.float32(128.0) + np.float32(128.0)
    np.rint(u, out=u)
    np.clip(u, 0, 255, out=u)
    return u.astype(np.uint8).tobytes()


def pack_command(cmd: int, param: int) -> bytes:
    """One 5-byte ``rtl_tcp`` command; negative ``param`` is sent as two's complement.

    Examples
    --------
    >>> pack_command(CMD_SET_FREQ_CORRECTION, -3).hex()
    '05fffffffd'
    """
    return _COMMAND.pack(cmd, param & 0xFFFFFFFF)


class RtlTcpSource:
    """An :class:`~station.sdr.base.IQSource` reading an ``rtl_tcp`` server.

    Settings are checked when the source is made, before anything is connected.
    A dropped connection is re-established (the settings sent again) and the
    samples lost are reported in the next block's ``dropped_before``: the time from
    the last byte before the drop to the first byte after it, times the sample
    rate, rounded (a reader lagging behind the stream when it drops undercounts by
    its lag).  Samples a server discards for a slow reader are not visible in the
    protocol and cannot be reported.

    Parameters
    ----------
    host : str
    port : int
    center_freq_hz, sample_rate_hz : float
        Checked by :class:`~station.sdr.spec.RtlSettings` (24-1766 MHz;
        225 001-300 000 or 900 001-3 200 000 S/s).
    gain_db : float or None, optional
        Tuner gain, sent in tenths of dB; None for automatic gain.
    freq_correction_ppm : int, optional
    timeout_s : float, optional
        Connect timeout, and the silence after which the stream counts as dropped.
    reconnect : bool, optional
        Reconnect after a drop; otherwise a drop raises :class:`SourceError`.
    reconnect_timeout_s : float, optional
        How long to keep trying to reconnect (on ``clock``) before giving up.
    clock : Clock, optional
        Time of arrival of the first byte (``start_utc``) and of drops; defaults to
        the system clock.

    Attributes
    ----------
    should_stop : callable
        ``should_stop()`` is asked at least every :data:`POLL_S` while a read or a
        (re)connection waits (a capture sets it to "a stop was asked for"): when it
        turns true, :meth:`read` returns what it has (None when nothing), and
        :meth:`open` raises :class:`SourceError`, within :data:`POLL_S`.

    Examples
    --------
    >>> RtlTcpSource("localhost", 1234, center_freq_hz=28.2e6, sample_rate_hz=5e5)
    Traceback (most recent call last):
    ...
    station.errors.InputError: sample_rate_hz=500000 is not a rate the RTL2832U accepts: \
use 225001-300000 or 900001-3200000 S/s (e.g. 240000 or 2400000)
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        center_freq_hz: float,
        sample_rate_hz: float,
        gain_db: float | None = None,
        freq_correction_ppm: int = 0,
        timeout_s: float = 5.0,
        reconnect: bool = True,
        reconnect_timeout_s: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        self.settings = RtlSettings.checked(
            center_freq_hz=center_freq_hz,
            sample_rate_hz=sample_rate_hz,
            gain_db=gain_db,
            freq_correction_ppm=freq_correction_ppm,
        )
        if not host or not isinstance(host, str):
            raise InputError(f"host={host!r} must be a host name or address")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InputError(f"port={port!r} must be a TCP port number 1-65535")
        for name, value in (("timeout_s", timeout_s), ("reconnect_timeout_s", reconnect_timeout_s)):
            if not value > 0:
                raise InputError(f"{name}={value} must be > 0 seconds")
        self.host, self.port = host, port
        self.timeout_s = float(timeout_s)
        self.reconnect = reconnect
        self.reconnect_timeout_s = float(reconnect_timeout_s)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._sock: socket.socket | None = None
        self._info: SourceInfo | None = None
        self._next_sample = 0
        self._pending_dropped = 0
        self._carry = b""  # half a sample, from a read cut short by a stop
        self._last_byte_utc: datetime | None = None
        #: Tuner type reported by the server (``TUNER_TYPES``), after :meth:`open`.
        self.tuner_type: int | None = None
        #: Number of tuner gains reported by the server, after :meth:`open`.
        self.gain_count: int | None = None
        #: Connections re-established after a drop.
        self.reconnects = 0
        self.should_stop: Callable[[], bool] = lambda: False

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"

    def _fail(self, what: str) -> SourceError:
        return SourceError(f"rtl_tcp {self.address}: {what}")

    def _connect(self) -> datetime:
        """Connect, check the header, send the settings, wait for the first sample byte."""
        try:
            sock = dial(self.host, self.port, self.timeout_s, self.should_stop)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise self._fail(
                f"cannot connect ({reason}); check that rtl_tcp runs there "
                f"(rtl_tcp -a {self.host} -p {self.port})"
            ) from None
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF_BYTES)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                header = recv_exact(sock, _HEADER.size, self.timeout_s, self.should_stop)
            except TimeoutError as exc:
                raise self._fail(f"sent {exc} of the 12-byte header; not an rtl_tcp "
                                 "server, or a stalled one") from None  # fmt: skip
            sock.settimeout(self.timeout_s)
            if len(header) < _HEADER.size:
                raise self._fail(
                    f"closed the connection after {len(header)} of the 12 header bytes; "
                    "is it an rtl_tcp server (is another client connected)?"
                )
            magic, tuner, gains = _HEADER.unpack(header)
            if magic != HEADER_MAGIC:
                raise self._fail(
                    f"header starts {magic!r}, not {HEADER_MAGIC!r}: not an rtl_tcp server "
                    "(pyrtlsdr's RtlSdrTcpServer speaks another protocol)"
                )
            s = self.settings
            commands = [
                (CMD_SET_SAMPLE_RATE, s.sample_rate_hz),
                (CMD_SET_FREQ, s.center_freq_hz),
                (CMD_SET_GAIN_MODE, 0 if s.gain_tenth_db is None else 1),
            ]
            if s.gain_tenth_db is not None:
                commands.append((CMD_SET_GAIN, s.gain_tenth_db))
            if s.freq_correction_ppm:
                commands.append((CMD_SET_FREQ_CORRECTION, s.freq_correction_ppm))
            sock.settimeout(self.timeout_s)
            sock.sendall(b"".join(pack_command(c, p) for c, p in commands))
            self._first_byte(sock)
        except OSError as exc:
            sock.close()
            raise self._fail(f"connection failed during setup ({exc})") from None
        except (SourceError, Stopped):
            sock.close()
            raise
        self.tuner_type, self.gain_count = tuner, gains
        self._sock = sock
        return self._clock.now()

    def _first_byte(self, sock: socket.socket) -> None:
        """Wait (in slices) until the first sample byte is there, without taking it."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            if self.should_stop():
                raise Stopped
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._fail(f"sent no samples within {self.timeout_s:g} s of connecting")
            sock.settimeout(min(left, POLL_S))
            try:
                if not sock.recv(1, socket.MSG_PEEK):
                    raise self._fail("closed the connection before sending samples")
                return
            except TimeoutError:
                continue

    def open(self) -> SourceInfo:
        """Connect, tune and start the stream.

        Returns
        -------
        SourceInfo
            ``start_utc`` is when the first sample byte arrived.

        Raises
        ------
        SourceError
            Nothing listens there, the peer is not an ``rtl_tcp`` server, it hung up,
            or :attr:`should_stop` turned true meanwhile.
        """
        if self._info is not None and self._sock is not None:
            return self._info
        try:
            first = self._connect()
        except Stopped:
            raise self._fail("stopped while connecting; nothing was recorded") from None
        self._last_byte_utc = first
        self._next_sample = self._pending_dropped = 0
        tuner = TUNER_TYPES.get(self.tuner_type or 0, f"type {self.tuner_type}")
        s = self.settings
        self._info = SourceInfo(
            sample_rate_hz=float(s.sample_rate_hz),
            center_freq_hz=float(s.center_freq_hz),
            start_utc=first,
            hardware=f"rtl_tcp {self.address} (tuner {tuner})",
            datatype="cu8",
            freq_correction_ppm=float(s.freq_correction_ppm),
            gain_db=s.gain_db,
        )
        logger.info(
            "rtl_tcp %s: tuner %s, %d gains; %d Hz at %d S/s",
            self.address, tuner, self.gain_count, s.center_freq_hz, s.sample_rate_hz,
        )  # fmt: skip
        return self._info

    def _reconnect(self) -> bool:
        """Connect again; False when :attr:`should_stop` turned true first."""
        lost_at = self._last_byte_utc or self._clock.now()
        start = self._clock.now()
        delay_s = 0.05
        while True:
            try:
                back_at = self._connect()
                break
            except Stopped:
                return False
            except SourceError as exc:
                waited_s = (self._clock.now() - start).total_seconds()
                if waited_s >= self.reconnect_timeout_s:
                    raise self._fail(
                        f"connection lost and not back after {waited_s:.3g} s ({exc}); "
                        "restart rtl_tcp or raise reconnect_timeout_s"
                    ) from None
                until = time.monotonic() + delay_s
                while not self.should_stop() and (left := until - time.monotonic()) > 0:
                    self._clock.sleep(min(left, POLL_S))
                delay_s = min(2 * delay_s, 1.0)
        gap_s = max(0.0, (back_at - lost_at).total_seconds())
        lost = int(round(gap_s * self.settings.sample_rate_hz))
        self._pending_dropped += lost
        self._last_byte_utc = back_at
        self.reconnects += 1
        logger.warning(
            "rtl_tcp %s: connection lost after sample %d; back after %.3f s, %d samples lost",
            self.address, self._next_sample, gap_s, lost,
        )  # fmt: skip
        return True

    def _drop(self, reason: str) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        if not self.reconnect:
            raise self._fail(f"connection lost after sample {self._next_sample} ({reason})")
        logger.warning("rtl_tcp %s: connection lost (%s); reconnecting", self.address, reason)

    def _receive(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` bytes; fewer when the connection dropped or a stop was asked for.

        The block must arrive within its own duration plus ``timeout_s``: a server
        that trickles bytes far below the sample rate counts as stalled (a gap, then
        a reconnect) rather than holding the capture for ever; so does one silent for
        ``timeout_s``.
        """
        buf = bytearray(nbytes)
        view = memoryview(buf)
        got = len(self._carry)
        buf[:got], self._carry = self._carry, b""
        sock = self._sock
        assert sock is not None
        within_s = self.timeout_s + nbytes / 2 / self.settings.sample_rate_hz
        last = time.monotonic()
        deadline = last + within_s
        while got < nbytes and not self.should_stop():
            now = time.monotonic()
            if now >= deadline:
                self._drop(f"{got} of {nbytes} bytes in {within_s:.3g} s: far slower than the "
                           "sample rate")  # fmt: skip
                break
            try:
                sock.settimeout(min(deadline - now, POLL_S))
                k = sock.recv_into(view[got:])
            except TimeoutError:
                if time.monotonic() - last >= self.timeout_s:
                    self._drop(f"no data for {self.timeout_s:g} s")
                    break
                continue
            except OSError as exc:
                self._drop(exc.strerror or type(exc).__name__)
                break
            if k == 0:
                self._drop("closed by the server")
                break
            got += k
            last = time.monotonic()
            self._last_byte_utc = self._clock.now()
        return bytes(buf) if got == nbytes else bytes(buf[:got])

    def read(self, n: int) -> IQBlock | None:
        """Return the next ``n`` samples (fewer when the connection dropped meanwhile).

        Returns what has arrived when :attr:`should_stop` turns true, None when that
        is nothing.

        Raises
        ------
        SourceError
            The connection dropped and ``reconnect`` is off, or it could not be
            re-established within ``reconnect_timeout_s``.
        """
        if self._info is None:
            raise RuntimeError("RtlTcpSource.read() before open()")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise InputError(f"n={n!r} must be a whole number of samples > 0")
        while True:
            if self._sock is None and not self._reconnect():
                return None
            raw = self._receive(2 * n)
            usable = len(raw) - len(raw) % 2
            if self._sock is not None:  # half a sample waits for its other half
                self._carry = raw[usable:]
            if usable:
                break
            if self.should_stop():
                return None
        if usable != len(raw):
            raw = raw[:usable]
        dropped, self._pending_dropped = self._pending_dropped, 0
        start = self._next_sample + dropped
        samples = cu8_to_complex64(raw)
        self._next_sample = start + samples.size
        return IQBlock(samples, start_sample=start, dropped_before=dropped, raw=raw)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        sock, self._sock = self._sock, None
        self._info = None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def __enter__(self) -> RtlTcpSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
