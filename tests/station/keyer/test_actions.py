"""What is left to key from a given instant."""

from __future__ import annotations

from datetime import timedelta

from station.keyer.actions import plan_actions
from station.schedule import load_event, make_plan

JUNO = load_event("juno-2013-10-09")


def test_plan_actions_after_the_event_is_empty():
    plan = make_plan(JUNO, "N0CALL")
    actions, skipped = plan_actions(plan, JUNO.end_utc + timedelta(seconds=1))
    assert actions == () and skipped == 96
