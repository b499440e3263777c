"""A threaded in-process ``rtl_tcp`` server speaking the real wire protocol.

For tests, benchmarks and demos without a dongle: it sends the 12-byte header,
parses 5-byte commands however the bytes are chunked, logs every command, applies
the ones a dongle would accept (sample rates only in librtlsdr's ranges,
frequencies only in the R820T's range; refusals are recorded in :attr:`errors`, as
``rtl_tcp`` prints a warning) and streams u8 I/Q made by a callback, paced in real
time or as fast as the client reads.  Like ``rtl_tcp`` it serves one client at a
time; further clients wait.

The sample position keeps running in real time while no client is connected (when
paced), so a client that reconnects after a drop really has missed samples.

Examples
--------
>>> import numpy as np
>>> from station.sdr.rtltcp import RtlTcpSource
>>> tone = lambda start, n, rate, freq: np.full(n, 0.5 + 0j)
>>> with RtlTcpServer(tone, pace=False) as server:
...     host, port = server.address
...     with RtlTcpSource(host, port, center_freq_hz=28.2e6, sample_rate_hz=240e3) as src:
...         block = src.read(1024)
>>> block.samples[:2]
array([0.5+0.j, 0.5+0.j], dtype=complex64)
>>> (2, 240000) in server.commands, (1, 28200000) in server.commands
(True, True)
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from collections.abc import Callable

import numpy as np

from station.errors import InputError
from station.sdr.rtltcp import (
    CMD_SET_FREQ,
    CMD_SET_FREQ_CORRECTION,
    CMD_SET_GAIN,
    CMD_SET_GAIN_MODE,
    CMD_SET_SAMPLE_RATE,
    HEADER_MAGIC,
    complex_to_cu8,
)
from station.sdr.spec import SAMPLE_RATE_RANGES_HZ, TUNER_RANGE_HZ

__all__ = ["CMD_SET_DIRECT_SAMPLING", "RtlTcpServer", "SamplesFn"]

logger = logging.getLogger(__name__)

#: ``samples_fn(start_sample, n, sample_rate_hz, center_freq_hz) -> complex ndarray``.
SamplesFn = Callable[[int, int, float, float], np.ndarray]
CMD_SET_DIRECT_SAMPLING = 0x09


class RtlTcpServer:
    """An ``rtl_tcp`` look-alike on a local TCP port (start it with ``with`` or :meth:`start`).

    Parameters
    ----------
    samples_fn : callable
        ``samples_fn(start_sample, n, sample_rate_hz, center_freq_hz)`` returns ``n``
        complex samples (full scale +-1) starting at stream position ``start_sample``
        with the tuning in force.
    host : str, optional
    port : int, optional
        0 picks a free port; see :attr:`address`.
    tuner_type, gain_count : int, optional
        What the header announces (5 = R820T, 29 gains).
    pace : bool, optional
        Stream in real time (True) or as fast as the client reads.
    block_s : float, optional
        Duration of each chunk sent, seconds.
    max_lag_s : float, optional
        When paced and the client falls further behind than this, skip samples to
        catch up (``rtl_tcp`` drops buffers for a slow client); counted in
        :attr:`samples_skipped`.
    center_freq_hz, sample_rate_hz : float, optional
        Tuning before any command (``rtl_tcp``'s defaults).

    Attributes
    ----------
    commands : list of (int, int)
        Every command received, ``(cmd, param)`` as sent (param unsigned).
    errors : list of str
        Commands refused, one line each.
    connections : int
        Clients accepted so far.
    samples_sent, samples_skipped : int
    center_freq_hz, sample_rate_hz : int
    gain_mode, gain_tenth_db, freq_correction_ppm, direct_sampling : int
    """

    def __init__(
        self,
        samples_fn: SamplesFn,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tuner_type: int = 5,
        gain_count: int = 29,
        pace: bool = True,
        block_s: float = 0.01,
        max_lag_s: float = 2.0,
        center_freq_hz: float = 100_000_000,
        sample_rate_hz: float = 2_048_000,
    ) -> None:
        if not block_s > 0 or not max_lag_s > 0:
            raise InputError(f"block_s={block_s} and max_lag_s={max_lag_s} must be > 0 seconds")
        self._samples_fn = samples_fn
        self._bind = (host, port)
        self._header = struct.pack(">4sII", HEADER_MAGIC, tuner_type, gain_count)
        self.pace = pace
        self.block_s = float(block_s)
        self.max_lag_s = float(max_lag_s)
        self.commands: list[tuple[int, int]] = []
        self.errors: list[str] = []
        self.connections = 0
        self.samples_sent = 0
        self.samples_skipped = 0
        self.center_freq_hz = int(center_freq_hz)
        self.sample_rate_hz = int(sample_rate_hz)
        self.gain_mode = 0
        self.gain_tenth_db = 0
        self.freq_correction_ppm = 0
        self.direct_sampling = 0
        self._position = 0
        self._idle_since: float | None = None
        self._refuse_until = 0.0
        self._stall_until = 0.0
        #: Pace of the stream relative to real time while ``pace`` (0.1: ten times too slow).
        self.speed = 1.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._address: tuple[str, int] | None = None
        self._conn: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` actually listened on."""
        if self._address is None:
            raise RuntimeError("RtlTcpServer is not started")
        return self._address

    @property
    def url(self) -> str:
        """``rtl_tcp://host:port``, the ``--source`` form."""
        host, port = self.address
        return f"rtl_tcp://{host}:{port}"

    def start(self) -> RtlTcpServer:
        """Listen and serve in a background thread."""
        if self._thread is not None:
            return self
        listener = socket.create_server(self._bind, backlog=4)
        listener.settimeout(0.05)
        self._listener = listener
        self._address = tuple(listener.getsockname()[:2])
        self._thread = threading.Thread(
            target=self._accept_loop, name="rtl_tcp-server", daemon=True
        )
        self._thread.start()
        return self

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            wait_s = self._refuse_until - time.monotonic()
            if wait_s > 0:
                self._stop.wait(wait_s)
                continue
            try:
                conn, peer = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            with self._lock:
                self.connections += 1
                self._conn = conn
            logger.debug("rtl_tcp server: client %s connected", peer)
            try:
                self._serve(conn)
            finally:
                with self._lock:
                    self._conn = None
                    self._idle_since = time.monotonic()
                conn.close()

    def _apply(self, cmd: int, param: int) -> None:
        self.commands.append((cmd, param))
        if cmd == CMD_SET_SAMPLE_RATE:
            if any(lo <= param <= hi for lo, hi in SAMPLE_RATE_RANGES_HZ):
                self.sample_rate_hz = param
            else:
                self.errors.append(f"set_sample_rate {param}: not a rate the RTL2832U accepts")
        elif cmd == CMD_SET_FREQ:
            if TUNER_RANGE_HZ[0] <= param <= TUNER_RANGE_HZ[1]:
                self.center_freq_hz = param
            else:
                self.errors.append(f"set_freq {param}: outside the R820T range")
        elif cmd == CMD_SET_GAIN_MODE:
            self.gain_mode = param
        elif cmd == CMD_SET_GAIN:
            self.gain_tenth_db = param
        elif cmd == CMD_SET_FREQ_CORRECTION:
            self.freq_correction_ppm = param - (1 << 32) if param >= 1 << 31 else param
        elif cmd == CMD_SET_DIRECT_SAMPLING:
            self.direct_sampling = param

    def _read_commands(self, conn: socket.socket) -> None:
        pending = b""
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            while len(pending) >= 5:
                cmd, param = struct.unpack(">BI", pending[:5])
                pending = pending[5:]
                with self._lock:
                    self._apply(cmd, param)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(None)
        try:
            conn.sendall(self._header)
        except OSError:
            return
        reader = threading.Thread(target=self._read_commands, args=(conn,), daemon=True)
        reader.start()
        with self._lock:
            if self.pace and self._idle_since is not None:
                missed = int(round((time.monotonic() - self._idle_since) * self.sample_rate_hz))
                self._position += missed
        epoch, sent, epoch_rate = time.monotonic(), 0, None
        while not self._stop.is_set():
            if time.monotonic() < self._stall_until:  # connected, sending nothing
                self._stop.wait(min(0.02, self._stall_until - time.monotonic()))
                epoch_rate = None
                continue
            with self._lock:
                rate, freq = self.sample_rate_hz, self.center_freq_hz
                paced = rate * self.speed
            if paced != epoch_rate:
                epoch, sent, epoch_rate = time.monotonic(), 0, paced
            if self.pace:
                behind_s = time.monotonic() - (epoch + sent / paced)
                if behind_s > self.max_lag_s:
                    skip = int(behind_s * paced)
                    self._position += skip
                    self.samples_skipped += skip
                    sent += skip
            n = max(1, int(rate * self.block_s))
            try:
                x = np.asarray(self._samples_fn(self._position, n, float(rate), float(freq)))
                if x.shape != (n,):
                    raise ValueError(f"samples_fn returned shape {x.shape}, expected ({n},)")
            except Exception as exc:  # a broken callback ends the connection, not the thread
                logger.exception("rtl_tcp server: samples_fn failed")
                self.errors.append(f"samples_fn failed: {exc}")
                break
            try:
                conn.sendall(complex_to_cu8(x))
            except OSError:
                break
            self._position += n
            self.samples_sent += n
            sent += n
            if self.pace:
                wait_s = epoch + sent / paced - time.monotonic()
                if wait_s > 0:
                    self._stop.wait(wait_s)
        try:
            conn.shutdown(socket.SHUT_RDWR)  # ends the command reader too
        except OSError:
            pass
        reader.join(timeout=1.0)

    def drop(self, *, refuse_s: float = 0.0) -> None:
        """Cut the current client's connection (as a network failure would).

        Parameters
        ----------
        refuse_s : float, optional
            Keep new clients waiting this long (an outage rather than a blip).
        """
        with self._lock:
            conn = self._conn
            self._refuse_until = time.monotonic() + max(0.0, refuse_s)
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stall(self, seconds: float) -> None:
        """Keep the connection open but send nothing for ``seconds`` (a hung server)."""
        self._stall_until = time.monotonic() + max(0.0, seconds)

    def wait_for(self, predicate: Callable[[RtlTcpServer], bool], timeout_s: float = 5.0) -> bool:
        """Poll ``predicate(self)`` until it is true or ``timeout_s`` passes; return its value."""
        deadline = time.monotonic() + timeout_s
        while not predicate(self):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        """Stop serving, drop the client, close the port and join the thread (idempotent)."""
        self._stop.set()
        self.drop()
        if self._listener is not None:
            self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    def __enter__(self) -> RtlTcpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
