"""WAV recordings: one channel is audio (float32), two channels are I/Q (complex64).

Read with :mod:`soundfile` as float32 in [-1, 1) (PCM is scaled by libsndfile), after
checking the RIFF header against the file size so a cut-off file is reported rather
than silently shortened.  WAV carries no start time or RF frequency.
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from station._atomic import check_free, commit, staging_dir
from station.errors import InputError, RecordingError
from station.recording.model import Recording, check_finite, check_writable

__all__ = ["read_wav", "riff_data_shortfall", "write_wav"]

logger = logging.getLogger(__name__)

WavSubtype = Literal["FLOAT", "PCM_16"]


def riff_data_shortfall(path: Path) -> tuple[int, int] | None:
    """Return ``(declared, present)`` data-chunk bytes if the file is cut short, else None."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None  # not plain RIFF (e.g. RF64): leave it to libsndfile
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_size = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                present = size - pos - 8
                return (chunk_size, present) if present < chunk_size else None
            pos += 8 + chunk_size + (chunk_size & 1)
    return None


def read_wav(path: str | os.PathLike[str]) -> Recording:
    """Read a mono (audio) or two-channel (I/Q) WAV file.

    Raises
    ------
    RecordingError
        Missing, unreadable, truncated or empty file, more than two channels, or
        NaN/inf samples.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "tone.wav"
    >>> y = (0.5 * np.sin(np.arange(800) / 3)).astype(np.float32)
    >>> _ = write_wav(out, y, 8000.0)
    >>> rec = read_wav(out)
    >>> rec.kind, rec.samples.dtype.name, rec.start_utc, bool(np.array_equal(rec.samples, y))
    ('audio', 'float32', None, True)
    """
    p = Path(path)
    if not p.is_file():
        raise RecordingError(p, "no such WAV file")
    shortfall = riff_data_shortfall(p)
    if shortfall is not None:
        declared, present = shortfall
        raise RecordingError(
            p, f"data is truncated: the header declares {declared} bytes but {present} are present"
        )
    try:
        info = sf.info(str(p))
        if info.channels > 2:
            raise RecordingError(
                p,
                f"has {info.channels} channels; hi-station reads 1 (audio) or 2 (I/Q) channels",
            )
        if info.frames == 0:
            raise RecordingError(p, "data is empty (0 samples)")
        data, rate = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise RecordingError(p, f"cannot read as WAV: {exc}") from None
    if data.shape[0] == 0:
        raise RecordingError(p, "data is empty (0 samples)")
    if data.shape[1] == 1:
        samples = np.ascontiguousarray(data[:, 0])
        kind: Literal["iq", "audio"] = "audio"
    else:
        samples = (data[:, 0] + 1j * data[:, 1]).astype(np.complex64)
        kind = "iq"
    check_finite(samples, p)
    logger.info("read %s: %s, %d frames at %g S/s (%s)", p, info.subtype, data.shape[0], rate, kind)
    return Recording(samples, float(rate), None, None, kind, path=p)


def write_wav(
    path: str | os.PathLike[str],
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    subtype: WavSubtype = "FLOAT",
    overwrite: bool = False,
) -> Path:
    """Write real samples as mono audio, or complex samples as two-channel I/Q, crash-safely.

    Parameters
    ----------
    path : str or os.PathLike
        Target ``.wav`` file.
    samples : ndarray
        Real (mono) or complex (I/Q) samples, nominally within [-1, 1].
    sample_rate_hz : float
        Sample rate in Hz (rounded to a whole number, as WAV requires).
    subtype : {"FLOAT", "PCM_16"}, optional
        32-bit float (any level) or 16-bit PCM (peak must be <= 1).
    overwrite : bool, optional
        Replace an existing file; otherwise raise
        :class:`~station.errors.RecordingExistsError` and touch nothing.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    p = Path(path)
    if p.suffix.lower() != ".wav":
        raise InputError(f"path={str(p)!r} must end in .wav for a WAV file")
    if subtype not in ("FLOAT", "PCM_16"):
        raise InputError(f"subtype={subtype!r} must be 'FLOAT' or 'PCM_16'")
    x = np.asarray(samples)
    rate = check_writable(x, sample_rate_hz)
    if rate != round(rate):
        raise InputError(f"sample_rate_hz={sample_rate_hz} must be a whole number of Hz for WAV")
    if np.iscomplexobj(x):
        frames = np.stack([x.real, x.imag], axis=1).astype(np.float32)
    else:
        frames = x.astype(np.float32)
    peak = float(np.max(np.abs(frames)))
    if subtype == "PCM_16" and peak > 1.0:
        raise InputError(
            f"samples peak at {peak:.3g}, beyond PCM_16 full scale 1.0; scale them down or "
            "use subtype='FLOAT'"
        )
    check_free([p], overwrite=overwrite)
    with staging_dir(p.parent, target=p) as tmp:
        staged = tmp / p.name
        try:
            sf.write(str(staged), frames, int(round(rate)), subtype=subtype, format="WAV")
        except sf.LibsndfileError as exc:  # no errno: staging_dir tells a full disk
            raise OSError(None, exc.error_string) from None
        commit(staged, p, overwrite=overwrite)
    logger.info("wrote %s (%d frames, %s)", p, frames.shape[0], subtype)
    return p
