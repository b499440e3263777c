"""One capture segment of a run: ``segments/NNN/``, planned, annotated and streamed.

:func:`capture_segment` plans a capture into the segment's folder (the event's
channels, until the event's end plus a tail) and runs it with
:func:`station.capture.run_capture`.  A segment after a restart carries, in every
SigMF file, an annotation labelled :data:`RESUME_LABEL` over its first sample whose
comment names the downtime (from the previous service's last journal or status time
to this segment's start) and the previous segment's folder; the journal's ``resume``
line holds the same figures.  An older segment is never written to (a SIGKILLed
one is left as the crash left it: its metadata lacks ``core:sha512``; ``hi-station
recording recover`` makes it valid again).

Every segment writes live QRSS grabs (:mod:`station.qrss`) into the run folder's
``grabs/``; the loop hook (``run_capture(on_loop=...)``) hands the service the capture
loop, whose grabber gives the page its waterfall.

Examples
--------
>>> RESUME_LABEL
'resume'
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from station.capture import (
    CapturePlan,
    CaptureResult,
    CaptureStatus,
    RoundDetection,
    plan_capture,
    run_capture,
)
from station.clock import Clock
from station.qrss import GrabSettings
from station.schedule import OperatorPlan
from station.signals import StopRequest
from station.utc import format_utc

__all__ = ["RESUME_LABEL", "SegmentSpec", "capture_segment", "resume_text"]

logger = logging.getLogger(__name__)

#: Label of the annotation at the start of a segment written after a restart.
RESUME_LABEL = "resume"


@dataclass(frozen=True)
class SegmentSpec:
    """How to capture one segment.

    Attributes
    ----------
    source : str
        ``--source`` (see :data:`station.sdr.spec.SOURCE_FORMS`).
    out_dir : pathlib.Path
        ``DIR/segments/NNN``.
    number : int
    until_utc : datetime
        Planned end (the event's last key-up plus the tail).
    grabs : GrabSettings
        The live QRSS grabs (into ``DIR/grabs``).
    resume_text : str
        The comment of the resume annotation ("" on a first start: none).
    gain_db, ppm : float or None, float
    seed : int or None
        The synthetic source's noise seed.
    """

    source: str
    out_dir: Path
    number: int
    until_utc: datetime
    grabs: GrabSettings
    resume_text: str = ""
    gain_db: float | None = None
    ppm: float = 0.0
    seed: int | None = None


def _annotate_resume(loop: Any, text: str) -> None:
    """Mark sample 0 of every file of the new segment with the downtime before it."""
    writers = [*loop.writers, *([loop.raw] if loop.raw is not None else [])]
    for writer in writers:
        writer.annotate(0, 1, RESUME_LABEL, text)


def _run(plan: CapturePlan, stop: StopRequest, hooks: dict[str, Any]) -> CaptureResult:
    """``run_capture`` with the service's hooks."""
    return run_capture(plan, stop=stop, **hooks)


def capture_segment(
    spec: SegmentSpec, plan: OperatorPlan, clock: Clock, stop: StopRequest, *,
    on_round: Callable[[RoundDetection], None], on_status: Callable[[CaptureStatus], None],
    on_note: Callable[[str], None], on_loop: Callable[[Any], None],
    on_grab: Callable[[Path], None],
) -> CaptureResult:  # fmt: skip
    """Plan and run one segment (see the module notes); ``on_loop(loop)`` gets the loop."""
    cap = plan_capture(
        spec.source, spec.out_dir, event=plan.event, until_utc=spec.until_utc, clock=clock,
        gain_db=spec.gain_db, freq_correction_ppm=spec.ppm, seed=spec.seed,
        grabs=spec.grabs,
    )  # fmt: skip

    def loop_ready(loop: Any) -> None:
        if spec.resume_text:
            _annotate_resume(loop, spec.resume_text)
        on_loop(loop)

    hooks = {"on_round": on_round, "on_status": on_status, "on_note": on_note,
             "on_loop": loop_ready, "on_grab": on_grab}  # fmt: skip
    return _run(cap, stop, hooks)


def resume_text(downtime_s: float, last_utc: datetime | None, now: datetime,
                previous: str | None) -> str:  # fmt: skip
    """Return the resume annotation's comment.

    Examples
    --------
    >>> from datetime import UTC, timedelta
    >>> t = datetime(2026, 12, 5, tzinfo=UTC)
    >>> resume_text(12.5, t, t + timedelta(seconds=12.5), "segments/001")
    'service resumed after 12.5 s down (2026-12-05T00:00:00.000Z to 2026-12-05T00:00:12.500Z); previous segment segments/001'
    """  # noqa: E501
    since = "unknown" if last_utc is None else format_utc(last_utc, "milliseconds")
    return (f"service resumed after {downtime_s:.1f} s down ({since} to "
            f"{format_utc(now, 'milliseconds')}); previous segment {previous}")  # fmt: skip
