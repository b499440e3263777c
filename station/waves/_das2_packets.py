r"""Data packets of a das2 stream: decode one ``:NN:`` packet by its declared layout.

ASCII packets are read by their declared widths; a packet that does not fit (too
few or too many values, values wider than declared) gets the clearest one-line
error we can give, naming its line.  Binary planes (``little_endian_real4/8``,
``sun_real4/8``) are decoded with numpy.

Examples
--------
>>> from station.waves._das2_header import parse_packet_header
>>> layout = parse_packet_header('<packet><x type="time22" units="us2000"/><yscan '
...     'type="ascii11" nitems="2" yTags="1,2"/></packet>', 40, "x.d2t", 1)
>>> rows = Rows(layout)
>>> data = b":40:2017-01-01T00:00:00.3  2.112e-15  1.277e-15\n"
>>> read_packet(data, 4, rows, "x.d2t", 2) == len(data)
True
>>> rows.times, rows.values[0].tolist()
([1483228800.3], [2.112e-15, 1.277e-15])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from station.errors import WavesFormatError
from station.waves._das2_header import TIME_UNITS_S, PacketLayout
from station.waves.series import parse_unix_s

__all__ = ["Rows", "read_packet"]

_SPACE = b" \t\r\n"


def skip_space(data: bytes, pos: int) -> int:
    """Offset of the first non-whitespace byte at or after `pos`."""
    while pos < len(data) and data[pos] in _SPACE:
        pos += 1
    return pos


@dataclass
class Rows:
    """The decoded data packets of one packet id, in file order."""

    layout: PacketLayout
    lines: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)


def _time(text: str, plane_units: str, is_text: bool) -> float:
    if is_text:
        return parse_unix_s(text)
    epoch_s, unit_s = TIME_UNITS_S[plane_units]
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(text)
    return epoch_s + value * unit_s


def _row_problem(data: bytes, start: int, layout: PacketLayout, path: str, line: int) -> None:
    """Raise the clearest error for an ASCII data packet that does not fit its header."""
    stop = data.find(b"\n", start)
    text = data[start : len(data) if stop < 0 else stop]
    found = len(text.split()) - 1
    tag = f":{layout.packet_id:02d}:"
    if found != layout.n_values:
        raise WavesFormatError(
            path,
            f"expected {layout.n_values} values, found {found} after the time in data packet "
            f"{tag} (header [{layout.packet_id:02d}] at line {layout.line}: {layout.describe()})",
            line=line,
        )
    raise WavesFormatError(
        path,
        f"data packet {tag} is {len(text) + 1} characters after its tag (with the newline), header "
        f"[{layout.packet_id:02d}] (line {layout.line}) declares {layout.width} "
        f"({layout.describe()}); every value must fill its declared width",
        line=line,
    )


def _text_row(body: bytes, layout: PacketLayout, path: str, line: int) -> tuple[float, list]:
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise WavesFormatError(
            path, "data packet has non-ASCII bytes in an ASCII plane", line=line
        ) from None
    x = layout.planes[0]
    raw = text[: x.item_bytes]
    try:
        t = _time(raw, x.units, x.is_time_text)
    except ValueError:
        raise WavesFormatError(
            path,
            f"bad time {raw.strip()!r}; expected ISO UTC YYYY-MM-DDTHH:MM:SS.s "
            "(or YYYY-DDDTHH:MM:SS.s)"
            if x.is_time_text
            else f"bad time {raw.strip()!r}; expected a number in {x.units}",
            line=line,
            column=0,
        ) from None
    values, pos, col = [], x.item_bytes, 1
    for plane in layout.values:
        for k in range(plane.nitems):
            raw = text[pos : pos + plane.item_bytes]
            try:
                values.append(float(raw))
            except ValueError:
                freq = plane.freq_hz[k]
                at = f" ({freq:.6g} Hz)" if np.isfinite(freq) else ""
                raise WavesFormatError(
                    path,
                    f"value {col} of {layout.n_values}{at}: {raw.strip()!r} is not a "
                    f"number (field of {plane.item_bytes} characters, type {plane.type})",
                    line=line,
                    column=col,
                ) from None
            pos += plane.item_bytes
            col += 1
    return t, values


def _binary_row(body: bytes, layout: PacketLayout, path: str, line: int) -> tuple[float, list]:
    values: list[float] = []
    t = float("nan")
    pos = 0
    for plane in layout.planes:
        n = plane.item_bytes * plane.nitems
        chunk = body[pos : pos + n]
        if plane.dtype:
            items = np.frombuffer(chunk, dtype=plane.dtype).astype(float).tolist()
        else:
            text = chunk.decode("ascii", errors="replace")
            w = plane.item_bytes
            items = [text[i : i + w] for i in range(0, n, w)]
        if plane.kind == "x":
            try:
                t = _time(str(items[0]), plane.units, plane.is_time_text)
            except ValueError:
                raise WavesFormatError(
                    path, f"bad time {str(items[0]).strip()!r}", line=line, column=0
                ) from None
        else:
            try:
                values.extend(float(v) for v in items)
            except ValueError:
                raise WavesFormatError(
                    path, f"a value of plane {plane.name!r} is not a number", line=line
                ) from None
        pos += n
    return t, values


def read_packet(data: bytes, start: int, rows: Rows, path: str, line: int) -> int:
    """Decode one data packet starting after its tag; return the offset after it."""
    layout = rows.layout
    end = start + layout.width
    body = data[start:end]
    if layout.is_text:
        if end == len(data) + 1 and data[-1:] not in (b"\n", b" "):
            body += b"\n"  # the last row of a file without its final newline
        nxt = skip_space(data, min(end, len(data)))
        if (
            len(body) < layout.width
            or b"\n" in body[:-1]
            or (nxt < len(data) and data[nxt : nxt + 1] not in (b":", b"["))
        ):
            _row_problem(data, start, layout, path, line)
        t, values = _text_row(body, layout, path, line)
    else:
        if len(body) < layout.width:
            raise WavesFormatError(
                path,
                f"truncated data packet :{layout.packet_id:02d}: ({len(body)} of "
                f"{layout.width} bytes; {layout.describe()})",
                line=line,
            )
        t, values = _binary_row(body, layout, path, line)
    rows.lines.append(line)
    rows.times.append(t)
    rows.values.append(np.array(values, dtype=float))
    return end
