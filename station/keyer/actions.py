"""What is left to key: the actions of an operator plan from a given instant.

:func:`plan_actions` lists them (a station started mid-event begins at the next whole
key-down); :class:`RunStatus` is what the countdown shows while
:func:`~station.keyer.runner.run_plan` waits for the next one.

Examples
--------
>>> from station.schedule import load_event, make_plan
>>> plan = make_plan(load_event("juno-2013-10-09"), "N0CALL")
>>> acts, skipped = plan_actions(plan, plan.event.start_utc)
>>> len(acts), skipped, acts[-1].kind
(208, 0, 'ident')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from station.schedule.plan import OperatorPlan

__all__ = ["Action", "RunStatus", "plan_actions"]


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
            actions.append(Action(k.start_utc, "down", rnd.round_number, k.element_number))
            actions.append(Action(k.end_utc, "up", rnd.round_number, k.element_number))
        if keyed and rnd.ident_utc is not None:
            actions.append(Action(rnd.ident_utc, "ident", rnd.round_number, 0))
    return tuple(actions), skipped
