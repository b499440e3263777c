"""Amateur callsigns and Maidenhead grid locators.

A callsign is an optional portable prefix, the base call, and an optional suffix:
``VE3/N0CALL``, ``G4ABC/P``, ``HC2/DH1TW/P``.  The event's frequency rule uses the
*base* call's last letter, so ``VE3/N0CALL`` and ``N0CALL/P`` both pick ``L``.

The pattern is the one in ``reference/sdr-and-rig.md`` section 5.2: an ITU prefix of
one to three characters, one digit, and a suffix of one to four characters that ends
in a letter.

Examples
--------
>>> parse_callsign("ve3/n0call").base
'N0CALL'
>>> parse_callsign("G4ABC/P").last_letter
'C'
>>> parse_grid("io91wm").text
'IO91wm'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from station.errors import InputError

__all__ = ["Callsign", "Grid", "parse_callsign", "parse_grid"]

_CALL_RE = re.compile(
    r"^(?:(?P<prefix>[A-Z0-9]{1,4})/)?"
    r"(?P<base>(?:[A-Z]{1,2}|[0-9][A-Z]{1,2}|[A-Z][0-9])[0-9][A-Z0-9]{0,3}[A-Z])"
    r"(?:/(?P<suffix>[A-Z0-9]{1,4}))?$"
)
_GRID_RE = re.compile(r"^[A-R]{2}(?:[0-9]{2}(?:[A-X]{2}(?:[0-9]{2})?)?)?$")


@dataclass(frozen=True, slots=True)
class Callsign:
    """A validated callsign.

    Attributes
    ----------
    text : str
        The whole callsign, upper case, as it is sent (``VE3/N0CALL``).
    base : str
        The home call without portable prefix or suffix (``N0CALL``).
    prefix, suffix : str
        Portable prefix and suffix, empty when absent.
    """

    text: str
    base: str
    prefix: str = ""
    suffix: str = ""

    @property
    def last_letter(self) -> str:
        """Last letter of the base call: the key of an event's frequency table."""
        return self.base[-1]

    def __str__(self) -> str:
        return self.text


def parse_callsign(text: str | None, *, name: str = "--callsign") -> Callsign:
    """Validate an amateur callsign (any case) and split it.

    Parameters
    ----------
    text : str or None
        The callsign, e.g. ``"N0CALL"``, ``"VE3/N0CALL"``, ``"G4ABC/P"``.
    name : str, optional
        Parameter name used in the error message.

    Returns
    -------
    Callsign

    Raises
    ------
    InputError
        Missing, or not a callsign (``HELLO``, ``N0CALL/``, ``QRSS30``).

    Examples
    --------
    >>> c = parse_callsign("HC2/DH1TW/P")
    >>> c.prefix, c.base, c.suffix
    ('HC2', 'DH1TW', 'P')
    >>> parse_callsign("HELLO")
    Traceback (most recent call last):
    ...
    station.errors.InputError: --callsign='HELLO' is not an amateur callsign: expected [PREFIX/]BASE[/SUFFIX] with a base like N0CALL (prefix, one digit, suffix ending in a letter)
    """  # noqa: E501
    if text is None or not str(text).strip():
        raise InputError(f"{name} is required: the station's own amateur callsign, e.g. N0CALL")
    call = str(text).strip().upper()
    match = _CALL_RE.match(call)
    if match is None:
        raise InputError(
            f"{name}={text!r} is not an amateur callsign: expected [PREFIX/]BASE[/SUFFIX] "
            "with a base like N0CALL (prefix, one digit, suffix ending in a letter)"
        )
    return Callsign(
        text=call,
        base=match["base"],
        prefix=match["prefix"] or "",
        suffix=match["suffix"] or "",
    )


@dataclass(frozen=True, slots=True)
class Grid:
    """A validated Maidenhead locator (2, 4, 6 or 8 characters).

    Attributes
    ----------
    text : str
        Normalized spelling: field upper case, subsquare lower case (``IO91wm``).
    """

    text: str

    @property
    def center_deg(self) -> tuple[float, float]:
        """Latitude and longitude of the locator's centre, degrees.

        Examples
        --------
        >>> [round(v, 4) for v in Grid("IO91wm").center_deg]
        [51.5208, -0.125]
        """
        g = self.text.upper()
        lon, lat = -180.0, -90.0
        lon_step, lat_step = 20.0, 10.0
        lon += (ord(g[0]) - 65) * lon_step
        lat += (ord(g[1]) - 65) * lat_step
        for i in range(2, len(g), 2):
            if i in (2, 6):
                lon_step, lat_step = lon_step / 10, lat_step / 10
                lon += int(g[i]) * lon_step
                lat += int(g[i + 1]) * lat_step
            else:
                lon_step, lat_step = lon_step / 24, lat_step / 24
                lon += (ord(g[i]) - 65) * lon_step
                lat += (ord(g[i + 1]) - 65) * lat_step
        return lat + lat_step / 2, lon + lon_step / 2

    def __str__(self) -> str:
        return self.text


def parse_grid(text: str, *, name: str = "--grid") -> Grid:
    """Validate a Maidenhead locator, any case.

    Raises
    ------
    InputError
        Not 2, 4, 6 or 8 characters of field A-R, square 0-9, subsquare A-X, digits.

    Examples
    --------
    >>> parse_grid("FN31pr").text
    'FN31pr'
    >>> parse_grid("ZZ99")
    Traceback (most recent call last):
    ...
    station.errors.InputError: --grid='ZZ99' is not a Maidenhead locator: expected 2, 4, 6 or 8 characters like FN31 or IO91wm (field A-R, square 0-9, subsquare A-X)
    """  # noqa: E501
    g = str(text).strip().upper()
    if not _GRID_RE.match(g):
        raise InputError(
            f"{name}={text!r} is not a Maidenhead locator: expected 2, 4, 6 or 8 characters "
            "like FN31 or IO91wm (field A-R, square 0-9, subsquare A-X)"
        )
    return Grid(g[:4] + g[4:6].lower() + g[6:])
