"""Events, callsigns and operator plans.

:mod:`~station.schedule.event` reads and validates event files (``schedules/``),
:mod:`~station.schedule.callsign` validates callsigns and grid locators, and
:mod:`~station.schedule.plan` turns (event, callsign) into the frequency and every
key edge in UTC.
"""

from station.schedule.callsign import Callsign, Grid, parse_callsign, parse_grid
from station.schedule.event import Event, load_event
from station.schedule.plan import Edge, KeyDown, OperatorPlan, PlannedRound, make_plan

__all__ = [
    "Callsign",
    "Edge",
    "Event",
    "Grid",
    "KeyDown",
    "OperatorPlan",
    "PlannedRound",
    "load_event",
    "make_plan",
    "parse_callsign",
    "parse_grid",
]
