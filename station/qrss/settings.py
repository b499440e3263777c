"""What a QRSS grab looks like and where it goes: :class:`GrabSettings`.

One frozen bundle of the grab options shared by ``capture`` (live grabs), ``replay
--png`` and the service: folder, frame, colour scale, palette, the ``--on-grab`` hook
and the header's station text.  :func:`grab_settings` checks typed options into one.

Examples
--------
>>> s = grab_settings("/tmp/g", on_grab="echo {path}", palette="gray")
>>> s.on_grab, s.palette, s.frame_s
(('echo', '{path}'), 'gray', None)
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass
from pathlib import Path

from station.errors import InputError
from station.schedule.callsign import parse_callsign, parse_grid

__all__ = ["DEFAULT_FRAME_S", "DEFAULT_PALETTE", "GrabSettings", "check_palette", "grab_settings"]

#: Frame length without a schedule (QRSS grabber convention), s.
DEFAULT_FRAME_S = 600.0
#: Matplotlib colormap of the grabs.
DEFAULT_PALETTE = "viridis"


@dataclass(frozen=True)
class GrabSettings:
    """Checked grab options (see :func:`grab_settings`).

    Attributes
    ----------
    out_dir : pathlib.Path
        Folder of the PNGs.
    frame_s : float or None
        Frame length, s (None: the event's round period, else :data:`DEFAULT_FRAME_S`).
    db_min, db_max : float or None
        Colour scale, dB over the frame's median noise floor (None: automatic).
    palette : str
        Matplotlib colormap name.
    on_grab : tuple of str or None
        Hook argv run after each grab, ``{path}`` replaced by the PNG's path (no shell).
    hook_timeout_s : float
        The hook is killed after this long.
    callsign, grid, receiver, antenna : str
        Header text.
    dit_s : float or None
        Dit the resolution is chosen for (None: the event's, else 30 s).
    """

    out_dir: Path
    frame_s: float | None = None
    db_min: float | None = None
    db_max: float | None = None
    palette: str = DEFAULT_PALETTE
    on_grab: tuple[str, ...] | None = None
    hook_timeout_s: float = 60.0
    callsign: str = ""
    grid: str = ""
    receiver: str = ""
    antenna: str = ""
    dit_s: float | None = None

    def frame_for(self, round_period_s: float | None) -> float:
        """Frame length: as set, else the round period, else :data:`DEFAULT_FRAME_S`."""
        if self.frame_s is not None:
            return self.frame_s
        return DEFAULT_FRAME_S if round_period_s is None else float(round_period_s)


def check_palette(name: str) -> str:
    """Return ``name`` when it is a matplotlib colormap.

    Raises
    ------
    InputError
        Naming the palette and a few valid ones.

    Examples
    --------
    >>> check_palette("magma")
    'magma'
    >>> try:
    ...     check_palette("rainbowz")
    ... except InputError as exc:
    ...     print(str(exc)[:49])
    --palette='rainbowz' is not a matplotlib colormap
    """
    import matplotlib

    if name not in matplotlib.colormaps:
        raise InputError(
            f"--palette={name!r} is not a matplotlib colormap (e.g. viridis, magma, gray, inferno)"
        )
    return name


def _positive(name: str, value: float | None, high: float) -> None:
    if value is not None and not (math.isfinite(value) and 0 < value <= high):
        raise InputError(f"{name}={value} must be > 0 and <= {high:g} s")


def header_labels(
    callsign: str = "", grid: str = "", receiver: str = "", antenna: str = ""
) -> tuple[str, str, str, str]:
    r"""Check the words a grab's header prints (each may be empty: not printed).

    The callsign and the locator are judged as ``schedule plan`` judges them; receiver
    and antenna are free text of printable characters, at most 60 of them.

    Raises
    ------
    InputError
        A callsign or locator that is not one, or a receiver or antenna name that holds
        a control character or is too long for the header.

    Examples
    --------
    >>> header_labels("g4abc", "io91wm", "RTL-SDR v3", "dipole")
    ('G4ABC', 'IO91wm', 'RTL-SDR v3', 'dipole')
    >>> header_labels(receiver="RX\x1b[2J")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    station.errors.InputError: --receiver='RX\x1b[2J' must be printable text of at most ...
    """
    call = parse_callsign(callsign).text if callsign.strip() else ""
    loc = parse_grid(grid).text if grid.strip() else ""
    for name, text in (("--receiver", receiver), ("--antenna", antenna)):
        if len(text) > 60 or not text.isprintable():
            raise InputError(f"{name}={text!r} must be printable text of at most 60 characters")
    return call, loc, receiver.strip(), antenna.strip()


def grab_settings(
    out_dir: str | Path,
    *,
    frame_s: float | None = None,
    db_min: float | None = None,
    db_max: float | None = None,
    palette: str = DEFAULT_PALETTE,
    on_grab: str | None = None,
    hook_timeout_s: float = 60.0,
    callsign: str = "",
    grid: str = "",
    receiver: str = "",
    antenna: str = "",
    dit_s: float | None = None,
) -> GrabSettings:
    """Check typed grab options (``on_grab`` split like a shell line, never run by one).

    Raises
    ------
    InputError
        A frame outside 10 s..24 h, a dB range not ascending or not finite, an unknown
        palette, a hook without a command or unbalanced quotes, a timeout <= 0.
    """
    _positive("--hook-timeout-s", hook_timeout_s, 3600.0)
    _positive("--dit-s", dit_s, 3600.0)
    if frame_s is not None and not (math.isfinite(frame_s) and 10.0 <= frame_s <= 86400.0):
        raise InputError(f"--frame-s={frame_s} must be from 10 to 86400 s")
    for name, v in (("--db-min", db_min), ("--db-max", db_max)):
        if v is not None and not (math.isfinite(v) and -100.0 <= v <= 200.0):
            raise InputError(f"{name}={v} must be from -100 to 200 dB (over the noise floor)")
    if db_min is not None and db_max is not None and db_max <= db_min:
        raise InputError(f"--db-max={db_max} must be above --db-min={db_min}")
    callsign, grid, receiver, antenna = header_labels(callsign, grid, receiver, antenna)
    argv = None
    if on_grab is not None:
        try:
            argv = tuple(shlex.split(on_grab))
        except ValueError as exc:
            raise InputError(f"--on-grab={on_grab!r} cannot be split into words: {exc}") from None
        if not argv:
            raise InputError(f"--on-grab={on_grab!r} names no command")
    return GrabSettings(
        Path(out_dir).expanduser(), frame_s, db_min, db_max, check_palette(palette), argv,
        float(hook_timeout_s), callsign, grid, receiver, antenna, dit_s,
    )  # fmt: skip
