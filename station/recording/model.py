"""Recordings: one :class:`Recording` type for SigMF and WAV files, and format names.

Read either format with :func:`station.recording.reader.read_recording`.

Formats read, chosen by the file name (:func:`recording_format`):

- SigMF pair ``NAME.sigmf-meta`` + ``NAME.sigmf-data`` (give either file or the bare
  ``NAME``) or archive ``NAME.sigmf``, datatypes ``cf32_le``, ``ci16_le`` and ``cu8``
  (I/Q), ``rf32_le`` and ``ri16_le`` (audio) (see :mod:`station.recording.sigmf`).
- WAV (``.wav``): one channel is audio, two channels are I/Q (see :mod:`station.recording.wav`).

Writers (:func:`station.recording.sigmf.write_sigmf`, :func:`station.recording.wav.write_wav`) never
overwrite unless asked, and stage files beside the target so a crash leaves nothing
half-written.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
from sigmf.sigmffile import get_sigmf_filenames

from station.errors import InputError, RecordingError

__all__ = [
    "EXTENSIONS_HELP",
    "Annotation",
    "Recording",
    "recording_format",
    "sigmf_files",
]

RecordingKind = Literal["iq", "audio"]
FileFormat = Literal["wav", "sigmf", "sigmf-archive"]

EXTENSIONS_HELP = (
    "use NAME.sigmf-meta or a bare NAME (SigMF pair), NAME.sigmf (SigMF archive) or NAME.wav"
)


@dataclass(frozen=True, eq=False)
class Recording:
    """Samples of one recording plus what is known about when and where they were taken.

    Attributes
    ----------
    samples : ndarray
        complex64 I/Q (``kind == "iq"``) or float32 mono audio (``kind == "audio"``).
    sample_rate_hz : float
        Sample rate in Hz.
    center_freq_hz : float or None
        RF frequency of 0 Hz baseband (SigMF ``core:frequency``); None if unknown.
    start_utc : datetime or None
        Aware UTC time of the first sample (SigMF ``core:datetime``); None if unknown.
    kind : {"iq", "audio"}
        Complex baseband or real audio.
    path : pathlib.Path or None
        File it was read from.

    Examples
    --------
    >>> rec = Recording(np.zeros(4000, np.complex64), 2000.0, 28.0e6, None, "iq")
    >>> rec.is_iq, rec.duration_s
    (True, 2.0)
    """

    samples: np.ndarray
    sample_rate_hz: float
    center_freq_hz: float | None
    start_utc: datetime | None
    kind: RecordingKind
    path: Path | None = field(default=None)

    @property
    def is_iq(self) -> bool:
        """True for complex I/Q, False for real audio."""
        return self.kind == "iq"

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.samples.shape[0] / self.sample_rate_hz


@dataclass(frozen=True, slots=True)
class Annotation:
    """A labelled stretch of a recording, written as a SigMF annotation.

    Attributes
    ----------
    start_s, stop_s : float
        Edges in seconds from the first sample.
    label : str
        Short label (SigMF recommends at most 20 characters), e.g. ``dit`` or ``dah``.
    comment : str
        Free text; empty for none.
    freq_lower_edge_hz, freq_upper_edge_hz : float or None
        Absolute frequency range of the annotated signal, both or neither.
    """

    start_s: float
    stop_s: float
    label: str
    comment: str = ""
    freq_lower_edge_hz: float | None = None
    freq_upper_edge_hz: float | None = None


def recording_format(path: str | os.PathLike[str]) -> FileFormat:
    """Which format a recording path names, from its extension.

    Raises
    ------
    RecordingError
        For any other extension.

    Examples
    --------
    >>> recording_format("cap.sigmf-meta"), recording_format("cap"), recording_format("a.WAV")
    ('sigmf', 'sigmf', 'wav')
    >>> recording_format("cap.sigmf")
    'sigmf-archive'
    """
    p = Path(path)
    if not p.name or p.name in (".", ".."):
        raise RecordingError(p, f"names a folder, not a recording; {EXTENSIONS_HELP}")
    suffix = p.suffix.lower()
    if suffix == ".wav":
        return "wav"
    if suffix == ".sigmf":
        return "sigmf-archive"
    if suffix in (".sigmf-meta", ".sigmf-data"):
        return "sigmf"
    if suffix == "":
        if not get_sigmf_filenames(p)["meta_fn"].exists() and p.with_suffix(".sigmf").exists():
            return "sigmf-archive"
        return "sigmf"
    raise RecordingError(p, f"extension {p.suffix!r} is not a recording format; {EXTENSIONS_HELP}")


def sigmf_files(path: str | os.PathLike[str]) -> list[Path]:
    """Return the files the SigMF recording ``path`` occupies: the archive, or data + meta.

    ``path`` is judged as :func:`recording_format` judges it.

    Examples
    --------
    >>> [f.name for f in sigmf_files("cap")], [f.name for f in sigmf_files("cap.sigmf")]
    (['cap.sigmf-data', 'cap.sigmf-meta'], ['cap.sigmf'])
    """
    p = Path(path)
    names = get_sigmf_filenames(p)
    if recording_format(p) == "sigmf-archive":
        return [Path(names["archive_fn"])]
    return [Path(names["data_fn"]), Path(names["meta_fn"])]


def check_finite(samples: np.ndarray, where: Path, *, first_index: int = 0) -> None:
    """Raise :class:`RecordingError` naming how many samples read from ``where`` are NaN/inf.

    ``first_index`` is the file's index of ``samples[0]`` (for a block of a file).
    """
    bad = ~np.isfinite(samples)
    if bad.any():
        first = first_index + int(np.flatnonzero(bad)[0])
        raise RecordingError(
            where,
            f"{int(bad.sum())} samples are NaN or infinite (first at sample {first}); "
            "the file is corrupt",
        )


def check_writable(samples: np.ndarray, sample_rate_hz: float) -> float:
    """Check an array about to be written and its rate; return the rate as float."""
    rate = float(sample_rate_hz)
    if not (math.isfinite(rate) and rate > 0):
        raise InputError(f"sample_rate_hz={sample_rate_hz} must be a finite rate > 0 Hz")
    if samples.ndim != 1 or samples.size == 0:
        raise InputError(f"samples must be a non-empty 1-D array, got shape {samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise InputError("samples hold NaN or infinite values; refusing to write them")
    return rate
