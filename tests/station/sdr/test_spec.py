"""The --source strings and the settings they carry."""

from __future__ import annotations

import logging

import pytest

from station.errors import InputError
from station.sdr.factory import open_source
from station.sdr.filesource import FileSource
from station.sdr.rtlsdr_dongle import RtlSdrSource
from station.sdr.rtltcp import RtlTcpSource
from station.sdr.spec import SOURCE_FORMS, parse_source
from station.sdr.synthetic import SyntheticSource

TUNING = {"center_freq_hz": 28.2e6, "sample_rate_hz": 240e3}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("rtlsdr", ("rtlsdr", "0")),
        ("RTLSDR:1", ("rtlsdr", "1")),
        ("rtlsdr:00000001", ("rtlsdr", "00000001")),
        ("rtl_tcp://127.0.0.1:1234", ("rtl_tcp", ("127.0.0.1", 1234))),
        ("rtl_tcp://sdr.local", ("rtl_tcp", ("sdr.local", 1234))),
        ("rtl_tcp://[::1]:7373", ("rtl_tcp", ("::1", 7373))),
        ("synthetic", ("synthetic", None)),
    ],
)
def test_forms_parse(spec, expected):
    assert parse_source(spec) == expected


def test_file_form_keeps_the_path():
    kind, path = parse_source("file:rec/cap.sigmf-meta")
    assert kind == "file" and str(path) == "rec/cap.sigmf-meta"


@pytest.mark.parametrize(
    "spec", ["", "rtlsdr:", "file:", "tcp://x:1", "rtl_tcp://", "rtl_tcp://h:1/path", "hackrf"]
)
def test_anything_else_lists_the_forms(spec):
    with pytest.raises(InputError) as err:
        parse_source(spec)
    assert SOURCE_FORMS in str(err.value) and "\n" not in str(err.value)


def test_bad_port_is_named():
    with pytest.raises(InputError, match="port"):
        parse_source("rtl_tcp://host:99999")


def test_open_source_builds_each_kind(tmp_path):
    assert isinstance(open_source("rtlsdr:2", **TUNING), RtlSdrSource)
    tcp = open_source("rtl_tcp://127.0.0.1:4321", gain_db=20.0, **TUNING)
    assert isinstance(tcp, RtlTcpSource) and (tcp.host, tcp.port) == ("127.0.0.1", 4321)
    assert tcp.settings.gain_tenth_db == 200
    raw = tmp_path / "x.cu8"
    assert isinstance(open_source(f"file:{raw}", **TUNING), FileSource)
    assert isinstance(open_source("synthetic", seed=1, **TUNING), SyntheticSource)


def test_settings_a_source_does_not_take_are_ignored_with_a_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        src = open_source(f"file:{tmp_path / 'x.cu8'}", gain_db=30.0, freq_correction_ppm=None,
                          **TUNING)  # fmt: skip
    assert isinstance(src, FileSource)
    assert "gain_db=30.0 does not apply to a file source" in caplog.text
    assert "freq_correction_ppm" not in caplog.text


def test_bad_settings_still_fail_through_open_source():
    with pytest.raises(InputError, match="sample_rate_hz"):
        open_source("rtl_tcp://localhost:1234", center_freq_hz=28.2e6, sample_rate_hz=1e6 - 1e5)
