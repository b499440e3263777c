"""A keying session: choose the backend, check everything, then run the plan.

:func:`run_transmit` is ``hi-station transmit``: it assembles the session from a
:class:`TransmitRequest` and reports to a :class:`TransmitView`.  Everything that can
be refused is refused here, *before* any backend is opened, so nothing is ever keyed
after an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from station.clock import Clock, SystemClock, clock_status
from station.errors import InputError, RigError
from station.keyer.actions import Action, RunStatus, plan_actions
from station.keyer.audio import AudioKeyer
from station.keyer.base import DryRunKeyer, Keyer
from station.keyer.records import TxRecord
from station.keyer.rig_check import RigReport, check_rigctld
from station.keyer.rigctld import RigctldKeyer
from station.keyer.rigctld_client import check_mode, parse_rig_address
from station.keyer.runner import RunSummary, run_plan
from station.keyer.safety import SafeKeyer
from station.keyer.serial_line import SerialKeyer
from station.keyer.txlog import TxLog
from station.schedule.event import load_event
from station.schedule.plan import OperatorPlan, make_plan
from station.sideband import dial_for_rf_hz
from station.signals import Interrupted, SignalGuard
from station.sntp import DEFAULT_SERVERS, ClockLimits, ClockOffset, check_clock
from station.utc import utc_z

__all__ = [
    "KEY_MAY_BE_DOWN",
    "Backend",
    "TransmitOutcome",
    "TransmitRequest",
    "TransmitView",
    "check_rig",
    "check_session",
    "default_log_path",
    "key_state",
    "make_backend",
    "run_transmit",
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
    audio : str or None
        Key a tone on this sound-card output (:mod:`station.keyer.audio`); PTT by
        ``rig`` or ``serial``, or VOX when neither is given.
    tone_hz : float
        The audio tone.
    sideband : str
        ``"usb"`` (carrier = dial + tone) or ``"lsb"`` (dial - tone).
    vox : bool
        With ``audio``: the rig's VOX keys it; ``rig`` and ``serial`` (e.g. from the
        station config) are not used.
    """

    rig: str | None = None
    serial: str | None = None
    serial_line: str = "dtr"
    ptt_data: bool = False
    transmit: bool = False
    timeout_s: float = 2.0
    audio: str | None = None
    tone_hz: float = 1500.0
    sideband: str = "usb"
    vox: bool = False

    def ptt_lines(self) -> Backend:
        """Return the backend with ``rig`` and ``serial`` dropped under ``vox`` (checked).

        Examples
        --------
        >>> Backend(rig="localhost:4532", audio="pulse", vox=True).ptt_lines().rig is None
        True
        """
        if not self.vox:
            return self
        if self.audio is None:
            raise InputError("--vox keys the rig by its VOX from an audio tone: give --audio")
        return replace(self, rig=None, serial=None)


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
    spec = spec.ptt_lines()
    if spec.rig and spec.serial:
        raise InputError("give one of --rig HOST:PORT and --serial PORT, not both")
    if spec.rig:
        host, port = parse_rig_address(spec.rig)
    ptt: Keyer | None = None
    if spec.rig:
        ptt_value = 3 if spec.ptt_data else 1
        ptt = RigctldKeyer(host, port, ptt_value=ptt_value, timeout_s=spec.timeout_s)
    elif spec.serial:
        ptt = SerialKeyer(spec.serial, line=spec.serial_line)
    audio = None if spec.audio is None else AudioKeyer(
        spec.audio, tone_hz=spec.tone_hz, sideband=spec.sideband, ptt=ptt)  # fmt: skip
    if not spec.transmit:
        return DryRunKeyer()
    if audio is not None:
        return audio
    if ptt is not None:
        return ptt
    raise InputError(
        "--transmit needs a rig: --rig HOST:PORT (rigctld), --serial PORT or --audio DEVICE"
    )


