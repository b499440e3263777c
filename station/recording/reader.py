"""One entry point to read a recording, SigMF or WAV, chosen by its file name.

The format is named by :func:`station.recording.model.recording_format`; the readers
are :func:`station.recording.sigmf.read_sigmf` and :func:`station.recording.wav.read_wav`,
both returning a :class:`station.recording.model.Recording`.

Examples
--------
>>> import tempfile
>>> import numpy as np
>>> from pathlib import Path
>>> from station.recording.wav import write_wav
>>> path = Path(tempfile.mkdtemp()) / "tone.wav"
>>> _ = write_wav(path, np.zeros(800, np.float32), 8000)
>>> read_recording(path).samples.size
800
"""

from __future__ import annotations

import os

from station.recording.model import Recording, recording_format
from station.recording.sigmf import read_sigmf
from station.recording.wav import read_wav

__all__ = ["read_recording"]


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a SigMF or WAV recording, checked for consistency.

    Parameters
    ----------
    path : str or os.PathLike
        ``.sigmf-meta``, ``.sigmf-data``, bare SigMF name, ``.sigmf`` archive or ``.wav``.

    Returns
    -------
    Recording

    Raises
    ------
    RecordingError
        Missing, empty, truncated or inconsistent file, unsupported datatype, missing
        sample rate, NaN/inf samples, checksum mismatch or unknown extension.
    """
    if recording_format(path) == "wav":
        return read_wav(path)
    return read_sigmf(path)
