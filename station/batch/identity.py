r"""Who a recording is: its content hash (the key of its result), with a stat cache.

:func:`content_sha256` streams the recording's bytes through SHA-256 (a SigMF
recording: its metadata then its data file), so a recording renamed or copied keeps
its key and a changed one gets a new key.  :class:`StatCache` (``DIR/index.json``:
``{abs path: {size, mtime_ns, ino, sha256}}``) lets a rerun skip rehashing files whose
size, modification time and inode are unchanged; for SigMF, ``size`` is both files'
bytes, ``mtime_ns`` the later of the two and ``ino`` the metadata's, with the data
file's inode as ``data_ino``.  :func:`identify` hashes what the cache does not know,
on a few client threads (``hashlib`` releases the GIL: about 1.3 GB/s per core here,
far below the cost of a replay); :func:`iter_identify` yields each recording as soon
as it is keyed, so work on it can start while the rest are hashed.
:func:`station_name` is ``RecordingId.station``.

Examples
--------
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> _ = (d / "g4abc.cu8").write_bytes(b"\x80" * 10)
>>> cache = StatCache(d / "index.json")
>>> [(p.name, n) for p, (sha, n) in identify([d / "g4abc.cu8"], cache).items()]
[('g4abc.cu8', 10)]
>>> cache.hashed, identify([d / "g4abc.cu8"], cache) and cache.hashed
(1, 1)
>>> station_name(d / "g4abc.cu8")
'g4abc'
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from station._atomic import write_bytes_atomic
from station.errors import InputError

__all__ = [
    "StatCache",
    "content_files",
    "content_sha256",
    "identify",
    "iter_identify",
    "recording_bytes",
    "station_name",
]

_CHUNK = 1 << 20
_SUFFIXES = (".sigmf-meta", ".sigmf-data", ".cu8", ".wav")


def content_files(path: Path) -> list[Path]:
    """Return the files whose bytes are the recording ``path``'s content (SigMF: meta, data)."""
    if path.name.endswith(".sigmf-meta"):
        return [path, path.with_name(path.name[: -len(".sigmf-meta")] + ".sigmf-data")]
    return [path]


def content_sha256(path: Path) -> tuple[str, int]:
    """Hex SHA-256 of the recording's content and the bytes hashed (streamed).

    A SigMF recording whose data file is missing is hashed on its metadata alone:
    replay refuses it, and its result says why.
    """
    digest = hashlib.sha256()
    total = 0
    for part in content_files(path):
        if part is not path and not part.exists():
            continue
        try:
            with open(part, "rb") as fh:
                while chunk := fh.read(_CHUNK):
                    digest.update(chunk)
                    total += len(chunk)
        except OSError as exc:
            raise InputError(f"{part}: cannot read: {exc.strerror or exc}") from None
    return digest.hexdigest(), total


def _stat(path: Path) -> dict[str, int]:
    sts = [p.stat() for p in content_files(path) if p is path or p.exists()]
    out = {"size": sum(s.st_size for s in sts), "mtime_ns": max(s.st_mtime_ns for s in sts),
           "ino": sts[0].st_ino}  # fmt: skip
    if len(sts) > 1:
        out["data_ino"] = sts[1].st_ino
    return out


class StatCache:
    """``DIR/index.json``: the content hash of each file last seen, by its stat.

    Parameters
    ----------
    path : pathlib.Path
        The index file (read if present; a broken one is ignored and rebuilt).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hashed = 0  # files hashed through this cache (not found in it)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        self._entries: dict[str, dict[str, Any]] = doc if isinstance(doc, dict) else {}

    def lookup(self, path: Path) -> tuple[str, int] | None:
        """Return the cached (sha256, bytes) of ``path`` if its stat is unchanged, else None."""
        entry = self._entries.get(str(path))
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            return None
        try:
            now = _stat(path)
        except OSError:
            return None
        if any(entry.get(k) != v for k, v in now.items()):
            return None
        return entry["sha256"], int(now["size"])

    def store(self, path: Path, sha256: str) -> None:
        """Remember ``path``'s hash with its current stat."""
        try:
            self._entries[str(path)] = {**_stat(path), "sha256": sha256}
        except OSError:
            self._entries.pop(str(path), None)

    def save(self) -> None:
        """Write the index atomically (its folder must exist)."""
        data = (json.dumps(self._entries, indent=1, sort_keys=True) + "\n").encode()
        write_bytes_atomic(self.path, data, overwrite=True)


def recording_bytes(path: Path) -> int:
    """Bytes of the recording ``path``'s content by its stat (0 if it cannot be read)."""
    try:
        return _stat(path)["size"]
    except (OSError, ValueError):
        return 0


def iter_identify(
    paths: Sequence[Path], cache: StatCache, *, threads: int = 2
) -> Iterator[tuple[Path, tuple[str, int]]]:
    """Yield ``(path, (sha256, bytes))`` in the order of ``paths`` as each is keyed.

    What ``cache`` does not know is hashed on ``threads`` client threads, ahead of the
    consumer (so a caller can start work on the first recordings while the rest are
    hashed); the cache is updated (not saved).  Hashing not yet begun is cancelled when
    the consumer stops early.
    """
    known = {p: cache.lookup(p) for p in paths}
    todo = [p for p in dict.fromkeys(paths) if known[p] is None]
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        futures = {p: pool.submit(content_sha256, p) for p in todo}
        try:
            for p in paths:
                got = known[p]
                if got is None:
                    got = known[p] = futures[p].result()
                    cache.store(p, got[0])
                    cache.hashed += 1
                yield p, got
        finally:
            for fut in futures.values():
                fut.cancel()


def identify(
    paths: Sequence[Path], cache: StatCache, *, threads: int = 2
) -> dict[Path, tuple[str, int]]:
    """(sha256, bytes) of every recording, hashing only what ``cache`` does not know.

    The cache is updated (not saved).  Hashing runs on ``threads`` client threads.
    """
    return dict(iter_identify(paths, cache, threads=threads))


def station_name(path: Path) -> str:
    """Who recorded ``path``: SigMF ``core:author`` if non-empty, else the file's stem.

    Capture names its files by frequency (``raw_28.280000MHz``), so such a stem alone
    would make every listener one station: the folder holding the recording is put in
    front (a service run's ``segments/NNN`` skipped, so its segments stay one station).

    Examples
    --------
    >>> station_name(Path("/data/g4abc/run/segments/002/raw_28.280000MHz.sigmf-meta"))
    'run/raw_28.280000MHz'
    >>> station_name(Path("k1abc.cu8"))
    'k1abc'
    """
    name = path.name
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    if path.name.endswith(".sigmf-meta"):
        try:
            with open(path, "rb") as fh:
                doc = json.loads(fh.read(1 << 20))
            author = doc["global"].get("core:author")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            author = None
        if isinstance(author, str) and author.strip():
            return author.strip()
    if "MHz" not in name:
        return name
    folders = [f for f in path.parent.parts if f not in ("/", ".", "..")]
    while folders and (folders[-1].isdigit() or folders[-1] == "segments"):
        folders.pop()
    return f"{folders[-1]}/{name}" if folders else name
