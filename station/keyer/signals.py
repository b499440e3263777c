r"""Signals that end keying: turned into :class:`KeyingInterrupted`, never half-way a command.

SIGINT (Ctrl-C), SIGTERM, SIGHUP (terminal closed), SIGQUIT (Ctrl-\) and SIGTSTP
(Ctrl-Z) all stop keying: the key is released and the process exits with
128 + the signal number.  Ctrl-Z in particular must not suspend a process holding the
key down.  A signal that arrives while a command is on its way to the rig is held
until the reply is in, so the connection never goes out of step, and a key-down
that has not been sent yet is not sent.

Examples
--------
>>> import signal
>>> KeyingInterrupted(signal.SIGTERM).exit_code
143
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["KeyingInterrupted", "SignalGuard"]


class KeyingInterrupted(BaseException):  # noqa: N818  (like KeyboardInterrupt)
    """A signal asked keying to stop.

    Attributes
    ----------
    signum : int
    unkeyed : bool or None
        Whether the key was confirmed released afterwards (set by the runner).
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.unkeyed: bool | None = None
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        """Shell convention: 128 + signal number."""
        return 128 + self.signum


def _names(*names: str) -> tuple[signal.Signals, ...]:
    return tuple(getattr(signal, n) for n in names if hasattr(signal, n))


class SignalGuard:
    """Raise :class:`KeyingInterrupted` on the stop signals, outside critical sections.

    Use as a context manager in the main thread; handlers are restored on exit.

    Attributes
    ----------
    pending : int or None
        The first stop signal received (kept until the guard exits).
    """

    SIGNALS = _names("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGTSTP")

    def __init__(self) -> None:
        self._depth = 0
        self.pending: int | None = None
        self._raised = False
        self._old: dict[int, object] = {}

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        if self.pending is None:
            self.pending = signum
        if self._depth == 0:
            self._raise()

    def _raise(self) -> None:
        assert self.pending is not None
        self._raised = True
        raise KeyingInterrupted(self.pending)

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Hold signals until the block ends (a rig command and its reply), then raise."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self.pending is not None and not self._raised:
            self._raise()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold signals during the block without raising at its end (shutdown paths)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def check(self) -> None:
        """Raise now if a stop signal is pending and has not been raised yet."""
        if self.pending is not None and not self._raised:
            self._raise()

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                self._old[s] = signal.signal(s, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)  # type: ignore[arg-type]
        self._old.clear()
