"""Stop signals: raise at once (keying), finish the block (capture); one interrupt type."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import pytest

from station.signals import (
    CAPTURE_SIGNALS,
    KEYING_SIGNALS,
    Interrupted,
    SignalGuard,
    StopRequest,
    stop_on_signals,
)


@contextlib.contextmanager
def _suite_handlers() -> Iterator[None]:
    """Give back the suite's own handlers (SIGINT is ignored in a background run)."""
    suite = {n: signal.getsignal(n) for n in KEYING_SIGNALS}
    try:
        yield
    finally:
        for num, handler in suite.items():
            signal.signal(num, handler)


def _handlers(nums: tuple[signal.Signals, ...]) -> list:
    return [signal.getsignal(n) for n in nums]


def test_a_second_signal_interrupts_a_blocked_read_but_not_a_write():
    # The handlers found are restored, whatever they were (SIGINT is ignored when the
    # suite runs in the background, SIGHUP under nohup): here as in a foreground process.
    nums = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    suite = [signal.getsignal(n) for n in nums]
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        before = [signal.getsignal(n) for n in nums]
        stop = StopRequest()
        with stop_on_signals(stop):
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # nohup: kept ignored
            signal.raise_signal(signal.SIGINT)
            assert stop.reason == "SIGINT"
            with stop.critical():
                signal.raise_signal(signal.SIGTERM)  # held: the write finishes
            with pytest.raises(Interrupted, match="SIGTERM"):
                signal.raise_signal(signal.SIGTERM)
        assert [signal.getsignal(n) for n in nums] == before
    finally:
        for num, handler in zip(nums, suite, strict=True):
            signal.signal(num, handler)


def test_one_interrupt_type_names_the_signal_and_the_exit_code():
    exc = Interrupted(signal.SIGTERM)
    assert (exc.name, exc.args, exc.signum, exc.exit_code) == ("SIGTERM", ("SIGTERM",), 15, 143)
    assert exc.unkeyed is None and not isinstance(exc, Exception)  # like KeyboardInterrupt
    assert set(CAPTURE_SIGNALS) < set(KEYING_SIGNALS)


def test_a_signal_ignored_at_start_stays_ignored_while_capturing():
    with _suite_handlers():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job
        stop = StopRequest()
        with stop_on_signals(stop):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)
            assert stop.reason is None
            signal.raise_signal(signal.SIGTERM)
            assert stop.reason == "SIGTERM"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_keying_raises_at_once_even_on_a_signal_ignored_at_start():
    with _suite_handlers():
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C still stops keying
        before = _handlers(KEYING_SIGNALS)
        with SignalGuard() as guard:
            with pytest.raises(Interrupted, match="SIGINT") as caught:
                signal.raise_signal(signal.SIGINT)
            assert guard.pending == signal.SIGINT and caught.value.exit_code == 130
            guard.check()  # raised already: not again
        assert _handlers(KEYING_SIGNALS) == before


def test_keying_holds_a_signal_through_a_command_then_raises():
    with _suite_handlers(), SignalGuard() as guard:
        done = []
        with pytest.raises(Interrupted, match="SIGTERM"):
            with guard.critical():
                signal.raise_signal(signal.SIGTERM)
                done.append("reply")  # the command and its reply finish
        assert done == ["reply"] and guard.pending == signal.SIGTERM
        with pytest.raises(Interrupted, match="SIGTERM"):  # a later one: at once, the first named
            signal.raise_signal(signal.SIGHUP)


def test_held_stretches_never_raise_and_check_raises_once():
    with _suite_handlers(), SignalGuard() as guard:
        with guard.held():
            signal.raise_signal(signal.SIGHUP)  # a shutdown path: not cut
        assert guard.pending == signal.SIGHUP
        with pytest.raises(Interrupted, match="SIGHUP"):
            guard.check()
        guard.check()


def test_outside_the_main_thread_no_handler_is_touched():
    with _suite_handlers():
        before = _handlers(KEYING_SIGNALS)
        seen = []

        def work() -> None:
            with SignalGuard(), stop_on_signals(StopRequest()):
                seen.append(_handlers(KEYING_SIGNALS))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        assert seen == [before]
