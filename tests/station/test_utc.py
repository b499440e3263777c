"""station.utc: the one module for UTC parse and format."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from station.errors import InputError
from station.utc import format_unix_s, format_utc, iso_to_unix_s, parse_aware, parse_utc, utc_z


def test_parse_utc():
    assert parse_utc("2013-10-09T20:00:00+02:00") == datetime(2013, 10, 9, 18, tzinfo=UTC)
    with pytest.raises(InputError, match="--start='18:00' must be an ISO 8601 time with a zone"):
        parse_utc("18:00", name="--start")
    with pytest.raises(InputError, match="with a zone"):
        parse_utc("2013-10-09T18:00:00")  # naive


def test_format_utc_is_rfc3339_with_z_from_any_zone():
    plus2 = timezone(timedelta(hours=2))
    assert format_utc(datetime(2013, 10, 9, 20, 0, 1, 250000, tzinfo=plus2)) == (
        "2013-10-09T18:00:01.250000Z"
    )
    assert format_utc(datetime(2013, 10, 9, 18, tzinfo=UTC)).endswith("Z")


def test_the_formats_of_plans_and_of_event_files():
    when = datetime(2013, 10, 9, 18, 0, 0, 123456, tzinfo=UTC)
    assert utc_z(when) == "2013-10-09T18:00:00.123Z"
    assert format_utc(when.replace(microsecond=0), "auto") == "2013-10-09T18:00:00Z"


def test_parse_aware_refuses_naive_and_malformed_times():
    assert parse_aware("2013-10-09T18:00:00Z") == datetime(2013, 10, 9, 18, tzinfo=UTC)
    assert parse_aware("2013-10-09T18:00:00") is None
    assert parse_aware(" 2013-10-09T18:00:00Z") is None  # callers strip when they allow it
    assert parse_aware("tomorrow") is None


def test_unix_seconds_round_trip():
    t = iso_to_unix_s("2013-10-09T18:00:00.25Z")
    assert t == 1381341600.25 and format_unix_s(t) == "2013-10-09T18:00:00.250Z"
    assert iso_to_unix_s("2013-10-09T20:00:00+02:00") is None  # other zones are not guessed
    with pytest.raises(ValueError, match="must be < 60"):
        iso_to_unix_s("2013-10-09T18:00:60Z")
