"""Crash-safe streaming SigMF recordings: a pair written block by block as samples arrive.

:class:`SigmfStreamWriter` writes a pair ``NAME.sigmf-meta`` + ``NAME.sigmf-data``
while samples arrive:

- the metadata is written (atomically) as soon as the writer opens: datatype, SigMF
  version, sample rate, hardware, recorder, description, the tuner's frequency
  correction (``hi_station:freq_correction_ppm``, a declared optional extension) and
  one capture with ``core:frequency`` and ``core:datetime``; no ``core:sha512``;
- every block goes straight to the operating system (no user-space buffer, so a
  SIGKILL loses at most the block being written) and the data file is fsynced at
  most once per ``sync_s`` of signal time (so a power cut loses at most that much);
  at those moments the metadata is rewritten if annotations that end inside the
  synced data have been added;
- at every sync the open data file is checked to still be the file at its path
  (device and inode, link count): a folder removed, moved or replaced while
  recording stops the writer with a :class:`~station.errors.RecordingError`, so a
  recording that is gone is never reported written;
- :meth:`SigmfStreamWriter.close` writes the final metadata with every annotation and
  the ``core:sha512`` of the data (hashed as it was written).

**Gaps** (samples the source lost: a dropped rtl_tcp connection, an overrun) are
filled with zeros (``cu8`` bytes 128) and marked by an annotation labelled
:data:`GAP_LABEL`, so a sample's index in the file is always its time since
``start_utc`` times the rate, every SigMF reader replays the file with correct timing,
and :func:`read_gaps` lists the filled spans for readers that want to mask them.

:func:`recover_recording` makes a pair whose writer died valid again: it truncates the
data to whole samples, drops annotations past the end, and rewrites the metadata with
a fresh checksum (:mod:`station.recording.recover`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import sigmf
from sigmf.sigmffile import get_sigmf_filenames

from station import __version__
from station._atomic import check_free, output_error, write_bytes_atomic, writing
from station.errors import InputError, RecordingError, RecordingExistsError
from station.recording.model import recording_format
from station.recording.recover import GAP_LABEL
from station.recording.sigmf_meta import (
    DATATYPES,
    WRITER_DATATYPES,
    capture_fields,
    encode_meta,
    global_fields,
    make_annotation,
)
from station.sdr.base import IQBlock, SourceInfo

__all__ = ["SigmfStreamWriter"]

logger = logging.getLogger(__name__)
_EXT = "hi_station"


def _stream_names(path: str | os.PathLike[str]) -> dict[str, Path]:
    p = Path(path)
    fmt = recording_format(p)
    if fmt != "sigmf":
        raise RecordingError(
            p, "a streamed recording is a SigMF pair; give NAME or NAME.sigmf-meta"
        )
    return get_sigmf_filenames(p)


class SigmfStreamWriter:
    """Write a SigMF pair block by block, readable after a crash (see the module notes).

    Parameters
    ----------
    path : str or os.PathLike
        Bare ``NAME`` or ``NAME.sigmf-meta``.
    datatype : {"cu8", "cf32_le"}
        ``cu8``: interleaved u8 I/Q as an RTL-SDR delivers it (raw bytes, or complex
        samples quantized as ``round(128 x + 128)``); ``cf32_le``: complex64.
    sample_rate_hz, center_freq_hz : float
        Rate of the samples and RF frequency of 0 Hz baseband.
    start_utc : datetime, optional
        Aware UTC time of sample 0 (``core:datetime``); omitted when None.
    hardware, description, author : str, optional
        ``core:hw``, ``core:description``, ``core:author``; omitted when empty.
    freq_correction_ppm : float, optional
        Tuner correction in use, kept as ``hi_station:freq_correction_ppm``.
    sync_s : float, optional
        Signal time between fsyncs of the data file, s.
    overwrite : bool, optional
        Replace an existing pair; otherwise raise
        :class:`~station.errors.RecordingExistsError` and touch nothing.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "cap"
    >>> with SigmfStreamWriter(out, datatype="cu8", sample_rate_hz=1000.0,
    ...                        center_freq_hz=28.5e6) as w:
    ...     n = w.write(bytes([128, 255] * 10))
    ...     n = w.write(bytes([0, 128] * 10), start_sample=15)  # 5 samples were lost
    >>> from station.recording import read_gaps
    >>> rec = sigmf.fromfile(out)
    >>> rec.sample_count, read_gaps(out)
    (25, ((10, 5),))
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        datatype: Literal["cu8", "cf32_le"] = "cu8",
        sample_rate_hz: float,
        center_freq_hz: float,
        start_utc: datetime | None = None,
        hardware: str = "",
        freq_correction_ppm: float = 0.0,
        description: str = "",
        author: str = "",
        sync_s: float = 1.0,
        overwrite: bool = False,
    ) -> None:
        if datatype not in WRITER_DATATYPES:
            raise InputError(
                f"datatype={datatype!r} is not written; use one of {', '.join(WRITER_DATATYPES)}"
            )
        for name, value, positive in (
            ("sample_rate_hz", sample_rate_hz, True),
            ("center_freq_hz", center_freq_hz, False),
            ("freq_correction_ppm", freq_correction_ppm, False),
            ("sync_s", sync_s, True),
        ):
            if not math.isfinite(value) or (positive and value <= 0):
                raise InputError(f"{name}={value} must be finite" + (" and > 0" * positive))
        if start_utc is not None and start_utc.tzinfo is None:
            raise InputError(f"start_utc={start_utc} must be timezone-aware (UTC)")
        names = _stream_names(path)
        self.meta_path, self.data_path = names["meta_fn"], names["data_fn"]
        check_free([self.data_path, self.meta_path], overwrite=overwrite)
        self.datatype = datatype
        self.sample_rate_hz = float(sample_rate_hz)
        self.start_utc = start_utc
        self._sample_bytes = WRITER_DATATYPES[datatype]
        self._sync_samples = max(1, int(round(sync_s * self.sample_rate_hz)))
        self._global: dict[str, Any] = {
            **global_fields(datatype, self.sample_rate_hz, hardware=hardware,
                            description=description, author=author),
            sigmf.VERSION_KEY: sigmf.__specification__,
            sigmf.NUM_CHANNELS_KEY: 1,
            sigmf.EXTENSIONS_KEY: [{"name": _EXT, "version": __version__, "optional": True}],
            f"{_EXT}:freq_correction_ppm": float(freq_correction_ppm),
        }  # fmt: skip
        self._captures = [{sigmf.SAMPLE_START_KEY: 0, **capture_fields(center_freq_hz, start_utc)}]
        self._annotations: list[dict[str, Any]] = []
        self._meta_annotations = 0  # how many annotations the metadata on disk holds
        self._hash: Any = hashlib.sha512()  # None after a failed write
        self._written = 0
        self._synced = 0
        self._fd: int | None = self._open_data(overwrite)
        st = os.fstat(self._fd)
        self._identity = (st.st_dev, st.st_ino)
        self._lost: str | None = None
        try:
            self._write_meta(final=False, overwrite=overwrite)
        except BaseException:
            os.close(self._fd)
            self.data_path.unlink(missing_ok=True)
            raise
        logger.info("recording %s (%s, %g S/s)", self.meta_path, datatype, self.sample_rate_hz)

    def _open_data(self, overwrite: bool) -> int:
        """Open the data file for appending, never through a symbolic link."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
        flags |= os.O_TRUNC if overwrite else os.O_EXCL
        try:
            return os.open(self.data_path, flags, 0o644)
        except FileExistsError:
            raise RecordingExistsError(self.data_path) from None
        except OSError as exc:  # ELOOP: a symbolic link is never written through
            if self.data_path.is_symlink():
                raise RecordingError(self.data_path, "is a symbolic link; not writing "
                                     "through it (remove it or choose another name)") from None
            raise output_error(self.data_path, exc) from None

    @classmethod
    def from_source(
        cls, path: str | os.PathLike[str], info: SourceInfo, **kwargs: Any
    ) -> SigmfStreamWriter:
        """Writer for a source's stream: rate, frequency, time, hardware, ppm from ``info``.

        ``datatype`` defaults to ``info.datatype`` (``cu8`` for RTL sources) or
        ``cf32_le``; other keyword arguments as for the constructor.
        """
        kwargs.setdefault("datatype", info.datatype or "cf32_le")
        return cls(
            path,
            sample_rate_hz=info.sample_rate_hz,
            center_freq_hz=info.center_freq_hz,
            start_utc=info.start_utc,
            hardware=info.hardware,
            freq_correction_ppm=info.freq_correction_ppm,
            **kwargs,
        )

    # -- writing --------------------------------------------------------------------

    @property
    def samples_written(self) -> int:
        """Samples in the data file so far (zero-filled gaps included)."""
        return self._written

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has run."""
        return self._fd is None

    def _encode(self, data: Any) -> np.ndarray:
        if isinstance(data, bytes | bytearray | memoryview):
            raw = np.frombuffer(data, dtype=np.uint8)
        else:
            raw = np.asarray(data)
        if raw.ndim != 1:
            raise InputError(f"samples have shape {raw.shape}; give a 1-D block")
        if np.iscomplexobj(raw):
            raw = np.ascontiguousarray(raw)
            if not np.isfinite(raw.view(raw.real.dtype).sum()) and not np.isfinite(raw).all():
                raise InputError("samples hold NaN or infinite values; refusing to write them")
            return DATATYPES[self.datatype].from_complex64(raw)
        if raw.dtype == np.uint8 and self.datatype == "cu8":
            if raw.size % 2:
                raise InputError(f"cu8 data of {raw.size} bytes is not whole I/Q pairs")
            return np.ascontiguousarray(raw)
        raise InputError(
            f"samples of dtype {raw.dtype} cannot be written as {self.datatype}; give "
            "complex samples" + (" or raw u8 I/Q bytes" if self.datatype == "cu8" else "")
        )

    def _put(self, raw: np.ndarray | memoryview) -> None:
        # ndarray.data: the array's memoryview (numpy's stubs type ndarray as a
        # buffer only from Python 3.12 on).
        view = (raw.data if isinstance(raw, np.ndarray) else raw).cast("B")
        fd = self._fd
        assert fd is not None  # write() checked that the writer is open
        if self._hash is not None:
            self._hash.update(view)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            # Keep the file whole samples long; its checksum is no longer known.
            self._hash = None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, self._written * self._sample_bytes)
            raise RecordingError(
                self.data_path,
                f"{output_error(self.data_path, exc).detail}; the samples so far are kept: "
                "run `hi-station recording recover` on it",
            ) from None

    def _fill_gap(self, count: int) -> None:
        fill = 128 if self.datatype == "cu8" else 0
        chunk = np.full(min(count, 1 << 18) * self._sample_bytes, fill, np.uint8)
        left = count
        while left:
            k = min(left, chunk.size // self._sample_bytes)
            self._put(chunk[: k * self._sample_bytes])
            left -= k
        self._annotations.append(
            make_annotation(self._written, count, GAP_LABEL, f"{count} samples lost; zero-filled")
        )
        logger.warning(
            "%s: %d samples lost at sample %d, zero-filled", self.data_path, count, self._written
        )
        self._written += count

    def write(self, data: Any, *, start_sample: int | None = None) -> int:
        """Append a block; fill a gap with zeros when ``start_sample`` is ahead.

        Parameters
        ----------
        data : ndarray or bytes
            Complex samples, or (``cu8``) raw interleaved u8 I/Q bytes.
        start_sample : int, optional
            Stream index of the block's first sample (sample 0 is at ``start_utc``);
            None continues where the last block ended.

        Returns
        -------
        int
            Samples written, zero fill included.
        """
        if self._fd is None:
            if self._lost is not None:
                self._check_in_place()
            raise RecordingError(self.data_path, "the writer is closed")
        raw = self._encode(data)
        before = self._written
        if start_sample is not None:
            if start_sample < self._written:
                raise InputError(
                    f"start_sample={start_sample} is before the end of the data written "
                    f"({self._written}); blocks must arrive in order"
                )
            if start_sample > self._written:
                self._fill_gap(int(start_sample) - self._written)
        self._put(raw)
        self._written += raw.size // self._sample_bytes
        if self._written - self._synced >= self._sync_samples:
            self.sync()
        return self._written - before

    def write_block(self, block: IQBlock) -> int:
        """Write an :class:`~station.sdr.base.IQBlock` at its place in the stream.

        ``cu8`` writers store ``block.raw`` when the source kept it (bit-exact), else
        the quantized samples.
        """
        data = block.raw if (self.datatype == "cu8" and block.raw is not None) else block.samples
        return self.write(data, start_sample=block.start_sample)

    def annotate(
        self,
        start_sample: int,
        count: int,
        label: str,
        comment: str = "",
        freq_lower_hz: float | None = None,
        freq_upper_hz: float | None = None,
    ) -> None:
        """Add an annotation (e.g. a scheduled key-down), written at the next sync.

        Annotations reaching past the end of the data when the writer closes are cut
        at the end, or dropped when they start after it.
        """
        self._annotations.append(
            make_annotation(start_sample, count, label, comment, freq_lower_hz, freq_upper_hz)
        )

    def _finished_annotations(self, n: int, *, clip: bool) -> list[dict[str, Any]]:
        out = []
        for ann in self._annotations:
            start, count = ann[sigmf.SAMPLE_START_KEY], ann[sigmf.SAMPLE_COUNT_KEY]
            if start + count <= n:
                out.append(ann)
            elif clip and start < n:
                out.append({**ann, sigmf.SAMPLE_COUNT_KEY: n - start})
        return sorted(out, key=lambda a: a[sigmf.SAMPLE_START_KEY])

    def _write_meta(self, *, final: bool, overwrite: bool = True) -> None:
        glob = dict(self._global)
        if final and self._hash is not None:
            glob[sigmf.SHA512_KEY] = self._hash.hexdigest()
        anns = self._finished_annotations(self._synced, clip=final)
        meta = {"global": glob, "captures": self._captures, "annotations": anns}
        write_bytes_atomic(self.meta_path, encode_meta(meta), overwrite=overwrite)
        self._meta_annotations = len(anns)

    def _check_in_place(self) -> None:
        """Raise when the data file is no longer at its path (removed, moved, replaced).

        Samples written to an unlinked file vanish with it: the writer stops with an
        error instead of writing on and reporting a recording that does not exist.
        """
        if self._lost is None:
            fd = self._fd
            assert fd is not None  # callers reach here closed only once the file is lost
            try:
                st = os.lstat(self.data_path)
                here = (st.st_dev, st.st_ino) == self._identity and os.fstat(fd).st_nlink > 0
            except OSError:
                here = False
            if here:
                return
            self._lost = (
                f"the file was removed, moved or replaced while recording; the "
                f"{self._written} samples written to it are not at this path "
                "(keep the output folder in place while capturing)"
            )
            with contextlib.suppress(OSError):
                os.close(fd)
            self._fd = None
        raise RecordingError(self.data_path, self._lost)

    def sync(self) -> None:
        """Force the data to disk now; update the metadata if annotations were added.

        Raises
        ------
        RecordingError
            The data file was removed, moved or replaced meanwhile.
        """
        if self._fd is None:
            if self._lost is not None:
                self._check_in_place()
            return
        if self._written != self._synced:
            with writing(self.data_path):
                os.fsync(self._fd)
            self._synced = self._written
        self._check_in_place()
        if len(self._finished_annotations(self._synced, clip=False)) != self._meta_annotations:
            self._write_meta(final=False)

    def close(self) -> Path | None:
        """Sync, write the final metadata (annotations, ``core:sha512``), close.

        Returns
        -------
        pathlib.Path or None
            The metadata file; None when no sample was written, in which case both
            (empty) files are removed, since SigMF readers reject an empty dataset.
        """
        if self._fd is None:
            if self._lost is not None:
                self._check_in_place()
            return self.meta_path if self.meta_path.exists() else None
        self.sync()
        os.close(self._fd)
        self._fd = None
        if self._written == 0:
            self.data_path.unlink(missing_ok=True)
            self.meta_path.unlink(missing_ok=True)
            logger.warning("%s: no samples recorded; removed the empty pair", self.meta_path)
            return None
        self._write_meta(final=True)
        logger.info("closed %s: %d samples", self.meta_path, self._written)
        return self.meta_path

    def __enter__(self) -> SigmfStreamWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
