"""The transmit child: ``hi-station transmit`` run by the service, so every safety applies.

The service keys (``run --key``) by running ``python -m station.cli transmit SCHEDULE
--callsign CALL --log DIR/tx.jsonl --quiet ...`` as a child process, not in-process:
the guardian process, the watchdog, the clock check and the key-up on every stop
signal are transmit's own.  It is a dry run unless ``--transmit``.  Started mid-event,
transmit begins at the next whole key-down (it skips past edges).  The child gets
SIGTERM when the service stops (and, through ``PR_SET_PDEATHSIG`` on Linux, when the
service dies, even by SIGKILL), and its exit code is logged.

Examples
--------
>>> from pathlib import Path
>>> args = transmit_argv("practice.toml", "N0CALL", Path("run/tx.jsonl"),
...                      TransmitOptions(rig="localhost:4532", ignore_clock=True))
>>> args[1:]
['-m', 'station.cli', 'transmit', 'practice.toml', '--callsign', 'N0CALL', '--log', 'run/tx.jsonl', '--quiet', '--rig', 'localhost:4532', '--ignore-clock']
"""  # noqa: E501

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TransmitChild", "TransmitOptions", "transmit_argv"]

logger = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class TransmitOptions:
    """The ``transmit`` options the service passes through (None: transmit's default)."""

    transmit: bool = False
    rig: str | None = None
    serial: str | None = None
    serial_line: str | None = None
    grid: str | None = None
    freq_mhz: float | None = None
    ntp_servers: tuple[str, ...] = ()
    max_clock_offset_s: float | None = None
    ignore_clock: bool = False


def transmit_argv(schedule: str, callsign: str, log: Path, opts: TransmitOptions) -> list[str]:
    """Return the child's command line."""
    argv = [sys.executable, "-m", "station.cli", "transmit", schedule, "--callsign", callsign,
            "--log", str(log), "--quiet"]  # fmt: skip
    pairs = (("--rig", opts.rig), ("--serial", opts.serial), ("--serial-line", opts.serial_line),
             ("--grid", opts.grid), ("--freq-mhz", opts.freq_mhz),
             ("--max-clock-offset-s", opts.max_clock_offset_s))  # fmt: skip
    for name, value in pairs:
        if value is not None:
            argv += [name, str(value)]
    for server in opts.ntp_servers:
        argv += ["--ntp-server", server]
    if opts.ignore_clock:
        argv.append("--ignore-clock")
    if opts.transmit:
        argv.append("--transmit")
    return argv


def _death_signal() -> Callable[[], None] | None:
    """Return a ``preexec_fn`` asking Linux to SIGTERM the child when the service dies.

    None off Linux.  libc is looked up here, in the parent: the child only makes the call.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:  # pragma: no cover - runs in the child
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))

    return preexec


class TransmitChild:
    """A running ``hi-station transmit`` (its output goes to ``output``, e.g. ``DIR/tx.out``).

    Start it from the main thread before the service starts other threads: the
    parent-death signal follows the thread that forked, and a fork beside running
    threads is not safe for Python code in the child (the ``preexec_fn``).
    """

    def __init__(self, argv: list[str], output: Path) -> None:
        self.argv = argv
        self._out = open(output, "ab")  # noqa: SIM115 - closed in stop()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        preexec = _death_signal()
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out,  # noqa: S603
                                     stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=preexec)  # noqa: PLW1509  # fmt: skip
        logger.info("transmit started (pid %d): %s", self.proc.pid, " ".join(argv[3:]))

    def poll(self) -> int | None:
        """Return the exit code once the child has ended, else None."""
        return self.proc.poll()

    def stop(self, *, grace_s: float = 0.0, timeout_s: float = 10.0) -> int:
        """Wait ``grace_s`` for the child to end, then SIGTERM it; return its exit code.

        On SIGTERM transmit releases the key and logs its stop.  A child still running
        ``timeout_s`` after SIGTERM is killed (its guardian
        process still releases the rig).
        """
        if grace_s > 0:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(grace_s)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                logger.warning("transmit did not stop in %g s; killing it", timeout_s)
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        code = self.proc.returncode
        logger.info("transmit exited with code %s", code)
        return code
