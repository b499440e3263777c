r"""Stop signals: two policies, one interrupt type (:class:`Interrupted`).

SIGINT (Ctrl-C), SIGTERM and SIGHUP (terminal closed) ask a running job to stop;
keying also stops on SIGQUIT (Ctrl-\) and SIGTSTP (Ctrl-Z).  The two policies differ
on purpose:

- **Raise at once** (:class:`SignalGuard`, keying): a signal raises
  :class:`Interrupted` where the program is, except inside a
  :meth:`SignalGuard.critical` stretch (a rig command and its reply), which it waits
  for, so the connection never goes out of step and a key-down not yet sent is not
  sent.  Every signal it handles is taken, even one the process was started
  ignoring: Ctrl-Z in particular must not suspend a process holding the key down.
  The key is released and the process exits with 128 + the signal number
  (:attr:`Interrupted.exit_code`).
- **Finish the block** (:class:`StopRequest` with :func:`stop_on_signals`, capture):
  the first signal is only recorded; the job checks it after every block and stops
  cleanly.  A second signal raises :class:`Interrupted` out of a blocked read (never
  out of a :meth:`StopRequest.critical` stretch, a write).  A signal the process was
  started ignoring stays ignored: ``nohup`` ignores SIGHUP so that closing the
  terminal does not end a long capture, and a shell ignores SIGINT in a background job
  so that a Ctrl-C meant for the foreground does not either.

Both install their handlers in the main thread only, and restore the old ones on exit.

Examples
--------
>>> import signal
>>> Interrupted(signal.SIGTERM).exit_code, Interrupted(signal.SIGTERM).name
(143, 'SIGTERM')
>>> stop = StopRequest()
>>> stop.set("test"); stop.set("later"); stop.reason
'test'
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

__all__ = [
    "CAPTURE_SIGNALS",
    "KEYING_SIGNALS",
    "Interrupted",
    "SignalGuard",
    "StopRequest",
    "stop_on_signals",
]

_Handler = Callable[[int, FrameType | None], Any]


def _signals(*names: str) -> tuple[signal.Signals, ...]:
    return tuple(getattr(signal, n) for n in names if hasattr(signal, n))


#: What stops a capture (:func:`stop_on_signals`).
CAPTURE_SIGNALS = _signals("SIGINT", "SIGTERM", "SIGHUP")
#: What stops keying (:class:`SignalGuard`): those and Ctrl-\, Ctrl-Z.
KEYING_SIGNALS = _signals("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGTSTP")


class Interrupted(BaseException):  # noqa: N818  (like KeyboardInterrupt)
    """A stop signal interrupted the work; ``args[0]`` is its name (``"SIGTERM"``).

    Attributes
    ----------
    signum : int
    unkeyed : bool or None
        Keying only: whether the key was confirmed released afterwards (set by the
        runner); None otherwise.
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        self.unkeyed: bool | None = None
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``"SIGINT"``."""
        return str(self.args[0])

    @property
    def exit_code(self) -> int:
        """Shell convention: 128 + signal number."""
        return 128 + self.signum


def _install(
    signums: tuple[signal.Signals, ...], handler: _Handler, *, keep_ignored: bool
) -> dict[int, Any]:
    """Set ``handler`` for ``signums`` (main thread only); return the handlers replaced."""
    old: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return old
    for num in signums:
        if keep_ignored and signal.getsignal(num) is signal.SIG_IGN:
            continue
        old[num] = signal.signal(num, handler)
    return old


def _restore(old: dict[int, Any]) -> None:
    for num, handler in old.items():
        signal.signal(num, handler)
    old.clear()


class _Holding:
    """Counts the nested stretches a signal must not cut (``_depth`` > 0 inside one)."""

    def __init__(self) -> None:
        self._depth = 0

    @contextlib.contextmanager
    def _hold(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1


class SignalGuard(_Holding):
    """Raise :class:`Interrupted` on the keying stop signals, outside critical sections.

    Use as a context manager in the main thread; handlers are restored on exit.

    Attributes
    ----------
    pending : int or None
        The first stop signal received (kept until the guard exits).
    """

    SIGNALS = KEYING_SIGNALS

    def __init__(self) -> None:
        super().__init__()
        self.pending: int | None = None
        self._raised = False
        self._old: dict[int, Any] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = signum
        if self._depth == 0:
            self._raise()

    def _raise(self) -> None:
        assert self.pending is not None
        self._raised = True
        raise Interrupted(self.pending)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Hold signals until the block ends (a rig command and its reply), then raise."""
        with self._hold():
            yield
        if self._depth == 0 and self.pending is not None and not self._raised:
            self._raise()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold signals during the block without raising at its end (shutdown paths)."""
        with self._hold():
            yield

    def check(self) -> None:
        """Raise now if a stop signal is pending and has not been raised yet."""
        if self.pending is not None and not self._raised:
            self._raise()

    def __enter__(self) -> SignalGuard:
        self._old = _install(self.SIGNALS, self._handler, keep_ignored=False)
        return self

    def __exit__(self, *exc: object) -> None:
        _restore(self._old)


class StopRequest(_Holding):
    """Asks a running capture to stop after the block in hand (set by signals, a UI, a test).

    Attributes
    ----------
    reason : str or None
        What asked first (``"SIGINT"``...); None while running.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def set(self, reason: str = "stopped") -> None:
        """Ask the capture to stop (the first reason is kept)."""
        if self.reason is None:
            self.reason = reason

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Mark a stretch a forced stop must not cut (writing a block)."""
        with self._hold():
            yield

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.reason is None:
            self.reason = signal.Signals(signum).name
        elif self._depth == 0:
            raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[StopRequest]:
    """Turn SIGINT, SIGTERM and SIGHUP into ``stop`` while the block runs (main thread only).

    A signal the process was started ignoring stays ignored (see the module notes).
    """
    old = _install(CAPTURE_SIGNALS, stop._on_signal, keep_ignored=True)
    try:
        yield stop
    finally:
        _restore(old)
