"""Pure signal processing for slow Morse: arrays in, frozen dataclasses out.

Nothing in :mod:`dsp` opens files, reads the clock, touches a device or imports
:mod:`station`.  The names below are the curated public API; every module keeps its
own ``__all__`` for the rest.  Modules:

- :mod:`dsp.morse`: text <-> elements <-> key-down intervals
- :mod:`dsp.keying`: intervals -> complex baseband or audio with shaped edges
- :mod:`dsp.channel`: noise at an exact SNR2500, offset, drift, phase wander, fading
- :mod:`dsp.impair`: a seeded real band (carriers, DC spike, impulses, AGC, QSB, drift)
- :mod:`dsp.decode`: blind decoding (unknown text, dit, frequency, drift)
- :mod:`dsp.detect`: known-template detection with a calibrated false-alarm rate
- :mod:`dsp.stack`: combining repeated rounds
- :mod:`dsp.channelize`: one wide recording -> many narrow channels
- :mod:`dsp.spectrogram`: QRSS grabs and stacked frames
- :mod:`dsp.radiometer`: the Waves survey's on/off radiometer test

Examples
--------
>>> import numpy as np
>>> import dsp
>>> iv = dsp.key_intervals("HI", 10.0, start_s=5.0)
>>> x = dsp.keyed_baseband(iv, 2000.0, duration_s=140.0)
>>> y = dsp.apply_channel(x, 2000.0, dsp.Channel(-30.0), np.random.default_rng(1))
>>> dsp.decode(y, 2000.0).text
'HI'
"""

from dsp.channel import Channel, apply_channel
from dsp.channelize import Channelizer, band_channels, cu8_to_complex64
from dsp.decode import decode
from dsp.detect import detect
from dsp.errors import DspValueError
from dsp.impair import Band, Carrier, Keyed, render_band
from dsp.keying import EdgeShape, keyed_audio, keyed_baseband
from dsp.morse import key_intervals, normalize_text, text_to_elements, wpm_to_dit_s
from dsp.radiometer import radiometer_test
from dsp.results import Decoded, Detection, DitResult, RoundResult
from dsp.spectrogram import Spectrogram, qrss_spectrogram, stack_frames

__all__ = [
    "Band",
    "Carrier",
    "Channel",
    "Channelizer",
    "Decoded",
    "Detection",
    "DitResult",
    "DspValueError",
    "EdgeShape",
    "Keyed",
    "RoundResult",
    "Spectrogram",
    "apply_channel",
    "band_channels",
    "cu8_to_complex64",
    "decode",
    "detect",
    "key_intervals",
    "keyed_audio",
    "keyed_baseband",
    "normalize_text",
    "qrss_spectrogram",
    "radiometer_test",
    "render_band",
    "stack_frames",
    "text_to_elements",
    "wpm_to_dit_s",
]
