"""Offline replay: a recording of the band, channelized and analysed channel by channel.

:func:`replay` streams a recording (:class:`~station.sdr.filesource.FileSource`: SigMF
cu8/ci16/cf32, raw ``.cu8``, WAV I/Q) through the whole-band
:class:`~dsp.channelize.Channelizer` block by block, writes each channel's narrow
stream to a scratch file (so memory does not grow with the recording's length), then
decodes each channel blind, detects the event's rounds in it when a schedule is
given, and draws QRSS grabs.

Channels (:func:`station.channels.plan_channels`): the ``freqs_hz`` given, else every
frequency of the event's table that the recording covers, else (a narrow recording)
the recording itself.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dsp.channelize import Channelizer
from dsp.decode import is_image_of, with_signals
from dsp.fft import Engine
from dsp.results import Decoded, DecodedSignal, Detection
from station._atomic import make_output_dir
from station.analysis import detect_recording, event_rounds
from station.channels import (
    DEFAULT_CHANNEL_RATE_HZ,
    Channel,
    channel_offsets_hz,
    nearest_channel_rate_hz,
    plan_channels,
    search_hz,
)
from station.errors import InputError
from station.qrss.settings import GrabSettings, header_labels
from station.recording import Recording
from station.replay.grabs import channel_grabs
from station.replay.windows import best_window, decode_windows
from station.schedule.event import Event
from station.sdr.base import SourceInfo
from station.sdr.filesource import FileSource
from station.utc import format_utc

__all__ = ["ChannelResult", "ReplayResult", "drop_images", "replay"]

logger = logging.getLogger(__name__)

_BLOCK = 1 << 18


@dataclass(frozen=True, eq=False)
class ChannelResult:
    """What replay found in one channel.

    Attributes
    ----------
    channel : Channel
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

    channel: Channel
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


def _channelize(
    source: FileSource,
    info: SourceInfo,
    channels: list[Channel],
    channel_rate_hz: float,
    workdir: Path,
    progress: Callable[[float], None] | None,
    fft_engine: Engine = "auto",
) -> tuple[list[Path], float]:
    """Stream the file through the channelizer into one scratch file per channel."""
    files = [workdir / f"ch{i}.cf32" for i in range(len(channels))]
    handles = [open(p, "wb") for p in files]  # noqa: SIM115  (closed below)
    try:
        if channel_rate_hz >= info.sample_rate_hz:  # narrow: no channelizing
            while (block := source.read(_BLOCK)) is not None:
                handles[0].write(block.samples.astype(np.complex64).tobytes())
            return files, info.sample_rate_hz
        offsets = channel_offsets_hz(channels, info.center_freq_hz)
        # Flat over 80 % of the channel: the searched band (37.5 % each side, see
        # _analyse) must see white noise, which the decoder and detector assume.
        bank = Channelizer(
            info.sample_rate_hz, offsets, channel_rate_hz, passband_hz=0.8 * channel_rate_hz,
            fft_engine=fft_engine,
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
    look: GrabSettings | None = None,
    overwrite: bool = False,
    progress: Callable[[str, float], None] | None = None,
    fft_engine: Engine = "auto",
    dial_hz: float | None = None,
    sideband: str = "usb",
    scratch_dir: str | os.PathLike[str] | None = None,
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
        Write QRSS grabs here (see :mod:`station.replay.grabs`).
    callsign, grid : str, optional
        Stamped on the grabs.
    look : GrabSettings, optional
        The rest of the grabs' settings (colour scale, palette, dit, receiver, antenna);
        its folder, callsign and grid are replaced by ``png_dir``, ``callsign``, ``grid``.
    overwrite : bool, optional
        Replace existing grabs.
    progress : callable, optional
        ``progress(stage, fraction)``.
    fft_engine : {"auto", "fftw", "scipy"}, optional
        The channelizer's whole-band FFT (:mod:`dsp.fft`).
    dial_hz, sideband : float, str, optional
        A mono audio WAV or audio SigMF from an SSB receiver: its dial and sideband
        (required for audio; see :mod:`station.sdr.filesource`).
    scratch_dir : str or os.PathLike, optional
        Where the channels' scratch files go (default: the system's temporary folder);
        a batch worker gives its own folder.

    Returns
    -------
    ReplayResult
    """
    say = progress or (lambda stage, fraction: None)
    callsign, grid, _, _ = header_labels(callsign, grid)
    # judged as decode judges it
    with FileSource(path, sample_rate_hz=sample_rate_hz, center_freq_hz=center_freq_hz,
                    verify_checksum=True, dial_hz=dial_hz, sideband=sideband) as src:
        info = src.open()
        rate = nearest_channel_rate_hz(info.sample_rate_hz, channel_rate_hz)
        channels = plan_channels(info, freqs_hz=freqs_hz, event=event, channel_rate_hz=rate)
        grabs = None
        if png_dir is not None:  # created if missing (never a file replaced)
            grabs = dataclasses.replace(look or GrabSettings(Path(png_dir)), out_dir=Path(png_dir),
                                        callsign=callsign, grid=grid)  # fmt: skip
            if Path(png_dir).exists() and not Path(png_dir).is_dir():
                raise InputError(f"--png={png_dir} is not a directory")
            make_output_dir(Path(png_dir))
        with tempfile.TemporaryDirectory(prefix="hi-station-replay-", dir=scratch_dir) as tmp:
            t0 = time.perf_counter()
            files, rate = _channelize(
                src, info, channels, rate, Path(tmp), lambda f: say("channelizing", f), fft_engine
            )
            t1 = time.perf_counter()
            results = []
            for i, (ch, f) in enumerate(zip(channels, files, strict=True)):
                say(f"analysing {ch.label}", i / len(channels))
                results.append(_analyse(ch, _mapped(f), rate, info, event, pfa, grabs,
                                        overwrite, Path(path).name.split(".")[0]))  # fmt: skip
            results = drop_images(results, info.center_freq_hz)
            t2 = time.perf_counter()
    duration_s = (src.sample_count or 0) / info.sample_rate_hz
    return ReplayResult(Path(path), info, duration_s, rate, tuple(results), t1 - t0, t2 - t1)


def _mapped(path: Path) -> np.ndarray:
    """Map a channel's scratch file (not load it).

    Decoding reads windows, detection reads only the scheduled elements, so memory does
    not grow with the recording.
    """
    if path.stat().st_size:
        return np.memmap(path, dtype=np.complex64, mode="r")
    return np.zeros(0, np.complex64)


def _analyse(
    ch: Channel,
    samples: np.ndarray,
    rate: float,
    info: SourceInfo,
    event: Event | None,
    pfa: float,
    grabs: GrabSettings | None,
    overwrite: bool,
    stem: str,
) -> ChannelResult:
    rec = Recording(samples, rate, ch.freq_hz, info.start_utc, "iq")
    search = search_hz(rate)
    windows = decode_windows(rec, event, search, pfa, info.center_freq_hz - ch.freq_hz)
    decoded = best_window(windows)
    detection = None
    numbers: tuple[int, ...] = ()
    if event is not None and info.start_utc is not None:
        try:
            nums, rounds_s = event_rounds(rec, event)
        except InputError as exc:  # no whole round in the recording: decode only
            logger.info("%s: no detection: %s", ch.label, exc)
        else:
            detection = detect_recording(rec, rounds_s, search_hz=search, pfa=pfa)
            numbers = tuple(nums)
    pngs: tuple[Path, ...] = ()
    if grabs is not None:
        pngs = channel_grabs(
            rec, grabs, label=ch.label, stem=stem, decoded=decoded, detection=detection,
            event=event, overwrite=overwrite,
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
