"""Offline replay: a recording of the band, channelized and analysed channel by channel.

:func:`replay` streams a recording (:class:`~station.sdr.filesource.FileSource`: SigMF
cu8/ci16/cf32, raw ``.cu8``, WAV I/Q) through the whole-band
:class:`~dsp.channelize.Channelizer` block by block, writes each channel's narrow
stream to a scratch file (so memory does not grow with the recording's length), then
decodes each channel blind, detects the event's rounds in it when a schedule is
given, and draws QRSS grabs.

Channels: the ``freqs_hz`` given, else every frequency of the event's table that the
recording covers, else (a narrow recording) the recording itself.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dsp.channelize import Channelizer, nearest_out_rate_hz
from dsp.decode import is_image_of, with_signals
from dsp.fft import Engine
from dsp.results import Decoded, DecodedSignal, Detection
from station._atomic import make_output_dir
from station.analysis import detect_recording, event_rounds
from station.errors import InputError
from station.recording import Recording, format_utc
from station.replay_signals import best_window, decode_windows
from station.schedule.event import Event
from station.sdr.base import SourceInfo
from station.sdr.filesource import FileSource

__all__ = [
    "DEFAULT_CHANNEL_RATE_HZ",
    "ChannelResult",
    "drop_images",
    "ReplayChannel",
    "ReplayResult",
    "plan_channels",
    "replay",
]

logger = logging.getLogger(__name__)

#: Output rate of each channel: +-1 kHz, room for a dongle's ppm error at 28 MHz.
DEFAULT_CHANNEL_RATE_HZ = 2000.0
#: Recordings this narrow are analysed as one channel, without channelizing.
NARROW_RATE_HZ = 16_000.0
_BLOCK = 1 << 18
#: Half-width of the searched band as a fraction of the channel rate (inside the
#: channel filter's flat passband of 80 %: +-750 Hz of a 2 kS/s channel).
SEARCH_FRACTION = 0.375


@dataclass(frozen=True, slots=True)
class ReplayChannel:
    """One channel to extract.

    Attributes
    ----------
    label : str
        Table letter(s) (``"L"``), ``"f1"``.. for given frequencies, or ``"all"``.
    freq_hz : float
        RF centre of the channel, Hz.
    """

    label: str
    freq_hz: float


@dataclass(frozen=True, eq=False)
class ChannelResult:
    """What replay found in one channel.

    Attributes
    ----------
    channel : ReplayChannel
    decoded : dsp.results.Decoded
    detection : dsp.results.Detection or None
        With a schedule and at least one round inside the recording.
    round_numbers : tuple of int
        Event numbers of the detected rounds.
    pngs : tuple of pathlib.Path
    windows : tuple of (float, Decoded)
        Every blind decode of the channel (one per window of a long recording), with
        its start in seconds from the first sample; :attr:`decoded` is the best.
        Each holds every keyed signal of its window (``Decoded.signals``), I/Q images
        of signals in other channels removed.
    """

    channel: ReplayChannel
    decoded: Decoded
    detection: Detection | None
    round_numbers: tuple[int, ...] = ()
    pngs: tuple[Path, ...] = ()
    windows: tuple[tuple[float, Decoded], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "label": self.channel.label,
            "freq_hz": self.channel.freq_hz,
            "decoded": self.decoded.to_dict(),
            "detection": None if self.detection is None else self.detection.to_dict(),
            "round_numbers": list(self.round_numbers),
            "pngs": [str(p) for p in self.pngs],
            "windows": [{"start_s": s, "decoded": d.to_dict()} for s, d in self.windows],
        }


@dataclass(frozen=True, eq=False)
class ReplayResult:
    """The whole replay.

    Attributes
    ----------
    path : pathlib.Path
    info : SourceInfo
    duration_s : float
    channel_rate_hz : float
    channels : tuple of ChannelResult
    channelize_s, analyse_s : float
        Wall time of the two stages.
    """

    path: Path
    info: SourceInfo
    duration_s: float
    channel_rate_hz: float
    channels: tuple[ChannelResult, ...]
    channelize_s: float
    analyse_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        i = self.info
        return {
            "path": str(self.path),
            "sample_rate_hz": i.sample_rate_hz,
            "center_freq_hz": i.center_freq_hz,
            "start_utc": None if i.start_utc is None else format_utc(i.start_utc),
            "duration_s": self.duration_s,
            "channel_rate_hz": self.channel_rate_hz,
            "channelize_s": self.channelize_s,
            "analyse_s": self.analyse_s,
            "channels": [c.to_dict() for c in self.channels],
        }


def plan_channels(
    info: SourceInfo,
    *,
    freqs_hz: Sequence[float] | None = None,
    event: Event | None = None,
    channel_rate_hz: float = DEFAULT_CHANNEL_RATE_HZ,
) -> list[ReplayChannel]:
    """Choose the channels of a recording (see the module docstring).

    Raises
    ------
    InputError
        A given frequency outside the recording's band, an event with no frequency
        inside it, or a wide recording with neither.

    Examples
    --------
    >>> from station.schedule import load_event
    >>> info = SourceInfo(240e3, 28.3e6, None, "test")
    >>> [c.label for c in plan_channels(info, event=load_event("juno-2013-10-09"))]
    ['G', 'H', 'I', 'J', 'K', 'L']
    """
    fs, fc = info.sample_rate_hz, info.center_freq_hz
    reach = fs / 2 - channel_rate_hz / 2
    band = f"{(fc - reach) / 1e6:.6f}-{(fc + reach) / 1e6:.6f} MHz"
    if freqs_hz:
        out = []
        for i, f in enumerate(freqs_hz):
            if not (math.isfinite(f) and abs(f - fc) <= reach):
                raise InputError(
                    f"--freq-mhz={f / 1e6:.6f} is outside the recording's usable band {band}"
                )
            out.append(ReplayChannel(f"f{i + 1}", float(f)))
        return out
    if event is not None:
        by_freq: dict[float, list[str]] = {}
        for letter, f in event.table_hz.items():
            if abs(f - fc) <= reach:
                by_freq.setdefault(f, []).append("event" if letter == "*" else letter)
        if not by_freq:
            raise InputError(
                f"no frequency of {event.id} lies in the recording's usable band {band}; "
                "give --freq-mhz"
            )
        return [ReplayChannel("".join(v), f) for f, v in sorted(by_freq.items())]
    if fs <= NARROW_RATE_HZ:
        return [ReplayChannel("all", fc)]
    raise InputError(
        f"the recording is {fs / 1e3:g} kS/s wide: say which channels to analyse with "
        "--freq-mhz (repeatable) or --schedule"
    )


def _channelize(
    source: FileSource,
    info: SourceInfo,
    channels: list[ReplayChannel],
    rate_hz: float,
    workdir: Path,
    progress: Callable[[float], None] | None,
    fft_engine: Engine = "auto",
) -> tuple[list[Path], float]:
    """Stream the file through the channelizer into one scratch file per channel."""
    files = [workdir / f"ch{i}.cf32" for i in range(len(channels))]
    handles = [open(p, "wb") for p in files]  # noqa: SIM115  (closed below)
    try:
        if rate_hz >= info.sample_rate_hz:  # narrow: no channelizing
            while (block := source.read(_BLOCK)) is not None:
                handles[0].write(block.samples.astype(np.complex64).tobytes())
            return files, info.sample_rate_hz
        offsets = [c.freq_hz - info.center_freq_hz for c in channels]
        # Flat over 80 % of the channel: the searched band (37.5 % each side, see
        # _analyse) must see white noise, which the decoder and detector assume.
        bank = Channelizer(
            info.sample_rate_hz, offsets, rate_hz, passband_hz=0.8 * rate_hz, fft_engine=fft_engine
        )
        total = source.sample_count or 0
        while (block := source.read(_BLOCK)) is not None:
            if block.dropped_before:  # keep time: the lost span is silence
                bank_out = bank.process(np.zeros(block.dropped_before, np.complex64))
                for h, row in zip(handles, bank_out, strict=True):
                    h.write(row.tobytes())
            for h, row in zip(handles, bank.process(block.samples), strict=True):
                h.write(row.tobytes())
            if progress is not None and total:
                progress(block.end_sample / total)
        for h, row in zip(handles, bank.flush(), strict=True):
            h.write(row.tobytes())
        return files, bank.out_rate_hz
    finally:
        for h in handles:
            h.close()


def replay(
    path: str | os.PathLike[str],
    *,
    sample_rate_hz: float | None = None,
    center_freq_hz: float | None = None,
    freqs_hz: Sequence[float] | None = None,
    event: Event | None = None,
    channel_rate_hz: float = DEFAULT_CHANNEL_RATE_HZ,
    pfa: float = 1e-3,
    png_dir: str | os.PathLike[str] | None = None,
    callsign: str = "",
    grid: str = "",
    overwrite: bool = False,
    progress: Callable[[str, float], None] | None = None,
    fft_engine: Engine = "auto",
) -> ReplayResult:
    """Channelize a recording and decode (and, with ``event``, detect) each channel.

    Parameters
    ----------
    path : str or os.PathLike
        Any recording :class:`~station.sdr.filesource.FileSource` reads.
    sample_rate_hz, center_freq_hz : float, optional
        For raw ``.cu8`` files (the ``-s`` and ``-f`` of ``rtl_sdr``).
    freqs_hz : sequence of float, optional
        RF channel centres; default from ``event`` (see :func:`plan_channels`).
    event : Event, optional
        Schedule: its rounds are detected, its key-downs outlined on the grabs.
    channel_rate_hz : float, optional
        Output rate of each channel (the nearest rate that divides the input rate).
    pfa : float, optional
        False-alarm probability of decoding and detection.
    png_dir : str or os.PathLike, optional
        Write QRSS grabs here (see :mod:`station.replay_png`).
    callsign, grid : str, optional
        Stamped on the grabs.
    overwrite : bool, optional
        Replace existing grabs.
    progress : callable, optional
        ``progress(stage, fraction)``.
    fft_engine : {"auto", "fftw", "scipy"}, optional
        The channelizer's whole-band FFT (:mod:`dsp.fft`).

    Returns
    -------
    ReplayResult
    """
    say = progress or (lambda stage, fraction: None)
    with FileSource(path, sample_rate_hz=sample_rate_hz, center_freq_hz=center_freq_hz,
                    verify_checksum=True) as src:  # judged as decode judges it
        info = src.open()
        rate = min(nearest_out_rate_hz(info.sample_rate_hz, channel_rate_hz), info.sample_rate_hz)
        channels = plan_channels(info, freqs_hz=freqs_hz, event=event, channel_rate_hz=rate)
        if png_dir is not None:  # created if missing (never a file replaced)
            if Path(png_dir).exists() and not Path(png_dir).is_dir():
                raise InputError(f"--png={png_dir} is not a directory")
            make_output_dir(Path(png_dir))
        with tempfile.TemporaryDirectory(prefix="hi-station-replay-") as tmp:
            t0 = time.perf_counter()
            files, rate = _channelize(
                src, info, channels, rate, Path(tmp), lambda f: say("channelizing", f), fft_engine
            )
            t1 = time.perf_counter()
            results = []
            for i, (ch, f) in enumerate(zip(channels, files, strict=True)):
                say(f"analysing {ch.label}", i / len(channels))
                # Mapped, not loaded: decoding reads windows, detection reads only the
                # scheduled elements, so memory does not grow with the recording.
                samples = (
                    np.memmap(f, dtype=np.complex64, mode="r")
                    if f.stat().st_size
                    else np.zeros(0, np.complex64)
                )
                results.append(_analyse(ch, samples, rate, info, event, pfa, png_dir,
                                        callsign, grid, overwrite))  # fmt: skip
                del samples
            results = drop_images(results, info.center_freq_hz)
            t2 = time.perf_counter()
    duration_s = (src.sample_count or 0) / info.sample_rate_hz
    return ReplayResult(Path(path), info, duration_s, rate, tuple(results), t1 - t0, t2 - t1)


def _analyse(
    ch: ReplayChannel,
    samples: np.ndarray,
    rate: float,
    info: SourceInfo,
    event: Event | None,
    pfa: float,
    png_dir: str | os.PathLike[str] | None,
    callsign: str,
    grid: str,
    overwrite: bool,
) -> ChannelResult:
    rec = Recording(samples, rate, ch.freq_hz, info.start_utc, "iq")
    search_hz = min(1000.0, SEARCH_FRACTION * rate)
    windows = decode_windows(rec, event, search_hz, pfa, info.center_freq_hz - ch.freq_hz)
    decoded = best_window(windows)
    detection = None
    numbers: tuple[int, ...] = ()
    if event is not None and info.start_utc is not None:
        try:
            nums, rounds_s = event_rounds(rec, event)
        except InputError as exc:  # no whole round in the recording: decode only
            logger.info("%s: no detection: %s", ch.label, exc)
        else:
            detection = detect_recording(rec, rounds_s, search_hz=search_hz, pfa=pfa)
            numbers = tuple(nums)
    pngs: tuple[Path, ...] = ()
    if png_dir is not None:
        from station.replay_png import channel_grabs

        pngs = channel_grabs(
            rec, Path(png_dir), label=ch.label, decoded=decoded, detection=detection, event=event,
            callsign=callsign, grid=grid, overwrite=overwrite,
        )  # fmt: skip
    return ChannelResult(ch, decoded, detection, numbers, pngs, tuple(windows))


def drop_images(results: list[ChannelResult], center_freq_hz: float) -> list[ChannelResult]:
    """Drop signals that are the I/Q image of a signal in another channel.

    The image is mirrored about the capture's centre ``center_freq_hz``
    (:func:`dsp.decode.is_image_of` tells an image from a signal).
    """
    heard = [(c, s) for c in results for _, d in c.windows for s in d.signals]

    def image(c: ChannelResult, s: DecodedSignal) -> bool:
        rf = c.channel.freq_hz + s.freq_hz
        mirror = 2 * center_freq_hz - rf
        return any(
            o is not c and is_image_of(mirror - o.channel.freq_hz, -s.drift_hz_per_s, s.dit_s,
                                       s.snr2500_db, t)
            for o, t in heard
        )  # fmt: skip

    out = []
    for c in results:
        windows = tuple(
            (start, with_signals(d, [s for s in d.signals if not image(c, s)]))
            for start, d in c.windows
        )
        decoded = best_window(windows) if windows else c.decoded
        out.append(dataclasses.replace(c, decoded=decoded, windows=windows))
    return out
