"""Live QRSS grabs while capturing: :class:`LiveGrabber` and the page's :class:`Waterfall`.

The capture loop feeds every block of channel outputs to :meth:`LiveGrabber.feed`
(like :class:`station.capture.rounds.RoundWatcher`); an incremental spectrogram
(:class:`dsp.spectrogram.StreamingSpectrogram`, bins from the dit:
:func:`dsp.spectrogram.qrss_resolution`) keeps only the columns of the current frame
and a running sum over the event's rounds, so memory is bounded however long it runs.
Each finished frame (aligned to the event's start, else to the UTC clock; from sample
0 without a start time) is drawn on a worker thread, one PNG per channel with the
expected key-downs outlined, then ``on_grab(path)`` and the ``--on-grab`` hook run
there too; after each round the stacked frame is rewritten (atomically).  A live
capture never waits for matplotlib: when the worker is a few frames behind, a frame is
skipped and said; a fast capture (``synchronous``) waits instead.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from station.channels import Channel
>>> from station.qrss.settings import GrabSettings
>>> g = LiveGrabber(GrabSettings(Path(tempfile.mkdtemp()), frame_s=60.0, dit_s=2.0),
...                 [Channel("A", 28.3e6)], 2000.0, None)
>>> g.feed(np.zeros((1, 4000), np.complex64))
>>> w = g.waterfall()
>>> w.n_freq, w.n_time, w.column_s
(101, 3, 0.5)
>>> g.close()
"""

from __future__ import annotations

import base64
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dsp.spectrogram import Spectrogram, StreamingSpectrogram, qrss_resolution
from station.channels import Channel
from station.qrss.hook import run_hook
from station.qrss.render import EPOCH_UTC, GrabFrame, Outline, grab_levels, grab_name, render_grab
from station.qrss.settings import GrabSettings
from station.schedule.event import Event
from station.utc import format_utc

__all__ = ["SPAN_HZ", "LiveGrabber", "Waterfall"]

logger = logging.getLogger(__name__)

#: Height of a grab, Hz (at most 90 % of the channel).
SPAN_HZ = 100.0
_DEFAULT_DIT_S = 30.0
_QUEUE_FRAMES = 3


@dataclass(frozen=True)
class Waterfall:
    """The current frame of one channel in the grab's colour scale (``waterfall.json``).

    ``pixels`` is uint8, shape ``(n_time, n_freq)``, time-major, oldest first: 0 is
    ``db_lo``, 255 ``db_hi`` (dB over the noise floor); frequencies are offsets from
    ``freq_hz``.
    """

    label: str
    freq_hz: float
    start_utc: datetime | None
    column_s: float
    freq_lo_hz: float
    freq_step_hz: float
    db_lo: float
    db_hi: float
    pixels: np.ndarray

    @property
    def n_time(self) -> int:
        """Time rows (spectrogram columns) so far."""
        return int(self.pixels.shape[0])

    @property
    def n_freq(self) -> int:
        """Frequency bins."""
        return int(self.pixels.shape[1])

    def to_json(self) -> dict[str, Any]:
        """Return the ``waterfall.json`` object (CONTRACT schema, version 1)."""
        n_time, n_freq = self.pixels.shape
        return {
            "version": 1, "label": self.label, "freq_hz": self.freq_hz,
            "start_utc": None if self.start_utc is None else format_utc(self.start_utc),
            "column_s": self.column_s, "freq_lo_hz": self.freq_lo_hz,
            "freq_step_hz": self.freq_step_hz, "n_freq": n_freq, "n_time": n_time,
            "db_lo": self.db_lo, "db_hi": self.db_hi,
            "pixels_b64": base64.b64encode(np.ascontiguousarray(self.pixels).tobytes()).decode(),
        }  # fmt: skip


@dataclass
class _Frame:
    index: int  # from the origin
    columns: list[np.ndarray]  # each (n_channels, n_freqs, k)
    first_s: float | None = None  # centre of its first column, s from the frame's start


