r"""First-run checks of a rigctld: connection, frequency, mode and PTT, without keying.

:func:`check_rigctld` is what ``hi-station doctor --rig HOST:PORT`` runs, and what a
dry run of ``transmit --rig`` runs before it starts (without the PTT test).  Only reads
are sent, and ``\set_ptt 0`` when PTT reads 0 (to see that rigctld takes PTT
commands: Hamlib caches PTT for a moment, so a read alone can miss a refusal);
``ptt_test=True`` (``doctor --ptt-test``) keys the rig for
``hold_s`` (0.2 s) and always releases it.

A rigctld started without ``-P`` answers ``\get_ptt`` with ``RPRT -11`` and
``\set_ptt`` with ``RPRT -1``: the PTT check fails with the fix
(:data:`~station.keyer.rigctld_client.PTT_FIX`).

Examples
--------
>>> report = RigReport("localhost:4532", (RigCheck("connection", False, "refused"),))
>>> report.ok, report.summary()
(False, 'rigctld at localhost:4532: connection FAILED: refused')
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from station.errors import RigError
from station.keyer.rigctld_client import RigctldClient, parse_rig_address

__all__ = ["PTT_HOLD_S", "RigCheck", "RigReport", "check_rigctld"]

#: How long ``doctor --ptt-test`` keys the rig, s.
PTT_HOLD_S = 0.2


@dataclass(frozen=True, slots=True)
class RigCheck:
    """One check: its name, whether it passed, and what was seen (or the error)."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RigReport:
    """The checks of one rigctld, in the order they ran (a failure ends the list).

    Attributes
    ----------
    address : str
        ``HOST:PORT``.
    checks : tuple of RigCheck
    """

    address: str
    checks: tuple[RigCheck, ...]

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(c.ok for c in self.checks)

    def summary(self) -> str:
        """One line: what was read, or the first failure.

        Examples
        --------
        >>> RigReport("h:1", (RigCheck("connection", True, "answers"),
        ...                   RigCheck("frequency", True, "28.400000 MHz"))).summary()
        'rigctld at h:1 answers: 28.400000 MHz'
        """
        failed = [c for c in self.checks if not c.ok]
        if failed:
            return f"rigctld at {self.address}: {failed[0].name} FAILED: {failed[0].detail}"
        return f"rigctld at {self.address} answers: " + ", ".join(
            c.detail for c in self.checks if c.name != "connection"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"address": self.address, "ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def _ptt_test(client: RigctldClient, hold_s: float, sleep: Callable[[float], None]) -> RigCheck:
    """Key for ``hold_s``, reading PTT back keyed and released; always release."""
    keyed: bool | None = None
    error = ""
    try:
        client.set_ptt(1)
        keyed = client.get_ptt()
        sleep(hold_s)
    except RigError as exc:
        error = str(exc)
    finally:
        released = _release(client)
    if released is not True:
        why = "PTT still reads 1" if released is False else released
        return RigCheck("PTT test", False, f"{error + '; ' if error else ''}RELEASE FAILED: {why}")
    if error:
        return RigCheck("PTT test", False, f"{error} (released: PTT 0)")
    if not keyed:
        return RigCheck("PTT test", False, "keyed with \\set_ptt 1, but PTT reads back 0")
    return RigCheck("PTT test", True, f"keyed {hold_s:g} s (PTT read back 1), released (PTT 0)")


def _release(client: RigctldClient) -> bool | str:
    r"""``\set_ptt 0``, read back; on a failure again on a fresh connection."""
    try:
        client.set_ptt(0)
        return not client.get_ptt()
    except RigError:
        host, _, port = client.address.rpartition(":")
        try:
            with RigctldClient(host, int(port), timeout_s=client.timeout_s) as extra:
                extra.set_ptt(0)
                return not extra.get_ptt()
        except RigError as exc:
            return str(exc)


def _ptt_idle(client: RigctldClient) -> str:
    r"""Read PTT back; when it is 0, send ``\set_ptt 0`` (changes nothing) to see it taken.

    Empty when PTT reads 1 (someone is transmitting: nothing is sent).
    """
    if client.get_ptt():
        return ""
    client.set_ptt(0)
    return "PTT 0 (read back; \\set_ptt 0 accepted)"


def check_rigctld(
    address: str,
    *,
    timeout_s: float = 2.0,
    ptt_test: bool = False,
    hold_s: float = PTT_HOLD_S,
    sleep: Callable[[float], None] = time.sleep,
) -> RigReport:
    """Check the rigctld at ``address``: connection, frequency, mode, PTT read-back.

    Nothing is keyed unless ``ptt_test`` (then for ``hold_s``, always released).

    Raises
    ------
    InputError
        A malformed ``address``.
    """
    host, port = parse_rig_address(address)
    checks: list[RigCheck] = []
    try:
        client = RigctldClient(host, port, timeout_s=timeout_s)
    except RigError as exc:
        return RigReport(f"{host}:{port}", (RigCheck("connection", False, str(exc)),))
    with contextlib.closing(client):
        checks.append(RigCheck("connection", True, "answers"))
        steps: list[tuple[str, Callable[[], str]]] = [
            ("frequency", lambda: f"{client.get_freq() / 1e6:.6f} MHz"),
            ("mode", lambda: f"mode {client.get_mode()}"),
            ("PTT", lambda: _ptt_idle(client)),
        ]
        for name, step in steps:
            try:
                detail = step()
            except RigError as exc:
                checks.append(RigCheck(name, False, str(exc)))
                break
            if not detail:  # PTT reads 1: someone else is transmitting
                checks.append(RigCheck(name, False, "PTT reads 1: the rig is transmitting now"))
                break
            checks.append(RigCheck(name, True, detail))
        if ptt_test and all(c.ok for c in checks):
            checks.append(_ptt_test(client, hold_s, sleep))
    return RigReport(client.address, tuple(checks))
