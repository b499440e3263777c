"""Capture sessions: record the band from an I/Q source as narrow SigMF channels.

:func:`plan_capture` (:mod:`station.capture.plan`) checks everything a capture needs
before any device, network or file is touched, with the tuning of
:mod:`station.capture.tuning` and the channels of :mod:`station.channels` (shared
with replay); :func:`run_capture` (:mod:`station.capture.run`, the loop in
:mod:`station.capture.loop`) streams the source
into one crash-safe recording per channel; :mod:`station.capture.view` is what the
user sees (status, levels, the result) and :mod:`station.capture.rounds` the
detection of each scheduled round while capturing.  Stop signals are
:mod:`station.signals` (:func:`~station.signals.stop_on_signals`).
"""

from station.capture.plan import CapturePlan, plan_capture
from station.capture.rounds import ChannelRound, RoundDetection
from station.capture.run import run_capture
from station.capture.view import CaptureResult, CaptureStatus, ChannelFile

__all__ = [
    "CapturePlan",
    "CaptureResult",
    "CaptureStatus",
    "ChannelFile",
    "ChannelRound",
    "RoundDetection",
    "plan_capture",
    "run_capture",
]
