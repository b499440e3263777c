"""A small client of Hamlib's ``rigctld`` (Extended Response Protocol).

Why our own client: the Python bindings of Hamlib exist only for the system
interpreter (Debian ``python3-hamlib``), and nothing solid is on PyPI
(``reference/sdr-and-rig.md`` section 3.5).  The protocol is plain text over TCP:
each command is sent with a ``+`` prefix, and the reply is an echo line, ``Key:
value`` lines and a final ``RPRT n`` (0 = OK, negative = Hamlib error).

rigctld accepts nonsense (the dummy rig takes 99.999 GHz), so every value is
checked before it is sent (:class:`station.keyer.safety.SafeKeyer`) and the
frequency is read back after tuning.

Examples
--------
>>> parse_rig_address("localhost:4532")
('localhost', 4532)
>>> HAMLIB_ERRORS[-9]
'command rejected by the rig'
"""

from __future__ import annotations

import contextlib
import socket
import threading

from station.errors import InputError, RigError, RigReplyError
from station.schedule.event import MODES

__all__ = [
    "HAMLIB_ERRORS",
    "HAMLIB_MODES",
    "PTT_FIX",
    "check_mode",
    "RigctldClient",
    "parse_rig_address",
]

#: Hamlib error codes (``rig.h``, ``rigerror()``), as rigctld reports them.
HAMLIB_ERRORS = {
    -1: "invalid parameter",
    -2: "invalid configuration",
    -3: "memory shortage",
    -4: "function not implemented",
    -5: "communication timed out",
    -6: "I/O error",
    -7: "internal Hamlib error",
    -8: "protocol error",
    -9: "command rejected by the rig",
    -10: "command performed, but arg truncated",
    -11: "function not available",
    -12: "VFO not targetable",
    -13: "error talking on the bus",
    -14: "collision on the bus",
    -15: "NULL RIG handle or invalid pointer parameter",
    -16: "invalid VFO",
    -17: "argument out of domain of function",
    -18: "function deprecated",
    -19: "security error",
    -20: "rig is not powered on",
}


#: The fix for a rigctld that refuses PTT.  Started without ``-P``, Hamlib 4.5's rigctld
#: answers ``\set_ptt`` with ``RPRT -1`` (invalid parameter) and ``\get_ptt`` with
#: ``RPRT -11`` (function not available); ``-4`` is "not implemented".
PTT_FIX = "rigctld has no PTT: start rigctld with -P RIG (CAT PTT), or -P DTR|RTS -p PORT"
_PTT_REFUSALS = (-1, -4, -11)

#: Modes rigctld's ``set_mode`` takes (Hamlib 4.5 ``rig_strrmode``).
HAMLIB_MODES = MODES


def check_mode(mode: str, *, name: str = "--mode") -> str:
    """Upper-case ``mode`` and check that rigctld knows it.

    Examples
    --------
    >>> check_mode("cw")
    'CW'
    """
    up = str(mode).strip().upper()
    if up not in HAMLIB_MODES:
        raise InputError(f"{name}={mode!r} is not a Hamlib mode: {', '.join(HAMLIB_MODES)}")
    return up


def parse_rig_address(text: str, *, name: str = "--rig") -> tuple[str, int]:
    """Split ``HOST:PORT`` (port defaults to rigctld's 4532).

    Raises
    ------
    InputError
        Empty host or a port outside 1-65535.
    """
    host, sep, port_text = str(text).strip().rpartition(":")
    if not sep:
        host, port_text = port_text, "4532"
    host = host.strip("[]")
    try:
        port = int(port_text)
    except ValueError:
        port = -1
    if not host or not 1 <= port <= 65535:
        raise InputError(f"{name}={text!r} must be HOST:PORT, e.g. localhost:4532")
    return host, port


