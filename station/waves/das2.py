r"""Read das2 (version 2.2) streams such as the Juno Waves survey sample (``.d2t``).

A das2 stream is a ``[00]`` stream header, packet headers ``[NN]LLLLLL<packet>...``
(NN the packet id, LLLLLL the byte length of the XML) and data packets ``:NN:``
laid out as their header declares (see :mod:`station.waves._das2_header`).  Each
packet id becomes one :class:`~station.waves.series.WavesSeries` (one Waves
receiver band).  ASCII values are read exactly (``float`` of the text); values
<= 0, non-finite values and the plane's fill value become NaN.  Comments
(``[xx]<comment>``) are skipped; ``.d2t.gz`` files are read transparently.

Line numbers in error messages are 1-based; for binary packets they count the
newline bytes of the stream literally.

Examples
--------
>>> import tempfile, pathlib
>>> text = ('[00]000029<stream compression="none"/>\n'
...         '[40]000128<packet><x type="time22" units="us2000"/><yscan name="s" '
...         'type="ascii11" nitems="2" yTags="2.75e7,2.85e7" yUnits="Hz"/></packet>\n'
...         ':40:2017-01-01T00:00:00.3  6.517e-16  2.112e-15\n'
...         ':40:2017-01-01T00:00:01.3  2.346e-16  1.277e-15\n')
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.d2t"
>>> _ = path.write_text(text)
>>> (band,) = read_das2(path)
>>> band.band[0], band.freq_hz.tolist(), band.power[:, 1].tolist()
('P40', [27500000.0, 28500000.0], [2.112e-15, 1.277e-15])
>>> read_das2_channels(path, [28.5e6]).power[:, 0].tolist()
[2.112e-15, 1.277e-15]
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from station.errors import InputError, WavesFormatError
from station.waves._das2_header import parse_oob, parse_packet_header, parse_stream_header
from station.waves._das2_packets import Rows, read_packet, skip_space
from station.waves.series import MAX_POWER, WavesSeries, check_times

__all__ = ["read_das2", "read_das2_channels"]

_HEADER_TAG = re.compile(rb"\[(\d\d|xx)\]")
_DATA_TAG = re.compile(rb":(\d\d):")


class _LineCounter:
    """1-based line of a byte offset, for offsets visited in increasing order."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.line = data, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.data.count(b"\n", self.pos, pos)
        self.pos = pos
        return self.line


