"""``hi-station config``: the station config file (``init``, ``show``, ``path``).

:func:`default_map` turns the config into click's ``default_map``: each key becomes
the default of the options listed in :data:`OPTIONS`, so an option typed on the
command line wins.  The file is read and checked by :mod:`station.config`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from station.cli._common import ReportingGroup, out_console
from station.cli.render_config import config_json, print_config
from station.config import StationConfig, config_path, load_config, write_template

__all__ = ["AUDIO_ONLY", "OPTIONS", "RIVALS", "app", "default_map", "init", "path", "show"]

app = typer.Typer(
    cls=ReportingGroup,
    name="config",
    help="The station config file: callsign, rig, audio, receiver, event, folders, clock.",
    no_args_is_help=True,
    add_completion=False,
)

#: Which command options (command path, click parameter name) each config attribute
#: sets by default (an argument in capitals).  A parameter a command lacks is ignored.
OPTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "callsign": (
        ("transmit", "callsign"), ("run", "callsign"), ("schedule plan", "callsign"),
        ("replay", "callsign"), ("capture", "callsign"),
    ),  # fmt: skip
    "grid": (
        ("transmit", "grid"), ("run", "grid"), ("schedule plan", "grid"), ("replay", "grid"),
        ("capture", "grid"),
    ),  # fmt: skip
    "rig": (("transmit", "rig"), ("run", "rig"), ("doctor", "rig")),
    "serial": (("transmit", "serial"), ("run", "serial")),
    "serial_line": (("transmit", "serial_line"), ("run", "serial_line")),
    "audio_output": (("transmit", "audio"),),
    "tone_hz": (("transmit", "tone_hz"),),
    "source": (("capture", "source"), ("run", "source")),
    "ppm": (("capture", "ppm"), ("run", "ppm")),
    "dial_mhz": (("capture", "dial_mhz"),),
    "sideband": (("capture", "sideband"),),
    "receiver": (("capture", "receiver"), ("replay", "receiver"), ("run", "receiver")),
    "antenna": (("capture", "antenna"), ("replay", "antenna"), ("run", "antenna")),
    "schedule": (
        ("transmit", "SCHEDULE"),
        ("schedule plan", "SCHEDULE"),
        ("schedule show", "SCHEDULE"),
        ("schedule validate", "SCHEDULE"),
        ("capture", "schedule"),
        ("run", "SCHEDULE"),
    ),  # fmt: skip
    "recordings": (("capture", "out"),),
    "grabs": (("replay", "png"), ("capture", "grabs")),
    "clock_servers": (("transmit", "ntp_server"), ("run", "ntp_server"), ("doctor", "ntp_server")),
    "max_offset_s": (("transmit", "max_clock_offset_s"), ("run", "max_clock_offset_s"),
                     ("doctor", "max_clock_offset_s")),  # fmt: skip
    "warn_offset_s": (("transmit", "warn_clock_offset_s"), ("doctor", "warn_clock_offset_s")),
}

#: Config defaults dropped when the command line gives a rival option (e.g. a typed
#: ``--serial`` replaces the config's rig, a typed ``--freq-mhz`` its event).
RIVALS: dict[str, dict[str, tuple[str, ...]]] = {
    "transmit": {"--serial": ("rig",), "--rig": ("serial",)},
    "run": {"--serial": ("rig",), "--rig": ("serial",)},
    "capture": {"--freq-mhz": ("schedule",)},
}


#: Config defaults of a sound-card receiver: given to ``capture`` only when its source
#: (typed, else the config's) is ``audio:...``.
AUDIO_ONLY = ("dial_mhz", "sideband")


def _source(cfg: StationConfig, args: list[str]) -> str:
    """Return capture's source: typed (``--source X`` or ``--source=X``), else the config's."""
    for k, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--source" and k + 1 < len(args):
            return args[k + 1]
        if arg.startswith("--source="):
            return arg.partition("=")[2]
    return cfg.source or ""


def _typed(args: list[str]) -> set[str]:
    """Return the long options typed in ``args`` (before a ``--``)."""
    names = set()
    for arg in args:
        if arg == "--":
            break
        if arg.startswith("--"):
            names.add(arg.partition("=")[0])
    return names


def _click_value(value: Any) -> Any:
    """Return a config value as click takes a default: a path as text, a tuple as a list."""
    if isinstance(value, Path):
        return str(value)
    return list(value) if isinstance(value, tuple) else value


def _new_folder(parent: Path, now: datetime) -> Path:
    """``parent/capture-YYYYmmddTHHMMSSZ`` (``-2``, ``-3``... when that exists already)."""
    base = parent / f"capture-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder


def default_map(
    cfg: StationConfig, command: str, args: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """Click's ``default_map`` for the root command from ``cfg`` (the keys the file sets).

    ``command`` is the command run and ``args`` its command line (for :data:`RIVALS`);
    ``now`` names capture's new folder under ``[output] recordings``
    (``capture-YYYYmmddTHHMMSSZ``, made unique).

    Examples
    --------
    >>> cfg = StationConfig(callsign="N0CALL", rig="localhost:4532", given=frozenset({"callsign", "rig"}))
    >>> default_map(cfg, "transmit", ["x.toml"])["transmit"]
    {'callsign': 'N0CALL', 'rig': 'localhost:4532'}
    >>> default_map(cfg, "transmit", ["x.toml", "--serial", "loop://"])["transmit"]
    {'callsign': 'N0CALL'}
    >>> cfg = StationConfig(source="audio:pulse", dial_mhz=28.0, given=frozenset({"source", "dial_mhz"}))
    >>> default_map(cfg, "capture", [])["capture"]
    {'dial_mhz': 28.0, 'source': 'audio:pulse'}
    >>> default_map(cfg, "capture", ["--source", "synthetic"])["capture"]
    {'source': 'audio:pulse'}
    """  # noqa: E501
    typed = _typed(args)
    dropped = {a for opt, attrs in RIVALS.get(command, {}).items() if opt in typed for a in attrs}
    if command == "capture" and not _source(cfg, args).lower().startswith("audio"):
        dropped.update(AUDIO_ONLY)
    out: dict[str, Any] = {}
    for attr in sorted(cfg.given - dropped):
        value = cfg.value(attr)
        if attr == "recordings":
            value = _new_folder(value, now or datetime.now(UTC))
        for where, param in OPTIONS.get(attr, ()):
            table = out
            for part in where.split():
                table = table.setdefault(part, {})
            table[param.lower()] = _click_value(value)
    return out


def _existing(ctx: Any) -> dict[str, tuple[tuple[str, str], ...]]:
    """:data:`OPTIONS` without the parameters the commands (below root ``ctx``) lack."""
    root, out = ctx.command, {}
    for attr, uses in OPTIONS.items():
        kept = []
        for where, param in uses:
            command = root
            for part in where.split():
                command = command.get_command(ctx, part) if command is not None else None
            names = {p.name for p in getattr(command, "params", ())}
            if param.lower() in names:
                kept.append((where, param))
        out[attr] = tuple(kept)
    return out


@app.command("init")
def init(
    callsign: Annotated[str | None, typer.Option(help="Your callsign, e.g. N0CALL.")] = None,
    grid: Annotated[str | None, typer.Option(help="Your Maidenhead locator, e.g. FN31.")] = None,
    rig: Annotated[str | None, typer.Option(help="rigctld address HOST:PORT.")] = None,
    source: Annotated[str | None, typer.Option(help="Receive source for capture.")] = None,
    schedule: Annotated[str | None, typer.Option(help="Default event file or id.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing config file.")
    ] = False,
) -> None:
    """Write a commented config template (with the values given) to `config path`."""
    given = {"callsign": callsign, "grid": grid, "rig": rig, "source": source,
             "schedule": schedule}  # fmt: skip
    target = config_path()[0]
    wrote = write_template(target, {k: v for k, v in given.items() if v is not None},
                           overwrite=overwrite)  # fmt: skip
    out_console().print(f"wrote {wrote}; edit it, then check with: hi-station config show",
                        markup=False)  # fmt: skip


@app.command("show")
def show(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print the settings as JSON only.")] = False,
) -> None:
    """Print the settings in effect and where each came from (the file or a default)."""
    target, why = config_path()
    cfg, uses = load_config(target), _existing(ctx.find_root())
    if json_:
        print(json.dumps(config_json(cfg, target, why, uses), indent=2))
        return
    print_config(out_console(), cfg, target, why, uses)


@app.command("path")
def path() -> None:
    """Print the config file's path (HI_STATION_CONFIG, else the platform's folder)."""
    print(config_path()[0])
