"""iCalendar export of an operator's plan, parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from station.errors import InputError
from station.schedule.calendar import plan_to_ics
from station.schedule.event import load_event
from station.schedule.plan import make_plan

CREATED = datetime(2013, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan():
    return make_plan(load_event("juno-2013-10-09"), "HC2/DH1TW/P", grid="FN31")


@pytest.fixture(scope="module")
def calendar(plan):
    return icalendar.Calendar.from_ical(plan_to_ics(plan, created_utc=CREATED))


def test_calendar_header(calendar):
    assert str(calendar["VERSION"]) == "2.0"
    assert "hi-station" in str(calendar["PRODID"])


def test_one_event_per_round_with_the_plans_times(plan, calendar):
    events = calendar.walk("VEVENT")
    assert len(events) == 16
    for rnd, ve in zip(plan.rounds, events, strict=True):
        start, end = ve.decoded("DTSTART"), ve.decoded("DTEND")
        assert start == rnd.start_utc and end == rnd.end_utc
        assert start.utcoffset() == timedelta(0) and end.utcoffset() == timedelta(0)
        assert ve.decoded("DTSTAMP") == CREATED
        assert str(ve["UID"]) == f"juno-2013-10-09-DH1TW-r{rnd.round_number}@hi-station"
        assert str(ve["SUMMARY"]) == (
            f"Say HI to Juno (Juno Earth flyby): round {rnd.round_number}/16, "
            "HC2/DH1TW/P on 28.840 MHz"
        )
    assert events[0].decoded("DTSTART") == datetime(2013, 10, 9, 18, 0, tzinfo=UTC)
    assert events[-1].decoded("DTEND") == datetime(2013, 10, 9, 20, 36, 30, tzinfo=UTC)
    assert len({str(ve["UID"]) for ve in events}) == 16


def test_description_lists_every_edge_and_the_identification(plan, calendar):
    for rnd, ve in zip(plan.rounds, calendar.walk("VEVENT"), strict=True):
        text = str(ve["DESCRIPTION"])
        for kd in rnd.key_downs:
            assert f"{kd.start_utc:%H:%M:%S}Z, key-up {kd.end_utc:%H:%M:%S}Z" in text
        assert f"identify at {rnd.ident_utc:%H:%M:%S}Z: 'DE HC2/DH1TW/P'" in text
        assert "28.840000 MHz (table, last letter W" in text and "reconstruction" in text


def test_display_alarm_five_minutes_before_each_round(calendar):
    for ve in calendar.walk("VEVENT"):
        (alarm,) = ve.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm.decoded("TRIGGER") == timedelta(minutes=-5)
        assert str(alarm["DESCRIPTION"])


def test_output_is_deterministic_and_needs_an_aware_timestamp(plan):
    assert plan_to_ics(plan, created_utc=CREATED) == plan_to_ics(plan, created_utc=CREATED)
    with pytest.raises(InputError, match="created_utc"):
        plan_to_ics(plan, created_utc=datetime(2013, 10, 1))
