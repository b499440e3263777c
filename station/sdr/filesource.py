"""Replay of a recording as an I/Q source, block by block in constant memory.

Formats (chosen by the file name):

- SigMF pair (``NAME.sigmf-meta``/``.sigmf-data`` or bare ``NAME``) or uncompressed
  archive ``NAME.sigmf``, datatype ``cu8``, ``ci16_le`` or ``cf32_le``, one channel.
  The file is opened and judged by :func:`station.recording.open_sigmf`, exactly as
  ``decode`` judges it (checksum, sample rate, datatype, layout), and it locates the
  samples (inside the tar for an archive); the samples themselves are read here with
  plain file reads, a block at a time (a memory map would keep every page it touched
  resident, so the process would grow with the file).
- Audio SigMF (datatype ``rf32_le`` or ``ri16_le``, mono audio from an SSB receiver)
  and mono audio WAV, with ``dial_hz`` (``--dial-mhz``) and ``sideband``: converted to
  complex baseband at half the audio rate centred on the RF of audio ``fs/4``, as the
  sound-card source does (:mod:`station.sdr.audio`), so USB audio ``a`` lands on RF
  dial + ``a`` and LSB on dial - ``a``.  The dial is always ``dial_hz``, never the
  file's ``core:frequency``: SigMF defines that as the centre of the recorded signal,
  which for receiver audio writers read as the dial, the audio's centre or nothing,
  so it is not guessed (as a WAV, an audio SigMF without ``dial_hz`` is refused).
  The conversion delays the audio by :data:`dsp.audio_baseband.DELAY_SAMPLES` audio
  samples; the first sample's UTC (``core:datetime``, or ``start_utc``) is moved back
  by as much, so edges keep their UTC.
- Raw ``rtl_sdr`` output ``NAME.cu8`` (no metadata: ``sample_rate_hz`` and
  ``center_freq_hz`` are required).
- Two-channel WAV (``NAME.wav``, I left, Q right), through :mod:`soundfile` blocks.

Scaling (:data:`station.recording.sigmf_meta.DATATYPES`): ``cu8`` is ``(u8 - 128) / 128``,
the same as the ``rtl_tcp`` and dongle sources (:func:`station.sdr.rtltcp.cu8_to_complex64`)
and the :mod:`sigmf` package's autoscale, so a replay gives the samples the live capture
gave.  ``ci16_le`` is ``i16 / 32768``; ``cf32_le`` and WAV are taken as they are.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> path = Path(tempfile.mkdtemp()) / "cap.cu8"
>>> _ = path.write_bytes(bytes([255, 0] * 1000))
>>> src = FileSource(path, sample_rate_hz=240e3, center_freq_hz=28.2e6)
>>> src.open().datatype, src.sample_count
('cu8', 1000)
>>> block = src.read(600)
>>> block.samples[0], block.start_sample, len(src.read(600).samples), src.read(600)
(np.complex64(0.9921875-1j), 0, 400, None)
>>> src.close()
"""

from __future__ import annotations

import logging
import math
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf

from dsp.audio_baseband import DELAY_SAMPLES, AudioBasebandState, audio_to_baseband
from station.clock import Clock, SystemClock
from station.errors import InputError, RecordingError
from station.recording import SigmfInput, open_sigmf
from station.recording.model import check_finite
from station.recording.sigmf_meta import DATATYPES
from station.recording.wav import riff_data_shortfall
from station.sdr.base import IQBlock, SourceInfo
from station.sideband import audio_to_rf_hz, check_sideband

__all__ = ["FileSource"]

logger = logging.getLogger(__name__)

_FORMATS_HELP = (
    "use NAME.sigmf-meta, bare NAME or NAME.sigmf (SigMF), NAME.cu8 (raw rtl_sdr, with "
    "sample_rate_hz and center_freq_hz) or NAME.wav (two-channel I/Q)"
)
_DIAL_HELP = "or mono audio with --dial-mhz (the SSB receiver's dial)"


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"{name}={value} must be a finite value > 0")
    return v


