r"""The out-of-process guard of rigctld keying: a child that releases PTT when we cannot.

rigctld keeps PTT on after its client disconnects, and an in-process watchdog dies
or stops with its process.  So, while keying through rigctld, hi-station runs this
module as a child process in its own session (terminal signals do not reach it),
with its own rigctld connection.  The parent writes one line per change on the
child's stdin:

``down``
    a key-down is about to be sent: release it after ``limit_s`` unless ``up`` comes;
``up``
    the key is confirmed up;
``quit``
    keying ended normally.

If stdin closes without ``quit`` (the parent was killed, even by SIGKILL) while the
key may be down, or a key-down outlasts ``limit_s`` (the parent is stopped or hung),
the guardian sends ``\set_ptt 0`` and keeps trying until rigctld acknowledges it,
then keeps reading PTT for :data:`HOLD_S` and releases it again should it read 1
(a command queued in a daemon that was frozen may still run when it wakes).

Run as ``python -m station.keyer.guardian HOST PORT LIMIT_S [TIMEOUT_S [LOG]]``; it
prints ``ready`` once it has reached rigctld.  What it does goes to stderr (when that
is a terminal) and, as ``{"type": "guardian"}`` records, to the TX log.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from station.errors import RigError
from station.keyer.records import GuardianRecord
from station.keyer.rigctld_client import RigctldClient
from station.keyer.txlog import append_line

__all__ = ["Guardian", "main"]

_RETRY_S = 0.5
#: How long an orphaned guardian keeps trying to reach a silent rigctld, s.
_GIVE_UP_S = 600.0


def _say(text: str, log_path: str | None) -> None:
    """Tell the operator (stderr) and the TX log (one JSON line, appended atomically)."""
    print(f"guardian: {text}", file=sys.stderr, flush=True)
    if log_path:
        record = GuardianRecord(utc=datetime.now(UTC), message=text).to_json()
        try:
            fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                append_line(fd, (json.dumps(record) + "\n").encode())  # whole or not at all
            finally:
                os.close(fd)
        except OSError:
            pass


#: After PTT reads 0, how long the guardian goes on reading it (and releasing it
#: again if it reads 1), s: commands queued in a daemon that was frozen may still run
#: once it answers again, in any order across its connections.
HOLD_S = 3.0
_HOLD_POLL_S = 0.1


def _hold(client: RigctldClient, why: str, log_path: str | None) -> None:
    """Keep PTT at 0 for :data:`HOLD_S` after it first read 0 (longer if it rises)."""
    until = time.monotonic() + HOLD_S
    while time.monotonic() < until:
        time.sleep(_HOLD_POLL_S)
        if client.get_ptt():
            client.set_ptt(0)
            _say(f"PTT read 1 again after the release ({why}); released again", log_path)
            until = time.monotonic() + HOLD_S


def _release(host: str, port: int, timeout_s: float, why: str, log_path: str | None) -> None:
    """Send PTT 0 on a fresh connection until acknowledged, read back as 0, and held."""
    attempt = 0
    give_up = time.monotonic() + _GIVE_UP_S
    while time.monotonic() < give_up:
        attempt += 1
        try:
            client = RigctldClient(host, port, timeout_s=timeout_s)
            try:
                client.set_ptt(0)
                if not client.get_ptt():
                    _hold(client, why, log_path)
                    _say(f"PTT released ({why})", log_path)
                    return
            finally:
                client.close()
        except RigError as exc:
            if attempt == 1 or attempt % 20 == 0:
                _say(f"release attempt {attempt} ({why}) failed: {exc}; still trying", log_path)
        time.sleep(_RETRY_S)
    _say(
        f"gave up after {_GIVE_UP_S:g} s: THE KEY MAY BE DOWN; switch the transmitter off", log_path
    )


def main(argv: list[str] | None = None) -> int:
    """Run the guardian; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    host, port, limit_s = args[0], int(args[1]), float(args[2])
    timeout_s = float(args[3]) if len(args) > 3 else 2.0
    log_path = args[4] if len(args) > 4 else None
    try:
        RigctldClient(host, port, timeout_s=timeout_s).close()
    except RigError as exc:
        _say(str(exc), None)
        return 1
    print("ready", flush=True)
    fd = sys.stdin.fileno()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    deadline: float | None = None
    may_be_down = False
    pending = b""
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not sel.select(timeout):  # a key-down outlasted the limit
            _release(host, port, timeout_s, f"key-down longer than {limit_s:g} s", log_path)
            deadline, may_be_down = None, False
            continue
        data = os.read(fd, 4096)  # unbuffered: every line is seen as soon as it arrives
        if not data:  # the parent is gone
            if may_be_down:
                why = "the keying process ended with the key down"
                _release(host, port, timeout_s, why, log_path)
            return 0
        *lines, pending = (pending + data).split(b"\n")
        for word in (x.strip().decode("ascii", "replace") for x in lines):
            if word == "down":
                deadline, may_be_down = time.monotonic() + limit_s, True
            elif word == "up":
                deadline, may_be_down = None, False
            elif word == "quit":
                return 0


class Guardian:
    """The parent's handle on the guardian process.

    Parameters
    ----------
    host, port : str, int
        rigctld address.
    limit_s : float
        Longest allowed key-down, s.
    timeout_s : float, optional
        rigctld reply timeout of the guardian's own connection.
    log_path : str or os.PathLike, optional
        TX log that receives the guardian's records.
    """

    def __init__(
        self,
        host: str,
        port: int,
        limit_s: float,
        *,
        timeout_s: float = 2.0,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        cmd = [sys.executable, "-m", "station.keyer.guardian", host, str(port), str(limit_s),
               str(timeout_s)] + ([os.fspath(log_path)] if log_path else [])  # fmt: skip
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            # A pipe would be held open by an orphaned guardian: only a terminal is shared.
            stderr=None if sys.stderr.isatty() else subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C / Ctrl-Z in the terminal do not reach it
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self._proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self._proc.stdout, selectors.EVENT_READ)
        ready = sel.select(15.0) and self._proc.stdout.readline().strip() == "ready"
        sel.close()
        if not ready:
            self._proc.kill()
            self._proc.wait()
            self._close_pipes()
            raise RigError(
                f"the out-of-process guard could not reach rigctld at {host}:{port}; not keying"
            )

    @property
    def alive(self) -> bool:
        """True while the guardian runs."""
        return self._proc.poll() is None

    def send(self, word: str) -> None:
        """Tell the guardian ``down``, ``up`` or ``quit``.

        Raises
        ------
        RigError
            The guardian is gone (a key-down must then not be sent).
        """
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(word + "\n")
            self._proc.stdin.flush()
        except (OSError, ValueError):
            raise RigError("the out-of-process guard has ended; keying stopped") from None

    def close(self, *, key_confirmed_up: bool) -> None:
        """End the link.

        With the key confirmed up the guardian is told ``quit`` and waited for;
        otherwise its stdin is just closed, and it goes on releasing the key on its
        own (for up to 10 minutes) after this process has exited.
        """
        if key_confirmed_up:
            try:
                self.send("quit")
            except RigError:
                pass
        self._close_pipes()
        if key_confirmed_up:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        else:  # it outlives this link: reap it whenever it ends (no zombie left behind)
            threading.Thread(target=self._proc.wait, name="guardian-reaper", daemon=True).start()

    def _close_pipes(self) -> None:
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # a dead guardian: nothing to flush to
                    stream.close()


if __name__ == "__main__":
    sys.exit(main())
