"""The searched band of a recording, read in bounded memory: what ``decode`` and ``detect`` see.

A wide I/Q recording (an RTL-SDR capture at 240 kS/s holds 48 times the band a
decode searches) is never loaded whole.  Its SigMF data is read block by block
(:func:`station.recording.sigmf.sigmf_blocks`) through a one-channel
:class:`~dsp.channelize.Channelizer` centred on the searched band, at the lowest rate
that keeps the band inside the filter's flat passband (the band is at most
:data:`SEARCH_FRACTION` of the channel rate each side, as in ``replay``).  The
channel (2,667 S/s for the default +-1 kHz) is then cut to the band itself with the
search's own brick-wall :func:`dsp.spectrum.to_baseband` (by pieces, so without an
hour-long FFT's scratch), and only that is kept: 2,000 S/s, 58 MB per hour, whatever
the recording's rate.  Narrow recordings (the channel would not be at least twice
narrower) and audio (WAV, or SigMF ``rf32_le``/``ri16_le``) are read as they are.

The channelizer has no group delay (its output sample ``m`` is input sample
``m * D``), so times are unchanged; frequencies found in the channel are moved back
onto the recording's axis with :func:`dsp.results.shift_frequencies`, so a result
does not depend on whether its recording was channelized (up to the channel filter:
flat to 0.01 dB across the band, at least 80 dB down outside it).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from dsp.channelize import Channelizer
from dsp.results import Decoded, Detection, shift_frequencies
from dsp.spectrum import band_of
from station.analysis import (
    Band,
    decode_recording,
    detect_recording,
    event_rounds,
    schedule_rounds,
    search_band,
)
from station.channels import SEARCH_FRACTION
from station.errors import InputError
from station.recording import (
    Recording,
    SigmfInput,
    open_sigmf,
    read_recording,
    read_sigmf,
    recording_format,
    sigmf_blocks,
)
from station.schedule.event import Event, load_event

__all__ = ["BandInput", "RoundSchedule", "channel_decimation", "choose_rounds",
           "decode_band", "decode_file", "detect_band", "detect_file", "read_band",
           "rounds_to_test"]  # fmt: skip

logger = logging.getLogger(__name__)

_BLOCK = 1 << 18


@dataclass(frozen=True, slots=True)
class BandInput:
    """A recording's searched band, ready for :func:`decode_band` and :func:`detect_band`.

    Attributes
    ----------
    recording : Recording
        The recording as its file describes it (rate, centre, start, path, length).
        When channelized its ``samples`` are a zero-memory stand-in of the right length
        (every sample 0): read :attr:`channel` for the signal.
    channel : Recording
        The samples analysed: the recording itself, or its band at a reduced rate with
        the band's centre at 0 Hz.
    band : Band
        The searched band on the recording's frequency axis.
    """

    recording: Recording
    channel: Recording
    band: Band

    @property
    def shift_hz(self) -> float:
        """Frequency on the recording's axis of the channel's 0 Hz."""
        return 0.0 if self.channel is self.recording else self.band.center_hz

    @property
    def channel_band(self) -> Band:
        """The searched band on the channel's axis."""
        return Band(self.band.center_hz - self.shift_hz, self.band.search_hz)


def channel_decimation(sample_rate_hz: float, search_hz: float) -> int:
    """Largest decimation whose channel holds ``+-search_hz`` within :data:`SEARCH_FRACTION`.

    Examples
    --------
    >>> channel_decimation(240e3, 1000.0), channel_decimation(2000.0, 1000.0)
    (90, 1)
    """
    return max(1, math.floor(sample_rate_hz * SEARCH_FRACTION / search_hz))


