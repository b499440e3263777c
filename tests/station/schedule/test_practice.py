"""Practice events: the template filled in loads back to the same event."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.errors import InputError
from station.schedule.event import event_from_dict
from station.schedule.plan import make_plan
from station.schedule.practice import next_mark_utc, practice_event, practice_event_toml

START = datetime(2024, 5, 1, 12, 10, tzinfo=UTC)


def _load(text: str):
    return event_from_dict(tomllib.loads(text), source="p.toml")


def test_defaults_give_three_rounds_of_hi_on_one_frequency():
    ev = _load(practice_event_toml(start_utc=START))
    assert (ev.rounds, ev.dit_s, ev.round_period_s, ev.message) == (3, 30.0, 600.0, "HI")
    assert ev.frequency_rule == "single" and ev.table_hz == {"*": 28_400_000.0}
    assert ev.identification.rule == "after-each-round"
    assert ev.identification.text == "DE {callsign}"
    assert ev.start_utc == START and ev.target == "PRACTICE" and not ev.reconstruction
    plan = make_plan(ev, "G4ABC/P")
    assert plan.freq_hz == 28.4e6 and plan.ident_text == "DE G4ABC/P"
    assert plan.rounds[-1].end_utc == START + timedelta(seconds=1200 + 390)


@settings(max_examples=40, deadline=None)
@given(
    dit_s=st.floats(min_value=0.5, max_value=60.0, allow_nan=False),
    rounds=st.integers(min_value=1, max_value=20),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    freq_hz=st.floats(min_value=28.0e6, max_value=29.7e6),
    name=st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=30),
)
def test_written_text_loads_to_an_equal_event(dit_s, rounds, start, freq_hz, name):
    period_s = 16 * dit_s + 30.0  # "HI" keys for 13 dits; ident takes under 15 s
    kwargs = dict(
        start_utc=start, name=name, message="HI", dit_s=dit_s, round_period_s=period_s,
        rounds=rounds, freq_hz=freq_hz, ident_rule="after-each-round", ident_wpm=20.0,
        target="PRACTICE", event_id="practice",
    )  # fmt: skip
    text = practice_event_toml(**kwargs)
    ev = _load(text)
    assert ev == _load(text) and ev == event_from_dict(tomllib.loads(text), source="p.toml")
    assert ev.name == name and ev.start_utc == start and ev.dit_s == dit_s
    assert ev.rounds == rounds and ev.round_period_s == period_s
    assert ev.table_hz == {"*": freq_hz}
    assert ev.key_down_s[-1][1] == pytest.approx(13 * dit_s)
    assert practice_event(**kwargs) == event_from_dict(tomllib.loads(text), source="practice event")


def test_strings_with_quotes_are_escaped_and_control_characters_refused():
    ev = _load(practice_event_toml(start_utc=START, name='A "quoted"\\ name'))
    assert ev.name == 'A "quoted"\\ name'
    # A newline breaks calendar files; an escape sequence would reach the terminal.
    for bad in ("over two\nlines", "red \x1b[31m"):
        with pytest.raises(InputError, match="no control characters"):
            practice_event_toml(start_utc=START, name=bad)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"dit_s": 0.1}, "dit_s: 0.1 s is shorter"),
        ({"dit_s": float("nan")}, "dit_s=nan"),
        ({"rounds": 0}, "rounds: 0 must be 1-1000"),
        ({"rounds": 2.5}, "rounds: 2.5 must be int"),
        ({"freq_hz": 30.0e6}, "freq_hz: 30.000000 MHz is outside"),
        ({"freq_hz": 27.0e6}, "freq_hz: 27.000000 MHz is outside"),
        ({"round_period_s": 100}, "round_period_s: 100 s is too short"),
        ({"ident_rule": "hourly"}, "ident_rule: 'hourly' must be one of"),
        ({"ident_wpm": 100}, "ident_wpm: 100 must be 5-60 WPM"),
        ({"message": "H%"}, "message:"),
        ({"name": 5}, "name=5 must be a string"),
        ({"start_utc": datetime(2024, 5, 1, 12)}, "start_utc=2024-05-01T12:00:00 has no time zone"),
    ],
)
def test_bad_parameters_raise_input_errors_naming_them(kwargs, fragment):
    with pytest.raises(InputError) as info:
        practice_event_toml(**{"start_utc": START, **kwargs})
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("now", "mark"),
    [
        ("12:00:00", "12:10:00"),  # exactly on a mark: the next one
        ("12:03:20", "12:10:00"),
        ("12:08:59", "12:10:00"),  # 61 s ahead
        ("12:09:00", "12:10:00"),  # exactly the 60 s lead
        ("12:09:00.5", "12:20:00"),
        ("12:09:30", "12:20:00"),
        ("23:59:30", "00:10:00"),
    ],
)
def test_next_mark_is_at_least_a_minute_ahead(now, mark):
    t = datetime.fromisoformat(f"2024-05-01T{now}+00:00")
    got = next_mark_utc(t)
    assert f"{got:%H:%M:%S}" == mark
    assert got - t >= timedelta(seconds=60) and got - t < timedelta(minutes=11)


def test_next_mark_other_spacing_and_zones():
    t = datetime.fromisoformat("2024-05-01T14:07:00+02:00")  # 12:07Z
    assert next_mark_utc(t, 15) == datetime(2024, 5, 1, 12, 15, tzinfo=UTC)
    assert next_mark_utc(t, 10, lead_s=0) == datetime(2024, 5, 1, 12, 10, tzinfo=UTC)
    on_mark = datetime(2024, 5, 1, 12, 10, tzinfo=UTC)
    assert next_mark_utc(on_mark, lead_s=0) == datetime(2024, 5, 1, 12, 20, tzinfo=UTC)
    with pytest.raises(InputError, match="aware"):
        next_mark_utc(datetime(2024, 5, 1, 12, 7))
    with pytest.raises(InputError, match="minutes"):
        next_mark_utc(t, 0)
