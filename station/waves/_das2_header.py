"""The XML headers of a das2 (version 2.2) stream: stream header and packet layouts.

A packet header ``[NN]LLLLLL<packet>...</packet>`` declares the planes of every data
packet ``:NN:`` that follows: one ``<x>`` plane (the time), then ``<y>`` planes (one
value each) and ``<yscan>`` planes (``nitems`` values at the frequencies ``yTags``).
Each plane has a data type that fixes its width in bytes: ``asciiNN`` and ``timeNN``
are NN characters, ``little_endian_real4/8`` and ``sun_real4/8`` (big endian) are 4
or 8 bytes.  This module turns the XML into a :class:`PacketLayout`; the stream
itself is read by :mod:`station.waves.das2`.

Examples
--------
>>> xml = ('<packet><x type="time22" units="us2000"/>'
...        '<yscan name="s" type="ascii11" nitems="2" yTags="3.5,4.5" yUnits="MHz"'
...        ' zUnits="V**2 m**-2 Hz**-1"><properties'
...        ' String:zSummary="Amplitudes from the HFRH Receiver Band"/></yscan></packet>')
>>> layout = parse_packet_header(xml, 40, "x.d2t", 1)
>>> layout.width, layout.n_values, layout.freq_hz.tolist(), layout.band, layout.units
(44, 2, [3500000.0, 4500000.0], ('HFRH', 'HFRH'), 'V**2 m**-2 Hz**-1')
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import numpy as np

from station.errors import WavesFormatError
from station.waves.series import PSD_UNITS

__all__ = [
    "PacketLayout",
    "Plane",
    "TIME_UNITS_S",
    "parse_oob",
    "parse_packet_header",
    "parse_stream_header",
]

_BINARY = {
    "little_endian_real4": "<f4",
    "little_endian_real8": "<f8",
    "sun_real4": ">f4",
    "sun_real8": ">f8",
}
_TEXT = re.compile(r"(ascii|time)(\d+)")
_FREQ_SCALE = {"": 1.0, "Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9}
_PSD_SPELLINGS = {"v**2m**-2hz**-1", "v^2/m^2/hz", "v**2/m**2/hz", "v^2m^-2hz^-1"}
_PREFIXED_ATTR = re.compile(r"(\s)([A-Za-z]\w*):(\w+)(\s*=)")
_BAND = re.compile(r"from the (\S+) Receiver", re.IGNORECASE)

TIME_UNITS_S = {
    "us2000": (946684800.0, 1e-6),
    "t2000": (946684800.0, 1.0),
    "t1970": (0.0, 1.0),
    "ms1970": (0.0, 1e-3),
    "mj1958": (-378691200.0, 86400.0),
}
"""Numeric das2 time units: (unix seconds of the epoch, seconds per unit)."""


@dataclass(frozen=True)
class Plane:
    """One plane of a packet: its kind, encoding and, for values, channels.

    Attributes
    ----------
    kind : str
        ``"x"``, ``"y"`` or ``"yscan"``.
    name : str
        The plane's ``name`` attribute (may be empty).
    type : str
        The das2 data type as written, e.g. ``"ascii11"``.
    item_bytes : int
        Width of one item in bytes.
    nitems : int
        Items per packet (1 for ``x`` and ``y``).
    dtype : str
        numpy dtype of a binary type; empty for text types.
    units : str
        ``units`` of x and y planes, ``zUnits`` of yscan planes.
    freq_hz : numpy.ndarray
        (nitems,) channel frequencies; NaN where the header gives none.
    band : str
        Receiver band from the ``zSummary`` property, else ``P<id>``.
    fill : float
        The ``zFill``/``yFill`` property, NaN if absent.
    """

    kind: str
    name: str
    type: str
    item_bytes: int
    nitems: int
    dtype: str
    units: str
    freq_hz: np.ndarray
    band: str
    fill: float

    @property
    def is_time_text(self) -> bool:
        """True for a ``timeNN`` plane (ISO time text)."""
        return self.type.startswith("time")


@dataclass(frozen=True)
class PacketLayout:
    """The declared layout of the data packets of one packet id.

    Attributes
    ----------
    packet_id : int
        1-99.
    planes : tuple of Plane
        The x plane first, then the value planes in file order.
    line : int
        1-based line of the header in the file.
    """

    packet_id: int
    planes: tuple[Plane, ...]
    line: int

    @property
    def width(self) -> int:
        """Bytes of one data packet after its ``:NN:`` tag."""
        return sum(p.item_bytes * p.nitems for p in self.planes)

    @property
    def values(self) -> tuple[Plane, ...]:
        """The value planes (all but x)."""
        return self.planes[1:]

    @property
    def n_values(self) -> int:
        """Values per packet (channels)."""
        return sum(p.nitems for p in self.values)

    @property
    def is_text(self) -> bool:
        """True when every plane is ASCII text."""
        return not any(p.dtype for p in self.planes)

    @property
    def freq_hz(self) -> np.ndarray:
        """(n_values,) channel frequencies."""
        return np.concatenate([p.freq_hz for p in self.values])

    @property
    def band(self) -> tuple[str, ...]:
        """Band name of each channel."""
        return tuple(p.band for p in self.values for _ in range(p.nitems))

    @property
    def units(self) -> str:
        """Units of the values (the same for every value plane)."""
        return self.values[0].units

    def describe(self) -> str:
        """E.g. ``time22 + 38 x ascii11``."""
        parts = [self.planes[0].type] + [f"{p.nitems} x {p.type}" for p in self.values]
        return " + ".join(parts)

    def same_channels(self, other: PacketLayout) -> bool:
        """Tell whether `other` has the same planes, widths and frequencies."""
        strip = [(p.kind, p.type, p.nitems, p.units) for p in self.planes]
        other_strip = [(p.kind, p.type, p.nitems, p.units) for p in other.planes]
        return strip == other_strip and np.array_equal(self.freq_hz, other.freq_hz, equal_nan=True)


def _parse_xml(text: str, path: str, line: int, what: str) -> ET.Element:
    try:
        return ET.fromstring(_PREFIXED_ATTR.sub(r"\1\2__\3\4", text))
    except ET.ParseError as exc:
        xml_line, xml_col = exc.position
        reason = str(exc).split(":")[0]
        raise WavesFormatError(
            path,
            f"{what} XML does not parse ({reason}, character {xml_col + 1})",
            line=line + xml_line - 1,
        ) from None


def _properties(elem: ET.Element) -> dict[str, str]:
    """``<properties Type:name="v"/>`` attributes and das2.3-style ``<p name="">v</p>``."""
    props: dict[str, str] = {}
    for p in elem.findall("properties"):
        props.update({k.split("__")[-1]: v for k, v in p.attrib.items()})
        props.update({q.get("name", ""): (q.text or "") for q in p.findall("p")})
    return props


def parse_stream_header(text: str, path: str, line: int) -> dict[str, str]:
    """Check the ``[00]`` stream header (well-formed ``<stream>``, not compressed).

    Returns its ``<properties>`` by name without the type prefix, e.g.
    ``{"yScaleType": "log", ...}`` for the Waves team's survey streams.

    Examples
    --------
    >>> parse_stream_header('<stream><properties String:yScaleType="log"/></stream>', "x", 1)
    {'yScaleType': 'log'}
    """
    root = _parse_xml(text, path, line, "stream header [00]")
    if root.tag != "stream":
        raise WavesFormatError(
            path, f"stream header [00] is <{root.tag}>, expected <stream>", line=line
        )
    compression = root.get("compression", "none")
    if compression != "none":
        raise WavesFormatError(
            path,
            f'compressed das2 stream (compression="{compression}") is not supported; '
            'request or save it uncompressed (compression="none")',
            line=line,
        )
    return _properties(root)


def parse_oob(text: str, path: str, line: int) -> None:
    """Handle an out-of-band ``[xx]`` packet: skip a comment, raise on an exception."""
    root = _parse_xml(text, path, line, "out-of-band packet [xx]")
    if root.tag == "comment":
        return
    if root.tag == "exception":
        kind = root.get("type", "?")
        message = " ".join(root.get("message", "").split())
        raise WavesFormatError(
            path,
            f"the stream carries a das2 exception {kind}: {message or '(no message)'}",
            line=line,
        )
    raise WavesFormatError(
        path,
        f"out-of-band packet [xx] is <{root.tag}>, expected <comment> or <exception>",
        line=line,
    )


def _plane(elem: ET.Element, packet_id: int, path: str, line: int) -> Plane:
    kind, name = elem.tag, elem.get("name", "")
    where = f"packet header [{packet_id:02d}] <{kind}{f' {name!r}' if name else ''}>"
    type_ = elem.get("type", "")
    text = _TEXT.fullmatch(type_)
    if text and int(text.group(2)) > 0:
        item_bytes, dtype = int(text.group(2)), ""
    elif type_ in _BINARY:
        dtype = _BINARY[type_]
        item_bytes = int(dtype[-1])
    else:
        raise WavesFormatError(
            path,
            f"{where}: data type {type_!r} is not supported; expected asciiNN, timeNN, "
            "little_endian_real4/8 or sun_real4/8",
            line=line,
        )
    props = _properties(elem)
    summary = props.get("zSummary", props.get("summary", ""))
    found = _BAND.search(summary)
    band = found.group(1) if found else f"P{packet_id:02d}"
    fill_text = props.get("zFill", props.get("yFill", "nan")).split() or ["nan"]
    try:
        fill = float(fill_text[0])  # a Datum property may carry units after the number
    except ValueError:
        raise WavesFormatError(
            path, f"{where}: fill value {fill_text[0]!r} is not a number", line=line
        ) from None
    if kind == "x":
        units = elem.get("units", "")
        if not text or text.group(1) != "time":
            if units not in TIME_UNITS_S:
                raise WavesFormatError(
                    path,
                    f"{where}: units {units!r} are not a time; expected a timeNN type or "
                    f"units {', '.join(TIME_UNITS_S)}",
                    line=line,
                )
        return Plane(kind, name, type_, item_bytes, 1, dtype, units, np.full(0, np.nan), band, fill)
    if kind == "y":
        units = _values_units(elem.get("units", ""))
        return Plane(
            kind, name, type_, item_bytes, 1, dtype, units, np.full(1, np.nan), name or band, fill
        )
    try:
        nitems = int(elem.get("nitems", ""))
        if nitems < 1:
            raise ValueError
    except ValueError:
        raise WavesFormatError(
            path,
            f"{where}: nitems={elem.get('nitems')!r}, expected a positive integer",
            line=line,
        ) from None
    freq_hz = _ytags(elem, nitems, where, path, line)
    return Plane(
        kind,
        name,
        type_,
        item_bytes,
        nitems,
        dtype,
        _values_units(elem.get("zUnits", "")),
        freq_hz,
        band,
        fill,
    )


def _ytags(elem: ET.Element, nitems: int, where: str, path: str, line: int) -> np.ndarray:
    y_units = elem.get("yUnits", "")
    if y_units not in _FREQ_SCALE:
        raise WavesFormatError(
            path,
            f"{where}: yUnits {y_units!r} is not a frequency; expected Hz, kHz, MHz or GHz",
            line=line,
        )
    scale = _FREQ_SCALE[y_units]
    try:
        if elem.get("yTags") is not None:
            tags = [float(t) for t in re.split(r"[,\s]+", elem.get("yTags", "").strip())]
            if len(tags) != nitems:
                raise WavesFormatError(
                    path,
                    f"{where}: yTags lists {len(tags)} frequencies, expected nitems={nitems}",
                    line=line,
                )
            return np.array(tags) * scale
        if elem.get("yTagInterval") is not None:
            start = float(elem.get("yTagMin", "0"))
            step = float(elem.get("yTagInterval", ""))
            return (start + step * np.arange(nitems)) * scale
    except ValueError as exc:
        raise WavesFormatError(
            path, f"{where}: bad yTags/yTagMin/yTagInterval ({exc})", line=line
        ) from None
    return np.full(nitems, np.nan)


def _values_units(units: str) -> str:
    return PSD_UNITS if "".join(units.split()).lower() in _PSD_SPELLINGS else units


def parse_packet_header(text: str, packet_id: int, path: str, line: int) -> PacketLayout:
    """Parse a ``<packet>`` header into a :class:`PacketLayout`.

    Raises
    ------
    WavesFormatError
        On XML that does not parse, a missing or misplaced ``<x>`` plane, an
        unsupported data type, bad ``nitems``/``yTags``, or value planes whose units
        differ.
    """
    root = _parse_xml(text, path, line, f"packet header [{packet_id:02d}]")
    where = f"packet header [{packet_id:02d}]"
    if root.tag != "packet":
        raise WavesFormatError(path, f"{where} is <{root.tag}>, expected <packet>", line=line)
    elems = [e for e in root if e.tag in ("x", "y", "yscan")]
    others = sorted({e.tag for e in root} - {"x", "y", "yscan", "properties"})
    if others:
        raise WavesFormatError(
            path,
            f"{where}: plane <{others[0]}> is not supported; expected <x>, <y>, <yscan>",
            line=line,
        )
    if not elems or elems[0].tag != "x" or sum(e.tag == "x" for e in elems) != 1:
        raise WavesFormatError(
            path,
            f"{where}: expected one <x> time plane first, then <y>/<yscan> planes",
            line=line,
        )
    if len(elems) < 2:
        raise WavesFormatError(path, f"{where}: no <y> or <yscan> value plane", line=line)
    planes = tuple(_plane(e, packet_id, path, line) for e in elems)
    units = {p.units for p in planes[1:]}
    if len(units) > 1:
        raise WavesFormatError(
            path,
            f"{where}: value planes have different units {sorted(units)}; expected one",
            line=line,
        )
    return PacketLayout(packet_id, planes, line)
