"""The streaming half of a capture: source -> channelizer -> SigMF writers.

:func:`~station.capture.run.run_capture` opens a plan's source and runs a
:class:`CaptureLoop`: each block is clipped to the planned end, a gap before it
(``IQBlock.dropped_before``) is fed to the channelizer as zeros and annotated
``"gap"`` in every channel file (the raw writer zero-fills and annotates it itself),
the block goes to the raw writer as received and through the channelizer to the
channel writers, and the live-view helpers (:mod:`station.capture.view`) see the
channel outputs.  Whatever ends the capture, every writer is closed with its final
metadata (``core:sha512``).

A :class:`~station.signals.StopRequest` is checked after every block (and by a
network source while it waits); an :class:`~station.signals.Interrupted` raised out
of a blocked read (a second stop signal) becomes a clean, forced stop.  A
live source far slower than its rate stops :data:`LATE_S` after the planned end by the
clock, short of it and said so, rather than running on.

Examples
--------
>>> KEY_DOWN_LABEL
'key-down'
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dsp.channelize import Channelizer
from station._atomic import make_output_dir
from station.capture.plan import CapturePlan
from station.capture.rounds import RoundDetection, RoundWatcher
from station.capture.view import (
    CaptureResult,
    CaptureStatus,
    ChannelFile,
    LevelMeter,
    rate_warning,
)
from station.channels import channel_offsets_hz
from station.errors import SourceError
from station.qrss.live import LiveGrabber
from station.recording import GAP_LABEL, SigmfStreamWriter
from station.sdr.base import IQBlock, SourceInfo
from station.signals import Interrupted, StopRequest

__all__ = [
    "FAST_SOURCE_LABEL", "KEY_DOWN_LABEL", "LATE_S", "LIVE_KINDS", "CaptureLoop",
]  # fmt: skip

logger = logging.getLogger(__name__)

#: Label of the scheduled key-down annotations.
KEY_DOWN_LABEL = "key-down"
_LIVE_BLOCK_S = 0.1
_FAST_BLOCK = 1 << 18
_GAP_CHUNK = 1 << 18
#: Sources whose samples come from a receiver running in real time.
LIVE_KINDS = ("rtlsdr", "rtl_tcp", "audio")
#: Label of the annotation over a recording whose live source ran off its rate.
FAST_SOURCE_LABEL = "source-rate"
#: A live source still short of the planned samples this long after the planned end (by
#: the clock) stops there: it is far slower than its rate.
LATE_S = 3.0


def _clipped(block: IQBlock, keep: int) -> IQBlock:
    """Return the first ``keep`` samples of ``block`` (and of its raw bytes)."""
    raw = block.raw
    if raw is not None and block.samples.size:
        raw = raw[: keep * (len(raw) // block.samples.size)]
    return IQBlock(block.samples[:keep], block.start_sample, block.dropped_before, raw)


def _mark(writer: SigmfStreamWriter, a_s: float, b_s: float, sample_rate_hz: float, comment: str,
          lo_hz: float, hi_hz: float) -> None:  # fmt: skip
    s0, s1 = max(0, round(a_s * sample_rate_hz)), round(b_s * sample_rate_hz)
    if s1 > s0:
        writer.annotate(s0, s1 - s0, KEY_DOWN_LABEL, comment, lo_hz, hi_hz)


class CaptureLoop:
    """The writers, channelizer and counters of one capture (made by :func:`run_capture`).

    Opening it creates ``plan.out_dir`` and every recording (metadata first, with the
    scheduled key-down annotations queued); :meth:`run` streams until the stop.
    """

    def __init__(
        self,
        plan: CapturePlan,
        info: SourceInfo,
        *,
        on_note: Callable[[str], None] | None = None,
        on_round: Callable[[RoundDetection], None] | None = None,
        detect_rounds: bool = True,
        pfa: float = 1e-3,
        on_grab: Callable[[Path], None] | None = None,
    ) -> None:
        self.plan, self.info, self.source = plan, info, plan.source
        self._say = on_note or (lambda text: None)
        rate = info.sample_rate_hz
        offsets = channel_offsets_hz(plan.channels, info.center_freq_hz)
        self.bank = Channelizer(
            rate, offsets, plan.channel_rate_hz, passband_hz=0.9 * plan.channel_rate_hz
        )
        self.rate_ch = self.bank.out_rate_hz
        self.end: int | None = None
        if plan.duration_s is not None:
            self.end = int(round(plan.duration_s * rate))
        elif plan.end_utc is not None and info.start_utc is not None:
            self.end = max(0, int(round((plan.end_utc - info.start_utc).total_seconds() * rate)))
        self.block_n = _FAST_BLOCK if plan.fast else max(4096, int(round(_LIVE_BLOCK_S * rate)))
        self.pos = self.dropped = self.gaps = 0
        self._wall_end: float | None = None  # a live source's planned end, time.monotonic()
        #: Whether a live source stopped at the planned end by the clock, short of samples.
        self.short = False
        self.writers: list[SigmfStreamWriter] = []
        self.raw: SigmfStreamWriter | None = None
        created = make_output_dir(plan.out_dir)
        try:
            self._open_writers()
            self._annotate_schedule()
        except BaseException:
            self._close(wait=False, strict=False)
            if created:  # leave nothing behind (e.g. a disk too full for the metadata)
                with contextlib.suppress(OSError):
                    plan.out_dir.rmdir()
            raise
        self.meter = LevelMeter(len(plan.channels), self.rate_ch)
        self.watcher: RoundWatcher | None = None
        if detect_rounds and plan.event is not None and info.start_utc is not None:
            self.watcher = RoundWatcher(
                plan.event, plan.channels, self.rate_ch, info.start_utc, pfa=pfa,
                on_result=on_round, synchronous=plan.fast, center_freq_hz=info.center_freq_hz,
            )  # fmt: skip
        #: The live QRSS grabber (``plan.grabs``), None without grabs.
        self.grabber: LiveGrabber | None = None
        if plan.grabs is not None:
            try:
                make_output_dir(plan.grabs.out_dir)
                self.grabber = LiveGrabber(
                    plan.grabs, plan.channels, self.rate_ch, info.start_utc, event=plan.event,
                    stem=plan.out_dir.name, on_grab=on_grab, on_note=self._say,
                    synchronous=plan.fast,
                )  # fmt: skip
            except BaseException:
                self._close(wait=False, strict=False)
                raise

    def _open_writers(self) -> None:
        """Create every recording (metadata first): one per channel, and the raw stream."""
        plan, info, rate = self.plan, self.info, self.info.sample_rate_hz
        common: dict[str, Any] = {  # the settings every file of the capture shares
            "start_utc": info.start_utc, "hardware": info.hardware,
            "freq_correction_ppm": info.freq_correction_ppm, "overwrite": plan.overwrite,
        }  # fmt: skip
        where = f"{info.center_freq_hz / 1e6:.6f} MHz at {rate:g} S/s from {info.hardware}"
        for ch, path in zip(plan.channels, plan.channel_paths, strict=True):
            self.writers.append(SigmfStreamWriter(
                path, datatype="cf32_le", sample_rate_hz=self.rate_ch,
                center_freq_hz=ch.freq_hz, **common,
                description=f"hi-station capture: channel {ch.label} "
                f"({ch.freq_hz / 1e6:.6f} MHz) of a band tuned to {where}",
            ))  # fmt: skip
        if plan.raw_path is not None:
            self.raw = SigmfStreamWriter(
                plan.raw_path, datatype="cu8" if info.datatype == "cu8" else "cf32_le",
                sample_rate_hz=rate, center_freq_hz=info.center_freq_hz, **common,
                description=f"hi-station capture: the stream as received, {where}",
            )  # fmt: skip

    def _annotate_schedule(self) -> None:
        ev, t0 = self.plan.event, self.info.start_utc
        if ev is None or t0 is None:
            return
        channels, rate = self.plan.channels, self.info.sample_rate_hz
        limit_s = None if self.end is None else self.end / rate
        half = 0.45 * self.rate_ch
        lo = min(c.freq_hz for c in channels) - half
        hi = max(c.freq_hz for c in channels) + half
        for k in range(ev.rounds):
            base = (ev.round_start_utc(k) - t0).total_seconds()
            if limit_s is not None and base + ev.key_down_s[0][0] >= limit_s:
                break
            for m, (a, b) in enumerate(ev.key_down_s, 1):
                a_s, b_s = base + a, base + b
                if b_s <= 0 or (limit_s is not None and a_s >= limit_s):
                    continue
                text = f"round {k + 1} element {m}"
                for w, ch in zip(self.writers, channels, strict=True):
                    _mark(w, a_s, b_s, self.rate_ch, text, ch.freq_hz - half, ch.freq_hz + half)
                if self.raw is not None:
                    _mark(self.raw, a_s, b_s, rate, text, lo, hi)

    # -- streaming ------------------------------------------------------------------

    def _rows(self, rows: np.ndarray) -> None:
        if rows.shape[1] == 0:
            return
        for w, row in zip(self.writers, rows, strict=True):
            w.write(row)
        self.meter.update(rows)
        if self.watcher is not None:
            self.watcher.feed(rows)
        if self.grabber is not None:
            self.grabber.feed(rows)

    def _gap(self, a: int, b: int) -> None:
        """Input samples ``a..b`` were lost: zeros through the channelizer, annotated."""
        count, rate = b - a, self.info.sample_rate_hz
        self.gaps += 1
        self.dropped += count
        zeros = np.zeros(min(count, _GAP_CHUNK), np.complex64)
        left = count
        while left:
            k = min(left, zeros.size)
            self._rows(self.bank.process(zeros[:k]))
            left -= k
        d = self.bank.decimation
        c0, c1 = -(-a // d), -(-b // d)
        text = f"{count} samples ({count / rate:.3f} s) lost; zero-filled"
        if c1 > c0:
            for w in self.writers:
                w.annotate(c0, c1 - c0, GAP_LABEL, f"{text} before channelizing")
        if self.raw is not None:
            self.raw.write(np.zeros(0, np.complex64), start_sample=b)
        self.pos = b
        self._say(f"gap: {text}, {a / rate:.1f} s into the capture")

    def _take(self, block: IQBlock) -> None:
        start = block.start_sample
        if start < self.pos:
            raise RuntimeError(f"source went back in time: block at {start}, expected {self.pos}")
        if start > self.pos:
            self._gap(self.pos, start if self.end is None else min(start, self.end))
            if self.end is not None and start >= self.end:
                return
        if self.end is not None and block.end_sample > self.end:
            block = _clipped(block, self.end - start)
        if self.raw is not None:
            self.raw.write_block(block)
        self._rows(self.bank.process(block.samples))
        self.pos = block.end_sample

    def status(self) -> CaptureStatus:
        """Snapshot for the live view."""
        rate = self.info.sample_rate_hz
        left = [] if self.end is None else [self.end - self.pos]
        count = getattr(self.source, "sample_count", None)
        if isinstance(count, int):
            left.append(count - self.pos)
        return CaptureStatus(
            self.pos / rate, min(left) / rate if left else None, self.pos, self.dropped,
            self.gaps, int(getattr(self.source, "reconnects", 0) or 0), self.meter.dbfs(),
        )  # fmt: skip

    def _late(self) -> bool:
        """Tell whether a live source is past the planned end by the clock (a slow source)."""
        if self._wall_end is None or time.monotonic() <= self._wall_end:
            return False
        self.short = True
        return True

    def _stream(self, stop: StopRequest, on_status: Callable[[CaptureStatus], None] | None) -> str:
        reason = ""
        if hasattr(self.source, "should_stop"):  # its waits also end at the planned end
            self.source.should_stop = lambda: stop.reason is not None or self._late()
        try:
            while not reason:
                if stop.reason is not None:
                    reason = stop.reason
                elif (self.end is not None and self.pos >= self.end) or self._late():
                    reason = self.plan.stop_reason
                else:
                    n = self.block_n if self.end is None else min(self.block_n, self.end - self.pos)
                    block = self.source.read(n)
                    if block is None:
                        late = self.short or self._late()
                        reason = stop.reason or (self.plan.stop_reason if late else "end of source")
                    else:
                        with stop.critical():
                            self._take(block)
                        if on_status is not None:
                            on_status(self.status())
        except (SourceError, Interrupted):  # keep what the channelizer holds
            with stop.critical():
                self._rows(self.bank.flush())
            raise
        with stop.critical():
            self._rows(self.bank.flush())
        return reason

    def run(
        self, stop: StopRequest, on_status: Callable[[CaptureStatus], None] | None = None
    ) -> CaptureResult:
        """Stream until the stop; close every file; say what was written.

        A live source that falls behind the clock stops :data:`LATE_S` after the
        planned end, short of it (a warning says so), rather than running on.
        """
        t0 = time.monotonic()
        if self.plan.kind in LIVE_KINDS and self.end is not None:
            self._wall_end = t0 + self.end / self.info.sample_rate_hz + LATE_S
        try:
            reason = self._stream(stop, on_status)
        except Interrupted as exc:
            reason = f"{exc.name} (forced)"
        except BaseException:
            self._close(wait=False, strict=False)
            raise
        warnings = self._check_rate(time.monotonic() - t0)
        channels, raw = self._close(wait=not reason.startswith("SIG"), strict=True)
        done = [] if self.watcher is None else self.watcher.results
        rounds = tuple(sorted(done, key=lambda r: r.round_number))
        return CaptureResult(
            out_dir=self.plan.out_dir, source=self.plan.spec, hardware=self.info.hardware,
            start_utc=self.info.start_utc, center_freq_hz=self.info.center_freq_hz,
            sample_rate_hz=self.info.sample_rate_hz, channel_rate_hz=self.rate_ch,
            channels=channels, raw=raw, samples=self.pos, samples_dropped=self.dropped,
            gaps=self.gaps, reconnects=int(getattr(self.source, "reconnects", 0) or 0),
            stop_reason=reason, rounds=rounds, warnings=warnings,
            grabs=() if self.grabber is None else tuple(dict.fromkeys(self.grabber.paths)),
        )  # fmt: skip

    def _check_rate(self, wall_s: float) -> tuple[str, ...]:
        """Warn (and annotate every file) when a live source ran faster or slower than its rate."""
        if self.plan.kind not in LIVE_KINDS:
            return ()
        rate = self.info.sample_rate_hz
        planned_s = None if self.end is None or not self.short else self.end / rate
        text = rate_warning(self.pos / rate, wall_s, planned_s)
        if text is None:
            return ()
        logger.warning("%s: %s", self.plan.spec, text)
        for w in (*self.writers, *([self.raw] if self.raw is not None else [])):
            if w.samples_written:
                w.annotate(0, w.samples_written, FAST_SOURCE_LABEL, text)
        return (text,)

    def _close(self, *, wait: bool, strict: bool) -> tuple[tuple[ChannelFile, ...], Any]:
        """Close every writer (then the source and the detector); raise the first failure."""
        errors: list[BaseException] = []
        out: list[ChannelFile] = []
        pairs: list[tuple[str, float, SigmfStreamWriter]] = [
            (c.label, c.freq_hz, w) for c, w in zip(self.plan.channels, self.writers, strict=False)
        ]
        if self.raw is not None:
            pairs.append(("raw", self.info.center_freq_hz, self.raw))
        for label, freq, w in pairs:
            try:
                path = w.close()
            except Exception as exc:  # close the others first
                # The first failure is what the user is told (one error line, by the
                # caller); the rest go to the log.
                log = logger.debug if not errors or not strict else logger.warning
                log("closing %s failed: %s", w.meta_path, exc)
                errors.append(exc)
                continue
            if path is not None:
                out.append(ChannelFile(label, freq, path, w.samples_written))
        with contextlib.suppress(Exception):
            self.source.close()
        watcher = getattr(self, "watcher", None)
        if watcher is not None:
            watcher.close(wait=wait)
        grabber = getattr(self, "grabber", None)
        if grabber is not None:
            grabber.close(wait=wait)
        if errors and strict:
            raise errors[0]
        raw = out.pop() if out and out[-1].label == "raw" else None
        return tuple(out), raw
