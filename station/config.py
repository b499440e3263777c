r"""The station config file: callsign, rig, audio, receiver, event, folders, clock limits.

One TOML file (``config.toml`` in the platform's config folder, or the file named by
the ``HI_STATION_CONFIG`` environment variable) holds what an operator would otherwise
type on every command.  :func:`load_config` reads and checks it into a frozen
:class:`StationConfig`; a missing file is no config.  Every mistake is one
:class:`~station.errors.InputError` naming the file, the key and the rule::

    /home/op/.config/hi-station/config.toml: [station] callsign='N0CALL/' is not ...

Unknown sections and keys are refused by name (a typo never passes silently).
:func:`render_template` writes the commented template of ``hi-station config init``.

Examples
--------
>>> cfg = parse_config('[station]\ncallsign = "g4abc/p"\n[audio]\ntone_hz = 1200\n', "c.toml")
>>> cfg.callsign, cfg.tone_hz, cfg.serial_line, sorted(cfg.given)
('G4ABC/P', 1200.0, 'dtr', ['callsign', 'tone_hz'])
>>> parse_config('[station]\ncalsign = "N0CALL"\n', "c.toml")
Traceback (most recent call last):
...
station.errors.InputError: c.toml: [station] calsign is not a config key; [station] takes callsign, grid
"""  # noqa: E501

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station._atomic import write_bytes_atomic, writing
from station._textin import read_text_input
from station.errors import InputError
from station.keyer.rigctld_client import parse_rig_address
from station.schedule.callsign import parse_callsign, parse_grid
from station.sdr.spec import parse_source

__all__ = [
    "CONFIG_ENV",
    "KEYS",
    "ConfigKey",
    "StationConfig",
    "config_path",
    "load_config",
    "parse_config",
    "render_template",
    "write_template",
]

#: Environment variable naming the config file instead of the platform's one.
CONFIG_ENV = "HI_STATION_CONFIG"
#: Largest config file read (a real one is under 2 kB).
CONFIG_LIMIT_BYTES = 64 << 10

Check = Callable[[Any, str], Any]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 400:
        raise InputError(f"{where}={value!r} must be non-empty text (at most 400 characters)")
    return value


def _callsign(value: Any, where: str) -> str:
    return parse_callsign(_text(value, where), name=where).text


def _grid(value: Any, where: str) -> str:
    return parse_grid(_text(value, where), name=where).text


def _rig(value: Any, where: str) -> str:
    parse_rig_address(_text(value, where), name=where)
    return str(value).strip()


def _source(value: Any, where: str) -> str:
    try:
        parse_source(_text(value, where))
    except InputError as exc:
        raise InputError(str(exc).replace("--source ", f"{where}=", 1)) from None
    return str(value).strip()


def _choice(*choices: str) -> Check:
    def check(value: Any, where: str) -> str:
        low = value.strip().lower() if isinstance(value, str) else None
        if low not in choices:
            raise InputError(f"{where}={value!r} must be one of {', '.join(choices)}")
        return low

    return check


def _number(low: float, high: float, unit: str, *, integer: bool = False) -> Check:
    def check(value: Any, where: str) -> float | int:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if integer and ok and not float(value).is_integer():
            ok = False
        if not ok or not math.isfinite(value) or not low <= value <= high:
            kind = "a whole number" if integer else "a number"
            raise InputError(f"{where}={value!r} must be {kind} from {low:g} to {high:g}{unit}")
        return int(value) if integer else float(value)

    return check


def _folder(value: Any, where: str) -> Path:
    path = Path(_text(value, where)).expanduser()
    if not path.is_absolute():
        raise InputError(f"{where}={value!r} must be an absolute folder or start with ~")
    return path


