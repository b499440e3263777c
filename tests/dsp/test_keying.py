import numpy as np
import pytest

from dsp.errors import DspValueError
from dsp.keying import keyed_audio, keyed_baseband, keying_envelope
from dsp.morse import key_intervals


@pytest.mark.parametrize("shape", ["raised-cosine", "linear", "hard"])
def test_duty_cycle_of_hi_is_six_of_thirteen_units(shape):
    iv = key_intervals("HI", 1.0)
    env = keying_envelope(iv, 1000.0, duration_s=13.0, rise_s=0.05, shape=shape)
    # Edges reach half amplitude at the nominal instant: the mean amplitude is preserved.
    assert np.sum(env) / 1000.0 == pytest.approx(6.0, abs=0.02)


def test_edges_are_shaped_not_clicks():
    env = keying_envelope([[1.0, 2.0]], 1000.0, duration_s=3.0, rise_s=0.1)
    assert np.max(np.abs(np.diff(env))) < 0.02


def test_baseband_tone_frequency_and_audio_amplitude():
    x = keyed_baseband([[0.0, 10.0]], 1000.0, duration_s=10.0, offset_hz=-123.0, shape="hard")
    f = np.fft.fftfreq(x.size, 1e-3)[np.argmax(np.abs(np.fft.fft(x)))]
    assert f == pytest.approx(-123.0, abs=0.1)
    a = keyed_audio([[0.0, 1.0]], 8000.0, duration_s=1.0, tone_hz=700.0, amplitude=0.3)
    assert np.max(np.abs(a)) == pytest.approx(0.3, abs=1e-3)


def test_bad_parameters():
    with pytest.raises(DspValueError, match="Nyquist"):
        keyed_baseband([[0, 1]], 100.0, duration_s=1.0, offset_hz=60.0)
    with pytest.raises(DspValueError, match="sample_rate_hz"):
        keying_envelope([[0, 1]], 0.0, duration_s=1.0)
    with pytest.raises(DspValueError, match="overlap"):
        keying_envelope([[0, 2], [1, 3]], 10.0, duration_s=4.0)
    with pytest.raises(DspValueError, match="tone_hz"):
        keyed_audio([[0, 1]], 8000.0, duration_s=1.0, tone_hz=5000.0)
