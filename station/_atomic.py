"""Crash-safe, no-clobber file writing.

Files are written into a hidden staging directory beside the target, flushed to
disk, and only then moved into place (``os.link`` when overwriting is not allowed,
so an existing file is never replaced, else ``os.replace``).  A crash leaves either
nothing or the complete file, plus at most a hidden ``.hi-station-*`` directory.

An operating-system error while writing (a read-only folder or file system, a full
disk, a missing permission) becomes one :class:`~station.errors.OutputError` naming
the path, the reason and its errno name (:func:`writing`), so every command reports it
as one ``error:`` line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from station.errors import OutputError, RecordingError, RecordingExistsError, StationError

__all__ = [
    "check_free",
    "check_not_special",
    "commit",
    "fsync_path",
    "make_output_dir",
    "output_error",
    "staging_dir",
    "write_bytes_atomic",
    "writing",
]

_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_NOT_WRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS)


def _full(path: Path) -> bool:
    """Tell whether the file system of ``path`` (or its nearest existing parent) is full."""
    for folder in (path, *path.parents):
        with contextlib.suppress(OSError):
            st = os.statvfs(folder)
            return st.f_bavail == 0 or st.f_favail == 0
    return False


def output_error(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    """Build the :class:`~station.errors.OutputError` for an OS error writing ``path``.

    An error without an errno (numpy's ``tofile``, libsndfile) on a full file system is
    reported as ``ENOSPC``.

    Examples
    --------
    >>> print(output_error("a/x.wav", OSError(errno.EROFS, "Read-only file system")))
    a/x.wav: cannot write: Read-only file system (EROFS); write to another folder
    """
    p = Path(path)
    code = exc.errno
    if code is None and _full(p):
        code = errno.ENOSPC
    reason = os.strerror(code) if code is not None and exc.errno is None else exc.strerror
    reason = reason or str(exc) or type(exc).__name__
    name = errno.errorcode.get(code, "") if code is not None else ""
    text = f"cannot write: {reason}" + (f" ({name})" if name else "")
    if code in _NO_SPACE:
        text += "; free some space or write to another disk"
    elif code in _NOT_WRITABLE:
        text += "; write to another folder"
    return OutputError(p, text)


@contextlib.contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn an :class:`OSError` raised inside into an :class:`~station.errors.OutputError`.

    Errors of :mod:`station` (e.g. :class:`~station.errors.RecordingExistsError`, itself
    a :class:`FileExistsError`) pass unchanged.

    Examples
    --------
    >>> try:
    ...     with writing("/x.txt"):
    ...         raise OSError(errno.ENOSPC, "No space left on device")
    ... except OutputError as exc:
    ...     print(exc)
    /x.txt: cannot write: No space left on device (ENOSPC); free some space or write to \
another disk
    """
    try:
        yield
    except StationError:
        raise
    except OSError as exc:
        raise output_error(path, exc) from None


def make_output_dir(path: Path) -> bool:
    """Create the folder ``path`` (and its parents) if missing; True when it was created.

    Raises
    ------
    OutputError
        It cannot be created (read-only, full, no permission).
    """
    if path.is_dir():
        return False
    with writing(path):
        path.mkdir(parents=True, exist_ok=True)
    return True


def check_not_special(path: Path) -> None:
    """Raise if ``path`` is a device, FIFO or socket (never written or replaced).

    Examples
    --------
    >>> check_not_special(Path("/dev/full"))
    Traceback (most recent call last):
    ...
    station.errors.RecordingError: /dev/full: is not a regular file (a device, FIFO or \
socket); give a file name
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode)):
        raise RecordingError(
            path, "is not a regular file (a device, FIFO or socket); give a file name"
        )


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
        check_not_special(path)
        if not overwrite and (path.exists() or path.is_symlink()):
            raise RecordingExistsError(path)


@contextlib.contextmanager
def staging_dir(target_dir: Path, *, target: Path | None = None) -> Iterator[Path]:
    """Hidden temporary directory inside ``target_dir``, removed on exit (also on error).

    An :class:`OSError` raised creating it or inside the block becomes an
    :class:`~station.errors.OutputError` naming ``target`` (default: ``target_dir``).
    """
    with writing(target if target is not None else target_dir):
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
    with writing(target):
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
    with staging_dir(target.parent, target=target) as tmp:
        staged = tmp / (target.name or "file")
        with open(staged, "wb") as fh:
            fh.write(data)
        commit(staged, target, overwrite=overwrite)
    return target