def check_rig(spec: Backend) -> RigReport | None:
    """In a dry run with ``--rig``, check rigctld without keying (frequency, mode, PTT).

    None without ``--rig`` or with ``--transmit`` (the keyer checks as it opens).
    See :mod:`station.keyer.rig_check`.

    Raises
    ------
    RigError
        rigctld cannot be reached.
    """
    if spec.transmit or not spec.rig:
        return None
    report = check_rigctld(spec.rig, timeout_s=spec.timeout_s)
    if not report.checks[0].ok:
        raise RigError(report.checks[0].detail)
    return report


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
    on_action: Callable[[Action, TxRecord], None] | None = None,
    clock_offset: ClockOffset | None = None,
) -> RunSummary:
    """Run ``plan`` on ``backend`` with every safety in place; the log is appended to.

    ``clock_offset`` (the measured clock, :mod:`station.sntp`) goes into the log's
    ``start`` record.

    Raises
    ------
    InputError
        The event is over (nothing left to key), or the log cannot be opened; raised
        before the backend is touched.
    Interrupted
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
            return run_plan(plan, keyer, clock, log, mode=mode, tick=tick, on_action=on_action,
                            clock_offset=clock_offset)  # fmt: skip
        finally:
            keyer.close()


#: What the operator must read when the release of the key was not confirmed.
KEY_MAY_BE_DOWN = (
    "THE KEY MAY STILL BE DOWN: switch the transmitter off (a guard process keeps trying)"
)


def key_state(unkeyed: bool | None) -> str:
    """Say whether the key is released (:data:`KEY_MAY_BE_DOWN` unless confirmed or unknown).

    Examples
    --------
    >>> key_state(True)
    'key released'
    >>> key_state(False).startswith("THE KEY MAY STILL BE DOWN")
    True
    """
    return KEY_MAY_BE_DOWN if unkeyed is False else "key released"


@dataclass(frozen=True, slots=True)
class TransmitRequest:
    """What ``hi-station transmit`` was asked to do.

    Attributes
    ----------
    schedule : str
        Event file, or a shipped event id.
    callsign : str
    backend : Backend
    grid : str or None
        Maidenhead locator, for the log.
    freq_hz : float or None
        Overrides the event's frequency.
    mode : str or None
        Rig mode; default the event's.
    log : Path or None
        TX log (appended to); default :func:`default_log_path`.
    watchdog_margin_s : float
        The watchdog releases a key-down after the longest element plus this.
    ntp_servers : tuple of str
        ``HOST[:PORT]`` servers the clock is measured against (:mod:`station.sntp`).
    clock_limits : ClockLimits
        When the measured clock refuses ``--transmit`` or warns.
    """

    schedule: str
    callsign: str
    backend: Backend = Backend()
    grid: str | None = None
    freq_hz: float | None = None
    mode: str | None = None
    log: Path | None = None
    watchdog_margin_s: float = 3.0
    ntp_servers: tuple[str, ...] = DEFAULT_SERVERS
    clock_limits: ClockLimits = ClockLimits()


class TransmitView(Protocol):
    """Where a session reports: notes before keying, then the countdown and each action."""

    def note(self, text: str) -> None:
        """Show one line before keying starts."""

    def warn(self, text: str) -> None:
        """Show one warning before keying starts."""

    def start(self, plan: OperatorPlan, backend_name: str, clock_warning: str) -> None:
        """Get ready to show keying (every check passed)."""

    def tick(self, status: RunStatus) -> None:
        """Show the countdown (called about four times a second while waiting)."""

    def action(self, act: Action, record: TxRecord) -> None:
        """Show an action just done and logged as ``record``."""

    def stop(self) -> None:
        """Take the view down: keying is over (called once or more)."""


@dataclass(frozen=True, slots=True)
class TransmitOutcome:
    """How a session ended, for the operator.

    Attributes
    ----------
    text : str
        The last line to show.
    exit_code : int
        0, or the code of the stop signal.
    alarm : bool
        The key may still be down.
    """

    text: str
    exit_code: int = 0
    alarm: bool = False


def _session(request: TransmitRequest) -> tuple[OperatorPlan, str, Keyer]:
    """Build the plan, the mode and the (unopened) backend, in the order they are checked."""
    event = load_event(request.schedule)
    plan = make_plan(event, request.callsign, grid=request.grid, freq_hz=request.freq_hz)
    mode = check_mode(request.mode if request.mode is not None else event.mode)
    return plan, mode, make_backend(request.backend)


def _announce(request: TransmitRequest, plan: OperatorPlan, backend: Keyer, log_path: Path,
              view: TransmitView, clock_check: tuple[ClockOffset | None, str]) -> str:  # fmt: skip
    """Show the clock's state, the rig's answer and what is keyed; the clock warning."""
    offset, offset_warning = clock_check
    if offset is not None and offset.measured and not offset_warning:
        view.note(f"clock {offset.describe()}")
    if request.clock_limits.ignore:
        offset_warning = "clock not measured (--ignore-clock): edges are as good as this clock"
    warnings = [w for w in (offset_warning, clock_status().warning) if w]
    for text in warnings:
        view.warn(text)
    warning = "; ".join(warnings)
    rig = check_rig(request.backend.ptt_lines())
    if rig is not None and rig.ok:
        view.note(rig.summary())
    elif rig is not None:
        view.warn(f"{rig.summary()} (--transmit would stop there)")
    spec = request.backend.ptt_lines()
    if spec.audio is not None:
        dial = dial_for_rf_hz(plan.freq_hz, spec.tone_hz, spec.sideband)
        view.note(f"audio tone {spec.tone_hz:g} Hz on {spec.audio}: set the dial to "
                  f"{dial / 1e6:.6f} MHz {spec.sideband.upper()} (PTT "
                  f"{'rigctld' if spec.rig else 'serial' if spec.serial else 'VOX'})")  # fmt: skip
    how = "TRANSMITTING" if backend.transmits else "dry run (nothing keyed; add --transmit)"
    view.note(
        f"{plan.callsign.text} on {plan.freq_hz / 1e6:.6f} MHz ({plan.freq_source}); "
        f"{backend.name}: {how}; log {log_path}"
    )
    return warning


def run_transmit(
    request: TransmitRequest, view: TransmitView, *, clock: Clock | None = None
) -> TransmitOutcome:
    """Check and run a keying session: ``hi-station transmit``.

    Raises
    ------
    InputError
        Anything refused before keying (see :func:`make_backend`,
        :func:`check_session`, :func:`transmit_plan`), the measured clock too
        (:func:`station.sntp.check_clock`).
    RigError
        Keying ended early (the rig, the watchdog, the TX log); the message ends with
        the key's state (:func:`key_state`) and the log's path.
    """
    plan, mode, backend = _session(request)
    clock = clock if clock is not None else SystemClock()
    check_session(plan, clock.now(), margin_s=request.watchdog_margin_s)
    log_path = request.log if request.log is not None else default_log_path(plan)
    clock_check = check_clock(request.ntp_servers, request.clock_limits, transmit=backend.transmits)
    warning = _announce(request, plan, backend, log_path, view, clock_check)
    view.start(plan, backend.name, warning)
    try:
        summary = transmit_plan(plan, backend, clock, log_path, margin_s=request.watchdog_margin_s,
                                mode=mode, tick=view.tick, on_action=view.action,
                                clock_offset=clock_check[0])  # fmt: skip
    except Interrupted as exc:
        view.stop()
        text = f"stopped by {exc}: {key_state(exc.unkeyed)}; log {log_path}"
        return TransmitOutcome(text, exc.exit_code, alarm=exc.unkeyed is False)
    finally:
        view.stop()
    if summary.reason != "completed":
        raise RigError(f"{summary.message}; {key_state(summary.unkeyed)}; log {log_path}")
    return TransmitOutcome(
        f"done: {summary.edges} edges, {summary.idents} identifications, "
        f"max |edge error| {summary.max_abs_error_ms or 0:.1f} ms; log {log_path}"
    )
