"""Pure signal processing for slow Morse: arrays in, frozen dataclasses out.

Nothing in :mod:`dsp` opens files, reads the clock, touches a device or imports
:mod:`station`.  Modules:

- :mod:`dsp.morse`: text <-> elements <-> key-down intervals
- :mod:`dsp.keying`: intervals -> complex baseband or audio with shaped edges
- :mod:`dsp.channel`: noise at an exact SNR2500, offset, drift, phase wander, fading
- :mod:`dsp.decode`: blind decoding (unknown text, dit, frequency, drift)
- :mod:`dsp.detect`: known-template detection with a calibrated false-alarm rate
- :mod:`dsp.stack`: combining repeated rounds
"""

__all__: list[str] = []
