"""station.config: the station config file, its rules, its template, its path."""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.config import (
    CONFIG_ENV,
    KEYS,
    StationConfig,
    config_path,
    load_config,
    parse_config,
    render_template,
    write_template,
)
from station.errors import InputError, RecordingExistsError

FULL = """\
[station]
callsign = "ve3/n0call"
grid = "fn31pr"
[rig]
address = "localhost:4532"
serial = "/dev/ttyUSB0"
serial_line = "RTS"
[audio]
output = "pulse"
input = "hw:1,0"
tone_hz = 1200
[receive]
source = "rtl_tcp://127.0.0.1:1234"
ppm = -3
dial_mhz = 28.0
sideband = "lsb"
receiver = "RTL-SDR Blog V3"
antenna = "10 m dipole"
[event]
schedule = "juno-2013-10-09"
[output]
recordings = "~/rec"
grabs = "/srv/grabs"
[clock]
servers = ["127.0.0.1:1123", "pool.ntp.org"]
max_offset_s = 1
warn_offset_s = 0.2
"""


def test_a_full_file_is_read_in_normal_forms():
    cfg = parse_config(FULL, "c.toml")
    assert cfg.callsign == "VE3/N0CALL" and cfg.grid == "FN31pr"
    assert (cfg.rig, cfg.serial, cfg.serial_line) == ("localhost:4532", "/dev/ttyUSB0", "rts")
    assert (cfg.audio_output, cfg.audio_input, cfg.tone_hz) == ("pulse", "hw:1,0", 1200.0)
    assert (cfg.source, cfg.ppm, cfg.dial_mhz, cfg.sideband) == (
        "rtl_tcp://127.0.0.1:1234", -3, 28.0, "lsb")  # fmt: skip
    assert (cfg.receiver, cfg.antenna) == ("RTL-SDR Blog V3", "10 m dipole")
    assert cfg.schedule == "juno-2013-10-09"
    assert cfg.recordings == Path("~/rec").expanduser() and cfg.grabs == Path("/srv/grabs")
    assert cfg.clock_servers == ("127.0.0.1:1123", "pool.ntp.org")
    assert (cfg.max_offset_s, cfg.warn_offset_s) == (1.0, 0.2)
    assert cfg.given == {k.attr for k in KEYS} and cfg.path == Path("c.toml")


def test_defaults_where_the_file_sets_nothing():
    cfg = parse_config("[station]\n", "c.toml")
    assert cfg.given == frozenset() and cfg.callsign is None
    assert (cfg.tone_hz, cfg.max_offset_s, cfg.warn_offset_s) == (1500.0, 0.5, 0.1)
    assert cfg.clock_servers == ("pool.ntp.org",) and cfg.serial_line == "dtr"


def test_a_missing_file_is_no_config(tmp_path):
    assert load_config(tmp_path / "none.toml") == StationConfig()


BAD = [
    ('[station]\ncallsign = "N0CALL/"\n', "[station] callsign='N0CALL/' is not an amateur"),
    ('[station]\ncallsign = "HELLO"\n', "[station] callsign='HELLO' is not an amateur callsign"),
    ("[station]\ncallsign = 5\n", "[station] callsign=5 must be non-empty text"),
    ('[station]\ncallsign = ""\n', "[station] callsign='' must be non-empty text"),
    ('[station]\ngrid = "ZZ99"\n', "[station] grid='ZZ99' is not a Maidenhead locator"),
    ('[rig]\naddress = "host:0"\n', "[rig] address='host:0' must be HOST:PORT"),
    ('[rig]\naddress = "host:http"\n', "[rig] address='host:http' must be HOST:PORT"),
    ("[rig]\nserial = []\n", "[rig] serial=[] must be non-empty text"),
    ('[rig]\nserial_line = "cts"\n', "[rig] serial_line='cts' must be one of dtr, rts"),
    ('[audio]\noutput = " "\n', "[audio] output=' ' must be non-empty text"),
    ("[audio]\ninput = 3\n", "[audio] input=3 must be non-empty text"),
    ("[audio]\ntone_hz = 50\n", "[audio] tone_hz=50 must be a number from 100 to 3000 Hz"),
    ("[audio]\ntone_hz = nan\n", "[audio] tone_hz=nan must be a number"),
    ("[audio]\ntone_hz = true\n", "[audio] tone_hz=True must be a number"),
    ('[audio]\ntone_hz = "1500"\n', "[audio] tone_hz='1500' must be a number"),
    ('[receive]\nsource = "foo"\n', "[receive] source='foo' is not a source; use one of"),
    ('[receive]\nsource = "rtl_tcp://h:99999"\n', "[receive] source='rtl_tcp://h:99999': the port"),
    ("[receive]\nppm = 1.5\n", "[receive] ppm=1.5 must be a whole number from -1000 to 1000"),
    ("[receive]\nppm = 5000\n", "[receive] ppm=5000 must be a whole number"),
    ("[receive]\ndial_mhz = -28\n", "[receive] dial_mhz=-28 must be a number from 0.01 to 6000"),
    ('[receive]\nsideband = "am"\n', "[receive] sideband='am' must be one of usb, lsb"),
    ("[event]\nschedule = 1\n", "[event] schedule=1 must be non-empty text"),
    ('[output]\nrecordings = "rec"\n', "[output] recordings='rec' must be an absolute folder"),
    ("[output]\ngrabs = 0\n", "[output] grabs=0 must be non-empty text"),
    ("[clock]\nservers = []\n", "[clock] servers=[] must be a list of 1 to 10 NTP server names"),
    ('[clock]\nservers = "pool.ntp.org"\n', "[clock] servers='pool.ntp.org' must be a list"),
    ('[clock]\nservers = ["a b"]\n', "[clock] servers=['a b']: a server name has no spaces"),
    ("[clock]\nservers = [1]\n", "[clock] servers=1 must be non-empty text"),
    ("[clock]\nmax_offset_s = 0\n", "[clock] max_offset_s=0 must be a number from 0.001 to 60 s"),
    ("[clock]\nwarn_offset_s = -1\n", "[clock] warn_offset_s=-1 must be a number"),
    ("[clock]\nmax_offset_s = 0.2\nwarn_offset_s = 0.3\n",
     "[clock] warn_offset_s=0.3 must not exceed max_offset_s=0.2"),
    ('[station]\ncalsign = "N0CALL"\n',
     "[station] calsign is not a config key; [station] takes callsign, grid"),
    ("[radio]\nx = 1\n", "[radio] is not a config section; the sections are station, rig,"),
    ('callsign = "N0CALL"\n', "[callsign] is not a config section"),
    ('station = "N0CALL"\n', "station = ... must be a [station] section of keys"),
    ("[station\n", "is not valid TOML: "),
    ('[station]\ncallsign = "N0CALL"\ncallsign = "G4ABC"\n', "is not valid TOML: "),
]  # fmt: skip


