import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsp.channel import Channel, apply_channel
from dsp.decode import decode
from dsp.errors import DspValueError
from dsp.keying import keyed_audio, keyed_baseband
from dsp.morse import MORSE_CODE, key_intervals


def _signal(text, dit_s, snr, seed, *, fs=2000.0, offset_hz=0.0, drift_hz_per_s=0.0, lead=None):
    lead = 2 * dit_s + 1 if lead is None else lead
    iv = key_intervals(text, dit_s, start_s=lead)
    x = keyed_baseband(iv, fs, duration_s=iv[-1, 1] + lead)
    ch = Channel(snr, offset_hz=offset_hz, drift_hz_per_s=drift_hz_per_s)
    return apply_channel(x, fs, ch, np.random.default_rng(seed), carrier_power=1.0), iv


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_qrss30_hi_at_minus_30_db_with_offset_and_drift(seed):
    y, iv = _signal("HI", 30.0, -30.0, seed, offset_hz=-612.5, drift_hz_per_s=0.4 / 60, lead=5.0)
    d = decode(y, 2000.0)
    assert d.text == "HI" and d.detected
    assert d.dit_s == pytest.approx(30.0, rel=0.02)
    assert d.freq_hz == pytest.approx(-612.5, abs=0.02)
    assert d.drift_hz_per_s * 60 == pytest.approx(0.4, abs=0.02)
    assert d.snr2500_db == pytest.approx(-30.0, abs=1.5)
    marks = [e for e in d.elements if e.key_down]
    assert [e.kind for e in marks] == ["dit"] * 6
    assert np.allclose([[e.start_s, e.stop_s] for e in marks], iv, atol=1.5)
    # (not 0.99: the likelihood allows any key-down unit a fade of its own)
    assert min(e.confidence for e in d.elements) > 0.95


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_noise_decodes_nothing_and_says_so(seed):
    rng = np.random.default_rng(seed)
    y = apply_channel(np.zeros(400_000, complex), 2000.0, Channel(0.0), rng, carrier_power=1.0)
    d = decode(y, 2000.0)
    assert d.text == "" and not d.detected
    assert "no keyed carrier" in d.reason
    assert d.false_alarm_probability > 1e-3


def test_normal_speed_cw_and_audio_input():
    y, _ = _signal("CQ DE N0CALL", 0.1, -5.0, 4, offset_hz=250.0)
    assert decode(y, 2000.0).text == "CQ DE N0CALL"
    iv = key_intervals("PARIS HI", 0.5, start_s=1.0)
    a = keyed_audio(iv, 8000.0, duration_s=iv[-1, 1] + 1.0, tone_hz=700.0)
    a = apply_channel(a.astype(complex), 8000.0, Channel(-8.0), np.random.default_rng(5),
                      carrier_power=0.25 * 2, real_output=True)
    d = decode(a, 8000.0, center_hz=1000.0, search_hz=800.0)
    assert d.text == "PARIS HI"
    assert d.freq_hz == pytest.approx(700.0, abs=0.2)


CHARS = [c for c in MORSE_CODE if not c.startswith("<")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.sampled_from(CHARS), min_size=1, max_size=3).map("".join),
             min_size=1, max_size=2).map(" ".join).filter(lambda t: set(t) - {"T", " "}),
    st.floats(0.08, 2.0),
    st.integers(0, 2**16),
)
def test_encode_decode_round_trip(text, dit_s, seed):
    # A message of only T's is the same key pattern as E/I/S at three times the dit
    # (no timing reference), so it is excluded.
    y, _ = _signal(text, dit_s, 0.0, seed, fs=400.0, offset_hz=37.0)
    assert decode(y, 400.0).text == text


def test_all_dit_message_is_not_read_at_a_third_of_the_dit():
    y, _ = _signal("HI HI", 5.0, -20.0, 8)
    d = decode(y, 2000.0)
    assert d.text == "HI HI" and d.dit_s == pytest.approx(5.0, rel=0.02)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(min_dit_s=0.0), "min_dit_s"),
        (dict(search_hz=-1.0), "search_hz"),
        (dict(pfa=2.0), "pfa"),
        (dict(max_drift_hz_per_s=-1.0), "max_drift"),
        (dict(min_dit_s=5.0, max_dit_s=1.0), "larger than"),
        (dict(center_hz=900.0, search_hz=500.0), "Nyquist"),
    ],
)
def test_impossible_parameters(kwargs, match):
    y = np.zeros(20_000, complex)
    with pytest.raises(DspValueError, match=match):
        decode(y, 2000.0, **kwargs)


def test_bad_samples():
    with pytest.raises(DspValueError, match="not finite"):
        decode(np.array([0, np.nan, 1], complex), 2000.0)
    with pytest.raises(DspValueError, match="one non-empty channel"):
        decode(np.zeros((2, 100)), 2000.0)
    with pytest.raises(DspValueError, match="sample_rate_hz"):
        decode(np.zeros(100, complex), 0.0)


@pytest.mark.parametrize("text", ["PARIS PARIS PARIS PARIS PARIS PARIS PARIS PARIS", "E" * 40])
def test_strong_fast_cw_is_one_signal_not_its_keying_sidebands(text):
    # A strong, regularly keyed carrier puts side-band lines tens of dB above the
    # noise; they are masked with it, never reported as signals or steady carriers.
    y, _ = _signal(text, 0.06, 5.0, 3, offset_hz=123.0, lead=0.5)
    d = decode(y, 2000.0)
    assert d.text == text and [s.text for s in d.signals] == [text]
    assert not d.steady_carriers
