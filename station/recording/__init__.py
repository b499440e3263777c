"""Recordings on disk: one :class:`Recording` type, one reader entry point, SigMF and WAV.

Everything hi-station knows about recording files lives in this package:

- :mod:`~station.recording.model`: :class:`Recording`, :class:`Annotation` and the
  format a file name names (:func:`recording_format`);
- :mod:`~station.recording.reader`: :func:`read_recording`, the one entry point for
  reading a SigMF or WAV file whole;
- :mod:`~station.recording.sigmf`: the only SigMF reader (:func:`open_sigmf`, the one
  judge of a SigMF file, for ``decode``, ``detect`` and ``replay`` alike) and writer
  (:func:`write_sigmf`);
- :mod:`~station.recording.sigmf_meta`: the metadata's shape, the one datatype table
  and the one annotation builder;
- :mod:`~station.recording.sigmf_stream`: :class:`SigmfStreamWriter`, the crash-safe
  streaming writer of live captures;
- :mod:`~station.recording.recover`: :func:`recover_recording` for a pair cut short
  by a crash, and :func:`read_gaps`;
- :mod:`~station.recording.wav`: WAV reading and writing.

Examples
--------
>>> import tempfile
>>> import numpy as np
>>> from pathlib import Path
>>> out = Path(tempfile.mkdtemp()) / "tone"
>>> _ = write_sigmf(out, np.ones(100, np.complex64), 1000.0)
>>> read_recording(out).duration_s
0.1
"""

from station.recording.model import (
    EXTENSIONS_HELP,
    Annotation,
    Recording,
    recording_format,
    sigmf_files,
)
from station.recording.reader import read_recording
from station.recording.recover import GAP_LABEL, RecoverReport, read_gaps, recover_recording
from station.recording.sigmf import SigmfInput, open_sigmf, read_sigmf, sigmf_blocks, write_sigmf
from station.recording.sigmf_stream import SigmfStreamWriter
from station.recording.wav import read_wav, write_wav

__all__ = [
    "EXTENSIONS_HELP",
    "GAP_LABEL",
    "Annotation",
    "Recording",
    "RecoverReport",
    "SigmfInput",
    "SigmfStreamWriter",
    "open_sigmf",
    "read_gaps",
    "read_recording",
    "read_sigmf",
    "read_wav",
    "recording_format",
    "sigmf_files",
    "recover_recording",
    "sigmf_blocks",
    "write_sigmf",
    "write_wav",
]
