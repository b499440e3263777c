r"""Keying faults against a real ``rigctld -m 1 -P RIG``: the daemon frozen or killed.

One trial keys a short practice event (1 s dits) through
:func:`station.keyer.runner.run_plan` and the real safety layer (watchdog and
out-of-process guardian) and, just before or during the first key-down, freezes the
daemon (SIGSTOP, then SIGCONT after ``hold_s``) or kills it (SIGKILL, then a fresh
daemon on the same port after ``hold_s``).  A separate observer connection polls
``\get_ptt`` every 10 ms through the fault and for :data:`OBSERVE_S` after the daemon
answers again.  It never sends anything but ``\get_ptt`` (a :class:`RigctldClient`
would queue a ``\set_ptt 0`` when a reply times out, and so hide a defect).

Reported per trial: rising PTT edges seen after keying stopped (key-downs after the
stop; the bar is 0), the time from the daemon's first answer after the fault (or the
stop, if later) to PTT reading 0 for good (the bar is 1 s), and how many
``\set_ptt 1`` the daemon's own trace shows it ran after keying stopped (a command
left queued in a frozen daemon runs when it wakes).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from station.clock import SystemClock
from station.keyer.rigctld import RigctldKeyer
from station.keyer.runner import run_plan
from station.keyer.safety import SafeKeyer
from station.schedule import load_event, make_plan
from station.schedule.practice import practice_event_toml

__all__ = ["KEYING_FAULTS", "KeyingTrial", "Observer", "Rigctld", "keying_trial"]

#: Fault name -> (signal, seconds from the first key-down's planned time).
KEYING_FAULTS = {
    "rigctld frozen before key-down": (signal.SIGSTOP, -0.15),
    "rigctld frozen during key-down": (signal.SIGSTOP, 0.4),
    "rigctld killed before key-down": (signal.SIGKILL, -0.15),
    "rigctld killed during key-down": (signal.SIGKILL, 0.4),
}
#: How long the observer goes on after the daemon answers again, s.
OBSERVE_S = 3.5
_LEAD_S, _DIT_S = 1.5, 1.0
_TRACE = "rigctl_set_ptt: ptt=1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rigctld:
    """``rigctld -m 1 -P RIG`` on loopback with its trace (``-vvvvv``) in a file."""

    def __init__(self, port: int | None = None, trace: Path | None = None) -> None:
        exe = shutil.which("rigctld")
        if exe is None:
            raise SystemExit("rigctld not found: apt-get install -y libhamlib-utils")
        self.port = port or _free_port()
        self.trace = trace or Path(tempfile.mkstemp(prefix="rigctld-", suffix=".log")[1])
        args = [exe, "-m", "1", "-P", "RIG", "-T", "127.0.0.1", "-t", str(self.port), "-vvvvv"]
        with open(self.trace, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 10
        while _ask_ptt(self.port, 0.5) is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"rigctld did not start on port {self.port}")
            time.sleep(0.02)

    def key_downs_run(self, since: int) -> int:
        r"""``\set_ptt 1`` the daemon ran after byte ``since`` of its trace."""
        with open(self.trace, "rb") as fh:
            fh.seek(since)
            return fh.read().decode("ascii", "replace").count(_TRACE)

    def trace_size(self) -> int:
        """Bytes in the trace so far."""
        return self.trace.stat().st_size

    def kill(self) -> None:
        """SIGKILL the daemon (if it runs) and reap it."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGCONT)
                self.proc.kill()
        self.proc.wait(timeout=5)


