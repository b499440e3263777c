"""Keying through a serial port's DTR or RTS line (pyserial).

The classic interface: a transistor or opto-coupler on DTR (or RTS) closes the
rig's straight-key input.  The line is asserted for key-down and released for
key-up; the rig is tuned by hand (or by rigctld on another port).  The other
line is held released.  When the process ends, however it ends, the kernel drops
both lines as it closes the port (HUPCL), which releases the key; but opening a
Linux tty raises DTR and RTS for about a millisecond before they can be lowered, too
short to key a transmitter but worth knowing.  Any pyserial URL works: ``/dev/ttyUSB0``, ``COM3``,
``rfc2217://host:port``, and ``loop://`` (pyserial's loop-back port, which reflects
DTR on DSR and RTS on CTS, so the key state can be read back).

Examples
--------
>>> k = SerialKeyer("loop://", line="dtr")
>>> k.open(28_400_000, "CW")
'loop:// DTR released'
>>> k.set_key(True), k.key_state()
('DTR asserted', True)
>>> k.set_key(False), k.key_state()
('DTR released', False)
>>> k.close()
"""

from __future__ import annotations

import threading
from typing import Any

from station.errors import InputError, RigError

__all__ = ["SerialKeyer"]


class SerialKeyer:
    """A key on a serial control line.

    Parameters
    ----------
    port : str
        Device or pyserial URL.
    line : {"dtr", "rts"}
        Which line keys the rig.
    """

    name = "serial"
    transmits = True

    def __init__(self, port: str, *, line: str = "dtr") -> None:
        if line not in ("dtr", "rts"):
            raise InputError(f"--serial-line={line!r} must be 'dtr' or 'rts'")
        self.port_name = port
        self.line = line
        self._port: Any = None
        self._lock = threading.Lock()

    def _set(self, down: bool) -> None:
        try:
            setattr(self._port, self.line, down)
        except Exception as exc:  # pyserial raises SerialException, OSError, ValueError
            raise RigError(
                f"serial port {self.port_name}: cannot set {self.line.upper()} ({exc}); "
                "keying stopped"
            ) from None

    def open(self, freq_hz: float, mode: str) -> str:  # noqa: D102
        import serial  # a core dependency, imported here to keep `import station` light

        try:
            # Lines are set low before the port opens, so pyserial lowers them at once.
            port = serial.serial_for_url(self.port_name, do_not_open=True)
            port.dtr = port.rts = False
            port.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise RigError(f"serial port {self.port_name}: cannot open ({exc})") from None
        self._port = port
        with self._lock:
            self._set(False)
        return f"{self.port_name} {self.line.upper()} released"

    def set_key(self, down: bool) -> str:  # noqa: D102
        with self._lock:
            self._set(down)
        return f"{self.line.upper()} {'asserted' if down else 'released'}"

    def key_state(self) -> bool | None:  # noqa: D102
        if self.port_name.startswith("loop://"):  # loop-back reflects DTR->DSR, RTS->CTS
            level = self._port.dsr if self.line == "dtr" else self._port.cts
        else:
            level = getattr(self._port, self.line)  # what we last set (no read-back)
        return bool(level)

    def identify(self, text: str, wpm: float) -> str | None:  # noqa: D102
        return None  # no keyer: the safety layer keys the elements itself

    def emergency_unkey(self) -> str:  # noqa: D102
        # pyserial's line setters are single ioctl calls: safe from the watchdog thread
        # even while the main thread waits on the lock.
        self._set(False)
        return f"{self.line.upper()} released"

    def close(self) -> None:  # noqa: D102
        if self._port is not None:
            try:
                self._set(False)
            finally:
                self._port.close()
                self._port = None
