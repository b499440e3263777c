"""The optional [receiver] table of event files."""

from __future__ import annotations

import pytest

from station.errors import ScheduleError
from station.schedule import load_event
from station.schedule.receiver import receiver_from_dict


def test_2013_event_names_the_waves_channel_and_trajectory():
    receiver = load_event("juno-2013-10-09").receiver
    assert receiver.channel_hz == 28.5e6
    assert receiver.bandwidth_hz == 1e6
    assert receiver.trajectory == "juno-2013-earth-flyby"


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ("not a table", "receiver: must be a table"),
        ({"channel_hz": 1.0, "bandwidth_hz": 1.0, "antenna": 4}, "unknown key.*antenna"),
        ({"channel_hz": -1.0, "bandwidth_hz": 1.0}, "receiver.channel_hz: -1.0 must be > 0"),
        ({"channel_hz": 1.0}, "bandwidth_hz"),
        ({"channel_hz": "28.5", "bandwidth_hz": 1.0}, "channel_hz"),
    ],
)
def test_bad_receiver_tables_are_refused_naming_the_field(table, match):
    with pytest.raises(ScheduleError, match=match):
        receiver_from_dict({"receiver": table}, "x.toml")
