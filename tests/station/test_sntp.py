"""The measured clock against a real chronyd on loopback, true and shifted by faketime."""

from __future__ import annotations

import time

import pytest

from station.errors import InputError
from station.sntp import ClockLimits, judge_offset, measure_offset, parse_server


def test_a_true_server_measures_an_offset_near_zero(ntp_server):
    address = ntp_server()
    t0 = time.monotonic()
    got = measure_offset([address])
    took_s = time.monotonic() - t0
    assert got.measured and got.server == address and not got.error
    assert abs(got.offset_s) < 0.020 and took_s <= 2.0
    assert got.delay_s is not None and 0 <= got.delay_s < 0.1
    assert judge_offset(got, ClockLimits()) == (None, "")


@pytest.mark.parametrize("shift_s", [3.0, -2.5])
def test_a_shifted_server_measures_its_shift(ntp_server, shift_s):
    address = ntp_server(f"{shift_s:+g}s")
    t0 = time.monotonic()
    got = measure_offset([address])
    took_s = time.monotonic() - t0
    assert abs(got.offset_s - shift_s) < 0.020 and took_s <= 2.0
    refusal, warning = judge_offset(got, ClockLimits())
    assert (
        refusal is not None and "above the 0.5 s limit" in refusal and "--ignore-clock" in refusal
    )
    assert judge_offset(got, ClockLimits(ignore=True))[0] is None
    assert "above 0.1 s" in judge_offset(got, ClockLimits(), transmit=False)[1]


def test_the_first_server_that_answers_is_used(ntp_server):
    from tests.station.ntp_server import _free_udp_port

    silent = f"127.0.0.1:{_free_udp_port()}"
    address = ntp_server()
    got = measure_offset([silent, address], budget_s=2.0)
    assert got.server == address and abs(got.offset_s) < 0.020


def test_no_server_answering_is_an_error_naming_the_fix():
    from tests.station.ntp_server import _free_udp_port

    t0 = time.monotonic()
    got = measure_offset([f"127.0.0.1:{_free_udp_port()}"], budget_s=0.5)
    assert time.monotonic() - t0 < 1.5
    assert not got.measured and "no answer" in got.error
    refusal, _ = judge_offset(got, ClockLimits())
    assert refusal.startswith("no NTP server answered") and "--ntp-server" in refusal
    assert judge_offset(got, ClockLimits(), transmit=False) == (
        None,
        f"no NTP server answered ({got.error})",
    )


@pytest.mark.parametrize("text", ["", ":123", "host:0", "host:x", "[::1", "host:70000"])
def test_bad_server_names_the_value(text):
    with pytest.raises(InputError, match="--ntp-server="):
        parse_server(text)


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_limits_name_the_value(value):
    with pytest.raises(InputError, match="must be above 0"):
        ClockLimits(max_offset_s=value)


def test_doctor_prints_the_measured_offset_and_what_transmit_would_do(ntp_server, runner):
    import json

    from station.cli import app

    true, shifted = ntp_server(), ntp_server("+3s")
    text = runner.invoke(app, ["doctor", "--ntp-server", shifted]).stdout
    assert f"NTP: offset +3.000 s against {shifted}" in text
    assert "(transmit --transmit refuses: above the 0.5 s limit)" in text
    report = json.loads(runner.invoke(app, ["doctor", "--json", "--ntp-server", true]).stdout)
    assert abs(report["clock_offset_s"]) < 0.020 and report["clock_server"] == true
    assert report["clock_offset_note"] == "" and report["clock_offset_error"] == ""
