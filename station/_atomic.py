"""Crash-safe, no-clobber file writing.

Files are written into a hidden staging directory beside the target, flushed to
disk, and only then moved into place (``os.link`` when overwriting is not allowed,
so an existing file is never replaced, else ``os.replace``).  A crash leaves either
nothing or the complete file, plus at most a hidden ``.hi-station-*`` directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from station.errors import RecordingError, RecordingExistsError

__all__ = ["check_free", "commit", "fsync_path", "staging_dir", "write_bytes_atomic"]


def check_free(paths: Iterable[Path], *, overwrite: bool) -> None:
    """Raise if a target's directory is missing, or a target exists and ``overwrite`` is False.

    Examples
    --------
    >>> check_free([Path("surely-not-here.wav")], overwrite=False)
    """
    for path in paths:
        parent = path.parent
        if not parent.is_dir():
            raise RecordingError(path, f"directory {parent} does not exist; create it first")
        if path.is_dir():
            raise RecordingError(path, "is a directory; give a file name")
        if not overwrite and (path.exists() or path.is_symlink()):
            raise RecordingExistsError(path)


@contextlib.contextmanager
def staging_dir(target_dir: Path) -> Iterator[Path]:
    """Hidden temporary directory inside ``target_dir``, removed on exit (also on error)."""
    tmp = Path(tempfile.mkdtemp(prefix=".hi-station-", dir=target_dir))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fsync_path(path: Path) -> None:
    """Flush a file's (or directory's) contents to disk; directories where the OS allows."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:  # e.g. directories cannot be opened on Windows
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit(staged: Path, target: Path, *, overwrite: bool) -> None:
    """Move a complete, staged file to ``target`` in one step.

    Parameters
    ----------
    staged : pathlib.Path
        The finished file, on the same file system as ``target``.
    target : pathlib.Path
        Final name.
    overwrite : bool
        Replace an existing ``target``; otherwise raise
        :class:`~station.errors.RecordingExistsError` and leave it untouched.
    """
    fsync_path(staged)
    if overwrite:
        os.replace(staged, target)
    else:
        try:
            os.link(staged, target)  # atomic and refuses to replace an existing file
        except FileExistsError:
            raise RecordingExistsError(target) from None
        except OSError:  # hard links unsupported here: check, then rename
            if target.exists() or target.is_symlink():
                raise RecordingExistsError(target) from None
            os.replace(staged, target)
    fsync_path(target.parent)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, overwrite: bool) -> Path:
    """Write a small file crash-safely: staged, flushed, then moved into place.

    Parameters
    ----------
    path : str or os.PathLike
        The target file; its directory must exist.
    data : bytes
        The whole content.
    overwrite : bool
        Replace an existing file; otherwise raise
        :class:`~station.errors.RecordingExistsError` and leave it untouched.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "plan.ics"
    >>> write_bytes_atomic(target, b"one", overwrite=False).read_bytes()
    b'one'
    >>> try:
    ...     write_bytes_atomic(target, b"two", overwrite=False)
    ... except FileExistsError as exc:
    ...     print(type(exc).__name__, target.read_bytes())
    RecordingExistsError b'one'
    """
    target = Path(path)
    check_free([target], overwrite=overwrite)
    with staging_dir(target.parent) as tmp:
        staged = tmp / (target.name or "file")
        with open(staged, "wb") as fh:
            fh.write(data)
        commit(staged, target, overwrite=overwrite)
    return target
