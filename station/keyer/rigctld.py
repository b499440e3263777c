"""The keyer that keys a rig through Hamlib's ``rigctld``.

It speaks through :class:`station.keyer.rigctld_client.RigctldClient` and starts the
out-of-process guard (:mod:`station.keyer.guardian`), which uses the same client.

Examples
--------
>>> RigctldKeyer("localhost", 4532).name
'rigctld'
"""

from __future__ import annotations

from station.errors import InputError, RigError, RigReplyError
from station.keyer.guardian import Guardian
from station.keyer.rigctld_client import RigctldClient, check_mode

__all__ = ["RigctldKeyer"]


class RigctldKeyer:
    """Keys through rigctld: tunes and sets the mode once, then PTT at each edge.

    Parameters
    ----------
    host, port : str, int
        rigctld address.
    ptt_value : int, optional
        What "key down" sends: 1 (TX, the usual with ``-P RIG`` or a DTR/RTS PTT
        line wired to the key input) or 3 (TX data, for a steady tone in a data mode).
    timeout_s : float, optional
        Reply timeout; a rig silent for longer ends keying.
    freq_tolerance_hz : float, optional
        Largest difference between the frequency set and read back.
    """

    name = "rigctld"
    transmits = True

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ptt_value: int = 1,
        timeout_s: float = 2.0,
        freq_tolerance_hz: float = 50.0,
    ) -> None:
        if ptt_value not in (1, 2, 3):
            raise InputError(f"ptt_value={ptt_value} must be 1 (TX), 2 (TX mic) or 3 (TX data)")
        self.host, self.port = host, port
        self.ptt_value = ptt_value
        self.timeout_s = timeout_s
        self.freq_tolerance_hz = freq_tolerance_hz
        self._client: RigctldClient | None = None

    @property
    def client(self) -> RigctldClient:
        """The main connection (opened by :meth:`open`)."""
        if self._client is None:
            self._client = RigctldClient(self.host, self.port, timeout_s=self.timeout_s)
        return self._client

    def open(self, freq_hz: float, mode: str) -> str:  # noqa: D102
        mode = check_mode(mode)
        c = self.client
        c.set_ptt(0)
        c.set_freq(freq_hz)
        got_hz = c.get_freq()
        if abs(got_hz - freq_hz) > self.freq_tolerance_hz:
            raise RigError(
                f"rigctld at {c.address}: asked for {freq_hz / 1e6:.6f} MHz, the rig reports "
                f"{got_hz / 1e6:.6f} MHz; not keying (check the rig's band and VFO)"
            )
        c.set_mode(mode)
        got_mode = c.get_mode()
        if got_mode != mode:
            raise RigError(
                f"rigctld at {c.address}: asked for mode {mode}, the rig reports {got_mode}; "
                "not keying"
            )
        return f"{got_hz / 1e6:.6f} MHz {got_mode}, PTT 0"

    def guardian(self, limit_s: float, log_path: str | None = None) -> Guardian:
        """Start the out-of-process guard (:mod:`station.keyer.guardian`) for this rig."""
        return Guardian(self.host, self.port, limit_s, timeout_s=self.timeout_s, log_path=log_path)

    def set_key(self, down: bool) -> str:
        r"""Key down (``\set_ptt`` ``ptt_value``) or up; a key-down only to a daemon that answers.

        A command sent to a frozen rigctld waits in its socket and runs when the
        daemon wakes, whatever this side did meanwhile: so a key-down is preceded by
        a ``\get_ptt`` that must be answered within the timeout (one round trip,
        well under a millisecond on loopback).  Only a freeze in the moment between
        that answer and the key-down can still leave one queued; the
        ``\set_ptt 0`` queued behind it on failure undoes it at once.
        """
        if down:
            self.client.get_ptt()
        self.client.set_ptt(self.ptt_value if down else 0)
        return "RPRT 0"

    def key_state(self) -> bool | None:  # noqa: D102
        return self.client.get_ptt()

    def identify(self, text: str, wpm: float) -> str | None:  # noqa: D102
        c = self.client
        try:
            c.command(f"\\set_level KEYSPD {round(wpm)}")
        except RigReplyError as exc:  # some rigs cannot set the keyer speed: send anyway
            note = f" (keyer speed not set: {exc})"
        else:
            note = ""
        c.send_morse(text)
        return "RPRT 0" + note

    def emergency_unkey(self) -> str:  # noqa: D102
        extra = RigctldClient(self.host, self.port, timeout_s=self.timeout_s)
        try:
            extra.set_ptt(0)
        finally:
            extra.close()
        return "RPRT 0 (own connection)"

    def close(self) -> None:  # noqa: D102
        if self._client is not None:
            self._client.close()
            self._client = None