def read_band(
    path: str | os.PathLike[str],
    *,
    center_hz: float | None = None,
    search_hz: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> BandInput:
    """Read the band ``center_hz +- search_hz`` of ``path`` (defaults: :func:`search_band`).

    Parameters
    ----------
    path : str or os.PathLike
        Any recording :func:`~station.recording.reader.read_recording` reads.
    center_hz, search_hz : float, optional
        The searched band, as for :func:`~station.analysis.search_band`.
    progress : callable, optional
        ``progress(fraction)`` while a wide recording is channelized.

    Raises
    ------
    RecordingError, InputError
        As :func:`~station.recording.reader.read_recording` and
        :func:`~station.analysis.search_band`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from station.recording import write_sigmf
    >>> fs, n = 48000.0, np.arange(48000 * 20)
    >>> x = np.exp(2j * np.pi * 5300.0 * n / fs).astype(np.complex64)
    >>> out = write_sigmf(Path(tempfile.mkdtemp()) / "wide", x, fs, center_freq_hz=28e6)
    >>> inp = read_band(out, center_hz=5000.0, search_hz=500.0)
    >>> round(inp.channel.sample_rate_hz), inp.shift_hz, inp.channel_band
    (1008, 5000.0, Band(center_hz=0.0, search_hz=500.0))
    >>> inp.recording.duration_s, round(inp.channel.duration_s, 3)
    (20.0, 20.0)
    """
    if recording_format(path) == "wav":
        rec = read_recording(path)
        return BandInput(rec, rec, search_band(rec, center_hz=center_hz, search_hz=search_hz))
    opened = open_sigmf(path)
    outline = opened.outline()
    band = search_band(outline, center_hz=center_hz, search_hz=search_hz)
    fs = opened.sample_rate_hz
    assert fs is not None  # open_sigmf requires core:sample_rate by default
    d = channel_decimation(fs, band.search_hz)
    if d < 2 or opened.kind == "audio":  # audio SigMF: read whole, as a mono WAV is
        rec = read_sigmf(path)
        return BandInput(rec, rec, band)
    samples = _channelize(opened, band.center_hz, fs / d, progress)
    # The search's own brick-wall cut (decode and detect start with it; done here it
    # is done once and the wider channel is freed before the search begins).
    samples, rate = band_of(samples, fs / d, center_hz=0.0,
                            half_band_hz=band.search_hz, overwrite_x=True)  # fmt: skip
    channel = Recording(samples, rate, opened.center_freq_hz, opened.start_utc, "iq",
                        opened.where)  # fmt: skip
    logger.info("read %s: band %s as a %g S/s channel", opened.where, band, channel.sample_rate_hz)
    return BandInput(outline, channel, band)


def _channelize(
    opened: SigmfInput,
    offset_hz: float,
    channel_rate_hz: float,
    progress: Callable[[float], None] | None,
) -> np.ndarray:
    """Stream the channel at ``offset_hz`` of ``opened`` into one preallocated array."""
    assert opened.sample_rate_hz is not None  # read_band checked it
    bank = Channelizer(opened.sample_rate_hz, [offset_hz], channel_rate_hz,
                       passband_hz=0.8 * channel_rate_hz)  # fmt: skip
    out = np.empty(-(-opened.sample_count // bank.decimation), np.complex64)
    filled = 0

    def put(rows: np.ndarray) -> None:
        nonlocal filled
        out[filled : filled + rows.shape[1]] = rows[0]
        filled += rows.shape[1]

    for block in sigmf_blocks(opened, _BLOCK):
        put(bank.process(block))
        if progress is not None:
            progress(min(1.0, filled * bank.decimation / opened.sample_count))
    put(bank.flush())
    return out


def decode_band(inp: BandInput, **options: float) -> Decoded:
    """:func:`~station.analysis.decode_recording` of the band, on the recording's axis.

    ``options`` are those of :func:`~station.analysis.decode_recording` (not the band).
    """
    band = inp.channel_band
    decoded = decode_recording(inp.channel, center_hz=band.center_hz, search_hz=band.search_hz,
                               image_center_hz=-inp.shift_hz, **options)  # fmt: skip
    return shift_frequencies(decoded, inp.shift_hz)


def detect_band(inp: BandInput, rounds_s: list[np.ndarray], **options: float) -> Detection:
    """:func:`~station.analysis.detect_recording` of the band, on the recording's axis."""
    band = inp.channel_band
    detection = detect_recording(inp.channel, rounds_s, center_hz=band.center_hz,
                                 search_hz=band.search_hz, **options)  # fmt: skip
    return shift_frequencies(detection, inp.shift_hz)


@dataclass(frozen=True, slots=True)
class RoundSchedule:
    """Rounds given by hand (``detect`` without ``--schedule``): see :func:`schedule_rounds`."""

    text: str = "HI"
    dit_s: float = 30.0
    start_utc: datetime | None = None
    start_offset_s: float | None = None
    rounds: int = 1
    period_s: float = 600.0


def choose_rounds(schedule: str | None, hand: RoundSchedule) -> Event | RoundSchedule:
    """Return the event ``schedule`` (a file or shipped id) if given, else the hand rounds.

    Raises
    ------
    InputError
        Both an event and a start (``--start-utc``, ``--start-offset-s``) are given.
    """
    if schedule is None:
        return hand
    event = load_event(schedule)
    if hand.start_utc is not None or hand.start_offset_s is not None:
        raise InputError("--schedule gives the round times; drop --start-utc / --start-offset-s")
    return event


def rounds_to_test(
    recording: Recording, rounds: Event | RoundSchedule
) -> tuple[list[int], list[np.ndarray]]:
    """Return the round numbers and key-downs (s from the first sample) to test in ``recording``.

    An event gives its rounds lying wholly inside the recording, numbered as in the
    event (:func:`~station.analysis.event_rounds`); a :class:`RoundSchedule` gives
    :func:`~station.analysis.schedule_rounds`, numbered from 1.
    """
    if isinstance(rounds, Event):
        return event_rounds(recording, rounds)
    s = rounds
    rounds_s = schedule_rounds(recording, s.text, s.dit_s, start_utc=s.start_utc,
                               start_offset_s=s.start_offset_s, rounds=s.rounds,
                               period_s=s.period_s)  # fmt: skip
    return list(range(1, len(rounds_s) + 1)), rounds_s


def _reader(path: str | os.PathLike[str], say: Callable[[str], None]) -> Callable[[float], None]:
    return lambda fraction: say(f"reading {path}: {100 * fraction:.0f} %")


def decode_file(
    path: str | os.PathLike[str],
    *,
    center_hz: float | None = None,
    search_hz: float | None = None,
    step: Callable[[str], None] | None = None,
    **options: float,
) -> tuple[Recording, Decoded]:
    """Read the searched band of ``path`` (:func:`read_band`) and decode it (:func:`decode_band`).

    ``step`` is called with a short description of each stage (for a progress display).
    Returns the recording as its file describes it and the result.
    """
    say = step or (lambda _text: None)
    say(f"reading {path}")
    inp = read_band(path, center_hz=center_hz, search_hz=search_hz, progress=_reader(path, say))
    say(f"decoding {inp.recording.duration_s:.0f} s of {inp.channel.sample_rate_hz:g} S/s")
    return inp.recording, decode_band(inp, **options)


def detect_file(
    path: str | os.PathLike[str],
    rounds: Event | RoundSchedule,
    *,
    center_hz: float | None = None,
    search_hz: float | None = None,
    step: Callable[[str], None] | None = None,
    **options: float,
) -> tuple[Recording, Detection]:
    """Detect the rounds (:func:`rounds_to_test`) in the searched band of ``path``.

    Rounds are numbered as the event numbers them (round 5 stays 5 in a recording of
    rounds 5-7).  ``options`` are those of :func:`~station.analysis.detect_recording`;
    ``step`` as for :func:`decode_file`.

    Raises
    ------
    InputError
        An event together with a start time of a :class:`RoundSchedule`, or as
        As :func:`read_band` and :func:`rounds_to_test`.
    """
    say = step or (lambda _text: None)
    say(f"reading {path}")
    inp = read_band(path, center_hz=center_hz, search_hz=search_hz, progress=_reader(path, say))
    numbers, rounds_s = rounds_to_test(inp.recording, rounds)
    say(f"detecting {len(rounds_s)} round(s) in {inp.recording.duration_s:.0f} s")
    detection = detect_band(inp, rounds_s, **options)
    renumbered = tuple(
        dataclasses.replace(r, index=n) for r, n in zip(detection.rounds, numbers, strict=True)
    )
    return inp.recording, dataclasses.replace(detection, rounds=renumbered)
