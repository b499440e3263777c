"""The service's steps (``hi-station run``): wait, capture, detect, key, report; resume.

:func:`run_service` checks the run folder (:func:`~station.service.journal.open_run_folder`),
opens the journal, starts the ``status.json`` thread (and the dashboard with
``web``), starts the transmit child when keying (:mod:`station.service.keying`), waits
for the event (a countdown line every ``countdown_s``; status ``waiting``), captures
one segment until the event's last key-up plus ``tail_s`` (status ``capturing``;
each round's detection goes to ``rounds.jsonl`` and the journal), then writes the
report (state ``finished``).  SIGINT, SIGTERM and SIGHUP stop it cleanly: the
capture's files are closed, the transmit child gets SIGTERM and its exit code is
journalled, the state is ``stopped``, the journal gets its ``stop`` line.  Started
again on the same folder mid-event, it resumes in a new segment at once (see
:mod:`station.service.segment` for the downtime annotation); after the event's end,
it only writes the report.

Examples
--------
>>> from station.service.keying import TransmitOptions
>>> ServiceRequest("practice.toml", Path("run"), "N0CALL", "synthetic").tail_s
5.0
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from station.capture import RoundDetection
from station.clock import Clock, SystemClock
from station.qrss import GrabSettings
from station.schedule import OperatorPlan, load_event, make_plan
from station.sdr.spec import parse_source
from station.service.journal import (
    Journal,
    RunState,
    append_jsonl,
    open_run_folder,
    read_jsonl,
    segment_dir,
)
from station.service.keying import TransmitChild, TransmitOptions, transmit_argv
from station.service.report import build_report, write_report
from station.service.segment import SegmentSpec, capture_segment, resume_text
from station.service.status import StatusBoard
from station.signals import Interrupted, StopRequest, stop_on_signals
from station.utc import format_utc

__all__ = ["ServiceOutcome", "ServiceRequest", "run_service"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceRequest:
    """What ``hi-station run`` was asked (see :func:`run_service`).

    Attributes
    ----------
    schedule : str
        Event file or shipped id.
    out : pathlib.Path
        The run folder.
    callsign, source : str
    grid : str or None
    freq_mhz : float or None
        Operator override of the event's frequency.
    key : bool
        Run the transmit child (dry run unless ``tx.transmit``).
    tx : TransmitOptions
    lead_s, tail_s : float
        Capture from this long before the first key-down until this long after the last key-up.
    gain_db, ppm, seed : float or None, float, int or None
    grabs : GrabSettings or None
        Live grab options (frame, colour scale, palette, ``--on-grab`` hook, receiver,
        antenna); always into ``DIR/grabs`` (None: the defaults).
    web : tuple of (host, port) or None
        Start the dashboard (``station.web.start_server``) on the run folder.
    countdown_s : float
        Seconds between countdown lines while waiting.
    clock : Clock
    """

    schedule: str
    out: Path
    callsign: str
    source: str
    grid: str | None = None
    freq_mhz: float | None = None
    key: bool = False
    tx: TransmitOptions = field(default_factory=TransmitOptions)
    lead_s: float = 5.0
    tail_s: float = 5.0
    gain_db: float | None = None
    ppm: float = 0.0
    seed: int | None = None
    grabs: GrabSettings | None = None
    web: tuple[str, int] | None = None
    countdown_s: float = 10.0
    clock: Clock = field(default_factory=SystemClock)


@dataclass(frozen=True)
class ServiceOutcome:
    """How the run ended: ``state`` (``finished`` or ``stopped``), a line for people."""

    state: str
    text: str
    run_dir: Path


class _Run:
    """One service run: the journal, the status board, the child, and the threads' callbacks."""

    def __init__(self, req: ServiceRequest, plan: OperatorPlan, folder: RunState,
                 say: Callable[[str], None]) -> None:  # fmt: skip
        self.req, self.plan, self.folder, self.say = req, plan, folder, say
        self.dir = req.out
        self.journal = Journal(self.dir)
        self.loop: Any = None
        self.child: TransmitChild | None = None
        self._child_noted = False
        self.child_code: int | None = None
        self.board = StatusBoard(self.dir, plan, req.clock, keying=req.key,
                                 transmit=req.tx.transmit, waterfall=self.waterfall,
                                 tick=self.tick)  # fmt: skip
        self.done = set(folder.rounds_done)
        self.server: Any = None

    def now(self) -> datetime:
        return self.req.clock.now()

    # -- callbacks (capture, detection and status threads) ---------------------------

    def waterfall(self) -> dict[str, Any] | None:
        """Return the live waterfall of the operator's channel (or the first), or None."""
        grabber = getattr(self.loop, "grabber", None)
        if grabber is None:
            return None
        frame = grabber.waterfall(self.plan.letter) or grabber.waterfall()
        return None if frame is None else dict(frame.to_json())

    def _grabs(self) -> GrabSettings:
        """Return the live grabs' settings: the request's, into ``DIR/grabs``, station named."""
        grid = "" if self.plan.grid is None else str(self.plan.grid)
        base = self.req.grabs or GrabSettings(self.dir / "grabs")
        return replace(base, out_dir=self.dir / "grabs", callsign=self.plan.callsign.text,
                       grid=grid)  # fmt: skip

    def on_loop(self, loop: Any) -> None:
        self.loop = loop

    def on_round(self, result: RoundDetection) -> None:
        if result.round_number in self.done:  # never twice, across restarts
            return
        self.done.add(result.round_number)
        append_jsonl(self.dir / "rounds.jsonl", result.to_dict())
        self.journal.write("round", self.now(), round=result.round_number,
                           detected_on=list(result.detected_labels), note=result.note)  # fmt: skip
        self.say(result.summary())

    def on_note(self, text: str) -> None:
        self.journal.write("warning", self.now(), message=text)
        self.board.warn(text)
        self.say(f"warning: {text}")

    def on_grab(self, path: Path) -> None:
        rel = path.relative_to(self.dir) if path.is_relative_to(self.dir) else path
        self.journal.write("grab", self.now(), path=str(rel))

    def tick(self) -> None:
        """From the status thread: an early end of the child; the clock it measured."""
        child = self.child
        code = None if child is None else child.poll()
        if code and not self._child_noted:  # a refusal (e.g. the clock) or a failure
            self._child_noted = True
            self.on_note(f"transmit ended with exit code {code} (its output: tx.out)")
        starts = [r for r in read_jsonl(self.dir / "tx.jsonl") if r.get("type") == "start"]
        if starts:
            rec = starts[-1]
            self.board.clock_info = {"offset_s": rec.get("clock_offset_s"),
                                     "server": rec.get("clock_server"),
                                     "measured_utc": rec.get("utc")}  # fmt: skip

    # -- steps ------------------------------------------------------------------------

    def begin(self) -> None:
        """Write the ``start`` or ``resume`` line; start the child, the status thread, the web."""
        ev, now, f = self.plan.event, self.now(), self.folder
        if not f.resumed:
            self.journal.write(
                "start", now, event_id=ev.id, event_start_utc=format_utc(ev.start_utc),
                event_name=ev.name, callsign=self.plan.callsign.text, source=self.req.source,
                keying=self.req.key, transmit=self.req.tx.transmit,
            )  # fmt: skip
        else:
            down = None if f.last_utc is None else (now - f.last_utc).total_seconds()
            prev = f.previous_segment
            self.journal.write("resume", now, downtime_s=down, last_utc=_z(f.last_utc),
                               segment=f.next_segment,
                               previous_segment=None if prev is None else _rel(prev, self.dir),
                               rounds_done=sorted(f.rounds_done))  # fmt: skip
            self.say(f"resuming {self.dir} after {_secs(down)} down; rounds done: "
                     f"{sorted(f.rounds_done) or 'none'}")  # fmt: skip
        self.board.set_state("waiting")
        if self.req.key:  # before any thread is started (the child is forked)
            self.start_keying()
        self.board.start()
        if self.req.web is not None:
            self.server = _start_web(self.dir, *self.req.web)
            self.say(f"dashboard: {self.server.url}")

    def start_keying(self) -> None:
        req = self.req
        path = Path(req.schedule)
        schedule = str(path.resolve()) if path.is_file() else req.schedule
        argv = transmit_argv(schedule, self.plan.callsign.text, self.dir / "tx.jsonl", req.tx)
        self.child = TransmitChild(argv, self.dir / "tx.out")
        self.say(f"keying: transmit child pid {self.child.proc.pid} "
                 f"({'TRANSMITTING' if req.tx.transmit else 'dry run'})")  # fmt: skip

    def wait(self, stop: StopRequest) -> None:
        """Wait for the capture's start (``lead_s`` before the first key-down), counting down."""
        ev, clock = self.plan.event, self.req.clock
        begin = ev.start_utc - timedelta(seconds=self.req.lead_s)
        last_line = None
        while stop.reason is None and (left := (begin - clock.now()).total_seconds()) > 0:
            if last_line is None or last_line - left >= self.req.countdown_s:
                last_line = left
                self.say(f"waiting: {ev.name} starts at {format_utc(ev.start_utc, 'seconds')}, "
                         f"capture in {left:.0f} s")  # fmt: skip
            clock.sleep(min(0.2, left))

    def capture(self, stop: StopRequest) -> str:
        """Capture one segment until the event's end plus the tail; return the stop reason."""
        f, now = self.folder, self.now()
        number = f.next_segment
        out = segment_dir(self.dir, number)
        text = ""
        if f.resumed:
            down = 0.0 if f.last_utc is None else (now - f.last_utc).total_seconds()
            prev = f.previous_segment
            named = None if prev is None else _rel(prev, self.dir)
            text = resume_text(down, f.last_utc, now, named)
        until = self.plan.event.end_utc + timedelta(seconds=self.req.tail_s)
        spec = SegmentSpec(self.req.source, out, number, until, self._grabs(), text,
                           self.req.gain_db, self.req.ppm, self.req.seed)  # fmt: skip
        self.board.segment = number
        self.journal.write("segment", now, segment=number, dir=_rel(out, self.dir),
                           until_utc=_z(until), resume=text or None)  # fmt: skip
        self.board.set_state("capturing")
        self.say(f"capturing into {out} until {format_utc(until, 'seconds')}")
        result = capture_segment(spec, self.plan, self.req.clock, stop, on_round=self.on_round,
                                 on_status=self.board.store_capture, on_note=self.on_note,
                                 on_loop=self.on_loop, on_grab=self.on_grab)  # fmt: skip
        return result.stop_reason

    def report(self) -> None:
        ev = self.plan.event
        rep = build_report(self.dir, event_id=ev.id, rounds_total=ev.rounds)
        js, md = write_report(self.dir, rep)
        self.journal.write("report", self.now(), json=js.name, md=md.name,
                           rounds_detected=rep["rounds_detected"])  # fmt: skip
        self.say(f"report: {md} ({rep['rounds_detected']} of {ev.rounds} rounds detected)")

    def stop_child(self, grace_s: float = 0.0) -> None:
        """Let the child end on its own for ``grace_s``, then SIGTERM it; journal its exit."""
        if self.child is None or self.child_code is not None:
            return
        self.child_code = self.child.stop(grace_s=grace_s)
        self.say(f"transmit child exited with code {self.child_code}")

    def child_grace_s(self) -> float:
        """How long keying may still run after the capture (the last identification)."""
        last = self.plan.rounds[-1]
        done = self.plan.event.end_utc
        if last.ident_utc is not None:
            ident_s = self.plan.event.identification.duration_s(self.plan.callsign.text)
            done = max(done, last.ident_utc + timedelta(seconds=ident_s))
        return max(0.0, (done - self.now()).total_seconds()) + 5.0

    def end(self, state: str, reason: str) -> None:
        """Stop the child, the dashboard and the status thread; the ``stop`` line; the state."""
        self.stop_child()
        code = self.child_code
        if self.server is not None:
            self.server.stop()
        self.board.stop()
        self.journal.write("stop", self.now(), state=state, reason=reason, transmit_exit_code=code)
        self.board.set_state(state)
        self.journal.close()