class RigctldClient:
    """One TCP connection to rigctld speaking the Extended Response Protocol.

    Parameters
    ----------
    host, port : str, int
        Where rigctld listens.
    timeout_s : float, optional
        How long to wait for a connection or a reply before declaring the rig dead.

    Raises
    ------
    RigError
        rigctld cannot be reached.

    Notes
    -----
    A context manager: ``with RigctldClient(host, port) as c:`` closes the
    connection on the way out.
    """

    def __init__(self, host: str, port: int, *, timeout_s: float = 2.0) -> None:
        self.address = f"{host}:{port}"
        self.timeout_s = timeout_s
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout_s)
        except OSError as exc:
            raise RigError(
                f"cannot reach rigctld at {self.address} ({exc.strerror or exc}); start it "
                "(e.g. rigctld -m MODEL -r /dev/ttyUSB0 -P RIG) or fix --rig"
            ) from None
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._file = self._sock.makefile("rb")
        except BaseException:
            self._sock.close()
            raise
        self._lock = threading.Lock()
        self._aborted = False

    def _abort(self) -> None:
        r"""Give up the connection after a failure, leaving ``\set_ptt 0`` queued last.

        A command sent to a frozen or stalled rigctld waits in its socket and runs
        when the daemon wakes, even after this side has closed (Linux delivers
        queued data before a reset): a ``\set_ptt 1`` would key the transmitter
        after keying has stopped.  rigctld runs one connection's commands in order,
        so a ``\set_ptt 0`` queued behind it undoes it at once; the guardian's hold
        (:mod:`station.keyer.guardian`) covers what other connections left queued.
        """
        self._aborted = True
        with contextlib.suppress(OSError):
            self._sock.settimeout(0.2)
            self._sock.sendall(b"+\\set_ptt 0\n")
        self.close()

    def command(self, cmd: str) -> dict[str, str]:
        r"""Send one command (long form, e.g. ``\set_ptt 1``); return its ``Key: value`` lines.

        Raises
        ------
        RigError
            Error reply (``RPRT`` < 0, with Hamlib's meaning), no reply within the
            timeout, a closed connection, or a reply to some other command.
        """
        with self._lock:
            lines, line = self._exchange(cmd)
        return self._answer(cmd, lines, line)

    def _exchange(self, cmd: str) -> tuple[list[str], str]:
        """Send ``cmd``, read its reply: the lines before ``RPRT``, and the ``RPRT`` line.

        Any failure drops the connection (:meth:`_abort`) before it is raised.
        """
        try:
            if self._aborted:
                raise RigError(f"the connection to rigctld at {self.address} was dropped "
                               f"after a failure; keying stopped (not sending '{cmd}')")
            self._sock.sendall(f"+{cmd}\n".encode("ascii"))
            lines: list[str] = []
            while True:
                raw = self._file.readline()
                if not raw:
                    raise RigError(
                        f"rigctld at {self.address} closed the connection during '{cmd}'; "
                        "keying stopped"
                    )
                line = raw.decode("ascii", "replace").rstrip("\r\n")
                if line.startswith("RPRT"):
                    return lines, line
                lines.append(line)
        except RigError:
            self._abort()
            raise
        except TimeoutError:
            self._abort()
            raise RigError(
                f"rigctld at {self.address} did not answer '{cmd}' within "
                f"{self.timeout_s:g} s; keying stopped"
            ) from None
        except OSError as exc:
            self._abort()
            raise RigError(
                f"rigctld at {self.address} stopped answering during '{cmd}' "
                f"({exc.strerror or exc}); keying stopped"
            ) from None

    def _answer(self, cmd: str, lines: list[str], line: str) -> dict[str, str]:
        """Check a reply (``lines``, then the ``RPRT`` ``line``); its ``Key: value`` lines."""
        verb = cmd.split()[0].lstrip("\\")
        try:
            code = int(line.split()[1])
        except (IndexError, ValueError):
            raise RigError(
                f"rigctld at {self.address}: unreadable reply {line!r} to '{cmd}'"
            ) from None
        if not lines or not lines[0].startswith(f"{verb}:"):
            self._abort()
            raise RigError(
                f"rigctld at {self.address}: reply {lines[:1]!r} does not answer '{cmd}' "
                "(protocol out of step); keying stopped"
            )
        if code != 0:
            meaning = HAMLIB_ERRORS.get(code, "unknown error")
            raise RigReplyError(
                f"rigctld at {self.address}: '{cmd}' failed: RPRT {code} ({meaning})", code
            )
        out: dict[str, str] = {}
        for item in lines[1:]:
            key, sep, value = item.partition(":")
            if sep:
                out[key.strip()] = value.strip()
        return out

    def set_freq(self, freq_hz: float) -> None:
        """Tune the current VFO, Hz."""
        self.command(f"\\set_freq {round(freq_hz)}")

    def get_freq(self) -> float:
        """Frequency of the current VFO, Hz."""
        return float(self.command("\\get_freq")["Frequency"])

    def set_mode(self, mode: str, passband_hz: int = 0) -> None:
        """Set mode (``CW``, ``USB``, ...); passband 0 keeps the rig's default."""
        self.command(f"\\set_mode {mode} {passband_hz}")

    def get_mode(self) -> str:
        """Return the current mode."""
        return self.command("\\get_mode")["Mode"]

    def _ptt_command(self, cmd: str) -> dict[str, str]:
        """Send a PTT command; a refusal says how to start rigctld (:data:`PTT_FIX`)."""
        try:
            return self.command(cmd)
        except RigReplyError as exc:
            if exc.code in _PTT_REFUSALS:
                raise RigReplyError(f"{exc}: {PTT_FIX}", exc.code) from None
            raise

    def set_ptt(self, value: int) -> None:
        """PTT: 0 receive, 1 transmit, 3 transmit data."""
        self._ptt_command(f"\\set_ptt {value}")

    def get_ptt(self) -> bool:
        """Return True while transmitting."""
        value = self._ptt_command("\\get_ptt").get("PTT")
        if value is None:
            raise RigError(f"rigctld at {self.address}: its reply to '\\get_ptt' has no PTT")
        return value != "0"

    def send_morse(self, text: str) -> None:
        """Send ``text`` with the rig's CW keyer."""
        self.command(f"\\send_morse {text}")

    def __enter__(self) -> RigctldClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        for closer in (self._file.close, self._sock.close):
            try:
                closer()
            except OSError:
                pass
