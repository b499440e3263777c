"""Printing of ``hi-station config show``: each setting, its value and where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from station.config import KEYS, StationConfig

__all__ = ["config_json", "print_config"]


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def _option(param: str) -> str:
    """``--tone-hz`` for the parameter ``tone_hz``; an argument (``SCHEDULE``) as it is."""
    return param if param.isupper() else "--" + param.replace("_", "-")


def print_config(
    console: Console,
    cfg: StationConfig,
    path: Path,
    why: str,
    options: Mapping[str, tuple[tuple[str, str], ...]],
) -> None:
    """Print the config file's path and every setting with its origin and the options it sets.

    Examples
    --------
    >>> import io
    >>> c = Console(file=io.StringIO(), width=200)
    >>> cfg = StationConfig(callsign="N0CALL", given=frozenset({"callsign"}))
    >>> print_config(c, cfg, Path("/c.toml"), "HI_STATION_CONFIG", {"callsign": (("transmit", "callsign"),)})
    >>> print(c.file.getvalue().splitlines()[2])
    [station] callsign = N0CALL  (/c.toml; sets transmit --callsign)
    """  # noqa: E501
    state = "read" if cfg.path is not None else "not found: no config, built-in defaults"
    console.print(f"config file: {path} (from {why}; {state})", markup=False)
    console.print("settings (an option typed on the command line wins):", markup=False)
    for key in KEYS:
        value = cfg.value(key.attr)
        origin = str(path) if key.attr in cfg.given else "default"
        uses = ", ".join(f"{cmd} {_option(param)}" for cmd, param in options.get(key.attr, ()))
        tail = f"; sets {uses}" if uses and key.attr in cfg.given else ""
        shown = "not set" if value is None else f"= {_shown(value)}  ({origin}{tail})"
        console.print(f"{key.where} {shown}", markup=False)


def config_json(
    cfg: StationConfig,
    path: Path,
    why: str,
    options: Mapping[str, tuple[tuple[str, str], ...]],
) -> dict[str, Any]:
    """Return ``config show --json``: per ``section.key`` its value, origin and the options set.

    Examples
    --------
    >>> cfg = StationConfig(callsign="N0CALL", given=frozenset({"callsign"}))
    >>> out = config_json(cfg, Path("/c.toml"), "HI_STATION_CONFIG", {"callsign": (("transmit", "callsign"),)})
    >>> out["settings"]["station.callsign"]
    {'value': 'N0CALL', 'origin': '/c.toml', 'sets': ['transmit --callsign']}
    >>> out["settings"]["station.grid"]
    {'value': None, 'origin': 'not set', 'sets': []}
    """  # noqa: E501
    settings: dict[str, Any] = {}
    for key in KEYS:
        value = cfg.value(key.attr)
        given = key.attr in cfg.given
        origin = str(path) if given else ("not set" if value is None else "default")
        uses = [f"{cmd} {_option(p)}" for cmd, p in options.get(key.attr, ())] if given else []
        shown = list(value) if isinstance(value, tuple) else value
        settings[f"{key.section}.{key.key}"] = {
            "value": str(shown) if isinstance(shown, Path) else shown,
            "origin": origin,
            "sets": uses,
        }
    return {"path": str(path), "from": why, "found": cfg.path is not None, "settings": settings}
