"""A keying session: choose the backend, check everything, then run the plan.

Used by ``hi-station transmit``; everything that can be refused is refused here,
*before* any backend is opened, so nothing is ever keyed after an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from station.clock import Clock
from station.errors import InputError
from station.keyer.base import DryRunKeyer, Keyer
from station.keyer.rigctld import RigctldKeyer
from station.keyer.rigctld_client import RigctldClient, parse_rig_address
from station.keyer.runner import Action, RunStatus, RunSummary, plan_actions, run_plan
from station.keyer.safety import SafeKeyer, SignalGuard
from station.keyer.serial_line import SerialKeyer
from station.keyer.txlog import TxLog
from station.schedule.plan import OperatorPlan
from station.utc import utc_z

__all__ = [
    "Backend",
    "check_rig",
    "check_session",
    "default_log_path",
    "make_backend",
    "transmit_plan",
]


@dataclass(frozen=True, slots=True)
class Backend:
    """How to key.

    Attributes
    ----------
    rig : str or None
        rigctld ``HOST:PORT``.
    serial : str or None
        Serial device or pyserial URL keyed on ``serial_line``.
    serial_line : str
        ``"dtr"`` or ``"rts"``.
    ptt_data : bool
        rigctld key-down sends ``T 3`` (TX data) instead of ``T 1``.
    transmit : bool
        Really key; False = dry run (the default).
    timeout_s : float
        Rig reply timeout.
    """

    rig: str | None = None
    serial: str | None = None
    serial_line: str = "dtr"
    ptt_data: bool = False
    transmit: bool = False
    timeout_s: float = 2.0


#: Allowed watchdog margins, s: more than a rig's PTT-off latency, less than a dit.
MARGIN_RANGE_S = (0.5, 30.0)
#: Allowed rig reply timeouts, s (Hamlib's PTT off alone takes 50 ms).
TIMEOUT_RANGE_S = (0.2, 30.0)


def make_backend(spec: Backend) -> Keyer:
    """Build (not open) the backend ``spec`` names; dry run unless ``spec.transmit``.

    Raises
    ------
    InputError
        Both or neither of --rig/--serial with --transmit, or a bad address.

    Examples
    --------
    >>> make_backend(Backend(rig="localhost:4532")).name
    'dry-run'
    >>> make_backend(Backend(rig="localhost:4532", transmit=True)).name
    'rigctld'
    """
    low, high = TIMEOUT_RANGE_S
    if not low <= spec.timeout_s <= high:
        raise InputError(f"--rig-timeout-s={spec.timeout_s:g} must be {low:g}-{high:g} s")
    if spec.rig and spec.serial:
        raise InputError("give one of --rig HOST:PORT and --serial PORT, not both")
    if spec.rig:
        host, port = parse_rig_address(spec.rig)
    if not spec.transmit:
        return DryRunKeyer()
    if spec.rig:
        ptt_value = 3 if spec.ptt_data else 1
        return RigctldKeyer(host, port, ptt_value=ptt_value, timeout_s=spec.timeout_s)
    if spec.serial:
        return SerialKeyer(spec.serial, line=spec.serial_line)
    raise InputError("--transmit needs a rig: --rig HOST:PORT (rigctld) or --serial PORT")


def check_rig(spec: Backend) -> str | None:
    """In a dry run with ``--rig``, check that rigctld answers (read-only); None otherwise."""
    if spec.transmit or not spec.rig:
        return None
    host, port = parse_rig_address(spec.rig)
    client = RigctldClient(host, port, timeout_s=spec.timeout_s)
    try:
        return f"rigctld at {client.address} answers: {client.get_freq() / 1e6:.6f} MHz"
    finally:
        client.close()


def default_log_path(plan: OperatorPlan) -> Path:
    """``tx-<event>-<callsign>.jsonl`` in the current directory (``/`` becomes ``-``).

    Examples
    --------
    >>> from station.schedule import load_event, make_plan
    >>> default_log_path(make_plan(load_event("juno-2013-10-09"), "VE3/N0CALL")).name
    'tx-juno-2013-10-09-VE3-N0CALL.jsonl'
    """
    return Path(f"tx-{plan.event.id}-{plan.callsign.text.replace('/', '-')}.jsonl")


def check_session(plan: OperatorPlan, now_utc: datetime, *, margin_s: float) -> None:
    """Refuse a session with nothing left to key or a bad watchdog margin.

    Raises
    ------
    InputError
    """
    low, high = MARGIN_RANGE_S
    if not low <= margin_s <= high:
        raise InputError(
            f"--watchdog-margin-s={margin_s:g} must be {low:g}-{high:g} s (the watchdog "
            "releases a key-down after the longest element plus this margin)"
        )
    actions, _ = plan_actions(plan, now_utc)
    if not any(a.kind == "down" for a in actions):
        raise InputError(
            f"{plan.event.source}: the event's last key-down was before now "
            f"({utc_z(now_utc)}); nothing to key (write a practice event with "
            "`hi-station schedule new`)"
        )


def transmit_plan(
    plan: OperatorPlan,
    backend: Keyer,
    clock: Clock,
    log_path: Path,
    *,
    margin_s: float = 3.0,
    mode: str | None = None,
    tick: Callable[[RunStatus], None] | None = None,
    on_action: Callable[[Action, dict[str, Any]], None] | None = None,
) -> RunSummary:
    """Run ``plan`` on ``backend`` with every safety in place; the log is appended to.

    Raises
    ------
    InputError
        The event is over (nothing left to key), or the log cannot be opened; raised
        before the backend is touched.
    KeyingInterrupted
        A signal stopped keying (the key is released and the stop logged first).
    """
    check_session(plan, clock.now(), margin_s=margin_s)
    with TxLog(log_path) as log, SignalGuard() as signals:
        keyer = SafeKeyer(
            backend,
            allowed_hz=plan.event.band_hz,
            max_key_down_s=plan.event.max_key_down_s,
            margin_s=margin_s,
            clock=clock,
            signals=signals,
            guardian_log=str(log_path),
        )
        try:
            return run_plan(plan, keyer, clock, log, mode=mode, tick=tick, on_action=on_action)
        finally:
            keyer.close()
