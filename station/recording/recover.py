"""Recovery of SigMF recordings cut short by a crash, and the gaps a recording marks.

A writer killed mid-recording (:class:`~station.recording.sigmf_stream.SigmfStreamWriter`, or any
tool writing a headerless SigMF pair) leaves valid metadata beside a data file that
may end in a partial sample and lacks (or has a stale) ``core:sha512``.
:func:`recover_recording` truncates the data to whole samples, drops or cuts
annotations and capture segments past the end, and replaces the metadata atomically
with a fresh checksum; :class:`RecoverReport` says what it kept and dropped.

Also :func:`read_gaps`, the zero-filled stretches (:data:`GAP_LABEL`) the streaming
writer (:mod:`station.recording.sigmf_stream`) marked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import sigmf
from sigmf.sigmffile import get_sigmf_filenames

from station._atomic import commit, fsync_path, staging_dir, writing
from station.errors import RecordingError
from station.recording.sigmf_meta import encode_meta, is_datatype
from station.recording.sigmf_meta import sample_bytes as datatype_sample_bytes

__all__ = [
    "GAP_LABEL",
    "RecoverReport",
    "read_gaps",
    "recover_recording",
]

logger = logging.getLogger(__name__)

#: Annotation label of a zero-filled stretch where the source lost samples.
GAP_LABEL = "gap"


def _load_meta(path: str | os.PathLike[str]) -> tuple[dict[str, Path], dict[str, Any]]:
    p = Path(path)
    bare = Path(f"{p}.sigmf-meta")
    if p.suffix.lower() not in ("", ".sigmf-meta", ".sigmf-data") and not bare.is_file():
        raise RecordingError(
            p, "is not a SigMF recording; give NAME, NAME.sigmf-meta or NAME.sigmf-data of a pair"
        )
    names = get_sigmf_filenames(p)
    where = names["meta_fn"]
    if not where.is_file():
        raise RecordingError(where, "no such SigMF metadata file; not a SigMF recording")
    try:
        meta = json.loads(where.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, deep, huge ints
        raise RecordingError(where, f"is not SigMF metadata (not JSON: {exc})") from None
    glob = meta.get("global") if isinstance(meta, dict) else None
    dtype = glob.get(sigmf.DATATYPE_KEY) if isinstance(glob, dict) else None
    if not is_datatype(dtype):
        raise RecordingError(
            where, f"is not SigMF metadata: global core:datatype={dtype!r} is missing or invalid"
        )
    for key in ("captures", "annotations"):
        items = meta.setdefault(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise RecordingError(where, f"is not SigMF metadata: {key!r} is not a list of objects")
    return names, meta


def read_gaps(path: str | os.PathLike[str]) -> tuple[tuple[int, int], ...]:
    """``(start_sample, count)`` of every zero-filled gap of a recording, in order."""
    _, meta = _load_meta(path)
    return tuple(
        (int(a[sigmf.SAMPLE_START_KEY]), int(a.get(sigmf.SAMPLE_COUNT_KEY, 0)))
        for a in meta["annotations"]
        if isinstance(a, dict) and a.get(sigmf.LABEL_KEY) == GAP_LABEL
    )


@dataclass(frozen=True, slots=True)
class RecoverReport:
    """What :func:`recover_recording` found and did.

    Attributes
    ----------
    meta_path, data_path : str
    datatype : str
    sample_rate_hz : float or None
    samples_kept : int
        Whole samples in the data file after recovery.
    bytes_dropped : int
        Trailing bytes of a partial sample cut off the data file.
    annotations_dropped, annotations_clipped, captures_dropped : int
        Annotations starting past the end (dropped) or reaching past it (cut at the
        end); capture segments starting past the end.
    previous_sha512 : {"none", "matched", "stale", "unchecked"}
        The checksum found in the metadata, compared with the data kept.
    sha512_written : bool
        Whether the rewritten metadata holds a fresh ``core:sha512``.
    """

    meta_path: str
    data_path: str
    datatype: str
    sample_rate_hz: float | None
    samples_kept: int
    bytes_dropped: int
    annotations_dropped: int
    annotations_clipped: int
    captures_dropped: int
    previous_sha512: Literal["none", "matched", "stale", "unchecked"]
    sha512_written: bool

    @property
    def duration_s(self) -> float | None:
        """Length of the data kept, s (None without a sample rate)."""
        return self.samples_kept / self.sample_rate_hz if self.sample_rate_hz else None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``--json``."""
        return {**asdict(self), "duration_s": self.duration_s}


def _sha512_of(path: Path, size: int) -> str:
    """SHA-512 of the first ``size`` bytes of ``path``."""
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        while size > 0 and (chunk := fh.read(min(size, 1 << 20))):
            digest.update(chunk)
            size -= len(chunk)
    return digest.hexdigest()


def _truncate(data_path: Path, size: int) -> None:
    """Cut the data file to ``size`` bytes, through a descriptor that cannot follow a link."""
    with writing(data_path):
        fd = os.open(data_path, os.O_WRONLY | os.O_NOFOLLOW)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RecordingError(data_path, "is not a regular file; not recovering it")
            os.ftruncate(fd, size)
        finally:
            os.close(fd)


def _checked_meta(meta: dict[str, Any], where: Path) -> bytes:
    try:
        return encode_meta(meta)
    except Exception as exc:  # jsonschema.ValidationError and friends
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RecordingError(where, f"metadata is not valid SigMF: {message}") from None


