"""Walk an operator plan's edges on a clock, key them safely, log every one.

:func:`plan_actions` lists what is left to do from a given instant (a station
started mid-event begins at the next whole key-down); :func:`run_plan` waits for
each action on the injected clock, keys it through a
:class:`~station.keyer.safety.SafeKeyer`, reads the key state back, and writes a
TX-log record.  Whatever happens, the key is released before it returns or raises.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from station.clock import Clock, sleep_until
from station.errors import OutputError, RigError, WatchdogTripped
from station.keyer.safety import KeyingInterrupted, SafeKeyer
from station.keyer.txlog import TxLog
from station.schedule.plan import OperatorPlan
from station.utc import utc_z

__all__ = ["Action", "RunStatus", "RunSummary", "plan_actions", "run_plan"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do at a UTC instant.

    Attributes
    ----------
    at_utc : datetime
    kind : str
        ``"down"``, ``"up"`` or ``"ident"``.
    round_number, element_number : int
        1-based (element 0 for an identification).
    """

    at_utc: datetime
    kind: str
    round_number: int
    element_number: int


@dataclass(frozen=True, slots=True)
class RunStatus:
    """What the countdown shows.

    Attributes
    ----------
    now_utc : datetime
    next_action : Action
    key_down : bool
    rounds_total : int
    """

    now_utc: datetime
    next_action: Action
    key_down: bool
    rounds_total: int

    @property
    def seconds_to_next(self) -> float:
        """Time left to the next action, s."""
        return (self.next_action.at_utc - self.now_utc).total_seconds()


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


def plan_actions(
    plan: OperatorPlan, now_utc: datetime, *, late_tolerance_s: float = 0.5
) -> tuple[tuple[Action, ...], int]:
    """Actions left from ``now_utc``, and how many key-downs are already past.

    A key-down is kept only if its start is at most ``late_tolerance_s`` ago, so a
    late start never sends a shortened element; an identification follows each round
    in which something is keyed.

    Examples
    --------
    >>> from station.schedule import load_event, make_plan
    >>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
    >>> acts, skipped = plan_actions(plan, plan.event.start_utc + timedelta(seconds=70))
    >>> skipped, acts[0].kind, f"{acts[0].at_utc:%H:%M:%S}"
    (2, 'down', '18:02:00')
    """
    cutoff = now_utc - timedelta(seconds=late_tolerance_s)
    actions: list[Action] = []
    skipped = 0
    for rnd in plan.rounds:
        keyed = False
        for k in rnd.key_downs:
            if k.start_utc < cutoff:
                skipped += 1
                continue
            keyed = True
            actions.append(Action(k.start_utc, "down", rnd.number, k.element_number))
            actions.append(Action(k.end_utc, "up", rnd.number, k.element_number))
        if keyed and rnd.ident_utc is not None:
            actions.append(Action(rnd.ident_utc, "ident", rnd.number, 0))
    return tuple(actions), skipped


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

    def __call__(self, record: dict[str, Any], *, final: bool = False) -> None:
        if self._log is None:
            return
        try:
            self._log.write(record, final=final)
        except OutputError as exc:
            self.error = self.error or exc
            raise

    def stop(self, record: dict[str, Any]) -> bool:
        """Write the ``stop`` record into the space the log keeps for it; False if it failed."""
        try:
            self(record, final=True)
        except OutputError:
            return False
        return True


