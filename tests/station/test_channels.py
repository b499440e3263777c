"""Channel planning shared by capture and replay: which channels, how wide, what is searched."""

from __future__ import annotations

import pytest

from station.channels import (
    Channel,
    channel_offsets_hz,
    event_freqs_hz,
    nearest_channel_rate_hz,
    plan_channels,
    search_hz,
)
from station.errors import InputError
from station.schedule import load_event
from station.sdr.base import SourceInfo

JUNO = load_event("juno-2013-10-09")
BAND = SourceInfo(240e3, 28.3e6, None, "test")


def test_given_frequencies_are_labelled_in_order_and_must_lie_in_the_band():
    assert plan_channels(BAND, freqs_hz=[28.31e6, 28.25e6]) == [
        Channel("f1", 28.31e6), Channel("f2", 28.25e6),
    ]  # fmt: skip
    with pytest.raises(InputError, match=r"--freq-mhz=28\.500000 is outside .* 28\.181000-"):
        plan_channels(BAND, freqs_hz=[28.5e6])
    with pytest.raises(InputError, match="outside"):
        plan_channels(BAND, freqs_hz=[float("nan")])


def test_an_event_gives_its_table_frequencies_inside_the_band():
    channels = plan_channels(BAND, event=JUNO)
    assert [c.label for c in channels] == ["G", "H", "I", "J", "K", "L"]
    assert [c.freq_hz for c in channels] == sorted(c.freq_hz for c in channels)
    far = SourceInfo(240e3, 29.5e6, None, "test")
    with pytest.raises(InputError, match="no frequency of juno-2013-10-09 lies"):
        plan_channels(far, event=JUNO)


def test_a_narrow_recording_is_its_own_channel_and_a_wide_one_needs_a_choice():
    assert plan_channels(SourceInfo(8000.0, 28.3e6, None, "")) == [Channel("all", 28.3e6)]
    with pytest.raises(InputError, match="240 kS/s wide: say which channels"):
        plan_channels(BAND)


def test_rate_offsets_search_and_table():
    assert nearest_channel_rate_hz(240e3) == 2000.0
    assert nearest_channel_rate_hz(1500.0, 2000.0) == 1500.0  # never above the input
    assert channel_offsets_hz([Channel("a", 28.31e6)], 28.3e6) == [pytest.approx(10e3)]
    assert (search_hz(2000.0), search_hz(8000.0)) == (750.0, 1000.0)
    assert event_freqs_hz(None) == [] and len(event_freqs_hz(JUNO)) == len(
        set(JUNO.table_hz.values())
    )