def _own_file(path: Path) -> None:
    """Refuse a symbolic link or anything but a regular file.

    Recover changes files in place, and must never reach one outside the recording.
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise RecordingError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISLNK(st.st_mode):
        raise RecordingError(
            path, "is a symbolic link; recover changes only the recording's own files "
            "(copy the recording, or recover the link's target by its own name)")
    if not stat.S_ISREG(st.st_mode):
        raise RecordingError(path, "is not a regular file; nothing to recover")


def _trimmed_annotations(
    annotations: list[dict[str, Any]], kept: int
) -> tuple[list[dict[str, Any]], int, int]:
    """Annotations within ``kept`` samples (those reaching past cut), dropped, cut counts."""
    anns, dropped, clipped = [], 0, 0
    for ann in annotations:
        start = ann.get(sigmf.SAMPLE_START_KEY, 0)
        count = ann.get(sigmf.SAMPLE_COUNT_KEY)
        if start >= kept:
            dropped += 1
            continue
        if count is not None and start + count > kept:
            ann = {**ann, sigmf.SAMPLE_COUNT_KEY: kept - start}
            clipped += 1
        anns.append(ann)
    return anns, dropped, clipped


def _previous_sha512(
    old: str | None, fresh: str | None
) -> Literal["none", "matched", "stale", "unchecked"]:
    """Return what the checksum the pair held says of its data, now that it is cut."""
    if old is None:
        return "none"
    return "unchecked" if fresh is None else "matched" if old == fresh else "stale"


def recover_recording(path: str | os.PathLike[str], *, checksum: bool = True) -> RecoverReport:
    """Make a SigMF pair cut short by a crash valid again, in place.

    Truncates the data to a whole number of samples, drops (or cuts) annotations and
    capture segments past its end, removes a stale ``core:sha512`` and, with
    ``checksum``, writes a fresh one.  The metadata is replaced atomically; running
    it on an intact recording changes nothing but the checksum field's presence.

    Raises
    ------
    RecordingError
        The path is not a SigMF pair (missing or non-JSON metadata, no datatype), the
        data file is missing, or it holds no whole sample.
    """
    names, meta = _load_meta(path)
    meta_path, data_path = names["meta_fn"], names["data_fn"]
    glob = meta["global"]
    if not data_path.is_file() and not data_path.is_symlink():
        raise RecordingError(data_path, "data file is missing; nothing to recover")
    _own_file(meta_path)
    _own_file(data_path)
    _checked_meta(meta, meta_path)  # before touching anything
    size = data_path.stat().st_size
    sample_bytes = datatype_sample_bytes(
        glob[sigmf.DATATYPE_KEY], glob.get(sigmf.NUM_CHANNELS_KEY, 1), meta_path
    )
    if any(c.get(sigmf.HEADER_BYTES_KEY) for c in meta["captures"] if isinstance(c, dict)) or (
        glob.get(sigmf.TRAILING_BYTES_KEY)
    ):
        raise RecordingError(
            meta_path,
            "has capture headers or trailing bytes; only plain sample data can be recovered",
        )
    kept = size // sample_bytes
    if kept < 1:
        raise RecordingError(
            data_path,
            f"holds {size} bytes, not one whole sample; nothing to recover (delete the pair)",
        )
    dropped = size - kept * sample_bytes
    anns, dropped_anns, clipped = _trimmed_annotations(meta["annotations"], kept)
    captures = [c for c in meta["captures"] if c.get(sigmf.SAMPLE_START_KEY, 0) < kept]
    captures_dropped = len(meta["captures"]) - len(captures)
    old = glob.pop(sigmf.SHA512_KEY, None)
    fresh = _sha512_of(data_path, kept * sample_bytes) if checksum else None
    previous = _previous_sha512(old, fresh)
    if fresh is not None:
        glob[sigmf.SHA512_KEY] = fresh
    meta["annotations"], meta["captures"] = anns, captures or [{sigmf.SAMPLE_START_KEY: 0}]
    text = _checked_meta(meta, meta_path)
    # The new metadata is staged (on disk, flushed) before the data is cut: a full or
    # read-only disk stops recover with both files as they were.
    with staging_dir(meta_path.parent, target=meta_path) as tmp:
        staged = tmp / meta_path.name
        staged.write_bytes(text)
        fsync_path(staged)
        if dropped:
            _truncate(data_path, kept * sample_bytes)
        fsync_path(data_path)
        commit(staged, meta_path, overwrite=True)
    _remove_stale_staging(meta_path)
    rate = glob.get(sigmf.SAMPLE_RATE_KEY)
    report = RecoverReport(
        meta_path=str(meta_path),
        data_path=str(data_path),
        datatype=glob[sigmf.DATATYPE_KEY],
        sample_rate_hz=float(rate) if isinstance(rate, int | float) and rate > 0 else None,
        samples_kept=int(kept),
        bytes_dropped=int(dropped),
        annotations_dropped=dropped_anns,
        annotations_clipped=clipped,
        captures_dropped=captures_dropped,
        previous_sha512=previous,
        sha512_written=fresh is not None,
    )
    logger.info("recovered %s: %s", meta_path, report)
    return report


def _remove_stale_staging(meta_path: Path) -> None:
    """Remove staging folders a killed metadata write left beside ``meta_path``."""
    for folder in meta_path.parent.glob(".hi-station-*"):
        try:
            if folder.is_dir() and [p.name for p in folder.iterdir()] in ([], [meta_path.name]):
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
