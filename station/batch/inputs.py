"""The recordings a batch is given: files, folders (searched), globs; and its ``--out`` folder.

:func:`find_recordings` turns the command line's inputs into the sorted list of
recordings, each once: a file as given (a ``*.sigmf-data`` stands for its
``*.sigmf-meta``), a folder searched recursively for the files ``replay`` reads
(:data:`RECORDING_SUFFIXES`), and a pattern (``*``, ``?``, ``[...]``, ``**``) expanded
when no file of that literal name exists.  :func:`check_out_dir` refuses a ``--out``
that is a file, or a folder holding something that is not a batch folder.

Examples
--------
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> for name in ("a.sigmf-meta", "a.sigmf-data", "sub/b.cu8", "notes.txt"):
...     (d / name).parent.mkdir(exist_ok=True)
...     _ = (d / name).write_bytes(b"")
>>> [p.relative_to(d).as_posix() for p in find_recordings([str(d), str(d / "a.sigmf-data")])]
['a.sigmf-meta', 'sub/b.cu8']
>>> find_recordings([str(d / "nothing*.wav")])
Traceback (most recent call last):
...
station.errors.InputError: input ...nothing*.wav matches no file or folder
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from station.batch.manifest import read_manifest
from station.errors import InputError

__all__ = ["BATCH_ENTRIES", "RECORDING_SUFFIXES", "check_out_dir", "find_recordings"]

#: What a folder is searched for: the files ``replay`` reads (SigMF by its metadata).
RECORDING_SUFFIXES = (".sigmf-meta", ".cu8", ".wav")


#: What a batch folder may hold besides ``batch.json`` (hidden staging files aside).
BATCH_ENTRIES = frozenset({"batch.json", "event.toml", "index.json", "results",
                           "results.parquet", ".dask"})  # fmt: skip

_MAGIC = frozenset("*?[")


def _canonical(path: Path) -> Path:
    """Return the recording ``path`` stands for (a SigMF data file: its metadata), absolute."""
    path = Path(os.path.abspath(path))
    if path.name.endswith(".sigmf-data"):
        return path.with_name(path.name[: -len(".sigmf-data")] + ".sigmf-meta")
    return path


def _search(folder: Path) -> list[Path]:
    found = [Path(root) / name
             for root, _dirs, files in os.walk(folder, followlinks=False)
             for name in files if name.lower().endswith(RECORDING_SUFFIXES)]  # fmt: skip
    if not found:
        kinds = ", ".join("*" + s for s in RECORDING_SUFFIXES)
        raise InputError(f"folder {folder} holds no recordings ({kinds}, searched recursively)")
    return found


def _expand(text: str) -> list[Path]:
    literal = Path(text)
    if literal.exists():
        return [literal]
    if _MAGIC.isdisjoint(text):
        raise InputError(f"input {text} does not exist")
    matches = sorted(glob.glob(text, recursive=True))
    if not matches:
        raise InputError(f"input {text} matches no file or folder")
    return [Path(m) for m in matches]


def find_recordings(inputs: Iterable[str]) -> list[Path]:
    """Every recording named by ``inputs``, absolute, each once, sorted.

    Raises
    ------
    InputError
        An input that does not exist or matches nothing, a folder holding no
        recordings, a special file (FIFO, device), or no inputs at all.
    """
    out: set[Path] = set()
    given = list(inputs)
    if not given:
        raise InputError("give at least one recording, folder or glob (INPUTS)")
    for text in given:
        for path in _expand(text):
            if path.is_dir():
                out.update(_canonical(p) for p in _search(path))
            elif path.is_file():
                out.add(_canonical(path))
            else:
                raise InputError(f"input {path} is not a regular file or a folder")
    return sorted(out)


def check_out_dir(out_dir: Path) -> None:
    """Refuse a ``--out`` that cannot be a batch folder.

    Missing or empty is fine (made at the first result); else it must hold a
    ``batch.json`` (:func:`~station.batch.manifest.read_manifest`) and nothing but a
    batch's files.

    Raises
    ------
    InputError
        ``out_dir`` is a file, or a folder with something else in it.
    """
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError(f"--out={out_dir} is a file: give a folder (created if missing)")
    names = {p.name for p in out_dir.iterdir() if not p.name.startswith(".") or p.name == ".dask"}
    if not names:
        return
    stray = sorted(names - BATCH_ENTRIES)
    if read_manifest(out_dir) is None or stray:
        what = f"{stray[0]!r}" if stray else "no batch.json"
        raise InputError(f"--out={out_dir} is not a batch folder (it holds {what}): "
                         "give an empty or new folder, or one hi-station batch wrote")  # fmt: skip