class LiveGrabber:
    """Draw QRSS grabs of every channel while the capture runs (see the module notes).

    Parameters
    ----------
    settings : GrabSettings
    channels : sequence of Channel
        In the order of the rows fed to :meth:`feed`.
    sample_rate_hz : float
        Channel output rate, Hz.
    start_utc : datetime or None
        Time of channel sample 0 (None: frames counted from it, no outlines or stack).
    event : Event, optional
        Frame length (its round period unless set), dit, outlines, stacked frame.
    stem : str, optional
        Name of grabs without a start time (``<stem>_f<n>_<label>.png``).
    on_grab, on_note : callable, optional
        ``on_grab(path)`` after each PNG; ``on_note(text)`` for a hook failure or a
        skipped frame (both from the worker thread).
    synchronous : bool, optional
        Wait for the worker instead of skipping a frame (fast captures).

    Attributes
    ----------
    paths : list of pathlib.Path
        Every PNG written, in order (the stacked frame each time it is rewritten).  A
        frame's grab never replaces a file: an existing name gets ``-2``, ``-3``...
    """

    def __init__(
        self, settings: GrabSettings, channels: Sequence[Channel], sample_rate_hz: float,
        start_utc: datetime | None, *, event: Event | None = None, stem: str = "capture",
        on_grab: Callable[[Path], None] | None = None,
        on_note: Callable[[str], None] | None = None, synchronous: bool = False,
    ) -> None:  # fmt: skip
        self.settings, self._channels = settings, list(channels)
        self._start, self._stem = start_utc, stem
        self._event = event if start_utc is not None else None
        self._on_grab, self._say = on_grab, on_note or (lambda text: None)
        self._sync = synchronous
        self.frame_s = settings.frame_for(None if event is None else event.round_period_s)
        dit_s = settings.dit_s or (event.dit_s if event is not None else _DEFAULT_DIT_S)
        self.resolution = qrss_resolution(dit_s, self.frame_s)
        half = min(SPAN_HZ / 2, 0.45 * sample_rate_hz)
        self._stft = StreamingSpectrogram(len(self._channels), sample_rate_hz,
                                          bin_hz=self.resolution.bin_hz, span_hz=2 * half)
        origin = EPOCH_UTC if event is None else event.start_utc
        # s from sample 0 to the origin of the frames (0: frames from sample 0)
        self._origin_s = 0.0 if start_utc is None else (origin - start_utc).total_seconds()
        self._frame: _Frame | None = None
        self._lock = threading.Lock()
        self._stack = _Stack(self._event, start_utc, self._stft, len(self._channels))
        self.paths: list[Path] = []
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(
            maxsize=0 if synchronous else _QUEUE_FRAMES
        )
        self._thread = threading.Thread(target=self._work, name="grabber", daemon=True)
        self._thread.start()

    # -- the data path ----------------------------------------------------------------

    def feed(self, rows: np.ndarray) -> None:
        """Take the next channel outputs, shape ``(n_channels, m)``."""
        first, power = self._stft.feed(rows)
        if power.shape[2] == 0:
            return
        t_s = self._stft.column_time_s(np.arange(first, first + power.shape[2]))
        k = np.floor((t_s - self._origin_s) / self.frame_s).astype(int)
        for frame_index in np.unique(k):
            part = power[:, :, k == frame_index]
            with self._lock:
                if self._frame is not None and self._frame.index != frame_index:
                    self._submit(self._frame_job(self._frame))
                    self._frame = None
                if self._frame is None:
                    t0 = float(t_s[k == frame_index][0]) - self._frame_left_s(int(frame_index))
                    self._frame = _Frame(int(frame_index), [], t0)
                self._frame.columns.append(part)
        snap = self._stack.add(t_s, power)
        if snap is not None:
            self._submit(self._stack_job(snap))

    def _frame_left_s(self, index: int) -> float:
        """Left edge of frame ``index``, s from sample 0."""
        return self._origin_s + index * self.frame_s

    def _submit(self, job: Callable[[], None]) -> None:
        try:
            self._jobs.put(job, block=self._sync)
        except queue.Full:
            self._say("grabber: drawing fell behind; a grab was skipped")

    # -- the worker -------------------------------------------------------------------

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception as exc:  # a grab must never end the capture
                logger.warning("grab failed: %s", exc)
                self._say(f"grab failed: {' '.join(str(exc).split())}")

    def _written(self, path: Path) -> None:
        self.paths.append(path)
        if self._on_grab is not None:
            try:
                self._on_grab(path)
            except Exception as exc:
                logger.warning("on_grab(%s) failed: %s", path, exc)
        if self.settings.on_grab is not None:
            problem = run_hook(self.settings.on_grab, path, self.settings.hook_timeout_s)
            if problem is not None:
                logger.warning("%s", problem)
                self._say(problem)

    def _spec(self, columns: list[np.ndarray], first_s: float) -> tuple[np.ndarray, np.ndarray]:
        power = np.concatenate(columns, axis=2)
        times = first_s + np.arange(power.shape[2]) * self._stft.column_s
        return power, times

    def _frame_job(self, frame: _Frame) -> Callable[[], None]:
        power, times = self._spec(frame.columns, frame.first_s or 0.0)
        left_s = self._frame_left_s(frame.index)
        f0 = None if self._start is None else self._start + timedelta(seconds=left_s)
        outlines = self._outlines(left_s)
        number = frame.index + 1

        def job() -> None:
            if power.shape[2] < 2:
                return
            for i, ch in enumerate(self._channels):
                name = (f"{self._stem}_f{number}_{ch.label}.png" if f0 is None else
                        grab_name(self.settings.callsign, f0).replace(".png", f"_{ch.label}.png"))
                self._draw(power[i], times, ch, name, GrabFrame(f0, self.frame_s, left_s),
                           outlines, "")  # fmt: skip

        return job

    def _stack_job(self, snap: _Snapshot) -> Callable[[], None]:
        power, n_rounds, first = snap
        times = self._stft.column_s * np.arange(power.shape[2])
        ev = self._event
        assert ev is not None
        outlines = [Outline(a, b, "white") for a, b in ev.key_down_s]

        def job() -> None:
            for i, ch in enumerate(self._channels):
                name = grab_name(self.settings.callsign, first).replace(
                    ".png", f"_stack_{ch.label}.png")  # fmt: skip
                self._draw(power[i], times, ch, name,
                           GrabFrame(first, ev.round_period_s, into_round=True), outlines,
                           f", {n_rounds} round{'s' if n_rounds != 1 else ''} stacked",
                           overwrite=True)  # fmt: skip

        return job

    def _draw(
        self, power: np.ndarray, times: np.ndarray, ch: Channel, name: str, frame: GrabFrame,
        outlines: list[Outline], what: str, overwrite: bool = False,
    ) -> None:  # fmt: skip
        spec = Spectrogram(times, self._stft.freqs_hz, power, self._stft.bin_hz)
        target = self.settings.out_dir / name
        if not overwrite:  # never replace a grab (e.g. of a capture before a restart)
            n = 1
            while target.exists():
                n += 1
                target = target.with_name(f"{Path(name).stem}-{n}.png")
        path = render_grab(
            spec, target, frame=frame, look=self.settings,
            dial_freq_hz=ch.freq_hz, width_px=qrss_resolution(
                self.settings.dit_s or (self._event.dit_s if self._event else _DEFAULT_DIT_S),
                frame.frame_s).width_px,
            title=f"channel {ch.label}: {spec.bin_hz:.3g} Hz bins, "
                  f"{self._stft.column_s:.3g} s columns{what}",
            outlines=outlines, overwrite=overwrite,
        )  # fmt: skip
        self._written(path)

    def _outlines(self, left_s: float) -> list[Outline]:
        """Return the event's key-downs inside the frame starting ``left_s`` after sample 0."""
        ev, t0 = self._event, self._start
        if ev is None or t0 is None:
            return []
        out: list[Outline] = []
        for k in range(ev.rounds):
            base = (ev.round_start_utc(k) - t0).total_seconds() - left_s
            if base >= self.frame_s:
                break
            out.extend(Outline(base + a, base + b, "white") for a, b in ev.key_down_s
                       if base + b > 0 and base + a < self.frame_s)  # fmt: skip
        return out

    # -- for the page and the end -------------------------------------------------------

    def waterfall(self, label: str | None = None) -> Waterfall | None:
        """Return the current frame of channel ``label`` (None: the first; None before data)."""
        labels = [c.label for c in self._channels]
        i = 0 if label is None else labels.index(label) if label in labels else -1
        if i < 0:
            return None
        with self._lock:
            frame = self._frame
            cols = [] if frame is None else [c[i] for c in frame.columns]
            first_s = 0.0 if frame is None else frame.first_s or 0.0
            left_s = 0.0 if frame is None else self._frame_left_s(frame.index)
        if not cols:
            return None
        power = np.concatenate(cols, axis=1)
        db, lo, hi = grab_levels(power, self.settings.db_min, self.settings.db_max)
        pixels = np.clip(np.round((db - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8).T
        t0 = None if self._start is None else self._start + timedelta(seconds=left_s + first_s)
        f = self._stft.freqs_hz
        return Waterfall(labels[i], self._channels[i].freq_hz, t0, self._stft.column_s,
                         float(f[0]), self._stft.bin_hz, lo, hi, pixels)  # fmt: skip

    def close(self, *, wait: bool = True) -> None:
        """Draw the last (partial) frame and stack (``wait``), then stop the worker."""
        with self._lock:
            frame, self._frame = self._frame, None
        if wait and frame is not None:
            self._jobs.put(self._frame_job(frame))
        if wait and self._stack.pending:
            self._jobs.put(self._stack_job(self._stack.snapshot()))
        if not wait:
            with self._jobs.mutex:
                self._jobs.queue.clear()
        self._jobs.put(None)
        self._thread.join(timeout=None if wait else 5.0)


class _Stack:
    """Running sum of the event's whole rounds, column by column into the round."""

    def __init__(self, event: Event | None, start_utc: datetime | None,
                 stft: StreamingSpectrogram, n_channels: int) -> None:  # fmt: skip
        self._event, self._stft = event, stft
        self.pending = False
        self._rounds: set[int] = set()
        self._last = -1
        if event is None or start_utc is None:
            self._sum = None
            return
        self._base_s = (event.start_utc - start_utc).total_seconds()
        n = int(round(event.round_period_s / stft.column_s))
        self._sum = np.zeros((n_channels, stft.freqs_hz.size, n), np.float64)
        self._count = np.zeros(n, np.int64)
        self._first_round = None if self._base_s < 0 else 0
        if self._base_s < 0:  # rounds begun before the capture are not whole
            self._first_round = int(np.ceil(-self._base_s / event.round_period_s))
        self.first_utc: datetime | None = None

    def add(self, t_s: np.ndarray, power: np.ndarray) -> _Snapshot | None:
        """Add columns (centres ``t_s`` from sample 0); the stack when a round has just ended."""
        if self._sum is None or self._event is None or self._first_round is None:
            return None
        ev = self._event
        into = t_s - self._base_s
        r = np.floor(into / ev.round_period_s).astype(int)
        c = np.floor((into - r * ev.round_period_s) / self._stft.column_s + 0.5).astype(int)
        ok = (r >= self._first_round) & (r < ev.rounds) & (c >= 0) & (c < self._count.size)
        snap = None
        if self.pending and r.size and r.max() > self._last:  # the last round is over
            self._accumulate(ok & (r <= self._last), r, c, power)
            snap = self.snapshot()
            ok &= r > self._last
        self._accumulate(ok, r, c, power)
        return snap

    def _accumulate(self, ok: np.ndarray, r: np.ndarray, c: np.ndarray, power: np.ndarray) -> None:
        assert self._sum is not None and self._event is not None
        for j in np.nonzero(ok)[0]:
            self._sum[:, :, c[j]] += power[:, :, j]
            self._count[c[j]] += 1
            self._rounds.add(int(r[j]))
        if ok.any():
            if self.first_utc is None:
                self.first_utc = self._event.round_start_utc(int(r[ok][0]))
            self._last = max(self._last, int(r[ok].max()))
            self.pending = True

    def snapshot(self) -> _Snapshot:
        """Return the average so far, the number of rounds in it and the first round's start."""
        assert self._sum is not None and self.first_utc is not None
        n = int(np.nonzero(self._count)[0].max()) + 1
        avg = self._sum[:, :, :n] / np.maximum(self._count[:n], 1)
        self.pending = False
        return avg.astype(np.float32), len(self._rounds), self.first_utc


_Snapshot = tuple[np.ndarray, int, datetime]