def run_plan(
    plan: OperatorPlan,
    keyer: SafeKeyer,
    clock: Clock,
    log: TxLog | None = None,
    *,
    mode: str | None = None,
    tick: Callable[[RunStatus], None] | None = None,
    on_action: Callable[[Action, dict[str, Any]], None] | None = None,
    late_tolerance_s: float = 0.5,
    verify: bool = True,
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
        and a ``stop`` record.
    mode : str, optional
        Rig mode; default the event's.
    tick : callable, optional
        Called with a :class:`RunStatus` about four times a second while waiting.
    on_action : callable, optional
        Called after each action with its log record (tests read the rig back here).
    late_tolerance_s : float, optional
        See :func:`plan_actions`.
    verify : bool, optional
        Read the key state back after every edge; a mismatch ends keying.

    Returns
    -------
    RunSummary
        For a completed run, or one ended by the watchdog, a rig error or a TX log
        that cannot be written (the error is in :attr:`RunSummary.message`).

    Raises
    ------
    KeyingInterrupted
        A stop signal (after the key is released and the stop is logged); its
        ``unkeyed`` says whether the release was confirmed.
    """
    actions, skipped = plan_actions(plan, clock.now(), late_tolerance_s=late_tolerance_s)
    backend = keyer.backend
    common = {
        "event_id": plan.event.id,
        "callsign": plan.callsign.text,
        "backend": backend.name,
        "transmit": backend.transmits,
    }
    write = _LogWriter(log)
    write(
        {
            "type": "start",
            "utc": utc_z(clock.now()),
            **common,
            "event_name": plan.event.name,
            "target": plan.event.target,
            "grid": None if plan.grid is None else plan.grid.text,
            "freq_hz": plan.freq_hz,
            "mode": mode or plan.event.mode,
            "rounds": plan.event.rounds,
            "message": plan.event.message,
            "key_downs_per_round": len(plan.event.key_down_s),
            "dit_s": plan.event.dit_s,
            "skipped_key_downs": skipped,
        }
    )
    reason, message = "completed", ""
    edges = idents = 0
    errors_ms: list[float] = []
    skip: set[tuple[int, int]] = set()
    interrupted: KeyingInterrupted | None = None
    try:
        reply = keyer.open(plan.freq_hz, mode or plan.event.mode)
        write({"type": "tune", "utc": utc_z(clock.now()), **common, "reply": reply})
        for act in actions:
            if tick is not None:

                def _tick(now: datetime, act: Action = act) -> None:
                    tick(RunStatus(now, act, keyer.down, plan.event.rounds))

                sleep_until(clock, act.at_utc, tick=_tick)
            else:
                sleep_until(clock, act.at_utc)
            if act.kind == "ident":
                sent = clock.now()
                reply = keyer.identify(plan.ident_text, plan.event.identification.wpm)
                record = {
                    "type": "ident",
                    **common,
                    "round": act.round_number,
                    "text": plan.ident_text,
                    "wpm": plan.event.identification.wpm,
                    "planned_utc": utc_z(act.at_utc),
                    "actual_utc": utc_z(sent),
                    "reply": reply,
                }
                idents += 1
            elif act.kind == "down" and _late_s(clock, act) > late_tolerance_s:
                # The loop fell behind (a stalled machine): never send a shortened,
                # misplaced element; skip it and its key-up.
                skip.add((act.round_number, act.element_number))
                record = {
                    "type": "skip",
                    **common,
                    "round": act.round_number,
                    "element": act.element_number,
                    "planned_utc": utc_z(act.at_utc),
                    "late_ms": round(_late_s(clock, act) * 1e3, 3),
                }
            elif act.kind == "up" and (act.round_number, act.element_number) in skip:
                continue
            else:
                down = act.kind == "down"
                sent = clock.now()
                reply = keyer.key(down)
                acked = clock.now()
                ptt = keyer.key_state() if verify else None
                error_ms = (sent - act.at_utc).total_seconds() * 1e3
                errors_ms.append(error_ms)
                record = {
                    "type": "edge",
                    **common,
                    "round": act.round_number,
                    "element": act.element_number,
                    "key": act.kind,
                    "planned_utc": utc_z(act.at_utc),
                    "sent_utc": utc_z(sent),
                    "actual_utc": utc_z(acked),
                    "error_ms": round(error_ms, 3),
                    "latency_ms": round((acked - sent).total_seconds() * 1e3, 3),
                    "reply": reply,
                    "ptt": ptt,
                    "freq_hz": plan.freq_hz,
                }
                edges += 1
                if ptt is not None and ptt != down:
                    write(record)
                    raise RigError(
                        f"{backend.name} reports the key {'down' if ptt else 'up'} right after "
                        f"key {act.kind} (round {act.round_number}); keying stopped"
                    )
            write(record)
            if on_action is not None:
                on_action(act, record)
    except KeyingInterrupted as exc:
        reason, message, interrupted = str(exc), f"stopped by {exc}", exc
    except WatchdogTripped as exc:
        reason, message = "watchdog", str(exc)
    except RigError as exc:
        reason, message = ("watchdog" if keyer.watchdog.tripped else "error"), str(exc)
    except OutputError as exc:  # the TX log cannot be written: no keying without a log
        reason, message = "error", f"{exc}; keying stopped, as the TX log cannot be written"
    except BaseException as exc:  # a bug: release, log, and let it show
        reason, message = "error", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        unkeyed = keyer.release()
        logged = write.stop(
            {
                "type": "stop",
                "utc": utc_z(clock.now()),
                **common,
                "reason": reason,
                "message": message,
                "unkeyed": unkeyed,
                "edges": edges,
            }
        )
    if interrupted is None and keyer.signals is not None and keyer.signals.pending:
        interrupted = KeyingInterrupted(keyer.signals.pending)  # came during the release
    if interrupted is not None:
        interrupted.unkeyed = unkeyed
        raise interrupted
    if not logged:  # not even into the space kept for it (a file system without fallocate)
        if reason == "completed":
            reason, message = "error", str(write.error)
        message += "; the TX log has no stop record"
    return RunSummary(
        reason=reason,
        message=message,
        edges=edges,
        idents=idents,
        skipped_key_downs=skipped,
        unkeyed=unkeyed,
        max_abs_error_ms=max((abs(e) for e in errors_ms), default=None),
    )
