"""Per-round detection while capturing: a bounded rolling buffer and a worker thread.

:class:`RoundWatcher` keeps each channel's last round (its keyed span plus at most a
minute, so memory stays constant however long the capture runs) and runs
known-template detection (:func:`station.analysis.detect_recording`) and blind
decoding of every keyed signal (:func:`station.analysis.decode_recording`) on each
scheduled round as soon as its last key-up has been captured, on a worker thread so
the data path never waits for it; the result is a :class:`RoundDetection`.

Examples
--------
>>> from datetime import UTC, datetime
>>> r = RoundDetection(3, datetime(2013, 10, 9, 18, 20, tzinfo=UTC), (), "detection failed: x")
>>> r.summary()
'round 3 (18:20:00Z): detection failed: x'
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from dsp.results import DecodedSignal
from station.analysis import decode_recording, detect_recording
from station.channels import Channel, search_hz
from station.recording import Recording
from station.schedule.event import Event
from station.utc import format_hms, format_utc

__all__ = ["ChannelRound", "RoundDetection", "RoundWatcher"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelRound:
    """One channel's detection of one round.

    Attributes
    ----------
    label : str
    freq_hz : float
        RF centre of the channel, Hz.
    detected : bool
    false_alarm_probability : float
    snr2500_db : float or None
        Estimated carrier SNR2500 of the best track.
    offset_hz : float
        Best track's frequency relative to the channel centre, Hz.
    signals : tuple of DecodedSignal
        Every keyed signal blind-decoded in the round (offsets from the channel
        centre), readable ones first.
    """

    label: str
    freq_hz: float
    detected: bool
    false_alarm_probability: float
    snr2500_db: float | None
    offset_hz: float
    signals: tuple[DecodedSignal, ...] = ()

    def heard(self) -> str:
        """Describe the texts heard, e.g. ``"HI +3.5 Hz, VVV -120.0 Hz"`` ("" when none).

        Examples
        --------
        >>> ChannelRound("L", 28.35e6, True, 1e-9, -12.0, 3.5).heard()
        ''
        """
        return ", ".join(f"{s.text} {s.freq_hz:+.1f} Hz" for s in self.signals if s.text)


@dataclass(frozen=True, slots=True)
class RoundDetection:
    """Detection of one scheduled round on every channel.

    Attributes
    ----------
    round_number : int
        Event round number, from 1.
    start_utc : datetime
        The round's start.
    channels : tuple of ChannelRound
        Empty when the round could not be examined (see ``note``).
    note : str
        Why a round was not examined (e.g. the detector fell too far behind).
    """

    round_number: int
    start_utc: datetime
    channels: tuple[ChannelRound, ...]
    note: str = ""

    @property
    def detected_labels(self) -> tuple[str, ...]:
        """Labels of the channels where the round was detected."""
        return tuple(c.label for c in self.channels if c.detected)

    def summary(self) -> str:
        """One line for the operator.

        Examples
        --------
        >>> from datetime import UTC, datetime
        >>> r = RoundDetection(3, datetime(2013, 10, 9, 18, 20, tzinfo=UTC),
        ...                    (ChannelRound("L", 28.35e6, True, 1e-9, -12.0, 3.5),))
        >>> r.summary()
        'round 3 (18:20:00Z): detected on L (-12.0 dB SNR2500, +3.5 Hz)'
        """
        head = f"round {self.round_number} ({format_hms(self.start_utc)})"
        if self.note:
            return f"{head}: {self.note}"
        hits = [c for c in self.channels if c.detected]
        if not hits:
            heard = [f"{c.label}: {c.heard()}" for c in self.channels if c.heard()]
            decoded = f"; decoded {'; '.join(heard)}" if heard else ""
            return f"{head}: not detected on {len(self.channels)} channel(s){decoded}"
        parts = [
            f"{c.label} ("
            + ("" if c.snr2500_db is None else f"{c.snr2500_db:.1f} dB SNR2500, ")
            + f"{c.offset_hz:+.1f} Hz)"
            for c in hits
        ]
        heard = [f"{c.label}: {c.heard()}" for c in self.channels if c.heard()]
        decoded = f"; decoded {'; '.join(heard)}" if heard else ""
        return f"{head}: detected on " + ", ".join(parts) + decoded

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "round_number": self.round_number,
            "start_utc": format_utc(self.start_utc),
            "note": self.note,
            "channels": [asdict(c) for c in self.channels],  # signals included
        }


class RoundWatcher:
    """Detect each scheduled round in every channel as soon as it has been captured.

    Parameters
    ----------
    event : Event
        The schedule; rounds that started before the capture are skipped.
    channels : sequence of Channel
        In the order of the rows fed to :meth:`feed`.
    sample_rate_hz : float
        Channel output rate, Hz.
    start_utc : datetime
        Time of channel sample 0.
    pfa : float, optional
        False-alarm probability of each round's detection.
    on_result : callable, optional
        ``on_result(RoundDetection)``, called from the worker thread.
    synchronous : bool, optional
        Detect in :meth:`feed` itself (for captures faster than real time, where
        nothing is lost by waiting and a worker could fall behind).
    center_freq_hz : float, optional
        Tuned frequency of the capture (where I/Q images mirror), Hz.

    Attributes
    ----------
    results : list of RoundDetection
        In round order.
    buffer_s : float
        Length of the rolling buffer, s.
    """

    def __init__(
        self,
        event: Event,
        channels: Sequence[Channel],
        sample_rate_hz: float,
        start_utc: datetime,
        *,
        pfa: float = 1e-3,
        on_result: Callable[[RoundDetection], None] | None = None,
        synchronous: bool = False,
        center_freq_hz: float | None = None,
    ) -> None:
        self._event, self._channels = event, list(channels)
        self._center_hz = center_freq_hz
        self._rate, self._start = float(sample_rate_hz), start_utc
        self._pfa, self._on_result = pfa, on_result
        self._kd = np.array(event.key_down_s, dtype=float)
        span_s = float(self._kd[-1, 1] - self._kd[0, 0])
        slack_s = max(5.0, min(60.0, event.round_period_s - span_s))
        self.buffer_s = span_s + slack_s
        self._size = int(math.ceil(self.buffer_s * self._rate))
        self._ring = np.zeros((len(self._channels), self._size), np.complex64)
        self._total = 0
        self._lock = threading.Lock()
        self._next = 0
        while self._next < event.rounds and self._round_s(self._next, 0) < 0:
            self._next += 1  # started before the capture: not whole
        self.results: list[RoundDetection] = []
        self._synchronous = synchronous
        self._jobs: queue.Queue[tuple[int, int, int] | None] = queue.Queue()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def _round_s(self, k: int, column: int) -> float:
        """First key-down (column 0) or last key-up (1) of round ``k``, s from sample 0."""
        base = (self._event.round_start_utc(k) - self._start).total_seconds()
        return base + float(self._kd[0, 0] if column == 0 else self._kd[-1, 1])

    def feed(self, rows: np.ndarray) -> None:
        """Take the next channel outputs, shape ``(n_channels, m)``; start rounds now complete."""
        m = rows.shape[1]
        with self._lock:
            if m >= self._size:
                rows, skipped = rows[:, -self._size :], m - self._size
                self._total += skipped
                m = self._size
            at = self._total % self._size
            first = min(m, self._size - at)
            self._ring[:, at : at + first] = rows[:, :first]
            self._ring[:, : m - first] = rows[:, first:]
            self._total += m
            total = self._total
        while self._next < self._event.rounds:
            a = int(math.floor(self._round_s(self._next, 0) * self._rate))
            b = int(math.ceil(self._round_s(self._next, 1) * self._rate))
            if b > total:
                break
            job = (self._next, a, b)
            self._next += 1
            if self._synchronous:
                self._run(job)
            else:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._work, name="round-detector", daemon=True
                    )
                    self._thread.start()
                self._jobs.put(job)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if not self._cancel.is_set():
                self._run(job)
            self._jobs.task_done()
        self._jobs.task_done()

    def _copy(self, a: int, b: int, row: int) -> np.ndarray | None:
        with self._lock:
            if a < self._total - self._size:
                return None  # overwritten meanwhile
            idx = np.arange(a, b) % self._size
            return self._ring[row, idx]

    def _run(self, job: tuple[int, int, int]) -> None:
        k, a, b = job
        start = self._event.round_start_utc(k)
        found: list[ChannelRound] = []
        note = ""
        try:
            for i, ch in enumerate(self._channels):
                if self._cancel.is_set():
                    return
                x = self._copy(a, b, i)
                if x is None:
                    note = "not examined: the detector fell a round behind"
                    found = []
                    break
                t0 = self._start + timedelta(seconds=a / self._rate)
                rec = Recording(x, self._rate, ch.freq_hz, t0, "iq")
                iv = self._kd + (start - t0).total_seconds()
                image = None if self._center_hz is None else self._center_hz - ch.freq_hz
                search = search_hz(self._rate)
                with np.errstate(divide="ignore", invalid="ignore"):  # a silent (lost) round
                    det = detect_recording(rec, [iv], search_hz=search, pfa=self._pfa)
                    dec = decode_recording(rec, search_hz=search, pfa=self._pfa,
                                           image_center_hz=image)  # fmt: skip
                r = det.rounds[0]
                found.append(ChannelRound(ch.label, ch.freq_hz, bool(r.detected),
                                          float(r.false_alarm_probability), r.snr2500_db,
                                          float(r.freq_hz), dec.signals))  # fmt: skip
        except Exception as exc:  # a detector failure must not end the capture
            logger.warning("round %d: detection failed: %s", k + 1, exc)
            note, found = f"detection failed: {' '.join(str(exc).split())}", []
        result = RoundDetection(k + 1, start, tuple(found), note)
        self.results.append(result)
        if self._on_result is not None:
            self._on_result(result)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker: after the rounds queued (``wait``) or after the current one."""
        if self._thread is None:
            return
        if not wait:
            self._cancel.set()
        self._jobs.put(None)
        self._thread.join(timeout=None if wait else 5.0)
        self._thread = None