def _servers(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= 10:
        raise InputError(f"{where}={value!r} must be a list of 1 to 10 NTP server names")
    names = tuple(_text(v, where).strip() for v in value)
    if any(" " in n for n in names):
        raise InputError(f"{where}={value!r}: a server name has no spaces (HOST or HOST:PORT)")
    return names


@dataclass(frozen=True)
class ConfigKey:
    """One key of the config file.

    ``[section] key``, its :class:`StationConfig` attribute, ``check(value, where)`` (the
    value in its normal form, or raises), a TOML example and what it is for (``help``).
    """

    section: str
    key: str
    attr: str
    check: Check = field(repr=False)
    example: str
    help: str

    @property
    def where(self) -> str:
        """``[section] key``, as errors name it."""
        return f"[{self.section}] {self.key}"


#: Every key of the config file, in the template's order.
KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("station", "callsign", "callsign", _callsign, '"N0CALL"',
              "your callsign (transmit, schedule plan, replay grabs)"),
    ConfigKey("station", "grid", "grid", _grid, '"FN31"', "your Maidenhead locator"),
    ConfigKey("rig", "address", "rig", _rig, '"localhost:4532"',
              "rigctld HOST:PORT (transmit --rig; start rigctld with -P)"),
    ConfigKey("rig", "serial", "serial", _text, '"/dev/ttyUSB0"',
              "key a serial line instead (transmit --serial)"),
    ConfigKey("rig", "serial_line", "serial_line", _choice("dtr", "rts"), '"dtr"',
              "the serial line that keys: dtr or rts"),
    ConfigKey("audio", "output", "audio_output", _text, '"default"',
              "sound card into the rig: key an audio tone (transmit --audio)"),
    ConfigKey("audio", "input", "audio_input", _text, '"default"',
              "sound card from the receiver (capture --source audio:DEVICE)"),
    ConfigKey("audio", "tone_hz", "tone_hz", _number(100.0, 3000.0, " Hz"), "1500",
              "audio tone keyed, Hz (transmit --tone-hz)"),
    ConfigKey("receive", "source", "source", _source, '"rtlsdr:0"',
              "receive source (capture --source)"),
    ConfigKey("receive", "ppm", "ppm", _number(-1000, 1000, " ppm", integer=True), "0",
              "tuner frequency correction, whole ppm (capture --ppm)"),
    ConfigKey("receive", "dial_mhz", "dial_mhz", _number(0.01, 6000.0, " MHz"), "28.0",
              "an SSB receiver's dial, MHz (capture --dial-mhz)"),
    ConfigKey("receive", "sideband", "sideband", _choice("usb", "lsb"), '"usb"',
              "the receiver's sideband: usb or lsb (capture --sideband)"),
    ConfigKey("receive", "receiver", "receiver", _text, '"RTL-SDR Blog V3"',
              "receiver named in the grabs' header (capture, replay --receiver)"),
    ConfigKey("receive", "antenna", "antenna", _text, '"10 m dipole"',
              "antenna named in the grabs' header (capture, replay --antenna)"),
    ConfigKey("event", "schedule", "schedule", _text, '"juno-2013-10-09"',
              "default event file or id (transmit, schedule plan, capture --schedule)"),
    ConfigKey("output", "recordings", "recordings", _folder, '"~/hi-station/recordings"',
              "capture writes into a new folder here per run (capture --out)"),
    ConfigKey("output", "grabs", "grabs", _folder, '"~/hi-station/grabs"',
              "QRSS grabs of capture and replay (capture --grabs, replay --png)"),
    ConfigKey("clock", "servers", "clock_servers", _servers,
              '["pool.ntp.org"]', "NTP servers the clock is measured against"),
    ConfigKey("clock", "max_offset_s", "max_offset_s", _number(0.001, 60.0, " s"), "0.5",
              "transmit refuses to key when the clock is off by more, s"),
    ConfigKey("clock", "warn_offset_s", "warn_offset_s", _number(0.001, 60.0, " s"), "0.1",
              "transmit warns when the clock is off by more, s"),
)  # fmt: skip

_BY_WHERE = {(k.section, k.key): k for k in KEYS}
_BY_ATTR = {k.attr: k for k in KEYS}
_SECTIONS = tuple(dict.fromkeys(k.section for k in KEYS))


@dataclass(frozen=True)
class StationConfig:
    """The checked settings of one config file (these defaults where it sets none).

    ``path`` is the file read (None: none); ``given`` the attributes it set.
    """

    path: Path | None = None
    given: frozenset[str] = frozenset()
    callsign: str | None = None
    grid: str | None = None
    rig: str | None = None
    serial: str | None = None
    serial_line: str = "dtr"
    audio_output: str | None = None
    audio_input: str | None = None
    tone_hz: float = 1500.0
    source: str | None = None
    ppm: int = 0
    dial_mhz: float | None = None
    sideband: str = "usb"
    receiver: str | None = None
    antenna: str | None = None
    schedule: str | None = None
    recordings: Path | None = None
    grabs: Path | None = None
    clock_servers: tuple[str, ...] = ("pool.ntp.org",)
    max_offset_s: float = 0.5
    warn_offset_s: float = 0.1

    def value(self, attr: str) -> Any:
        """Return the value of one attribute (by name)."""
        return getattr(self, attr)