def _z(when: datetime | None) -> str | None:
    return None if when is None else format_utc(when, "milliseconds")


def _secs(value: float | None) -> str:
    return "an unknown time" if value is None else f"{value:.1f} s"


def _rel(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


def _start_web(run_dir: Path, host: str, port: int) -> Any:
    """Start the dashboard (:func:`station.web.start_server`) on the run folder."""
    from station.web import start_server  # Starlette and uvicorn load only with --web

    return start_server(run_dir, host=host, port=port, token=None)


def run_service(req: ServiceRequest, say: Callable[[str], None] | None = None) -> ServiceOutcome:
    """Run the service (see the module notes) until the event's end or a stop signal.

    Raises
    ------
    InputError
        A bad event, callsign or source; ``req.out`` is a file, a non-empty folder
        that is not a run folder, or another event's run (nothing is touched then).
    """
    tell = say or (lambda text: None)
    event = load_event(req.schedule)
    plan = make_plan(event, req.callsign, grid=req.grid,
                     freq_hz=None if req.freq_mhz is None else req.freq_mhz * 1e6)  # fmt: skip
    parse_source(req.source)
    folder = open_run_folder(req.out, event.id, event.start_utc)
    if folder.finished:
        return ServiceOutcome("finished", f"{req.out}: the run of {event.id} is finished; "
                              "see report.md", req.out)  # fmt: skip
    run = _Run(req, plan, folder, tell)
    state, reason = "failed", "error"
    try:
        with stop_on_signals(StopRequest()) as stop:
            run.begin()
            run.wait(stop)
            if stop.reason is None and run.now() < event.end_utc + timedelta(seconds=req.tail_s):
                reason = run.capture(stop)
            state, reason = ("stopped", stop.reason) if stop.reason else ("finished", "event end")
            if state == "finished":
                run.stop_child(grace_s=run.child_grace_s())
                run.report()
    except Interrupted as exc:
        state, reason = "stopped", f"{exc.name} (forced)"
    finally:
        run.end(state, reason)
    return ServiceOutcome(state, f"{state}: {reason}; run folder {req.out}", req.out)
