r"""Generic receiver data (CSV or NPZ), so any receiver's power channels can be checked.

**CSV**: optional ``#`` comment lines, a header row, then one row per time.  The
first column is UTC: ISO 8601 with ``Z`` or ``+00:00`` (any header name), or unix
seconds when the header is ``time_unix_s``.  Every other column is one channel of
power; its header is a frequency (``28.5MHz``, ``28500kHz``, ``28500000Hz``,
``28.5e6`` = Hz) or any other name (frequency NaN: pick it by name or index).
``# units: ...`` sets the units (default :data:`DEFAULT_UNITS`) and
``# bandwidth_hz: b1, b2, ...`` the channel bandwidths.  Empty fields and values
<= 0 are missing (NaN).

**NPZ**: arrays ``time_unix_s`` (n,) float or ``time_utc`` (n,) datetime64 / ISO
strings; ``power`` (n,) or (n, m); optional ``freq_hz`` (m,), ``bandwidth_hz`` (m,),
``units`` (0-d string) and ``band`` (m,) channel names.

The channel names are returned in :attr:`~station.waves.series.WavesSeries.band`.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "rx.csv"
>>> _ = path.write_text("# units: W\ntime_utc,28.5MHz,agc\n"
...                     "2013-10-09T18:00:00Z,1e-15,3\n2013-10-09T18:00:01Z,,4\n")
>>> s = read_generic(path)
>>> s.band, s.freq_hz.tolist(), s.units, s.power.tolist()
(('28.5MHz', 'agc'), [28500000.0, nan], 'W', [[1e-15, 3.0], [nan, 4.0]])
>>> back = read_generic(write_npz(path.with_suffix(".npz"), s))
>>> back.band == s.band and np.array_equal(back.power, s.power, equal_nan=True)
True
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np

from station._atomic import write_bytes_atomic
from station.errors import WavesFormatError
from station.utc import format_unix_s
from station.waves._generic_npz import DEFAULT_UNITS, clean_power, iso_utc, read_npz
from station.waves.series import WavesSeries, check_times

__all__ = ["DEFAULT_UNITS", "channel_freq_hz", "read_generic", "write_generic_csv", "write_npz"]

_FREQ = re.compile(r"\s*(\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(hz|khz|mhz|ghz)?\s*", re.I)
_SCALE = {"": 1.0, "hz": 1.0, "khz": 1e3, "mhz": 1e6, "ghz": 1e9}
_META = re.compile(r"#\s*(units|bandwidth_hz)\s*:(.*)", re.I)


def channel_freq_hz(name: str) -> float:
    """Frequency in Hz named by a column header, NaN if the header is not a frequency.

    Examples
    --------
    >>> [channel_freq_hz(n) for n in ("28.5MHz", "28500kHz", "28500000Hz", "28.5e6", "agc")]
    [28500000.0, 28500000.0, 28500000.0, 28500000.0, nan]
    """
    m = _FREQ.fullmatch(name)
    if not m:
        return float("nan")
    return float(m.group(1)) * _SCALE[(m.group(2) or "").lower()]


def read_generic(path: str | os.PathLike[str]) -> WavesSeries:
    r"""Read a generic CSV or NPZ file of power channels.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv`` file or a ``.npz`` archive (recognised by its content).

    Returns
    -------
    WavesSeries
        ``file_format`` ``"generic-csv"`` or ``"npz"``; ``band`` holds the channel
        names (the CSV column headers).

    Raises
    ------
    WavesFormatError
        On a layout break, naming the line and column (CSV) or the array and the
        expected shape (NPZ); also for a channel with no valid value (all-fill).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "rx.csv"
    >>> _ = path.write_text("time_unix_s,28.5MHz\n0,1\n0,2\n")
    >>> read_generic(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    station.errors.WavesFormatError: ...rx.csv: line 3: duplicate time ... (same as line 2)
    """
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise WavesFormatError(p, f"cannot read: {exc.strerror or exc}") from None
    if magic == b"PK\x03\x04" or p.suffix.lower() == ".npz":
        return read_npz(p)
    return _read_csv(p)


def _read_csv(p: Path) -> WavesSeries:
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WavesFormatError(p, f"not UTF-8 text (byte {exc.start}); expected a CSV") from None
    units, bandwidth, bw_line = DEFAULT_UNITS, None, 0
    names: list[str] = []
    head_line, unix = 0, False
    times, lines, rows = [], [], []
    for lineno, raw in enumerate(text.split("\n"), 1):
        raw = raw.rstrip("\r")
        if not raw.strip():
            continue
        if raw.lstrip().startswith("#"):
            meta = _META.fullmatch(raw.strip())
            if meta and meta.group(1).lower() == "units":
                units = meta.group(2).strip() or DEFAULT_UNITS
            elif meta:
                bandwidth, bw_line = _floats(meta.group(2), p, lineno), lineno
            continue
        fields = next(csv.reader([raw]))
        if not head_line:
            names, unix = _header(fields, p, lineno), fields[0].strip() == "time_unix_s"
            head_line = lineno
            continue
        if len(fields) != len(names) + 1:
            raise WavesFormatError(
                p,
                f"expected {len(names) + 1} columns (time + {len(names)} channels, as the "
                f"header on line {head_line}), found {len(fields)}",
                line=lineno,
            )
        times.append(_row_time(fields[0], unix, p, lineno))
        lines.append(lineno)
        rows.append([_value(f, p, lineno, k) for k, f in enumerate(fields[1:], 1)])
    if not head_line:
        raise WavesFormatError(p, "header missing: no header row (e.g. time_utc,28.5MHz)")
    if not rows:
        raise WavesFormatError(p, "no data rows after the header", line=head_line)
    m = len(names)
    if bandwidth is not None and len(bandwidth) != m:
        raise WavesFormatError(
            p,
            f"bandwidth_hz lists {len(bandwidth)} values, expected {m} (one per channel)",
            line=bw_line,
        )
    t = np.array(times)
    check_times(t, str(p), lines)
    power = clean_power(np.array(rows, dtype=float).reshape(len(rows), m))
    for k in range(m):
        if np.isnan(power[:, k]).all():
            raise WavesFormatError(
                p,
                f"no valid values in channel {names[k]!r}: all-fill data (every field empty "
                "or <= 0)",
                line=head_line,
                column=k + 1,
            )
    return WavesSeries(
        time_unix_s=t,
        freq_hz=np.array([channel_freq_hz(n) for n in names]),
        bandwidth_hz=np.array(bandwidth if bandwidth is not None else [np.nan] * m),
        power=power,
        source=str(p),
        file_format="generic-csv",
        units=units,
        band=tuple(names),
    )


def _floats(text: str, p: Path, lineno: int) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise WavesFormatError(
            p,
            f"bandwidth_hz: {text.strip()!r} is not a comma-separated list of numbers",
            line=lineno,
        ) from None


def _header(fields: list[str], p: Path, lineno: int) -> list[str]:
    first = fields[0].strip()
    try:
        _row_time(first, False, p, lineno)
        looks_like_data = True
    except WavesFormatError:
        unit = _FREQ.fullmatch(first)
        looks_like_data = unit is not None and np.isfinite(channel_freq_hz(first)) and not unit[2]
    if looks_like_data:
        raise WavesFormatError(
            p,
            f"header missing: the first row starts with {first!r}, expected a header row "
            "such as time_utc,28.5MHz (or time_unix_s,28.5MHz)",
            line=lineno,
        )
    names = [f.strip() for f in fields[1:]]
    if not names:
        raise WavesFormatError(
            p, "the header has no channel column after the time column", line=lineno
        )
    for k, name in enumerate(names, 1):
        if not name:
            raise WavesFormatError(p, "empty channel name in the header", line=lineno, column=k)
    return names


def _row_time(text: str, unix: bool, p: Path, lineno: int) -> float:
    try:
        t = float(text) if unix else iso_utc(text)
        if not np.isfinite(t):
            raise ValueError(text)
        return t
    except ValueError:
        want = (
            "unix seconds" if unix else "ISO 8601 UTC ending in Z or +00:00 (2013-10-09T18:00:00Z)"
        )
        raise WavesFormatError(
            p, f"bad time {text.strip()!r}; expected {want}", line=lineno, column=0
        ) from None


def _value(text: str, p: Path, lineno: int, column: int) -> float:
    if not text.strip():
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise WavesFormatError(
            p, f"{text.strip()!r} is not a number", line=lineno, column=column
        ) from None


def _csv_name(freq_hz: float, band: str, k: int) -> str:
    name = band.strip()
    if np.isfinite(freq_hz):
        return name if name and channel_freq_hz(name) == freq_hz else f"{float(freq_hz)!r}Hz"
    if not name or any(c in name for c in "\r\n") or np.isfinite(channel_freq_hz(name)):
        return f"ch{k}"
    return name


def write_generic_csv(
    path: str | os.PathLike[str],
    series: WavesSeries,
    *,
    overwrite: bool = False,
    iso_time: bool = False,
) -> Path:
    r"""Write `series` as a generic CSV that :func:`read_generic` reads back.

    Values and unix times are written with ``repr`` (exact round trip); NaN is an
    empty field.  Column headers: the channel name (``band``) where it is the same
    frequency (or a name, for channels without one), else ``<freq_hz>Hz``.

    Parameters
    ----------
    path : str or os.PathLike
        Target file; its directory must exist.
    series : WavesSeries
        What to write.
    overwrite : bool
        Replace an existing file (else :class:`~station.errors.RecordingExistsError`).
    iso_time : bool
        Write ISO 8601 ``time_utc`` (microseconds) instead of exact ``time_unix_s``.

    Returns
    -------
    pathlib.Path
        `path`; written atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> s = WavesSeries(np.array([0.0, 1.5]), np.array([28.5e6]), np.array([1e6]),
    ...                 np.array([[2e-15], [np.nan]]), "doc", "generic-csv", units="W")
    >>> path = write_generic_csv(pathlib.Path(tempfile.mkdtemp()) / "s.csv", s)
    >>> print(path.read_text(), end="")
    # units: W
    # bandwidth_hz: 1000000.0
    time_unix_s,28500000.0Hz
    0.0,2e-15
    1.5,
    """
    buf = io.StringIO()
    buf.write(f"# units: {' '.join(series.units.split())}\n")
    buf.write(f"# bandwidth_hz: {','.join(repr(float(b)) for b in series.bandwidth_hz)}\n")
    writer = csv.writer(buf, lineterminator="\n")
    names = [
        _csv_name(f, b, k) for k, (f, b) in enumerate(zip(series.freq_hz, series.band, strict=True))
    ]
    writer.writerow(["time_utc" if iso_time else "time_unix_s", *names])
    for t, row in zip(series.time_unix_s, series.power, strict=True):
        stamp = format_unix_s(float(t), 6) if iso_time else repr(float(t))
        writer.writerow([stamp, *("" if np.isnan(v) else repr(float(v)) for v in row)])
    return write_bytes_atomic(path, buf.getvalue().encode("utf-8"), overwrite=overwrite)


def write_npz(
    path: str | os.PathLike[str], series: WavesSeries, *, overwrite: bool = False
) -> Path:
    """Write `series` as an NPZ archive that :func:`read_generic` reads back exactly.

    Arrays: ``time_unix_s``, ``power`` (n, m), ``freq_hz``, ``bandwidth_hz``,
    ``units`` (0-d string) and ``band`` (channel names).

    Parameters
    ----------
    path : str or os.PathLike
        Target file (give it the ``.npz`` suffix yourself; none is added).
    series : WavesSeries
        What to write.
    overwrite : bool
        Replace an existing file (else :class:`~station.errors.RecordingExistsError`).

    Returns
    -------
    pathlib.Path
        `path`; written atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> s = WavesSeries(np.array([0.0]), np.array([28.5e6]), np.array([np.nan]),
    ...                 np.array([[2e-15]]), "doc", "npz", band=("HFRH",))
    >>> path = write_npz(pathlib.Path(tempfile.mkdtemp()) / "s.npz", s)
    >>> sorted(np.load(path).files)
    ['band', 'bandwidth_hz', 'freq_hz', 'power', 'time_unix_s', 'units']
    """
    buf = io.BytesIO()
    np.savez(
        buf,
        time_unix_s=np.asarray(series.time_unix_s, dtype=float),
        power=np.asarray(series.power, dtype=float),
        freq_hz=np.asarray(series.freq_hz, float),
        bandwidth_hz=np.asarray(series.bandwidth_hz, float),
        units=np.array(series.units),
        band=np.array([str(b) for b in series.band], dtype=str),
    )
    return write_bytes_atomic(path, buf.getvalue(), overwrite=overwrite)
