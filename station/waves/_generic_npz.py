"""NPZ input of :mod:`station.waves.generic`, and helpers the CSV side shares.

Examples
--------
>>> iso_utc("2013-10-09T18:00:00+00:00") == iso_utc("2013-10-09T18:00:00Z")
True
>>> clean_power([1.0, 0.0, -1.0, np.inf]).tolist()
[1.0, nan, nan, nan]
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from station.errors import WavesFormatError
from station.utc import format_unix_s
from station.waves.series import MAX_POWER, WavesSeries, parse_unix_s

__all__ = ["DEFAULT_UNITS", "clean_power", "iso_utc", "read_npz"]

DEFAULT_UNITS = "arbitrary linear power"
"""Units of generic power when the file does not say."""

_UTC_SUFFIX = ("Z", "+00:00")


def iso_utc(text: str) -> float:
    """Parse ISO 8601 UTC that ends in ``Z`` or ``+00:00`` (naive times are refused)."""
    t = text.strip()
    if not t.endswith(_UTC_SUFFIX):
        raise ValueError(f"{t!r} has no UTC designator")
    return parse_unix_s(t.removesuffix("+00:00").removesuffix("Z") + "Z")


def clean_power(power: np.ndarray) -> np.ndarray:
    """Float copy of `power` with values <= 0 and non-finite values set to NaN."""
    power = np.array(power, dtype=float)
    power[~np.isfinite(power) | (power <= 0) | (power > MAX_POWER)] = np.nan
    return power


def read_npz(p: Path) -> WavesSeries:
    """Read a generic NPZ archive (see :mod:`station.waves.generic`)."""
    with open(p, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise WavesFormatError(p, "not an NPZ archive: it does not start with a zip header")
    try:
        with np.load(p, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except ValueError as exc:
        raise WavesFormatError(
            p, f"an array holds Python objects ({exc}); save strings as unicode arrays (dtype 'U')"
        ) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise WavesFormatError(p, f"not a readable .npz archive ({exc})") from None
    t = _npz_times(arrays, p)
    n = len(t)
    if "power" not in arrays:
        raise WavesFormatError(p, f"array 'power' is missing; expected shape ({n},) or ({n}, m)")
    power = arrays["power"]
    if power.ndim == 1:
        power = power.reshape(-1, 1)
    shape_ok = power.ndim == 2 and power.shape[0] == n and power.shape[1] >= 1
    if not shape_ok or power.dtype.kind not in "fiu":
        raise WavesFormatError(
            p,
            f"array 'power' has shape {arrays['power'].shape} dtype {power.dtype}, expected "
            f"({n},) or ({n}, m) numbers (one row per time)",
        )
    m = power.shape[1]
    freq_hz = _npz_vector(arrays, "freq_hz", m, p)
    bandwidth_hz = _npz_vector(arrays, "bandwidth_hz", m, p)
    units = arrays.get("units", np.array(DEFAULT_UNITS))
    if units.ndim != 0 or units.dtype.kind not in "US":
        raise WavesFormatError(
            p, f"array 'units' has shape {units.shape} dtype {units.dtype}, expected a 0-d string"
        )
    default = [f"{f / 1e6:g}MHz" if np.isfinite(f) else f"ch{k}" for k, f in enumerate(freq_hz)]
    band = arrays.get("band", np.array(default))
    if band.shape != (m,) or band.dtype.kind not in "US":
        raise WavesFormatError(
            p,
            f"array 'band' has shape {band.shape} dtype {band.dtype}, expected ({m},) strings "
            "(one name per power column)",
        )
    names = tuple(str(b).strip() or d for b, d in zip(band.tolist(), default, strict=True))
    power = clean_power(power)
    for k in range(m):
        if np.isnan(power[:, k]).all():
            raise WavesFormatError(
                p,
                f"no valid values in channel {names[k]!r} (array 'power' column {k}): "
                "all-fill data (every value NaN or <= 0)",
            )
    return WavesSeries(
        time_unix_s=t,
        freq_hz=freq_hz,
        bandwidth_hz=bandwidth_hz,
        power=power,
        source=str(p),
        file_format="npz",
        units=str(units[()]),
        band=names,
    )


def _npz_vector(arrays: dict[str, np.ndarray], key: str, m: int, p: Path) -> np.ndarray:
    if key not in arrays:
        return np.full(m, np.nan)
    a = arrays[key]
    if a.shape != (m,) or a.dtype.kind not in "fiu":
        raise WavesFormatError(
            p,
            f"array {key!r} has shape {a.shape} dtype {a.dtype}, expected ({m},) numbers "
            "(one per power column)",
        )
    return a.astype(float)


def _npz_times(arrays: dict[str, np.ndarray], p: Path) -> np.ndarray:
    if "time_unix_s" in arrays:
        key, a = "time_unix_s", arrays["time_unix_s"]
        ok = a.ndim == 1 and a.dtype.kind in "fiu"
        t = a.astype(float) if ok else None
    elif "time_utc" in arrays:
        key, a = "time_utc", arrays["time_utc"]
        ok = a.ndim == 1 and a.dtype.kind in "MUS"
        t = None
        if ok and a.dtype.kind == "M":
            t = (a - np.datetime64("1970-01-01T00:00:00", "us")) / np.timedelta64(1, "s")
        elif ok:
            try:
                t = np.array([iso_utc(str(v)) for v in a.tolist()], dtype=float)
            except ValueError as exc:
                raise WavesFormatError(
                    p,
                    f"array 'time_utc': {exc}; expected ISO 8601 UTC such as 2013-10-09T18:00:00Z",
                ) from None
    else:
        raise WavesFormatError(
            p,
            "no time array: expected 'time_unix_s' (n,) float seconds or 'time_utc' (n,) "
            "datetime64 / ISO 8601 UTC strings",
        )
    if t is None:
        raise WavesFormatError(
            p,
            f"array {key!r} has shape {a.shape} dtype {a.dtype}, expected (n,) "
            + ("float seconds" if key == "time_unix_s" else "datetime64 or ISO strings"),
        )
    if len(t) == 0:
        raise WavesFormatError(p, f"array {key!r} is empty: no data rows")
    bad = np.flatnonzero(~np.isfinite(t))
    if bad.size:
        raise WavesFormatError(p, f"array {key!r}: element {bad[0]} is not a time (NaN/NaT)")
    step = np.flatnonzero(~(np.diff(t) > 0))
    if step.size:
        i = int(step[0]) + 1
        raise WavesFormatError(
            p,
            f"array {key!r}: element {i} ({format_unix_s(float(t[i]))}) is not after element "
            f"{i - 1} ({format_unix_s(float(t[i - 1]))}); times must be strictly increasing",
        )
    return t
