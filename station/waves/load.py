"""Open any supported Waves-like input by its content, and find a day's PDS files.

Formats are told apart by their first bytes, not their names (a ``.gz`` is
decompressed first): NPZ (a zip archive), a das2 stream (``[00]`` header), a PDS
survey CSV (5 header lines, numeric frequencies from column 28 of line 4) or a
generic CSV (a header whose first column is ``time_utc`` or ``time_unix_s``).

Given a folder, :func:`find_day_files` finds ``WAV_<yyyyddd>T<hhmmss>_E_V<nn>.CSV``
anywhere below it (the PDS tree has one phase or orbit folder per period, and a day
can start in one and end in the next); where the same file exists in several
versions the highest ``_V<nn>`` wins.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> for rel in ["2013270_CRUISE/WAV_2013282T000000_E_V01.CSV",
...             "2013270_CRUISE/WAV_2013282T000000_E_V02.CSV",
...             "2013282_EFB/WAV_2013282T210000_E_V01.CSV",
...             "2013282_EFB/WAV_2013282T000000_B_V02.CSV"]:
...     (root / rel).parent.mkdir(exist_ok=True)
...     _ = (root / rel).write_text("")
>>> [p.name for p in find_day_files(root, "2013-10-09")]
['WAV_2013282T000000_E_V02.CSV', 'WAV_2013282T210000_E_V01.CSV']
"""

from __future__ import annotations

import gzip
import math
import os
import re
import zlib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from station._textin import check_regular_file
from station.errors import InputError, WavesFormatError
from station.utc import utc_from_unix_s
from station.waves.series import WavesSeries, check_times

__all__ = ["find_day_files", "load_waves", "sniff_format"]

_PDS_NAME = re.compile(r"^WAV_(\d{7})T(\d{6})_E_V(\d+)\.CSV(\.GZ)?$", re.IGNORECASE)
_FORMATS = (
    "a PDS survey CSV (5 header lines), a das2 stream ([00] header), a generic CSV "
    "(first header column time_utc or time_unix_s) or an NPZ"
)


def sniff_format(path: Path) -> str:
    """Return ``"pds-csv"``, ``"das2"``, ``"generic-csv"`` or ``"npz"`` from the content.

    Raises
    ------
    WavesFormatError
        Empty, binary, none of the four, or not a regular file (a FIFO would block).
    """
    check_regular_file(path, what="Waves file", fail=lambda why: WavesFormatError(path, why))
    try:
        with open(path, "rb") as f:
            head = f.read(8192)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                head = f.read(8192)
    except (OSError, EOFError, zlib.error) as exc:
        raise WavesFormatError(path, f"cannot be read: {exc}") from None
    if not head:
        raise WavesFormatError(path, "is empty")
    if head[:4] == b"PK\x03\x04":
        return "npz"
    if re.match(rb"^\[\d\d\]\d{6}<", head):
        return "das2"
    if b"\x00" in head:
        raise WavesFormatError(path, f"is a binary file; expected {_FORMATS}")
    lines = head.decode("ascii", "replace").splitlines()
    body = [ln for ln in lines if not ln.lstrip("\ufeff").startswith("#")]
    first = body[0].lstrip("\ufeff").strip().lower() if body else ""
    if re.match(r'^"?time_(utc|unix_s)"?\s*(,|$)', first):
        return "generic-csv"
    if len(lines) >= 4 and lines[3].count(",") >= 28:
        return "pds-csv"
    raise WavesFormatError(path, f"is not a Waves file; expected {_FORMATS}", line=1)


#: Most entries a folder search looks at, and how deep (a PDS volume nests files 5 deep).
WALK_LIMIT, WALK_DEPTH = 100_000, 8


def _walk(folder: Path) -> list[Path]:
    """Files named ``WAV_*`` below ``folder``, at most :data:`WALK_DEPTH` folders down.

    Unreadable folders (``/proc``, no permission) are skipped; a tree of more than
    :data:`WALK_LIMIT` entries is refused rather than searched for minutes.
    """
    found, seen = [], 0
    for top, dirs, names in os.walk(folder):
        seen += len(dirs) + len(names)
        if seen > WALK_LIMIT:
            raise WavesFormatError(folder, f"holds more than {WALK_LIMIT:,} entries below it; "
                                   "give the folder of the Waves files themselves")  # fmt: skip
        if len(Path(top).relative_to(folder).parts) >= WALK_DEPTH:
            dirs.clear()
        found += [Path(top, n) for n in names if n.startswith("WAV_")]
    return found