def config_path(environ: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """Return the config file's path and where that came from.

    ``HI_STATION_CONFIG`` when set (and not empty), else ``config.toml`` in
    ``platformdirs.user_config_path("hi-station")``.

    Examples
    --------
    >>> config_path({"HI_STATION_CONFIG": "/tmp/x.toml"})
    (PosixPath('/tmp/x.toml'), 'HI_STATION_CONFIG')
    """
    env = os.environ if environ is None else environ
    named = env.get(CONFIG_ENV, "").strip()
    if named:
        return Path(named).expanduser(), CONFIG_ENV
    import platformdirs

    return platformdirs.user_config_path("hi-station") / "config.toml", "the platform's folder"


def parse_config(text: str, path: str | os.PathLike[str]) -> StationConfig:
    """Check the TOML ``text`` of the config file ``path`` (named in every error).

    Raises
    ------
    InputError
        Not TOML, an unknown section or key, or a value that breaks its rule.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for section, table in data.items():
        if section not in _SECTIONS:
            raise InputError(
                f"{path}: [{section}] is not a config section; the sections are "
                f"{', '.join(_SECTIONS)}"
            )
        if not isinstance(table, dict):
            raise InputError(f"{path}: {section} = ... must be a [{section}] section of keys")
        for name, value in table.items():
            key = _BY_WHERE.get((section, name))
            if key is None:
                known = ", ".join(k.key for k in KEYS if k.section == section)
                raise InputError(
                    f"{path}: [{section}] {name} is not a config key; [{section}] takes {known}"
                )
            try:
                values[key.attr] = key.check(value, key.where)
            except InputError as exc:
                raise InputError(f"{path}: {exc}") from None
    cfg = StationConfig(path=Path(path), given=frozenset(values), **values)
    if cfg.warn_offset_s > cfg.max_offset_s:
        raise InputError(f"{path}: [clock] warn_offset_s={cfg.warn_offset_s:g} must not "
                         f"exceed max_offset_s={cfg.max_offset_s:g}")  # fmt: skip
    return cfg


def load_config(path: str | os.PathLike[str] | None = None) -> StationConfig:
    r"""Read and check the config file (default: :func:`config_path`); none there: no config.

    Raises
    ------
    InputError
        The file cannot be read, is not a regular file, or breaks a rule (:func:`parse_config`).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> load_config(folder / "none.toml") == StationConfig()
    True
    >>> _ = (folder / "c.toml").write_text('[rig]\nserial_line = "cts"\n')
    >>> load_config(folder / "c.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    station.errors.InputError: .../c.toml: [rig] serial_line='cts' must be one of dtr, rts
    """
    p = config_path()[0] if path is None else Path(path)
    if not os.path.lexists(p):
        return StationConfig()

    def fail(reason: str) -> InputError:
        return InputError(f"{p}: {reason}")

    text = read_text_input(p, what="config file", limit_bytes=CONFIG_LIMIT_BYTES, fail=fail)
    return parse_config(text, p)


def _toml(value: Any) -> str:
    """``value`` (text, number, list of text or path) as a TOML value."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    out = []
    for ch in str(value):
        if ch in '"\\' or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append({'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}.get(
                ch, f"\\u{ord(ch):04x}"))  # fmt: skip
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_HEAD = """\
# hi-station station config (TOML).  Every command reads it; an option typed on the
# command line wins.  `hi-station config show` prints the settings in effect and where
# each came from.  To set a key, remove the "# " before it and give your value.
"""


def render_template(values: Mapping[str, Any] | None = None) -> str:
    """Return the commented template; keys in ``values`` (by attribute) set, the rest examples.

    Examples
    --------
    >>> text = render_template({"callsign": "N0CALL"})
    >>> parse_config(text, "c.toml").callsign
    'N0CALL'
    >>> '# grid = "FN31"' in text
    True
    """
    given = dict(values or {})
    lines = [_HEAD]
    for section in _SECTIONS:
        lines.append(f"[{section}]")
        for key in (k for k in KEYS if k.section == section):
            lines.append(f"# {key.help}")
            if key.attr in given:
                lines.append(f"{key.key} = {_toml(given[key.attr])}")
            else:
                lines.append(f"# {key.key} = {key.example}")
        lines.append("")
    return "\n".join(lines)


def write_template(
    path: str | os.PathLike[str], values: Mapping[str, Any] | None = None, *, overwrite: bool
) -> Path:
    """Check ``values`` (by attribute) and write the template with their normal forms.

    Written atomically (:func:`~station._atomic.write_bytes_atomic`); the folder is created.

    Raises
    ------
    InputError
        A value breaks its rule (named as its key).
    RecordingExistsError
        ``path`` exists and not ``overwrite``.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "hi-station" / "config.toml"
    >>> load_config(write_template(target, {"grid": "io91WM"}, overwrite=False)).grid
    'IO91wm'
    """
    checked = {}
    for attr, value in (values or {}).items():
        key = _BY_ATTR[attr]
        try:
            checked[attr] = key.check(value, key.where)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
    text = render_template(checked)
    parse_config(text, path)  # the same rules as reading it back
    target = Path(path)
    with writing(target.parent):
        target.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(target, text.encode("utf-8"), overwrite=overwrite)
