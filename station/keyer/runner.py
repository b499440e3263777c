"""Walk an operator plan's edges on a clock, key them safely, log every one.

:func:`run_plan` waits for each action that is left
(:func:`~station.keyer.actions.plan_actions`) on the injected clock, keys it through
a :class:`~station.keyer.safety.SafeKeyer`, reads the key state back, and writes a
TX-log record (:mod:`~station.keyer.records`).  Whatever happens, the key is
released before it returns or raises.

Examples
--------
>>> from datetime import timedelta
>>> from station.clock import SimulatedClock
>>> from station.keyer.base import DryRunKeyer
>>> from station.keyer.safety import SafeKeyer
>>> from station.schedule import load_event, make_plan
>>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
>>> clock = SimulatedClock(plan.event.start_utc - timedelta(seconds=5))
>>> keyer = SafeKeyer(DryRunKeyer(), allowed_hz=plan.event.band_hz, max_key_down_s=30)
>>> summary = run_plan(plan, keyer, clock)
>>> keyer.close()
True
>>> summary.reason, summary.edges, summary.idents, summary.max_abs_error_ms
('completed', 192, 16, 0.0)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from station.clock import Clock, sleep_until
from station.errors import OutputError, RigError, WatchdogTripped
from station.keyer.actions import Action, RunStatus, plan_actions
from station.keyer.records import (
    EdgeRecord,
    IdentRecord,
    SkipRecord,
    StartRecord,
    StopRecord,
    TuneRecord,
    TxRecord,
)
from station.keyer.safety import SafeKeyer
from station.keyer.txlog import TxLog
from station.schedule.plan import OperatorPlan
from station.signals import Interrupted
from station.sntp import ClockOffset

__all__ = ["RunSummary", "run_plan"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """How a run ended.

    Attributes
    ----------
    reason : str
        ``"completed"``, a signal name (``"SIGINT"``, ``"SIGTERM"``, ...), ``"watchdog"``
        or ``"error"``.
    message : str
    edges, idents : int
        Edges keyed and identifications sent.
    skipped_key_downs : int
        Key-downs already past at the start.
    unkeyed : bool or None
        Whether the backend confirmed the key released at the end.
    max_abs_error_ms : float or None
        Largest |sent - planned| over the edges.
    """

    reason: str
    message: str
    edges: int
    idents: int
    skipped_key_downs: int
    unkeyed: bool | None
    max_abs_error_ms: float | None


def _late_s(clock: Clock, act: Action) -> float:
    return (clock.now() - act.at_utc).total_seconds()


class _LogWriter:
    """Writes the run's TX-log records (none without a log) and keeps the first failure.

    A record that cannot be written (a full disk) ends keying: :meth:`__call__` raises
    :class:`~station.errors.OutputError`.  The ``stop`` record is written by
    :meth:`stop`, which never raises (the key must be released and reported whatever
    the disk does).
    """

    def __init__(self, log: TxLog | None) -> None:
        self._log = log
        self.error: OutputError | None = None

    def __call__(self, record: TxRecord, *, final: bool = False) -> None:
        if self._log is None:
            return
        try:
            self._log.write(record, final=final)
        except OutputError as exc:
            self.error = self.error or exc
            raise

    def stop(self, record: StopRecord) -> bool:
        """Write the ``stop`` record into the space the log keeps for it; False if it failed."""
        try:
            self(record, final=True)
        except OutputError:
            return False
        return True


@dataclass
class _Run:
    """One run: what it keys with, where it logs, and what it has keyed so far."""

    plan: OperatorPlan
    keyer: SafeKeyer
    clock: Clock
    write: _LogWriter
    late_tolerance_s: float
    verify: bool
    edges: int = 0
    idents: int = 0
    errors_ms: list[float] = field(default_factory=list)
    skipped: set[tuple[int, int]] = field(default_factory=set)

    @property
    def who(self) -> dict[str, Any]:
        """The fields every record of the run starts with."""
        backend = self.keyer.backend
        return {
            "event_id": self.plan.event.id,
            "callsign": self.plan.callsign.text,
            "backend": backend.name,
            "transmit": backend.transmits,
        }


def _start_record(
    run: _Run, mode: str, skipped: int, clock_offset: ClockOffset | None
) -> StartRecord:
    plan = run.plan
    offset = clock_offset if clock_offset is not None and clock_offset.measured else None
    return StartRecord(
        utc=run.clock.now(),
        **run.who,
        event_name=plan.event.name,
        target=plan.event.target,
        grid=None if plan.grid is None else plan.grid.text,
        freq_hz=plan.freq_hz,
        mode=mode,
        rounds=plan.event.rounds,
        message=plan.event.message,
        key_downs_per_round=len(plan.event.key_down_s),
        dit_s=plan.event.dit_s,
        skipped_key_downs=skipped,
        clock_offset_s=None if offset is None else offset.offset_s,
        clock_delay_s=None if offset is None else offset.delay_s,
        clock_server=None if offset is None else offset.server,
    )


def _wait(run: _Run, act: Action, tick: Callable[[RunStatus], None] | None) -> None:
    """Sleep until ``act`` is due, showing the countdown to ``tick`` meanwhile."""
    if tick is None:
        sleep_until(run.clock, act.at_utc)
        return

    def _tick(now: datetime) -> None:
        tick(RunStatus(now, act, run.keyer.down, run.plan.event.rounds))

    sleep_until(run.clock, act.at_utc, tick=_tick)


def _ident(run: _Run, act: Action) -> IdentRecord:
    plan = run.plan
    sent = run.clock.now()
    reply = run.keyer.identify(plan.ident_text, plan.event.identification.wpm)
    run.idents += 1
    return IdentRecord(
        **run.who,
        round_number=act.round_number,
        text=plan.ident_text,
        wpm=plan.event.identification.wpm,
        planned_utc=act.at_utc,
        actual_utc=sent,
        reply=reply,
    )


def _skip(run: _Run, act: Action) -> SkipRecord:
    """Skip a key-down the loop reached too late (a stalled machine), and its key-up.

    A shortened, misplaced element is worse than none.
    """
    run.skipped.add((act.round_number, act.element_number))
    return SkipRecord(
        **run.who,
        round_number=act.round_number,
        element_number=act.element_number,
        planned_utc=act.at_utc,
        late_ms=round(_late_s(run.clock, act) * 1e3, 3),
    )


def _edge(run: _Run, act: Action) -> EdgeRecord:
    """Key one edge and read the key state back; a state that disagrees ends keying."""
    down = act.kind == "down"
    sent = run.clock.now()
    reply = run.keyer.key(down)
    acked = run.clock.now()
    ptt = run.keyer.key_state() if run.verify else None
    error_ms = (sent - act.at_utc).total_seconds() * 1e3
    run.errors_ms.append(error_ms)
    record = EdgeRecord(
        **run.who,
        round_number=act.round_number,
        element_number=act.element_number,
        key=act.kind,
        planned_utc=act.at_utc,
        sent_utc=sent,
        actual_utc=acked,
        error_ms=round(error_ms, 3),
        latency_ms=round((acked - sent).total_seconds() * 1e3, 3),
        reply=reply,
        ptt=ptt,
        freq_hz=run.plan.freq_hz,
    )
    run.edges += 1
    if ptt is not None and ptt != down:
        run.write(record)
        raise RigError(
            f"{run.keyer.backend.name} reports the key {'down' if ptt else 'up'} right after "
            f"key {act.kind} (round {act.round_number}); keying stopped"
        )
    return record


def _act(run: _Run, act: Action) -> TxRecord | None:
    """Do ``act`` (now due); its record, or None for the key-up of a skipped key-down."""
    if act.kind == "ident":
        return _ident(run, act)
    if act.kind == "down" and _late_s(run.clock, act) > run.late_tolerance_s:
        return _skip(run, act)
    if act.kind == "up" and (act.round_number, act.element_number) in run.skipped:
        return None
    return _edge(run, act)


def _key_all(
    run: _Run,
    actions: tuple[Action, ...],
    mode: str,
    tick: Callable[[RunStatus], None] | None,
    on_action: Callable[[Action, TxRecord], None] | None,
) -> None:
    """Tune, then do each action when it is due and log it."""
    reply = run.keyer.open(run.plan.freq_hz, mode)
    run.write(TuneRecord(utc=run.clock.now(), **run.who, reply=reply))
    for act in actions:
        _wait(run, act, tick)
        record = _act(run, act)
        if record is None:
            continue
        run.write(record)
        if on_action is not None:
            on_action(act, record)


def _why_stopped(exc: BaseException, keyer: SafeKeyer) -> tuple[str, str] | None:
    """Return the ``(reason, message)`` of an error that ends keying; None for a bug."""
    if isinstance(exc, Interrupted):
        return str(exc), f"stopped by {exc}"
    if isinstance(exc, WatchdogTripped):
        return "watchdog", str(exc)
    if isinstance(exc, RigError):
        return ("watchdog" if keyer.watchdog.tripped else "error"), str(exc)
    if isinstance(exc, OutputError):  # the TX log cannot be written: no keying without a log
        return "error", f"{exc}; keying stopped, as the TX log cannot be written"
    return None


def _summary(
    run: _Run, reason: str, message: str, *, skipped: int, unkeyed: bool | None, logged: bool
) -> RunSummary:
    if not logged:  # not even into the space kept for it (a file system without fallocate)
        if reason == "completed":
            reason, message = "error", str(run.write.error)
        message += "; the TX log has no stop record"
    return RunSummary(
        reason=reason,
        message=message,
        edges=run.edges,
        idents=run.idents,
        skipped_key_downs=skipped,
        unkeyed=unkeyed,
        max_abs_error_ms=max((abs(e) for e in run.errors_ms), default=None),
    )


def run_plan(
    plan: OperatorPlan,
    keyer: SafeKeyer,
    clock: Clock,
    log: TxLog | None = None,
    *,
    mode: str | None = None,
    tick: Callable[[RunStatus], None] | None = None,
    on_action: Callable[[Action, TxRecord], None] | None = None,
    late_tolerance_s: float = 0.5,
    verify: bool = True,
    clock_offset: ClockOffset | None = None,
) -> RunSummary:
    """Key the rest of ``plan`` on ``clock``; always release the key before returning.

    Parameters
    ----------
    plan : OperatorPlan
    keyer : SafeKeyer
        Opened here (tuned to ``plan.freq_hz``); the caller closes it.
    clock : Clock
    log : TxLog, optional
        Receives a ``start``, a ``tune``, one record per edge and identification,
        and a ``stop`` record (:mod:`station.keyer.records`).
    mode : str, optional
        Rig mode; default the event's.
    tick : callable, optional
        Called with a :class:`RunStatus` about four times a second while waiting.
    on_action : callable, optional
        Called after each action with its log record (tests read the rig back here).
    late_tolerance_s : float, optional
        See :func:`~station.keyer.actions.plan_actions`.
    verify : bool, optional
        Read the key state back after every edge; a mismatch ends keying.
    clock_offset : ClockOffset, optional
        The measured clock, for the ``start`` record.

    Returns
    -------
    RunSummary
        For a completed run, or one ended by the watchdog, a rig error or a TX log
        that cannot be written (the error is in :attr:`RunSummary.message`).

    Raises
    ------
    Interrupted
        A stop signal (after the key is released and the stop is logged); its
        ``unkeyed`` says whether the release was confirmed.
    """
    actions, skipped = plan_actions(plan, clock.now(), late_tolerance_s=late_tolerance_s)
    run = _Run(plan, keyer, clock, _LogWriter(log), late_tolerance_s, verify)
    mode = mode or plan.event.mode
    run.write(_start_record(run, mode, skipped, clock_offset))
    reason, message = "completed", ""
    interrupted: Interrupted | None = None
    try:
        _key_all(run, actions, mode, tick, on_action)
    except BaseException as exc:
        ended = _why_stopped(exc, keyer)
        reason, message = ended or ("error", f"{type(exc).__name__}: {exc}")
        if ended is None:  # a bug: release, log, and let it show
            raise
        if isinstance(exc, Interrupted):
            interrupted = exc
    finally:
        unkeyed = keyer.release()
        stop = StopRecord(utc=clock.now(), **run.who, reason=reason, message=message,
                          unkeyed=unkeyed, edges=run.edges)  # fmt: skip
        logged = run.write.stop(stop)
    if interrupted is None and keyer.signals is not None and keyer.signals.pending:
        interrupted = Interrupted(keyer.signals.pending)  # came during the release
    if interrupted is not None:
        interrupted.unkeyed = unkeyed
        raise interrupted
    return _summary(run, reason, message, skipped=skipped, unkeyed=unkeyed, logged=logged)