def _load(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WavesFormatError(path, f"cannot read: {exc.strerror or exc}") from None
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise WavesFormatError(path, f"gzip data is damaged ({exc})") from None
    return data


def _header(data: bytes, pos: int, name: str, line: int) -> tuple[str, str, int]:
    """Split the header packet at `pos`: its id, its XML text, the offset after it."""
    tag = _HEADER_TAG.fullmatch(data[pos : pos + 4])
    if not tag:
        raise WavesFormatError(
            name,
            f"bad header tag {data[pos : pos + 4]!r}; expected [NN] (two digits) or [xx]",
            line=line,
        )
    label, size = tag.group(0).decode(), data[pos + 4 : pos + 10]
    if not size or (len(size) < 6 and size.isdigit()):
        raise WavesFormatError(
            name, f"truncated header {label}: the stream ends inside its length field", line=line
        )
    if not size.isdigit():
        raise WavesFormatError(
            name,
            f"bad length field {size.decode('latin-1')!r} after {label}; expected 6 digits",
            line=line,
        )
    body = data[pos + 10 : pos + 10 + int(size)]
    if len(body) < int(size):
        raise WavesFormatError(
            name, f"truncated header {label}: its length field says {int(size)} bytes, only "
            f"{len(body)} remain", line=line,
        )  # fmt: skip
    try:
        return tag.group(1).decode(), body.decode("utf-8"), pos + 10 + int(size)
    except UnicodeDecodeError:
        raise WavesFormatError(name, f"header {label} is not UTF-8 text", line=line) from None


def _use_header(ident: str, xml: str, first: bool, rows: dict[int, Rows], name: str,
                line: int, stream: dict[str, str]) -> None:  # fmt: skip
    if ident == "xx":
        parse_oob(xml, name, line)
    elif ident == "00":
        if not first:
            raise WavesFormatError(name, "a second stream header [00]", line=line)
        stream.update(parse_stream_header(xml, name, line))
    else:
        layout = parse_packet_header(xml, int(ident), name, line)
        old = rows.get(layout.packet_id)
        if old and old.times:
            if not old.layout.same_channels(layout):
                raise WavesFormatError(
                    name, f"packet id {ident} redefined with other planes or channels (first "
                    f"header at line {old.layout.line}); not supported", line=line,
                )  # fmt: skip
        else:
            rows[layout.packet_id] = Rows(layout)


def _scan(path: Path) -> tuple[dict[int, Rows], dict[str, str]]:
    """Read every packet of the stream: rows grouped by packet id, stream properties."""
    data, name = _load(path), str(path)
    if not data.startswith(b"[00]"):
        hint = " (das2.3 streams are not supported)" if data[:1] == b"|" else ""
        raise WavesFormatError(
            name, f"not a das2 stream: starts with {data[:12]!r}, expected '[00]' and a "
            f"6-digit header length{hint}", line=1,
        )  # fmt: skip
    lines = _LineCounter(data)
    rows: dict[int, Rows] = {}
    stream: dict[str, str] = {}
    pos, after = 0, "the start of the stream"
    while (pos := skip_space(data, pos)) < len(data):
        line = lines.at(pos)
        if data[pos : pos + 1] == b"[":
            ident, xml, end = _header(data, pos, name, line)
            _use_header(ident, xml, pos == 0, rows, name, line, stream)
            pos, after = end, f"header [{ident}] at line {line}"
        elif data[pos : pos + 1] == b":":
            tag = _DATA_TAG.fullmatch(data[pos : pos + 4])
            if not tag:
                raise WavesFormatError(
                    name, f"bad data packet tag {data[pos : pos + 4]!r}; expected :NN: with NN "
                    "two digits", line=line,
                )  # fmt: skip
            packet = int(tag.group(1))
            if packet not in rows:
                raise WavesFormatError(
                    name, f"data packet :{packet:02d}: has no header; expected a packet header "
                    f"[{packet:02d}] before it", line=line,
                )  # fmt: skip
            pos = read_packet(data, pos + 4, rows[packet], name, line)
            after = f"data packet :{packet:02d}: at line {line}"
        else:
            raise WavesFormatError(
                name, f"expected a packet tag ('[NN]' header or ':NN:' data) after {after}, "
                f"found {data[pos : pos + 16]!r}", line=line,
            )  # fmt: skip
    return rows, stream


def _freq_scale(properties: dict[str, str]) -> str:
    """Return the frequency-axis scale a stream asks: ``"log"``, ``"linear"`` or ``""``.

    das2 streams give it as the ``yScaleType`` property (the y axis of a spectrogram
    is frequency); the Juno Waves survey streams say ``log``.

    Examples
    --------
    >>> _freq_scale({"yScaleType": "Log"}), _freq_scale({})
    ('log', '')
    """
    scale = properties.get("yScaleType", "").strip().lower()
    return scale if scale in ("log", "linear") else ""


def _series(rows: Rows, path: str, freq_scale: str) -> WavesSeries:
    layout = rows.layout
    times = np.array(rows.times)
    check_times(times, path, rows.lines)
    power = np.vstack(rows.values)
    fill = np.concatenate(  # a real4 value equals the fill value rounded to real4
        [
            np.full(p.nitems, np.float32(p.fill) if "f4" in p.dtype else p.fill)
            for p in layout.values
        ]
    )
    power[~np.isfinite(power) | (power <= 0) | (power > MAX_POWER) | (power == fill)] = np.nan
    return WavesSeries(
        time_unix_s=times,
        freq_hz=layout.freq_hz,
        bandwidth_hz=np.full(layout.n_values, np.nan),
        power=power,
        source=path,
        file_format="das2",
        units=layout.units,
        band=layout.band,
        freq_scale=freq_scale,
    )


def _bands(path: str | os.PathLike[str]) -> list[tuple[Rows, WavesSeries]]:
    rows, stream = _scan(Path(path))
    with_data = [rows[k] for k in sorted(rows) if rows[k].times]
    if not with_data:
        ids = ", ".join(f"[{k:02d}]" for k in sorted(rows)) or "none"
        raise WavesFormatError(path, f"no data packets in the stream (packet headers: {ids})")
    scale = _freq_scale(stream)
    return [(r, _series(r, str(path), scale)) for r in with_data]


def read_das2(path: str | os.PathLike[str]) -> list[WavesSeries]:
    r"""Read a das2 stream: one series per packet id (Waves band), in packet-id order.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.d2t`` file, optionally gzip-compressed (``.d2t.gz``).

    Returns
    -------
    list of WavesSeries
        ``file_format="das2"``; frequencies from ``yTags`` (in Hz); bandwidths NaN
        (das2 does not give them); ``band`` from the ``zSummary`` property (e.g.
        ``"HFRH"``) or ``"P<id>"``.

    Raises
    ------
    WavesFormatError
        On any break of the layout, naming the line (and the value's field where
        there is one); also when a packet id has no valid value at all (all-fill).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.d2t"
    >>> _ = path.write_text('[00]000009<stream/>[10]000104<packet><x type="time22" '
    ...     'units="us2000"/><y name="e" type="ascii10" units="V**2 m**-2 Hz**-1"/></packet>'
    ...     ':10:2017-01-01T00:00:00.4   1.5e-15\n')
    >>> s = read_das2(path)[0]
    >>> s.band, s.units == "V**2 m**-2 Hz**-1", s.power.tolist()
    (('e',), True, [[1.5e-15]])
    """
    out = []
    for rows, series in _bands(path):
        if np.isnan(series.power).all():
            raise WavesFormatError(
                path,
                f"no valid values in any channel of packet :{rows.layout.packet_id:02d}: "
                f"({series.band[0]}, {len(rows.times)} rows): all-fill data (every value is "
                "<= 0, NaN or the fill value)",
                line=rows.lines[0],
            )
        out.append(series)
    return out


def read_das2_channels(path: str | os.PathLike[str], freqs_hz: Sequence[float]) -> WavesSeries:
    r"""Read the channels nearest `freqs_hz` from a das2 stream, as one series.

    All channels in one band: that band's rows.  Channels from several bands: on the
    time axis of the band of ``freqs_hz[0]``; the other bands' values are taken at
    their nearest time within half the first band's cadence, NaN otherwise.

    Parameters
    ----------
    path : str or os.PathLike
        A das2 stream (see :func:`read_das2`).
    freqs_hz : sequence of float
        Wanted channel frequencies in Hz, e.g. ``[27.5e6, 28.5e6, 29.5e6]``.

    Returns
    -------
    WavesSeries
        One column per requested frequency, in that order.

    Raises
    ------
    InputError
        When no channel covers a frequency, or the bands' units differ.
    WavesFormatError
        On a broken stream, or when a chosen channel has no valid value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.d2t"
    >>> _ = path.write_text('[00]000009<stream/>[10]000104<packet><x type="time22" '
    ...     'units="us2000"/><y name="e" type="ascii10" units="V**2 m**-2 Hz**-1"/></packet>'
    ...     ':10:2017-01-01T00:00:00.4   1.5e-15\n')
    >>> read_das2_channels(path, [28.5e6])
    Traceback (most recent call last):
    ...
    station.errors.InputError: channel 28.5 MHz: no das2 channel has a frequency (x.d2t has none)
    """
    if len(freqs_hz) == 0:
        raise InputError("freqs_hz: empty; give at least one channel frequency in Hz")
    bands = [s for _, s in _bands(path)]
    picks = []
    for f in freqs_hz:
        distance = [np.nanmin(np.abs(s.freq_hz - f), initial=np.inf) for s in bands]
        if not np.isfinite(min(distance)):
            raise InputError(
                f"channel {f / 1e6:g} MHz: no das2 channel has a frequency "
                f"({Path(path).name} has none)"
            )
        band = bands[int(np.argmin(distance))]
        picks.append((band, band.channel_index(f)))
    ref = picks[0][0]
    units = {b.units for b, _ in picks}
    if len(units) > 1:
        raise InputError(f"freqs_hz: the chosen channels have different units {sorted(units)}")
    columns = []
    for (band, k), f in zip(picks, freqs_hz, strict=True):
        column = band.power[:, k]
        if np.isnan(column).all():
            raise WavesFormatError(
                path, f"no valid values in channel {f / 1e6:g} MHz ({band.band[k]}): all-fill data"
            )
        if band is not ref:
            half_s = ref.cadence_s / 2 if np.isfinite(ref.cadence_s) else band.cadence_s / 2
            column = _nearest(ref.time_unix_s, band.time_unix_s, column, half_s)
        columns.append(column)
    return WavesSeries(
        time_unix_s=ref.time_unix_s,
        freq_hz=np.array([b.freq_hz[k] for b, k in picks]),
        bandwidth_hz=np.full(len(picks), np.nan),
        power=np.column_stack(columns),
        source=str(path),
        file_format="das2",
        units=ref.units,
        band=tuple(b.band[k] for b, k in picks),
        freq_scale=ref.freq_scale,
    )


def _nearest(t_ref: np.ndarray, t: np.ndarray, values: np.ndarray, tol_s: float) -> np.ndarray:
    """`values` at times `t` sampled at `t_ref` by nearest time within `tol_s`, else NaN."""
    right = np.clip(np.searchsorted(t, t_ref), 1, max(len(t) - 1, 1))
    left = right - 1
    right = np.minimum(right, len(t) - 1)
    pick = np.where(np.abs(t[left] - t_ref) <= np.abs(t[right] - t_ref), left, right)
    out = values[pick].copy()
    out[~(np.abs(t[pick] - t_ref) <= tol_s)] = np.nan
    return out
