"""PDS calibrated Waves survey CSV (data set JNO-E/J/SS-WAV-3-CDR-SRVFULL): read and write.

Layout (``reference/waves-survey-format.md``): 5 header lines (line 4 the channel
centre frequencies in Hz, line 5 the channel noise bandwidths in Hz, both from field
28 on, maybe double-quoted), then one row per spectrum: field 0 SCLK seconds, field 1
SCET ``YYYY-DDDTHH:MM:SS.sss``, field 3 a flag string, fields 2 and 4-27 not used
here, then one spectral density per channel in V²/m²/Hz (126 channels in four receiver
bands, not in frequency order).  Empty fields and values <= 0 are missing.

The reader streams: a whole day (about 86,400 rows, 130 MB) is read line by line,
keeping only the channels asked for, so memory stays at a few MB.  Channels are picked
by their header frequency, never by a fixed column.  ``.gz`` files are read directly.

Examples
--------
>>> import tempfile, numpy as np
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> t = 1381276800.0 + np.arange(3.0)
>>> path = write_pds_csv(folder / "WAV_2013282T000000_E_V02.CSV", t,
...     np.array([27.5e6, 28.5e6]), np.array([1e6, 1e6]), np.array([[1e-15, 2e-15]] * 3))
>>> s = read_pds_csv(path, channels_hz=[28.5e6])
>>> s.freq_hz.tolist(), s.power[:, 0].tolist(), s.start_utc.isoformat()
([28500000.0], [2e-15, 2e-15, 2e-15], '2013-10-09T00:00:00+00:00')
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import math
import os
import zlib
from array import array
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from station._atomic import check_free, commit, staging_dir
from station.errors import WavesFormatError
from station.utc import format_scet, format_unix_s, parse_scet
from station.waves.series import MAX_POWER, PSD_UNITS, WavesSeries, check_times

__all__ = ["LEADING_FIELDS", "open_text", "read_pds_csv", "write_pds_csv"]

LEADING_FIELDS = 28
"""Fields before the first spectral density (SCLK, SCET, an unknown, flags, 24 more)."""

_SCLK_AT_EPOCH_S = 0.0


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[io.TextIOBase]:
    """:func:`open_text` whose damaged or cut-short compressed data is one clear error."""
    try:
        with open_text(path) as stream:
            yield stream
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise WavesFormatError(
            path, f"compressed data is damaged or cut short ({exc}); fetch the file again"
        ) from None
    except OSError as exc:
        raise WavesFormatError(path, f"cannot be read ({exc.strerror or exc})") from None


def open_text(path: Path) -> io.TextIOBase:
    """Open a text file, transparently gunzipping ``.gz``; ASCII with replacement."""
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="ascii", errors="replace")
    return open(path, encoding="ascii", errors="replace", newline="")  # noqa: SIM115


def _fields(line: str) -> list[str]:
    line = line.rstrip("\r\n")
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))


def _header_numbers(path: Path, line_no: int, line: str, what: str) -> np.ndarray:
    fields = _fields(line)
    if len(fields) <= LEADING_FIELDS:
        raise WavesFormatError(
            path, f"expected {what} from column {LEADING_FIELDS} on; found only "
            f"{len(fields)} fields (is this a PDS Waves survey CSV?)", line=line_no)
    out = np.empty(len(fields) - LEADING_FIELDS)
    for j, text in enumerate(fields[LEADING_FIELDS:]):
        try:
            out[j] = float(text.strip().strip('"'))
        except ValueError:
            raise WavesFormatError(
                path, f"expected {what} (a number), found {text[:30]!r}",
                line=line_no, column=LEADING_FIELDS + j) from None
    return out


def _pick(path: Path, freq_hz, bandwidth_hz, channels_hz, keep_hz) -> list[int]:
    probe = WavesSeries(np.zeros(0), freq_hz, bandwidth_hz,
                        np.zeros((0, freq_hz.size)), str(path), "pds-csv")
    if channels_hz is None and keep_hz is None:
        return list(range(freq_hz.size))
    cols = [probe.channel_index(f) for f in channels_hz or ()]
    if keep_hz is not None:
        lo, hi = keep_hz
        band = np.flatnonzero((freq_hz >= lo) & (freq_hz <= hi))
        cols += [int(k) for k in band[np.argsort(freq_hz[band], kind="stable")]]
    return list(dict.fromkeys(cols))


class _Scet:
    """SCET parser with a per-day fast path (the date part repeats on every row)."""

    def __init__(self) -> None:
        self.prefix, self.day0 = "", 0.0

    def __call__(self, text: str) -> float:
        s = text.strip('"')
        if s[:9] == self.prefix and len(s) >= 17 and s[11] == ":" and s[14] == ":":
            hh, mm, sec = int(s[9:11]), int(s[12:14]), float(s[15:].rstrip("Z"))
            if hh < 24 and mm < 60 and 0 <= sec < 61:
                return self.day0 + hh * 3600 + mm * 60 + sec
        t = parse_scet(s)
        self.prefix = s[:9]
        self.day0 = t - (t % 86400.0)
        return t


def _rows(path: Path, stream, width: int, cols: list[int]) -> Iterator[tuple[int, float, list]]:
    scet = _Scet()
    for line_no, line in enumerate(stream, start=6):
        if not line.strip():
            continue
        fields = _fields(line)
        if len(fields) != width:
            raise WavesFormatError(
                path, f"expected {width} fields ({LEADING_FIELDS} + {width - LEADING_FIELDS} "
                f"channels, as in header line 4), found {len(fields)}", line=line_no)
        try:
            t = scet(fields[1])
        except ValueError:
            raise WavesFormatError(
                path, f"expected a SCET YYYY-DDDTHH:MM:SS.sss, found {fields[1][:30]!r}",
                line=line_no, column=1) from None
        values = []
        for c in cols:
            text = fields[LEADING_FIELDS + c].strip()
            if not text:
                values.append(math.nan)
                continue
            try:
                values.append(float(text.strip('"')))
            except ValueError:
                raise WavesFormatError(
                    path, f"expected a spectral density (a number or empty), found "
                    f"{text[:30]!r}", line=line_no, column=LEADING_FIELDS + c) from None
        yield line_no, t, values


def read_pds_csv(
    path: str | os.PathLike[str],
    *,
    channels_hz: Sequence[float] | None = None,
    keep_hz: tuple[float, float] | None = None,
    start_unix_s: float = -math.inf,
    stop_unix_s: float = math.inf,
) -> WavesSeries:
    """Stream a PDS survey CSV, keeping only the channels and times asked for.

    Parameters
    ----------
    path : str or os.PathLike
        ``WAV_<yyyyddd>T<hhmmss>_E_V<nn>.CSV`` (or ``.CSV.gz``).
    channels_hz : sequence of float, optional
        Keep the channels nearest these frequencies (each must lie within its
        channel's half bandwidth), in this order.
    keep_hz : (float, float), optional
        Also keep every channel centred in ``[lo, hi]`` Hz, sorted by frequency.
        With neither argument every channel is kept, in file order.
    start_unix_s, stop_unix_s : float
        Keep rows with ``start <= t < stop``; every row is still checked.

    Returns
    -------
    WavesSeries
        ``file_format="pds-csv"``, power in V²/m²/Hz, NaN where missing.

    Raises
    ------
    WavesFormatError
        Naming the line and column and what was expected: missing header lines,
        non-numeric header frequencies or bandwidths, a row whose field count differs
        from the header's channel count, a bad SCET or value, duplicate or
        non-increasing times, no rows in the time range, or a kept channel that has no
        valid value at all.
    """
    path = Path(path)
    with _reading(path) as stream:
        head = [stream.readline() for _ in range(5)]
        if not head[0]:
            raise WavesFormatError(path, "is empty")
        if not head[4]:
            n = sum(1 for h in head if h)
            raise WavesFormatError(
                path, f"expected 5 header lines (line 4 frequencies, line 5 bandwidths), "
                f"file ends after {n}", line=n + 1)
        freq_hz = _header_numbers(path, 4, head[3], "channel centre frequencies in Hz")
        bandwidth_hz = _header_numbers(path, 5, head[4], "channel noise bandwidths in Hz")
        if bandwidth_hz.size != freq_hz.size:
            raise WavesFormatError(
                path, f"expected {freq_hz.size} bandwidths (one per channel of line 4), "
                f"found {bandwidth_hz.size}", line=5)
        cols = _pick(path, freq_hz, bandwidth_hz, channels_hz, keep_hz)
        width = LEADING_FIELDS + freq_hz.size
        times, lines = [], []
        flat = array("d")  # 8 bytes per value, not a Python float object each
        all_times, all_lines = [], []
        for line_no, t, values in _rows(path, stream, width, cols):
            all_times.append(t)
            all_lines.append(line_no)
            if start_unix_s <= t < stop_unix_s:
                times.append(t)
                lines.append(line_no)
                flat.extend(values)
    check_times(np.asarray(all_times), str(path), all_lines)
    if not times:
        raise WavesFormatError(
            path, f"no rows between {_utc_or_dash(start_unix_s)} and {_utc_or_dash(stop_unix_s)}"
            f"; the file spans {format_unix_s(all_times[0], 0)} to "
            f"{format_unix_s(all_times[-1], 0)}")
    power = np.frombuffer(flat, dtype=np.float64).reshape(len(times), len(cols))  # no copy
    power[~((power > 0) & (power <= MAX_POWER))] = np.nan  # inf, huge: not measured
    for j, c in enumerate(cols[: len(channels_hz or ())]):
        if np.all(np.isnan(power[:, j])):
            raise WavesFormatError(
                path, f"channel {freq_hz[c] / 1e6:g} MHz has no valid value in the rows read "
                "(all empty or <= 0: fill data)", column=LEADING_FIELDS + c)
    return WavesSeries(np.asarray(times), freq_hz[cols], bandwidth_hz[cols], power,
                       str(path), "pds-csv", PSD_UNITS)


def _utc_or_dash(t_unix_s: float) -> str:
    return format_unix_s(t_unix_s, 0) if math.isfinite(t_unix_s) else "-"


def write_pds_csv(
    path: str | os.PathLike[str],
    time_unix_s: np.ndarray,
    freq_hz: np.ndarray,
    bandwidth_hz: np.ndarray,
    power: np.ndarray,
    *,
    title: str = "Juno Waves calibrated survey, electric spectral density",
    sclk_epoch_utc: datetime = datetime(2000, 1, 1, 11, 58, 55, 816000, tzinfo=UTC),
    overwrite: bool = False,
) -> Path:
    """Write a survey CSV in the PDS layout, crash-safely (staged, then moved in place).

    Parameters
    ----------
    path : str or os.PathLike
        Target file; ``.gz`` compresses.  Never replaced unless `overwrite`.
    time_unix_s : numpy.ndarray
        Row times (UTC).
    freq_hz, bandwidth_hz : numpy.ndarray
        Header lines 4 and 5 (one per channel).
    power : numpy.ndarray
        (rows, channels) V²/m²/Hz; NaN is written as an empty field.
    title : str
        Header line 1.
    sclk_epoch_utc : datetime
        UTC of SCLK 0 (field 0 is seconds since it; J2000 by default, an assumption:
        readers only use SCLK differences).
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path = Path(path)
    check_free([path], overwrite=overwrite)
    n_ch = len(freq_hz)
    lead = ["SCLK", "SCET", "FIELD_2", "FLAGS"] + [f"FIELD_{k}" for k in range(4, LEADING_FIELDS)]
    blank = "," * (LEADING_FIELDS - 1)
    header = [
        title,
        ",".join(lead + [f"CH{k:03d}" for k in range(n_ch)]),
        ",".join(["s", "UTC"] + [""] * (LEADING_FIELDS - 2) + [PSD_UNITS] * n_ch),
        blank + "," + ",".join(f"{f:.6e}" for f in freq_hz),
        blank + "," + ",".join(f"{b:.6e}" for b in bandwidth_hz),
    ]
    sclk0 = (sclk_epoch_utc - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(seconds=1)
    row_format = ",".join(["%.4e"] * n_ch)
    empty_lead = "," * (LEADING_FIELDS - 5)
    with staging_dir(path.parent, target=path) as tmp:
        staged = tmp / path.name
        if path.suffix.lower() == ".gz":
            raw = gzip.open(staged, "wt", encoding="ascii", newline="")
        else:
            raw = open(staged, "w", encoding="ascii", newline="")  # noqa: SIM115
        with raw as out:
            out.write("\r\n".join(header) + "\r\n")
            for t, row in zip(time_unix_s, power, strict=True):
                values = (row_format % tuple(row)).replace("nan", "")
                out.write(f"{t - sclk0:.3f},{format_scet(t)},,0:0:0,{empty_lead},{values}\r\n")
        commit(staged, path, overwrite=overwrite)
    return path
