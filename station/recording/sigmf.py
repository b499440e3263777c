"""SigMF recordings through the :mod:`sigmf` package: validated reading, crash-safe writing.

Reading accepts a pair (``NAME.sigmf-meta`` + ``NAME.sigmf-data``, given as either
file or the bare ``NAME``) or an archive ``NAME.sigmf`` with datatype ``cf32_le``,
``ci16_le`` or ``cu8`` (I/Q), or ``rf32_le`` or ``ri16_le`` (mono audio, read as a
``kind="audio"`` :class:`Recording` as a mono WAV is).  Fixed-point samples are scaled
by sigmf's autoscale, ``(raw - offset) / 2**(bits - 1)``: ``(u8 - 128) / 128`` for
``cu8``, ``i16 / 32768`` for ``ci16_le`` and ``ri16_le``.  The checksum is verified
when present; sigmf's warnings about partial samples or annotations past the end
become errors.

Writing produces ``cf32_le`` with ``core:sample_rate``, ``core:frequency``,
``core:datetime`` (RFC 3339, ``Z``), author, description, recorder and optional
annotations (e.g. ``dit``/``dah`` key-downs).  Keys are sigmf's module-level
constants.  The files are staged beside the target and moved into place only when
complete; the metadata goes last, so a crash never leaves metadata without data.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import tarfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import sigmf
from sigmf.error import SigMFError
from sigmf.sigmffile import get_sigmf_filenames

from station._atomic import check_free, commit, staging_dir
from station.errors import InputError, RecordingError
from station.recording.model import (
    EXTENSIONS_HELP,
    Annotation,
    Recording,
    RecordingKind,
    check_finite,
    check_writable,
    recording_format,
    sigmf_files,
)
from station.recording.sigmf_meta import (
    DATATYPES,
    SUPPORTED_SIGMF_DATATYPES,
    annotation_at,
    capture_fields,
    check_metadata,
    global_fields,
    load_metadata,
    parse_datetime,
    sample_rate,
)

__all__ = [
    "SigmfInput",
    "open_sigmf",
    "read_sigmf",
    "sigmf_blocks",
    "write_sigmf",
]

logger = logging.getLogger(__name__)


def _translate(
    exc: Exception, where: Path, caught: list[warnings.WarningMessage]
) -> RecordingError:
    """Turn a sigmf/json/tar failure (and warnings seen so far) into one RecordingError."""
    text = str(exc)
    for w in caught:
        if "integer number of samples" in str(w.message):
            return _truncated(where)
    if "hash does not match" in text:
        return RecordingError(
            where,
            "core:sha512 checksum does not match the data; the data changed or was cut "
            "after the metadata was written",
        )
    if "datatype" in text.lower() or "endianness" in text.lower():
        return RecordingError(
            where, f"{text.rstrip('.')}; hi-station reads {', '.join(SUPPORTED_SIGMF_DATATYPES)}"
        )
    if isinstance(exc, json.JSONDecodeError):
        return RecordingError(where, f"metadata is not valid JSON ({exc})")
    return RecordingError(where, f"cannot read as SigMF: {text or type(exc).__name__}")


def _truncated(where: Path) -> RecordingError:
    return RecordingError(
        where, "data is truncated: its size is not a whole number of samples for its datatype"
    )


@dataclass(frozen=True, slots=True)
class SigmfInput:
    """A SigMF recording opened and checked, its samples not yet read.

    Made by :func:`open_sigmf`; :func:`read_sigmf` reads it whole and
    :func:`sigmf_blocks` block by block (memory independent of its length).

    Attributes
    ----------
    handle : sigmf.SigMFFile
        The open recording.
    where : pathlib.Path
        Metadata file or archive (named in errors).
    datatype : str
        One of :data:`SUPPORTED_SIGMF_DATATYPES`.
    sample_count : int
        Number of samples.
    sample_rate_hz : float or None
        None only when opened with ``rate_required=False`` and the file has none.
    center_freq_hz : float or None
        ``core:frequency`` of the first capture.
    start_utc : datetime or None
        ``core:datetime`` of the first capture.
    """

    handle: sigmf.SigMFFile
    where: Path
    datatype: str
    sample_count: int
    sample_rate_hz: float | None
    center_freq_hz: float | None
    start_utc: datetime | None

    @property
    def kind(self) -> RecordingKind:
        """``"audio"`` for a real datatype (``rf32_le``, ``ri16_le``), else ``"iq"``."""
        return "audio" if DATATYPES[self.datatype].real else "iq"

    def outline(self) -> Recording:
        """Return a :class:`Recording` of this file's shape whose samples take no memory.

        Its ``samples`` are a read-only broadcast of one zero, of the file's length:
        rate, centre, start, kind, path and ``duration_s`` are the file's.
        """
        if self.sample_rate_hz is None:  # only when opened with rate_required=False
            raise RecordingError(
                self.where, "core:sample_rate is missing; add the sample rate in Hz to the metadata"
            )
        zero = np.float32(0) if self.kind == "audio" else np.complex64(0)
        zeros = np.broadcast_to(zero, (self.sample_count,))
        return Recording(zeros, self.sample_rate_hz, self.center_freq_hz, self.start_utc,
                         self.kind, self.where)  # fmt: skip

    @property
    def hardware(self) -> str:
        """``core:hw``, or ``""`` when the file does not say."""
        hw = self.handle.get_global_field(sigmf.HW_KEY)
        return hw if isinstance(hw, str) else ""

    def data_location(self) -> tuple[Path, int]:
        """Return the file holding the samples as stored, and the byte offset of sample 0.

        For a pair the data file (offset 0), for an archive the tar itself (the offset
        of its data member), so a reader streams blocks with plain file reads (see
        :data:`~station.recording.sigmf_meta.DATATYPES` for their conversion).

        Raises
        ------
        RecordingError
            The samples are not stored as plain bytes (a compressed archive).
        """
        h = self.handle
        if h.data_file is None:
            raise RecordingError(
                self.where, "no data to stream (compressed archive?); decompress it"
            )
        return Path(h.data_file), int(getattr(h, "data_offset", 0) or 0)


def open_sigmf(
    path: str | os.PathLike[str], *, verify_checksum: bool = True, rate_required: bool = True
) -> SigmfInput:
    """Open and check a SigMF pair or archive (any of :data:`SUPPORTED_SIGMF_DATATYPES`).

    The one judge of a SigMF file: ``decode``, ``detect`` and ``replay`` all open
    recordings here.  The metadata's shape is checked first
    (:mod:`station.recording.sigmf_meta`); the checksum (``core:sha512``) is verified when
    present (read in small pieces).  ``core:frequency`` and ``core:datetime`` come
    from the first capture.

    Parameters
    ----------
    path : str or os.PathLike
    verify_checksum : bool, optional
        Check ``core:sha512`` (reads the data once).
    rate_required : bool, optional
        A missing ``core:sample_rate`` is an error; otherwise ``sample_rate_hz`` is
        None then (the caller supplies it).

    Raises
    ------
    RecordingError
        See :func:`station.recording.reader.read_recording`.
    """
    p = Path(path)
    fmt = recording_format(p)
    names = get_sigmf_filenames(p)
    if fmt == "sigmf-archive":
        where = names["archive_fn"]
        if not where.is_file():
            raise RecordingError(where, "no such SigMF archive")
    else:
        where = names["meta_fn"]
        if not where.is_file():
            raise RecordingError(where, "no such SigMF metadata file")
        load_metadata(where)
        if names["data_fn"].is_file() and names["data_fn"].stat().st_size == 0:
            raise RecordingError(names["data_fn"], "data is empty (0 samples)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            handle = sigmf.fromfile(where, skip_checksum=not verify_checksum, autoscale=True)
        except (SigMFError, ValueError, KeyError, TypeError, OSError, tarfile.TarError,
                RecursionError, AttributeError) as exc:  # fmt: skip
            raise _translate(exc, where, caught) from None
        if not isinstance(handle, sigmf.SigMFFile):
            raise RecordingError(where, "is a SigMF collection; give one recording of it")
        check_metadata(handle._metadata, where)  # an archive's metadata, checked here
        datatype, count = _check_layout(handle, where, names["data_fn"], caught)
    captures = handle.get_captures()
    first = captures[0] if captures else {}
    center = first.get(sigmf.FREQUENCY_KEY)
    stamp = first.get(sigmf.DATETIME_KEY)
    return SigmfInput(
        handle, where, datatype, count,
        sample_rate(handle.get_global_field(sigmf.SAMPLE_RATE_KEY), where, rate_required),
        None if center is None else float(center),
        None if stamp is None else parse_datetime(stamp, where),
    )  # fmt: skip


def _check_layout(
    handle: sigmf.SigMFFile, where: Path, data_fn: Path, caught: list[warnings.WarningMessage]
) -> tuple[str, int]:
    """Datatype, channels, data presence, sample count and captures; return type and count."""
    datatype = handle.get_global_field(sigmf.DATATYPE_KEY)
    if datatype not in SUPPORTED_SIGMF_DATATYPES:
        raise RecordingError(
            where,
            f"core:datatype={datatype!r} is not supported; hi-station reads "
            f"{', '.join(SUPPORTED_SIGMF_DATATYPES)}",
        )
    channels = handle.get_global_field(sigmf.NUM_CHANNELS_KEY, 1)
    if channels != 1:
        raise RecordingError(where, f"core:num_channels={channels}; hi-station reads 1 channel")
    if handle.data_file is None and handle.data_buffer is None:
        raise RecordingError(data_fn, "data file is missing; the metadata has no samples with it")
    if any("integer number of samples" in str(w.message) for w in caught):
        raise _truncated(where)
    count = int(handle.sample_count)
    if count == 0:
        raise RecordingError(where, "data is empty (0 samples)")
    if any("ends before the final annotation" in str(w.message) for w in caught):
        raise RecordingError(
            where,
            f"metadata disagrees with the data: an annotation ends after the last of its "
            f"{count} samples (data truncated?)",
        )
    for capture in handle.get_captures():
        start = capture.get(sigmf.SAMPLE_START_KEY, 0)
        if start >= count:
            raise RecordingError(
                where,
                f"metadata disagrees with the data: a capture starts at sample {start} "
                f"but the data holds {count} samples (data truncated?)",
            )
    return str(datatype), count


def _read(opened: SigmfInput, start: int, count: int) -> np.ndarray:
    """Read samples ``start .. start + count`` (complex64, or float32 audio), checked finite."""
    try:
        block = opened.handle.read_samples(start_index=start, count=count)
    except (SigMFError, ValueError, OSError) as exc:
        raise _translate(exc, opened.where, []) from None
    dtype = np.float32 if opened.kind == "audio" else np.complex64
    block = np.asarray(block, dtype=dtype).reshape(-1)
    check_finite(block, opened.where, first_index=start)
    return block


def sigmf_blocks(opened: SigmfInput, block_samples: int) -> Iterator[np.ndarray]:
    """Yield the samples of ``opened`` in order, ``block_samples`` at a time (as ``_read``).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "ramp"
    >>> _ = write_sigmf(out, np.arange(10, dtype=np.complex64), 100.0)
    >>> [b.real.tolist() for b in sigmf_blocks(open_sigmf(out), 4)]
    [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0]]
    """
    for start in range(0, opened.sample_count, block_samples):
        yield _read(opened, start, min(block_samples, opened.sample_count - start))


def read_sigmf(path: str | os.PathLike[str]) -> Recording:
    """Read a SigMF pair or archive whole (see :func:`open_sigmf` for the checks).

    Raises
    ------
    RecordingError
        See :func:`station.recording.reader.read_recording`.
    """
    opened = open_sigmf(path)
    samples = _read(opened, 0, opened.sample_count)
    logger.info("read %s: %s, %d samples at %g S/s", opened.where, opened.datatype,
                samples.size, opened.sample_rate_hz)  # fmt: skip
    return dataclasses.replace(opened.outline(), samples=samples)


def write_sigmf(
    path: str | os.PathLike[str],
    samples: np.ndarray,
    sample_rate_hz: float,
    *,
    center_freq_hz: float = 0.0,
    start_utc: datetime | None = None,
    author: str = "",
    description: str = "",
    annotations: Sequence[Annotation] = (),
    overwrite: bool = False,
) -> Path:
    """Write complex samples as a ``cf32_le`` SigMF pair or archive, crash-safely.

    Parameters
    ----------
    path : str or os.PathLike
        ``NAME.sigmf-meta`` or bare ``NAME`` (pair ``NAME.sigmf-meta`` +
        ``NAME.sigmf-data``), or ``NAME.sigmf`` (archive).
    samples : ndarray of complex
        I/Q samples.
    sample_rate_hz : float
        Sample rate in Hz.
    center_freq_hz : float, optional
        RF frequency of 0 Hz baseband, Hz.
    start_utc : datetime, optional
        Aware time of the first sample; omitted from the metadata when None.
    author, description : str, optional
        ``core:author`` and ``core:description``; omitted when empty.
    annotations : sequence of Annotation, optional
        E.g. one per key-down, labelled ``dit`` / ``dah``.
    overwrite : bool, optional
        Replace existing files; otherwise raise
        :class:`~station.errors.RecordingExistsError` and touch nothing.

    Returns
    -------
    pathlib.Path
        The metadata file (pair) or the archive written.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "tone"
    >>> x = np.exp(2j * np.pi * 100 * np.arange(2000) / 2000).astype(np.complex64)
    >>> write_sigmf(out, x, 2000.0, center_freq_hz=28.06e6).name
    'tone.sigmf-meta'
    >>> from station.recording.reader import read_recording
    >>> rec = read_recording(out)
    >>> rec.kind, rec.sample_rate_hz, rec.center_freq_hz, bool(np.array_equal(rec.samples, x))
    ('iq', 2000.0, 28060000.0, True)
    """
    p = Path(path)
    fmt = recording_format(p)
    if fmt == "wav":
        raise InputError(f"path={str(p)!r}: write_sigmf writes SigMF; {EXTENSIONS_HELP}")
    x = np.asarray(samples)
    if not np.iscomplexobj(x):
        raise InputError("samples must be complex I/Q for SigMF; write real audio as WAV")
    rate = check_writable(x, sample_rate_hz)
    if not math.isfinite(center_freq_hz):
        raise InputError(f"center_freq_hz={center_freq_hz} must be finite")
    if start_utc is not None and start_utc.tzinfo is None:
        raise InputError(f"start_utc={start_utc} must be timezone-aware (UTC)")
    names = get_sigmf_filenames(p)
    targets = sigmf_files(p)
    check_free(targets, overwrite=overwrite)
    data = np.ascontiguousarray(x, dtype="<c8")
    fields = global_fields("cf32_le", rate, author=author, description=description)
    handle = sigmf.SigMFFile(global_info=fields)
    handle.add_capture(0, metadata=capture_fields(center_freq_hz, start_utc))
    for a in annotations:
        ann = annotation_at(a, rate, data.size)
        handle.add_annotation(ann[sigmf.SAMPLE_START_KEY], ann[sigmf.SAMPLE_COUNT_KEY],
                              metadata=ann)  # fmt: skip
    _stage_and_commit(handle, data, names, archive=fmt == "sigmf-archive", overwrite=overwrite)
    logger.info("wrote %s (%d cf32_le samples, %d annotations)", targets[-1], data.size,
                len(annotations))  # fmt: skip
    return targets[-1]


def _stage_and_commit(
    handle: sigmf.SigMFFile, data: np.ndarray, names: dict[str, Path], *, archive: bool,
    overwrite: bool,
) -> None:
    """Write ``data`` and the metadata beside the target; move them in place, metadata last."""
    target = names["archive_fn"] if archive else names["data_fn"]
    stem = names["base_fn"].name
    with staging_dir(target.parent, target=target) as tmp:
        staged_data = tmp / f"{stem}.sigmf-data"
        with open(staged_data, "wb") as fh:
            data.tofile(fh)
        handle.set_data_file(staged_data)
        if archive:
            handle.tofile(tmp / f"{stem}.sigmf")
            commit(tmp / f"{stem}.sigmf", target, overwrite=overwrite)
            return
        handle.tofile(tmp / stem)
        commit(staged_data, names["data_fn"], overwrite=overwrite)
        commit(tmp / f"{stem}.sigmf-meta", names["meta_fn"], overwrite=overwrite)