class FileSource:
    """An :class:`~station.sdr.base.IQSource` replaying a recording.

    Parameters
    ----------
    path : str or os.PathLike
        SigMF pair, bare SigMF name or archive; raw ``.cu8``; two-channel ``.wav``.
    sample_rate_hz, center_freq_hz : float, optional
        Required for raw ``.cu8``; otherwise used only when the file does not say
        (and an error when they disagree with it).  Centre frequency 0 when unknown.
    start_utc : datetime, optional
        UTC of the first sample when the file does not say (aware).
    realtime : bool, optional
        Deliver each block no earlier than it would have arrived live (on ``clock``);
        as fast as possible otherwise.
    clock : Clock, optional
        For pacing; defaults to the system clock.
    verify_checksum : bool, optional
        Check SigMF ``core:sha512`` first (reads the whole file once).
    dial_hz : float, optional
        A mono audio WAV or audio SigMF (``rf32_le``, ``ri16_le``) from an SSB receiver
        on this dial: read as complex baseband at half its rate, as the sound-card source
        does (:mod:`station.sdr.audio`).  Required for audio; the file's
        ``core:frequency`` is not read as the dial.
    sideband : {"usb", "lsb"}, optional
        That receiver's sideband.

    Raises
    ------
    InputError
        A bad parameter, or a raw ``.cu8`` without rate or frequency.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sample_rate_hz: float | None = None,
        center_freq_hz: float | None = None,
        start_utc: datetime | None = None,
        realtime: bool = False,
        clock: Clock | None = None,
        verify_checksum: bool = False,
        dial_hz: float | None = None,
        sideband: str = "usb",
    ) -> None:
        self.path = Path(path)
        self._dial = None if dial_hz is None else float(dial_hz)
        self._sideband = check_sideband(sideband)
        self._audio: AudioBasebandState | None = None  # mono audio: the conversion's state
        self._rate = _positive("sample_rate_hz", sample_rate_hz)
        if center_freq_hz is not None and not math.isfinite(float(center_freq_hz)):
            raise InputError(f"center_freq_hz={center_freq_hz} must be finite")
        self._center = None if center_freq_hz is None else float(center_freq_hz)
        if start_utc is not None and start_utc.tzinfo is None:
            raise InputError(f"start_utc={start_utc} must be timezone-aware (UTC)")
        self._start_utc = start_utc
        suffix = self.path.suffix.lower()
        if suffix == ".cu8":
            self.kind = "cu8"
            if self._rate is None or self._center is None:
                raise InputError(
                    f"{self.path} is a raw rtl_sdr file without metadata: give sample_rate_hz "
                    "and center_freq_hz (the -s and -f it was recorded with)"
                )
        elif suffix == ".wav":
            self.kind = "wav"
        elif suffix in ("", ".sigmf", ".sigmf-meta", ".sigmf-data"):
            self.kind = "sigmf"
        else:
            raise RecordingError(
                self.path, f"extension {suffix!r} is not replayable; {_FORMATS_HELP}"
            )
        self.realtime = realtime
        self.verify_checksum = verify_checksum
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._fh: BinaryIO | None = None
        self._wav: sf.SoundFile | None = None
        self._info: SourceInfo | None = None
        self._datatype = ""
        self._offset = 0
        self._pos = 0
        self._opened_at: datetime | None = None
        self._where = self.path
        #: Samples in the file, once opened.
        self.sample_count: int | None = None

    def _agree(self, name: str, given: Any, found: Any, where: Path) -> Any:
        if given is not None and found is not None and given != found:
            raise InputError(f"{name}={given} disagrees with {found} recorded in {where}; omit it")
        return found if found is not None else given

    def _open_raw(self) -> tuple[Path, dict[str, Any]]:
        p = self.path
        if not p.is_file():
            raise RecordingError(p, "no such file")
        size = p.stat().st_size
        if size == 0:
            raise RecordingError(p, "data is empty (0 samples)")
        if size % 2:
            raise RecordingError(
                p, f"data is truncated: {size} bytes is not a whole number of 2-byte cu8 samples"
            )
        self._fh = open(p, "rb")
        self._datatype, self.sample_count = "cu8", size // 2
        return p, {"hw": f"raw rtl_sdr file {p.name}"}

    def _open_wav(self) -> tuple[Path, dict[str, Any]]:
        p = self.path
        if not p.is_file():
            raise RecordingError(p, "no such WAV file")
        shortfall = riff_data_shortfall(p)
        if shortfall is not None:
            raise RecordingError(
                p, f"data is truncated: the header declares {shortfall[0]} bytes but "
                f"{shortfall[1]} are present",
            )  # fmt: skip
        try:
            wav = sf.SoundFile(str(p))
        except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
            raise RecordingError(p, f"cannot read as WAV: {exc}") from None
        if wav.channels == 1 and self._dial is not None and wav.frames >= 2:
            self._wav, self.sample_count = wav, wav.frames // 2
            self._audio = AudioBasebandState()
            fs = float(wav.samplerate)
            center = audio_to_rf_hz(fs / 4, self._dial, self._sideband)
            return p, {"rate": fs / 2, "center": center,
                       "hw": f"mono audio WAV {p.name} from an SSB receiver on "
                             f"{self._dial / 1e6:.6f} MHz {self._sideband.upper()}"}  # fmt: skip
        if wav.channels != 2:
            wav.close()
            raise RecordingError(
                p, f"has {wav.channels} channel(s); replay needs two (I and Q), {_DIAL_HELP}"
            )
        if wav.frames == 0:
            wav.close()
            raise RecordingError(p, "data is empty (0 samples)")
        self._wav, self.sample_count = wav, wav.frames
        return p, {"rate": float(wav.samplerate), "hw": f"WAV file {p.name}"}

    def _open_sigmf(self) -> tuple[Path, dict[str, Any]]:
        """Judge the file exactly as ``decode`` does (:func:`station.recording.open_sigmf`).

        A missing ``core:sample_rate`` is decode's error unless ``sample_rate_hz`` was given.
        """
        opened = open_sigmf(self.path, verify_checksum=self.verify_checksum,
                            rate_required=self._rate is None)  # fmt: skip
        hw, where = opened.hardware, opened.where
        if opened.kind == "audio":
            return where, self._audio_sigmf(opened)
        data_file, self._offset = opened.data_location()
        self._fh = open(data_file, "rb")
        self._datatype, self.sample_count = opened.datatype, opened.sample_count
        return where, {
            "rate": opened.sample_rate_hz, "center": opened.center_freq_hz,
            "start": opened.start_utc, "hw": f"{hw + '; ' if hw else ''}replay of {where.name}",
        }  # fmt: skip

    def _audio_sigmf(self, opened: SigmfInput) -> dict[str, Any]:
        """Open an audio SigMF through the dial, as a mono WAV (``core:frequency`` unread)."""
        where = opened.where
        if self._dial is None:
            raise RecordingError(
                where, f"core:datatype={opened.datatype} is mono audio; replay needs I/Q, "
                f"{_DIAL_HELP}",
            )  # fmt: skip
        fs = opened.outline().sample_rate_hz  # decode's error when core:sample_rate is missing
        if opened.sample_count < 2:
            raise RecordingError(where, "data is too short (under 2 audio samples)")
        data_file, self._offset = opened.data_location()
        self._fh = open(data_file, "rb")
        self._datatype, self.sample_count = opened.datatype, opened.sample_count // 2
        self._audio = AudioBasebandState()
        hw = f"{opened.hardware}; " if opened.hardware else ""
        return {"rate": fs / 2, "center": audio_to_rf_hz(fs / 4, self._dial, self._sideband),
                "start": opened.start_utc,
                "hw": f"{hw}audio SigMF {where.name} from an SSB receiver on "
                      f"{self._dial / 1e6:.6f} MHz {self._sideband.upper()}"}  # fmt: skip

    def _read_audio(self, n: int) -> np.ndarray:
        """Read the next ``n`` audio samples (mono WAV or audio SigMF), float32, checked finite."""
        if self._wav is not None:
            audio = self._wav.read(n, dtype="float32", always_2d=True)[:, 0]
        else:
            assert self._fh is not None
            datatype = DATATYPES[self._datatype]
            self._fh.seek(self._offset + 2 * self._pos * datatype.sample_bytes)
            audio = datatype.to_samples(self._fh.read(n * datatype.sample_bytes))
        check_finite(audio, self._where, first_index=2 * self._pos)
        return audio

    def open(self) -> SourceInfo:
        """Check the file and get ready to read from its first sample.

        Raises
        ------
        RecordingError
            Missing, empty, truncated or inconsistent file, unsupported datatype, a
            SigMF checksum mismatch (with ``verify_checksum``) or no ``core:sample_rate``
            when none was given: SigMF in the words of ``decode``
            (:func:`station.recording.open_sigmf`).
        InputError
            A given rate, frequency or start time disagrees with the file.
        """
        if self._info is not None:
            return self._info
        opener = {"cu8": self._open_raw, "wav": self._open_wav, "sigmf": self._open_sigmf}
        where, found = opener[self.kind]()
        self._where = where
        try:
            rate = self._agree("sample_rate_hz", self._rate, found.get("rate"), where)
            if rate is None:
                raise InputError(
                    f"{where} has no core:sample_rate; give sample_rate_hz (the rate in S/s)"
                )
            center = self._agree("center_freq_hz", self._center, found.get("center"), where)
            start = self._agree("start_utc", self._start_utc, found.get("start"), where)
            if start is not None and self._audio is not None:  # the filter's delay
                start -= timedelta(seconds=DELAY_SAMPLES / (2 * float(rate)))
        except InputError:
            self.close()
            raise
        self._info = SourceInfo(
            sample_rate_hz=float(rate),
            center_freq_hz=0.0 if center is None else float(center),
            start_utc=start,
            hardware=found["hw"],
            datatype="" if self._audio is not None else self._datatype,  # audio: no raw
        )
        self._pos = 0
        self._opened_at = self._clock.now()
        logger.info("replaying %s: %s samples at %g S/s", where, self.sample_count, rate)
        return self._info

    def read(self, n: int) -> IQBlock | None:
        """Return the next block of up to ``n`` samples, or None after the last.

        Raises
        ------
        RecordingError
            The file shrank while being read, or holds NaN/inf samples.
        """
        if self._info is None or self.sample_count is None:
            raise RuntimeError("FileSource.read() before open()")
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise InputError(f"n={n!r} must be a whole number of samples > 0")
        count = min(n, self.sample_count - self._pos)
        if count <= 0:
            return None
        raw = None
        if self._audio is not None:
            samples, self._audio = audio_to_baseband(self._read_audio(2 * count), self._audio,
                                                     lsb=self._sideband == "lsb")  # fmt: skip
        elif self._wav is not None:
            frames = self._wav.read(count, dtype="float32", always_2d=True)
            samples = np.ascontiguousarray(frames).view(np.complex64).reshape(-1)
        else:
            assert self._fh is not None
            datatype = DATATYPES[self._datatype]
            self._fh.seek(self._offset + self._pos * datatype.sample_bytes)
            raw = self._fh.read(count * datatype.sample_bytes)
            samples = datatype.to_samples(raw)
        if samples.size != count:
            raise RecordingError(
                self.path, f"ended at sample {self._pos + samples.size} while being read; "
                f"{self.sample_count} were expected (file cut short meanwhile?)",
            )  # fmt: skip
        if self._datatype != "cu8":
            check_finite(samples, self._where, first_index=self._pos)  # as decode words it
        block = IQBlock(samples, start_sample=self._pos, raw=raw)
        self._pos += count
        if self.realtime and self._opened_at is not None:
            due = self._opened_at + timedelta(seconds=self._pos / self._info.sample_rate_hz)
            self._clock.sleep((due - self._clock.now()).total_seconds())
        return block

    def close(self) -> None:
        """Close the file (idempotent)."""
        for handle in (self._fh, self._wav):
            if handle is not None:
                handle.close()
        self._fh = self._wav = None
        self._info = None

    def __enter__(self) -> FileSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