@pytest.mark.parametrize(("text", "needle"), BAD, ids=[n[:40] for _, n in BAD])
def test_every_bad_key_or_value_is_one_line_naming_file_key_and_rule(tmp_path, text, needle):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and needle in message, message
    assert "\n" not in message


def test_a_file_that_is_not_a_config_file(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(InputError, match="dir.toml: is not a regular file"):
        load_config(tmp_path / "dir.toml")
    (tmp_path / "big.toml").write_bytes(b"#" * (65 << 10))
    with pytest.raises(InputError, match="big.toml: is 66560 bytes, more than any config file"):
        load_config(tmp_path / "big.toml")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="bin.toml: "):
        load_config(tmp_path / "bin.toml")


def test_the_path_comes_from_the_environment_else_the_platform(monkeypatch):
    assert config_path({CONFIG_ENV: "~/x.toml"}) == (Path("~/x.toml").expanduser(), CONFIG_ENV)
    import platformdirs

    want = platformdirs.user_config_path("hi-station") / "config.toml"
    assert config_path({CONFIG_ENV: " "})[0] == want
    monkeypatch.delenv(CONFIG_ENV)
    assert config_path() == (want, "the platform's folder")


def test_the_template_is_commented_and_never_overwritten_by_default(tmp_path):
    target = tmp_path / "sub" / "config.toml"
    write_template(target, {"callsign": "g4abc"}, overwrite=False)
    text = target.read_text()
    assert 'callsign = "G4ABC"' in text and '# grid = "FN31"' in text
    assert all(f"[{k.section}]" in text for k in KEYS)
    with pytest.raises(RecordingExistsError):
        write_template(target, {"callsign": "N0CALL"}, overwrite=False)
    assert target.read_text() == text
    write_template(target, {"callsign": "N0CALL"}, overwrite=True)
    assert load_config(target).callsign == "N0CALL"
    assert sorted(os.listdir(target.parent)) == ["config.toml"]  # no staging left


def test_a_bad_value_writes_nothing(tmp_path):
    target = tmp_path / "config.toml"
    with pytest.raises(InputError, match=r"config.toml: \[station\] callsign='HELLO'"):
        write_template(target, {"callsign": "HELLO"}, overwrite=False)
    assert not target.exists()


def test_every_example_in_the_template_is_valid():
    text = render_template().replace("# ", "").replace("\n#", "\n")
    lines = [ln for ln in text.splitlines() if "=" in ln or ln.startswith("[")]
    cfg = parse_config("\n".join(lines), "c.toml")
    assert cfg.given == {k.attr for k in KEYS}


_CALLS = st.sampled_from(["N0CALL", "G4ABC/P", "VE3/N0CALL", "HC2/DH1TW/P", "K1A", "9A1AA"])
_GRIDS = st.sampled_from(["FN31", "IO91wm", "JN", "FN31pr12"])
_FREE = st.text(min_size=1, max_size=60).filter(lambda s: s.strip() != "")
_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "callsign": _CALLS,
        "grid": _GRIDS,
        "rig": st.sampled_from(["localhost:4532", "127.0.0.1:1", "[::1]:65535", "rig"]),
        "serial": _FREE,
        "serial_line": st.sampled_from(["dtr", "rts"]),
        "audio_output": _FREE,
        "audio_input": _FREE,
        "tone_hz": st.floats(100.0, 3000.0),
        "source": st.sampled_from(["synthetic", "rtlsdr", "rtlsdr:1", "rtl_tcp://h:1234"]),
        "ppm": st.integers(-1000, 1000),
        "dial_mhz": st.floats(0.01, 6000.0),
        "sideband": st.sampled_from(["usb", "lsb"]),
        "schedule": _FREE,
        "recordings": _FREE.map(lambda s: "/" + s),
        "grabs": _FREE.map(lambda s: "/x/" + s),
        "clock_servers": st.lists(
            st.text("abc.-:019", min_size=1, max_size=20), min_size=1, max_size=10
        ).map(tuple),
        "max_offset_s": st.floats(0.5, 60.0),
        "warn_offset_s": st.floats(0.001, 0.5),
    },
)


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_init_then_load_gives_back_every_value(values):
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(Path(folder) / "config.toml", values, overwrite=False)
        tomllib.loads(path.read_text(encoding="utf-8"))  # valid TOML whatever the text
        cfg = load_config(path)
    assert cfg.given == set(values)
    for attr, value in values.items():
        got = cfg.value(attr)
        want = Path(value) if attr in ("recordings", "grabs") else value
        assert got == want, attr