def find_day_files(folder: str | os.PathLike[str], day: date | str) -> list[Path]:
    """PDS electric survey files of one UTC day below `folder`, highest version, in time order."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    key = f"{day.year:04d}{day.timetuple().tm_yday:03d}"
    best: dict[str, tuple[int, Path]] = {}
    for p in sorted(_walk(Path(folder))):
        m = _PDS_NAME.match(p.name)
        if m and m.group(1) == key:
            version = int(m.group(3))
            if m.group(2) not in best or version > best[m.group(2)][0]:
                best[m.group(2)] = (version, p)
    return [best[k][1] for k in sorted(best)]


def _load_file(path: Path, channels_hz, keep_hz, start_unix_s, stop_unix_s) -> WavesSeries:
    kind = sniff_format(path)
    if kind == "pds-csv":
        from station.waves.pds_csv import read_pds_csv

        return read_pds_csv(path, channels_hz=channels_hz, keep_hz=keep_hz,
                            start_unix_s=start_unix_s, stop_unix_s=stop_unix_s)
    if kind == "das2":
        from station.waves.das2 import read_das2, read_das2_channels

        if channels_hz:
            series = read_das2_channels(path, channels_hz)
            if keep_hz is not None:  # the whole band of the first channel, for plots
                band = series.band[0]
                whole = [s for s in read_das2(path) if s.band and s.band[0] == band]
                series = whole[0] if whole else series
        else:
            series = read_das2(path)[0]
    else:
        from station.waves.generic import read_generic

        series = read_generic(path)
    if math.isfinite(start_unix_s) or math.isfinite(stop_unix_s):
        series = series.between(start_unix_s, stop_unix_s)
    return series


def load_waves(
    path: str | os.PathLike[str],
    *,
    channels_hz: Sequence[float] | None = None,
    keep_hz: tuple[float, float] | None = None,
    start_unix_s: float = -math.inf,
    stop_unix_s: float = math.inf,
) -> WavesSeries:
    """Read a Waves-like file, or a folder's PDS files for the days of a time range.

    Parameters
    ----------
    path : str or os.PathLike
        A file in any supported format, or a folder of PDS survey CSVs (then
        `start_unix_s`/`stop_unix_s` must be finite: they pick the days).
    channels_hz, keep_hz, start_unix_s, stop_unix_s
        As :func:`station.waves.pds_csv.read_pds_csv`; for das2, `keep_hz` keeps the
        whole receiver band of the first channel.

    Raises
    ------
    InputError
        A missing path, or a folder with no file for the days asked.
    WavesFormatError
        A file that breaks its format (line and column named).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if not path.is_dir():
        return _load_file(path, channels_hz, keep_hz, start_unix_s, stop_unix_s)
    if not (math.isfinite(start_unix_s) and math.isfinite(stop_unix_s)):
        raise InputError(f"{path}: a folder needs a time range (a schedule) to pick its days")
    first, last = utc_from_unix_s(start_unix_s).date(), utc_from_unix_s(stop_unix_s).date()
    files = [f for k in range((last - first).days + 1)
             for f in find_day_files(path, first + timedelta(days=k))]
    if not files:
        raise InputError(
            f"{path}: no WAV_<yyyyddd>T*_E_V*.CSV for {first.isoformat()}"
            + (f" to {last.isoformat()}" if last != first else "") + " below this folder")
    parts = []
    for f in files:
        try:
            parts.append(_load_file(f, channels_hz, keep_hz, start_unix_s, stop_unix_s))
        except WavesFormatError as exc:
            if "no rows between" not in str(exc):
                raise
    if not parts:
        raise InputError(f"{path}: the day files hold no rows in the time range asked")
    return _concat(parts)


def _concat(parts: list[WavesSeries]) -> WavesSeries:
    base = parts[0]
    for p in parts[1:]:
        if not np.array_equal(p.freq_hz, base.freq_hz):
            raise WavesFormatError(p.source, f"its channels differ from {base.source}'s")
    t = np.concatenate([p.time_unix_s for p in parts])
    check_times(t, " + ".join(p.source for p in parts))
    return WavesSeries(t, base.freq_hz, base.bandwidth_hz,
                       np.concatenate([p.power for p in parts]),
                       " + ".join(p.source for p in parts), base.file_format, base.units,
                       base.band, base.freq_scale)
