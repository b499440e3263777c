r"""Bounded reading of the text inputs a user names: event files, TX logs, Waves files.

A path may name a device (``/dev/zero`` never ends), a FIFO (opening it waits for a
writer for ever) or a file far larger than any real input.  Every text input is
opened without blocking, must be a regular file, and is read only up to a limit
of its kind; anything else is one clear error, raised by the caller's ``fail``
(given the reason; the caller names the file).

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "x.toml"
>>> _ = p.write_text("a = 1\n")
>>> read_text_input(p, what="event file", limit_bytes=1 << 20, fail=ValueError)
'a = 1\n'
>>> read_text_input(Path("/dev/zero"), what="event file", limit_bytes=1 << 20, fail=ValueError)
Traceback (most recent call last):
...
ValueError: is not a regular file (a device, FIFO or socket): give the event file itself
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = ["EVENT_LIMIT_BYTES", "TXLOG_LIMIT_BYTES", "check_regular_file", "read_text_input"]

#: Largest event file read (the shipped ones are a few kB).
EVENT_LIMIT_BYTES = 1 << 20
#: Largest TX log read (a whole event logs well under 1 MB).
TXLOG_LIMIT_BYTES = 64 << 20


def _open(path: Path, what: str, fail: Callable[[str], Exception]) -> tuple[int, os.stat_result]:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO does not wait for a writer
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise fail(f"is not a regular file (a device, FIFO or socket): give the {what} itself")
    return fd, st


def check_regular_file(path: str | os.PathLike[str], *, what: str,
                       fail: Callable[[str], Exception]) -> None:  # fmt: skip
    """Raise ``fail(message)`` unless ``path`` is a regular file that can be opened."""
    fd, _ = _open(Path(path), what, fail)
    os.close(fd)


def read_text_input(path: str | os.PathLike[str], *, what: str, limit_bytes: int,
                    fail: Callable[[str], Exception]) -> str:  # fmt: skip
    """Return the UTF-8 text of a regular file of at most ``limit_bytes``.

    Raises
    ------
    Exception
        ``fail(message)``: not a regular file, larger than the limit, unreadable, or
        not UTF-8.
    """
    p = Path(path)
    fd, st = _open(p, what, fail)
    try:
        if st.st_size > limit_bytes:
            raise fail(f"is {st.st_size} bytes, more than any {what} ({limit_bytes} at most)")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit_bytes:  # it grew while being read
                raise fail(f"holds more than {limit_bytes} bytes; not a {what}")
    except OSError as exc:
        raise fail(f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
