"""Capture sessions: record the band from an I/Q source as narrow SigMF channels.

:func:`plan_capture` checks everything a capture needs before any device, network
or file is touched (tuning, channels, stop time, output files); :func:`run_capture`
opens the source and streams it, in constant memory, block by block through the
whole-band :class:`~dsp.channelize.Channelizer` (flat over 90 % of each channel) into
one crash-safe :class:`~station.recording.sigmf_stream.SigmfStreamWriter` per channel, and with
``raw`` the bytes as received into one more.

Tuning (live sources, :mod:`station.capture.tuning`): the middle of the channels at
240 000 S/s when they lie within +-100 kHz of it, else 2 400 000 S/s.  Channels
(:func:`station.channels.plan_channels`): ``freqs_hz``, else every frequency of the
event's table inside the band.

Output layout: ``out_dir`` is a directory holding one capture.  It is created when
missing; an existing one must be empty unless ``overwrite`` (which replaces files of
the same names and leaves the rest).  In it, one ``cf32_le`` pair per channel,
``<label>_<MHz>MHz.sigmf-meta/-data`` (``L_28.350000MHz``), and with ``raw``
``raw_<MHz>MHz`` in the source's datatype (``cu8`` for RTL sources).  Names contain
a dot: give tools the ``.sigmf-meta`` name.

The ``synthetic`` source plays a dongle (``cu8``, tuner ranges checked): HI at 30 s
dits every 10 minutes, or with a schedule the event's message on its timing, at
10 dB SNR2500 on the first three channels, in white noise.

Time is kept linear: samples the source lost (``IQBlock.dropped_before``, e.g. an
``rtl_tcp`` reconnect) are zero-filled in the raw file by its writer, fed to the
channelizer as zeros, and annotated ``"gap"`` in every file.  With a schedule, every
scheduled key-down inside the capture is annotated ``"key-down"`` (comment ``round n
element m``) in every file.

Stops at ``duration_s`` or ``until_utc`` (signal time), else with a schedule 30 s
after the event's last key-up (an explicit stop wins, so an event long over can
still lend its frequency table); at the end of a file source; or when ``stop`` is set
(:func:`station.signals.stop_on_signals`: SIGINT, SIGTERM, SIGHUP; a second signal
forces the stop while a read is blocked).  The files are always closed with their
final metadata.

Examples
--------
>>> import tempfile
>>> out = Path(tempfile.mkdtemp()) / "cap"
>>> plan = plan_capture("synthetic", out, freqs_hz=[28.25e6, 28.31e6], duration_s=2.0,
...                     fast=True, raw=True, seed=1)
>>> plan.center_freq_hz, plan.sample_rate_hz, [p.name for p in plan.channel_paths]
(28280000.0, 240000.0, ['f1_28.250000MHz.sigmf-meta', 'f2_28.310000MHz.sigmf-meta'])
>>> from station.capture.run import run_capture
>>> result = run_capture(plan)
>>> result.stop_reason, result.samples, [c.samples for c in result.channels]
('duration', 480000, [4000, 4000])
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from station._atomic import check_free
from station.capture.tuning import live_tuning
from station.channels import (
    DEFAULT_CHANNEL_RATE_HZ,
    Channel,
    nearest_channel_rate_hz,
    plan_channels,
)
from station.clock import Clock, SystemClock
from station.errors import InputError, RecordingError
from station.qrss.settings import GrabSettings
from station.recording import sigmf_files
from station.schedule.event import Event
from station.sdr.base import IQSource, SourceInfo
from station.sdr.factory import open_source
from station.sdr.spec import parse_source
from station.sdr.synthetic import Carrier
from station.utc import format_utc

__all__ = ["EVENT_TAIL_S", "MAX_CAPTURE_S", "CapturePlan", "plan_capture"]

logger = logging.getLogger(__name__)

#: With a schedule (and no other stop), the capture ends this long after the last key-up.
EVENT_TAIL_S = 30.0
_SYNTHETIC_CARRIERS = 3


@dataclass(frozen=True, eq=False)
class CapturePlan:
    """A checked capture, ready for :func:`run_capture` (see :func:`plan_capture`).

    Attributes
    ----------
    spec : str
        The ``--source`` string; ``kind`` its form (``"rtl_tcp"``, ``"file"``, ...).
    source : IQSource
        Not opened yet (a file source is: its metadata had to be read).
    center_freq_hz, sample_rate_hz, channel_rate_hz : float
    channels : tuple of Channel
    out_dir : pathlib.Path
    channel_paths : tuple of pathlib.Path
        ``.sigmf-meta`` name of each channel's recording.
    raw_path : pathlib.Path or None
    event : Event or None
    start_utc : datetime or None
        Expected time of sample 0 (a file's own; roughly now for live sources).
    duration_s : float or None
        Planned length of signal, s.
    end_utc : datetime or None
        Planned end otherwise (``until_utc``, or the event's end plus
        :data:`EVENT_TAIL_S`); neither: until stopped or the end of a file.
    stop_reason : str
        ``"duration"``, ``"until"``, ``"event end"`` or ``""``.
    stop_text : str
        The planned stop, for people.
    fast : bool
    overwrite : bool
    grabs : GrabSettings or None
        Live QRSS grabs (:class:`station.qrss.LiveGrabber`); None: none.
    """

    spec: str
    kind: str
    source: IQSource
    center_freq_hz: float
    sample_rate_hz: float
    channel_rate_hz: float
    channels: tuple[Channel, ...]
    out_dir: Path
    channel_paths: tuple[Path, ...]
    raw_path: Path | None
    event: Event | None
    start_utc: datetime | None
    duration_s: float | None
    end_utc: datetime | None
    stop_reason: str
    stop_text: str
    fast: bool
    overwrite: bool
    grabs: GrabSettings | None = None

    @property
    def targets(self) -> list[Path]:
        """Every file the capture writes (metadata and data)."""
        pairs = [sigmf_files(p) for p in (*self.channel_paths, self.raw_path) if p]
        return [f for data, meta in pairs for f in (meta, data)]


def _name(label: str, freq_hz: float) -> str:
    return f"{label}_{freq_hz / 1e6:.6f}MHz.sigmf-meta"


def _check_out(out_dir: Path, targets: list[Path], overwrite: bool, reads: set[Path]) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise RecordingError(out_dir, "is a file; --out names a directory for the recordings")
    if out_dir.is_dir():
        if not overwrite and any(out_dir.iterdir()):
            raise RecordingError(
                out_dir, "already exists and is not empty; give a new directory, or "
                "--overwrite to replace recordings of the same names in it",
            )  # fmt: skip
        check_free(targets, overwrite=overwrite)
    clash = sorted(str(t) for t in targets if t.resolve() in reads)
    if clash:
        raise RecordingError(Path(clash[0]), "is the recording being read; choose another --out")


#: Longest capture planned at once, s.
MAX_CAPTURE_S = 31 * 86400.0


def _stop(
    duration_s: float | None, until_utc: datetime | None, event: Event | None,
    start_utc: datetime | None,
) -> tuple[float | None, datetime | None, str, str]:  # fmt: skip
    """Planned length or end, why the capture stops there, and how to say it."""
    if duration_s is not None and until_utc is not None:
        raise InputError("give --duration-s or --until, not both")
    if duration_s is not None:
        if not (math.isfinite(duration_s) and 0 < duration_s <= MAX_CAPTURE_S):
            raise InputError(f"--duration-s={duration_s} must be a time > 0 s and at most "
                             f"{MAX_CAPTURE_S:g} s (31 days)")  # fmt: skip
        return float(duration_s), None, "duration", f"after {duration_s:g} s"
    if until_utc is not None:
        if until_utc.tzinfo is None:
            raise InputError(f"--until={until_utc} must be timezone-aware (UTC)")
        if start_utc is None:
            raise InputError("--until needs a source with a start time; give --duration-s")
        if until_utc <= start_utc:
            raise InputError(
                f"--until={format_utc(until_utc)} is not after the capture start "
                f"{format_utc(start_utc)}"
            )
        return None, until_utc, "until", f"at {format_utc(until_utc)}"
    if event is not None and start_utc is not None:
        end = event.end_utc + timedelta(seconds=EVENT_TAIL_S)
        if end <= start_utc:
            raise InputError(
                f"--schedule {event.id}: the event's last key-up was at "
                f"{format_utc(event.end_utc)}, before the capture starts at "
                f"{format_utc(start_utc)}; give --duration-s or --until to record anyway"
            )
        text = f"{EVENT_TAIL_S:g} s after the event's last key-up ({format_utc(end)})"
        return None, end, "event end", text
    return None, None, "", "when stopped (Ctrl-C)"


def _carriers(channels: Sequence[Channel], event: Event | None, start: datetime) -> list:
    """HI (or the event's message, on its schedule) on the first few channels."""
    freqs = [c.freq_hz for c in channels][:_SYNTHETIC_CARRIERS]
    if event is None:
        return [Carrier(f, "HI", 30.0, 5.0, 10.0, period_s=600.0) for f in freqs]
    offset_s = (event.start_utc - start).total_seconds()
    if offset_s < 0:
        offset_s %= event.round_period_s
    span_s = event.key_down_s[-1][1]
    period = event.round_period_s if event.round_period_s > span_s + event.dit_s else None
    return [Carrier(f, event.message, event.dit_s, offset_s, 10.0, period_s=period) for f in freqs]


def _wanted_freqs(
    freqs_hz: Sequence[float] | None, event: Event | None, channel_rate_hz: float
) -> list[float]:
    """Check the channel centres asked for (none: the event's) and return them."""
    freqs = [float(f) for f in freqs_hz or ()]
    if len(set(freqs)) != len(freqs):
        raise InputError(f"--freq-mhz lists a frequency twice: {[f / 1e6 for f in freqs]}")
    if not freqs and event is None:
        raise InputError("give --freq-mhz (repeatable) or --schedule: which channels to record")
    if not (math.isfinite(channel_rate_hz) and channel_rate_hz > 0):
        raise InputError(f"--channel-rate-hz={channel_rate_hz} must be a rate > 0 S/s")
    return freqs


@dataclass(frozen=True)
class _Settings:
    """How the source is to run: tuning (as asked, then as checked), clock, pace."""

    center_freq_hz: float | None
    sample_rate_hz: float | None
    gain_db: float | None
    freq_correction_ppm: float
    clock: Clock
    fast: bool
    dial_hz: float | None = None
    sideband: str = "usb"


def _open_input(
    source: str, kind: str, arg: str, freqs: Sequence[float], event: Event | None,
    settings: _Settings,
) -> tuple[IQSource | None, SourceInfo, set[Path], _Settings]:  # fmt: skip
    """Open a file source (its metadata is needed), or tune a live one (built later).

    Returns the file source (None for a live one), what it delivers, the files it
    reads, and the settings as checked.
    """
    if kind == "file":
        src, info, reads = _open_file(source, arg, settings)
        return src, info, reads, settings
    if kind == "audio":  # the sound card: its clock starts the stream; opened to know it
        src = open_source(source, dial_hz=settings.dial_hz, sideband=settings.sideband,
                          sample_rate_hz=settings.sample_rate_hz)  # fmt: skip
        return src, src.open(), set(), settings
    info, ppm = live_tuning(
        freqs, event, center_freq_hz=settings.center_freq_hz,
        sample_rate_hz=settings.sample_rate_hz, gain_db=settings.gain_db,
        freq_correction_ppm=settings.freq_correction_ppm, clock=settings.clock,
    )  # fmt: skip
    fast = settings.fast
    if fast and kind != "synthetic":
        logger.warning("--fast applies to file: and synthetic sources only; ignored")
        fast = False
    return None, info, set(), dataclasses.replace(settings, freq_correction_ppm=ppm, fast=fast)


def _open_file(
    source: str, path: str, settings: _Settings
) -> tuple[IQSource, SourceInfo, set[Path]]:
    """Open a file source; also the files it reads."""
    gain, ppm = settings.gain_db, settings.freq_correction_ppm or None
    for name, value in (("--gain-db", gain), ("--ppm", ppm)):
        if value is not None:
            logger.warning("%s does not apply to a file source; ignored", name)
    src = open_source(
        source, sample_rate_hz=settings.sample_rate_hz, center_freq_hz=settings.center_freq_hz,
        realtime=not settings.fast, clock=settings.clock,
    )  # fmt: skip
    info = src.open()
    reads = {Path(p).resolve() for p in (Path(path), *sigmf_files(path))}
    return src, info, reads


def _open_live(
    source: str, kind: str, info: SourceInfo, channels: Sequence[Channel], event: Event | None,
    settings: _Settings, seed: int | None,
) -> IQSource:  # fmt: skip
    """Build (not open) a live or synthetic source tuned as planned."""
    extra: dict[str, Any] = {"clock": settings.clock}
    if kind == "synthetic":
        assert info.start_utc is not None  # a live start is the clock's
        extra.update(carriers=_carriers(channels, event, info.start_utc), seed=seed,
                     start_utc=info.start_utc, cu8=True, realtime=not settings.fast)  # fmt: skip
    else:
        extra.update(gain_db=settings.gain_db, freq_correction_ppm=settings.freq_correction_ppm)
    return open_source(source, center_freq_hz=info.center_freq_hz,
                       sample_rate_hz=info.sample_rate_hz, **extra)  # fmt: skip


def _plan(
    source: str, kind: str, src: IQSource, info: SourceInfo, channel_rate_hz: float,
    channels: tuple[Channel, ...], out: Path, raw: bool, event: Event | None,
    stop: tuple[float | None, datetime | None, str, str], settings: _Settings, overwrite: bool,
) -> CapturePlan:  # fmt: skip
    """Assemble the plan (names the files; warns when the schedule cannot be followed)."""
    if event is not None and info.start_utc is None:
        logger.warning("%s has no start time: no key-down annotations, no round detection",
                       source)  # fmt: skip
    length, end_utc, reason, stop_text = stop
    return CapturePlan(
        spec=source, kind=kind, source=src, center_freq_hz=info.center_freq_hz,
        sample_rate_hz=info.sample_rate_hz, channel_rate_hz=channel_rate_hz, channels=channels,
        out_dir=out, channel_paths=tuple(out / _name(c.label, c.freq_hz) for c in channels),
        raw_path=out / _name("raw", info.center_freq_hz) if raw else None, event=event,
        start_utc=info.start_utc, duration_s=length, end_utc=end_utc, stop_reason=reason,
        stop_text=stop_text, fast=settings.fast, overwrite=overwrite,
    )  # fmt: skip


def _check_grabs(grabs: GrabSettings) -> None:
    """Refuse a grabs folder that is a file."""
    if grabs.out_dir.exists() and not grabs.out_dir.is_dir():
        raise InputError(f"--grabs={grabs.out_dir} is not a directory")


def plan_capture(
    source: str,
    out_dir: str | Path,
    *,
    freqs_hz: Sequence[float] | None = None,
    event: Event | None = None,
    center_freq_hz: float | None = None,
    sample_rate_hz: float | None = None,
    gain_db: float | None = None,
    freq_correction_ppm: float = 0,
    channel_rate_hz: float = DEFAULT_CHANNEL_RATE_HZ,
    raw: bool = False,
    duration_s: float | None = None,
    until_utc: datetime | None = None,
    fast: bool = False,
    overwrite: bool = False,
    clock: Clock | None = None,
    seed: int | None = None,
    dial_hz: float | None = None,
    sideband: str = "usb",
    grabs: GrabSettings | None = None,
) -> CapturePlan:
    """Check a capture and build its source, touching no device, connection or output.

    Parameters
    ----------
    source : str
        ``rtlsdr[:N|SERIAL]``, ``rtl_tcp://HOST:PORT``, ``file:PATH``, ``synthetic`` or
        ``audio:DEVICE``.
    out_dir : str or pathlib.Path
        Directory of the capture (see the module notes).
    freqs_hz : sequence of float, optional
        Channel centres, Hz; default: the event's table inside the band.
    event : Event, optional
        Channels, key-down annotations, round detection, stop time, ``synthetic`` keying.
    center_freq_hz, sample_rate_hz : float, optional
        Tuning (see the module notes); for a raw ``.cu8`` file, its ``-f`` and ``-s``.
    gain_db, freq_correction_ppm : float, optional
        Tuner gain (None: automatic) and frequency correction (whole ppm).
    channel_rate_hz, raw : float, bool, optional
        Sample rate of each channel (the nearest that divides the input rate); also
        record the stream as received.
    duration_s, until_utc : float, datetime, optional
        Stop after this much signal, or at this UTC time (not both).
    fast, overwrite : bool, optional
        ``file:`` and ``synthetic`` sources as fast as possible, not in real time;
        accept a non-empty ``out_dir`` and replace recordings of the same names.
    clock, seed : Clock, int, optional
        Time of a live capture's start and its pacing (default: the system clock); the
        ``synthetic`` source's noise seed.
    dial_hz, sideband : float, {"usb", "lsb"}, optional
        ``audio:DEVICE``: the SSB receiver's dial frequency (required) and sideband.
    grabs : GrabSettings, optional
        Write QRSS grabs while capturing (its folder is created when the capture opens).

    Raises
    ------
    InputError
        A setting the tuner or chip rejects, a channel outside the band, a stop time
        in the past, no channels asked for, an unknown source form.
    RecordingError
        ``out_dir`` is a file, or holds files without ``overwrite``; a file source is unreadable.
    """
    kind, arg = parse_source(source)
    freqs = _wanted_freqs(freqs_hz, event, channel_rate_hz)
    settings = _Settings(center_freq_hz, sample_rate_hz, gain_db, freq_correction_ppm,
                         clock if clock is not None else SystemClock(), fast, dial_hz,
                         sideband)  # fmt: skip
    src, info, reads, settings = _open_input(source, kind, arg, freqs, event, settings)
    try:
        rate_ch = nearest_channel_rate_hz(info.sample_rate_hz, channel_rate_hz)
        channels = tuple(plan_channels(info, freqs_hz=freqs, event=event, channel_rate_hz=rate_ch))
        stop = _stop(duration_s, until_utc, event, info.start_utc)
        if src is None:
            src = _open_live(source, kind, info, channels, event, settings, seed)
        plan = _plan(source, kind, src, info, rate_ch, channels, Path(out_dir), raw, event, stop,
                     settings, overwrite)  # fmt: skip
        _check_out(plan.out_dir, plan.targets, overwrite, reads)
        if grabs is not None:
            _check_grabs(grabs)
            plan = dataclasses.replace(plan, grabs=grabs)
    except BaseException:
        if src is not None:
            src.close()
        raise
    return plan
