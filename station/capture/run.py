"""Run a capture: open the plan's source, build its :class:`~station.capture.loop.CaptureLoop`.

The loop streams until the planned stop, the source's end or a stop request.

Examples
--------
>>> from station.capture.plan import plan_capture
>>> callable(run_capture)
True
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from station.capture.loop import CaptureLoop
from station.capture.plan import CapturePlan
from station.capture.rounds import RoundDetection
from station.capture.view import CaptureResult, CaptureStatus
from station.sdr.base import SourceInfo
from station.signals import StopRequest

__all__ = ["run_capture"]


def run_capture(
    plan: CapturePlan,
    *,
    stop: StopRequest | None = None,
    on_status: Callable[[CaptureStatus], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_round: Callable[[RoundDetection], None] | None = None,
    on_open: Callable[[SourceInfo], None] | None = None,
    detect_rounds: bool = True,
    pfa: float = 1e-3,
    on_loop: Callable[[CaptureLoop], None] | None = None,
    on_grab: Callable[[Path], None] | None = None,
) -> CaptureResult:
    """Open the plan's source and record until the planned stop, the source's end or ``stop``.

    Parameters
    ----------
    plan : CapturePlan
        From :func:`station.capture.plan.plan_capture`.
    stop : StopRequest, optional
        Checked after every block (see :func:`~station.signals.stop_on_signals`).
    on_status : callable, optional
        ``on_status(CaptureStatus)`` after every block, on the capture's thread: it
        must only store it.
    on_note : callable, optional
        ``on_note(text)`` for events worth a line (a gap).
    on_round : callable, optional
        ``on_round(RoundDetection)`` as each scheduled round is examined (from a
        worker thread unless ``plan.fast``).
    on_open : callable, optional
        ``on_open(SourceInfo)`` once the source is open and the files are created.
    detect_rounds : bool, optional
        With a schedule, detect each round as soon as it has been captured.
    pfa : float, optional
        False-alarm probability of those detections.
    on_loop : callable, optional
        ``on_loop(CaptureLoop)`` once the loop exists, before streaming (e.g. to read
        ``loop.grabber.waterfall()`` from another thread).
    on_grab : callable, optional
        ``on_grab(path)`` after each grab PNG is written (``plan.grabs``; from the
        grabber's thread).

    Returns
    -------
    CaptureResult

    Raises
    ------
    SourceError
        The source cannot be opened (nothing is written then), or failed for good
        mid-capture (every file is closed first).
    RecordingError
        Writing failed (the other files are closed first).
    """
    stop = stop if stop is not None else StopRequest()
    if hasattr(plan.source, "should_stop"):  # a source that waits on the network
        plan.source.should_stop = lambda: stop.reason is not None
    info = plan.source.open()
    try:
        loop = CaptureLoop(plan, info, on_note=on_note, on_round=on_round,
                           detect_rounds=detect_rounds, pfa=pfa, on_grab=on_grab)  # fmt: skip
    except BaseException:
        plan.source.close()
        raise
    if on_open is not None:
        on_open(info)
    if on_loop is not None:
        on_loop(loop)
    return loop.run(stop, on_status)
