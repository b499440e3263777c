"""``status.json`` (and ``waterfall.json``): the run's state, rewritten by a thread.

:class:`StatusBoard` holds what the service knows (state, round, the capture's last
status, the clock, warnings); the capture and detection threads only store into it.
Its thread rewrites ``DIR/status.json`` atomically at most once a second and at once
on a state change (the schema is the run-folder contract, ``CONTRACT`` in issue 17),
and ``DIR/waterfall.json`` once a second from ``waterfall`` (a callable returning the
live grabber's JSON, or None while there is none).

Examples
--------
>>> import json, tempfile
>>> from datetime import UTC, datetime
>>> from station.clock import SimulatedClock
>>> from station.schedule.practice import practice_event
>>> from station.schedule import make_plan
>>> ev = practice_event(start_utc=datetime(2026, 12, 5, tzinfo=UTC), dit_s=1, round_period_s=30)
>>> board = StatusBoard(Path(tempfile.mkdtemp()), make_plan(ev, "N0CALL"),
...                     SimulatedClock(datetime(2026, 12, 4, 23, 59, tzinfo=UTC)))
>>> board.set_state("waiting")
>>> doc = json.loads((board.run_dir / STATUS_NAME).read_text())
>>> doc["state"], doc["round"], doc["station"]["letter"]
('waiting', {'number': 0, 'of': 3}, 'L')
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from station._atomic import write_bytes_atomic
from station.capture.view import CaptureStatus
from station.clock import Clock
from station.schedule import OperatorPlan
from station.utc import format_utc

__all__ = ["STATES", "STATUS_NAME", "WATERFALL_NAME", "StatusBoard", "current_round"]

logger = logging.getLogger(__name__)

STATUS_NAME = "status.json"
WATERFALL_NAME = "waterfall.json"
#: The service's states.
STATES = ("waiting", "capturing", "finished", "stopped", "failed")
_PERIOD_S = 1.0


def _z(when: Any) -> str:
    return format_utc(when, "milliseconds")


def current_round(plan: OperatorPlan, now: Any) -> int:
    """Return the round under way at ``now`` (the last one started), 0 before the event.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> from station.schedule.practice import practice_event
    >>> from station.schedule import make_plan
    >>> t0 = datetime(2026, 12, 5, tzinfo=UTC)
    >>> plan = make_plan(practice_event(start_utc=t0, dit_s=1, round_period_s=30), "N0CALL")
    >>> [current_round(plan, t0 + timedelta(seconds=s)) for s in (-1, 0, 35, 999)]
    [0, 1, 2, 3]
    """
    started = [r.round_number for r in plan.rounds if r.start_utc <= now]
    return max(started, default=0)


class StatusBoard:
    """The run's state, written to ``status.json`` by a thread (see the module notes).

    Parameters
    ----------
    run_dir : pathlib.Path
    plan : OperatorPlan
        This operator's part (the key-downs, frequency, letter).
    clock : Clock
    keying, transmit : bool
        Whether the service keys (``--key``), and for real (``--transmit``).
    waterfall : callable, optional
        Returns the live waterfall's JSON (A's ``Waterfall.to_json()``) or None.
    tick : callable, optional
        Called by the thread before each write (e.g. to look at the transmit child).
    """

    def __init__(self, run_dir: Path, plan: OperatorPlan, clock: Clock, *, keying: bool = False,
                 transmit: bool = False,
                 waterfall: Callable[[], dict[str, Any] | None] | None = None,
                 tick: Callable[[], None] | None = None) -> None:  # fmt: skip
        self.run_dir, self.plan, self._clock, self._tick = run_dir, plan, clock, tick
        self._keying, self._transmit, self.waterfall = keying, transmit, waterfall
        self.state = "waiting"
        self.segment = 0
        self.capture: CaptureStatus | None = None
        self.clock_info: dict[str, Any] = {"offset_s": None, "server": None, "measured_utc": None}
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # -- stores (any thread) ------------------------------------------------------

    def set_state(self, state: str) -> None:
        """Change the state and write ``status.json`` now."""
        if state not in STATES:
            raise ValueError(f"state={state!r} is not one of {STATES}")
        self.state = state
        self.write()

    def store_capture(self, status: CaptureStatus) -> None:
        """Keep the capture's latest status (``run_capture``'s ``on_status``: store only)."""
        self.capture = status

    def warn(self, text: str) -> None:
        """Add a warning (shown until the run ends)."""
        with self._lock:
            self.warnings.append(text)
        self._wake.set()

    # -- the document ---------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        """Return the ``status.json`` object (the contract's schema)."""
        plan, ev, now = self.plan, self.plan.event, self._clock.now()
        cap = self.capture
        capture: dict[str, Any] = {"samples": None, "dropped": None, "gaps": None,
                                   "levels_dbfs": [], "segment": self.segment or None}  # fmt: skip
        if cap is not None:
            capture.update(samples=cap.samples, dropped=cap.samples_dropped, gaps=cap.gaps,
                           levels_dbfs=[None if v is None else round(v, 1)
                                        for v in cap.levels_dbfs])  # fmt: skip
        with self._lock:
            warnings = list(self.warnings)
        return {
            "version": 1, "updated_utc": _z(now), "state": self.state,
            "event": {"id": ev.id, "name": ev.name, "rounds": ev.rounds,
                      "round_period_s": ev.round_period_s, "dit_s": ev.dit_s,
                      "start_utc": _z(ev.start_utc), "end_utc": _z(ev.end_utc)},
            "station": {"callsign": plan.callsign.text,
                        "grid": None if plan.grid is None else str(plan.grid),
                        "letter": plan.letter, "freq_hz": plan.freq_hz,
                        "keying": self._keying, "transmit": self._transmit},
            "key_downs_utc": [[_z(k.start_utc), _z(k.end_utc)] for k in plan.key_downs()],
            "round": {"number": current_round(plan, now), "of": ev.rounds},
            "clock": dict(self.clock_info), "capture": capture, "warnings": warnings,
        }  # fmt: skip

    def write(self) -> None:
        """Rewrite ``status.json`` atomically now."""
        data = json.dumps(self.document(), indent=1).encode("utf-8")
        with self._lock:
            write_bytes_atomic(self.run_dir / STATUS_NAME, data, overwrite=True)

    def _write_waterfall(self) -> None:
        if self.waterfall is None:
            return
        try:
            doc = self.waterfall()
        except Exception as exc:  # the page's picture must never stop the run
            logger.debug("waterfall: %s", exc)
            return
        if doc is not None:
            data = json.dumps(doc).encode("utf-8")
            write_bytes_atomic(self.run_dir / WATERFALL_NAME, data, overwrite=True)

    # -- the thread -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                if self._tick is not None:
                    self._tick()
                self.write()
                self._write_waterfall()
            except Exception as exc:  # the status must never stop the run
                logger.warning("status.json: %s", exc)
            self._wake.wait(_PERIOD_S)
            self._wake.clear()
            self._done.wait(0.05)  # at most about once a second, even when woken often

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="status.json", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (the final state is written by :meth:`set_state`)."""
        self._done.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