def _ask_ptt(port: int, timeout_s: float) -> bool | None:
    """PTT on a fresh connection; None when the daemon does not answer in time."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.sendall(b"+\\get_ptt\n")
            reply = b""
            while b"RPRT" not in reply:
                chunk = s.recv(256)
                if not chunk:
                    return None
                reply += chunk
    except OSError:
        return None
    for line in reply.decode("ascii", "replace").splitlines():
        if line.startswith("PTT:"):
            return line.split(":", 1)[1].strip() != "0"
    return None


class Observer(threading.Thread):
    """Polls PTT every 10 ms on its own connections; ``reads`` is ``[(monotonic, ptt)]``."""

    def __init__(self, port: int) -> None:
        super().__init__(name="ptt-observer", daemon=True)
        self.port = port
        self.reads: list[tuple[float, bool]] = []
        self._done = threading.Event()

    def run(self) -> None:  # noqa: D102
        sock: socket.socket | None = None
        while not self._done.is_set():
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", self.port), timeout=0.3)
                sock.sendall(b"+\\get_ptt\n")
                reply = b""
                while b"RPRT" not in reply:
                    chunk = sock.recv(256)
                    if not chunk:
                        raise OSError("closed")
                    reply += chunk
                value = [x for x in reply.decode("ascii", "replace").splitlines()
                         if x.startswith("PTT:")]  # fmt: skip
                if value:
                    self.reads.append((time.monotonic(), value[0][4:].strip() != "0"))
            except OSError:  # a stale reply must never be read as fresh: new connection
                if sock is not None:
                    sock.close()
                sock = None
            self._done.wait(0.01)
        if sock is not None:
            sock.close()

    def stop(self) -> None:
        """End polling and join."""
        self._done.set()
        self.join(timeout=5)


@dataclass(frozen=True)
class KeyingTrial:
    """One trial: ``rises`` PTT 0->1 after the fault, ``latency_s`` to PTT 0 for good."""

    fault: str
    hold_s: float
    rises: int
    latency_s: float
    queued_run: int
    outcome: str


def _measure(reads: list[tuple[float, bool]], t_stop: float, t_back: float) -> tuple[int, float]:
    after = [(t, v) for t, v in reads if t >= t_stop]
    rises = sum(1 for (_, a), (_, b) in zip(after, after[1:], strict=False) if b and not a)
    answered = [(t, v) for t, v in reads if t >= max(t_back, t_stop)]
    if not answered or answered[-1][1]:
        return rises, float("inf")
    last_one = max((t for t, v in answered if v), default=None)
    settled = [t for t, v in answered if not v and (last_one is None or t > last_one)][0]
    return rises, max(0.0, settled - answered[0][0])


def keying_trial(fault: str, hold_s: float, workdir: Path) -> KeyingTrial:
    """Run one keying fault trial (see the module notes)."""
    sig, at_s = KEYING_FAULTS[fault]
    rig = Rigctld(trace=workdir / f"rigctld-{time.monotonic_ns()}.log")
    observer = Observer(rig.port)
    observer.start()
    start = datetime.now(UTC) + timedelta(seconds=_LEAD_S)
    path = workdir / "event.toml"
    path.write_text(practice_event_toml(start_utc=start, message="HI", dit_s=_DIT_S,
                                        round_period_s=60.0, rounds=1, ident_rule="none",
                                        target="TEST"), encoding="utf-8")  # fmt: skip
    plan = make_plan(load_event(path), "N0CALL")
    first_down = plan.rounds[0].key_downs[0].start_utc
    mark: dict[str, float] = {}

    def inject() -> None:
        wait_s = (first_down - datetime.now(UTC)).total_seconds() + at_s
        time.sleep(max(0.0, wait_s))
        mark["trace"] = rig.trace_size()
        mark["fault"] = time.monotonic()
        rig.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            rig.proc.wait(timeout=5)
        time.sleep(hold_s)
        if sig == signal.SIGSTOP:
            rig.proc.send_signal(signal.SIGCONT)
        else:
            nonlocal_rig[0] = Rigctld(rig.port, rig.trace)
        mark["back"] = time.monotonic()

    nonlocal_rig = [rig]
    injector = threading.Thread(target=inject, daemon=True)
    injector.start()
    keyer = SafeKeyer(RigctldKeyer("127.0.0.1", rig.port, timeout_s=1.0),
                      allowed_hz=plan.event.band_hz, max_key_down_s=_DIT_S)  # fmt: skip
    guardian = None
    try:
        summary = run_plan(plan, keyer, SystemClock())
        outcome = summary.reason
    finally:
        guardian = keyer.guardian
        keyer.close()
        t_stop = time.monotonic()
        stop_trace = rig.trace_size()  # what the daemon runs from here on is after the stop
    injector.join(timeout=60)
    time.sleep(OBSERVE_S)
    observer.stop()
    live = nonlocal_rig[0]
    queued = live.key_downs_run(max(mark["trace"], stop_trace))
    for daemon in {id(rig): rig, id(live): live}.values():
        daemon.kill()
    keyer.watchdog.stop()  # it would go on retrying a daemon that is gone
    if guardian is not None and guardian.alive:  # ours; it would retry for 10 minutes
        with contextlib.suppress(ProcessLookupError):
            os.kill(guardian._proc.pid, signal.SIGKILL)  # noqa: SLF001
    rises, latency = _measure(observer.reads, t_stop, mark["back"])
    return KeyingTrial(fault, hold_s, rises, latency, queued, outcome)
