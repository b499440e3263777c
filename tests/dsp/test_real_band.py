"""Decode and detect on what a real 10 m band holds (fixed seeds; sweeps in bench/realism.py)."""

import numpy as np
import pytest

from dsp.channelize import cu8_to_complex64
from dsp.decode import decode
from dsp.detect import detect
from dsp.impair import Band, Carrier, Impulses, Keyed, render_band, ssb_audio, to_cu8
from dsp.morse import key_intervals

FS = 2000.0
DUR = 400.0
HI = key_intervals("HI", 30.0, start_s=5.0)
DRIFT = 0.5 / 60


def _texts(d):
    return sorted((s.text, round(s.freq_hz)) for s in d.signals if s.text)


def _detect(x, rate=FS, **kw):
    return detect(x, rate, [HI], max_drift_hz_per_s=DRIFT, **kw)


@pytest.mark.parametrize(("snr_db", "seed"), [(-45.0, 1), (-30.0, 2), (-20.0, 3), (-5.0, 4)])
def test_a_steady_carrier_alone_never_gives_text_or_a_detection(snr_db, seed):
    x = render_band(Band(FS, DUR, carriers=(Carrier(snr_db, 321.0, 0.01 / 60, 0.001),)),
                    np.random.default_rng(seed))
    d = decode(x, FS)
    assert d.text == "" and not d.signals and not d.detected
    det = _detect(x)
    assert not det.detected
    if snr_db >= -30:
        assert [round(c.freq_hz) for c in d.steady_carriers] == [321]
        assert det.steady_carriers_hz and abs(det.steady_carriers_hz[0] - 321) < 1


@pytest.mark.parametrize("seed", [5, 6])
def test_the_dc_spike_and_an_rtl_cu8_recording_give_nothing_but_the_hi(seed):
    rng = np.random.default_rng(seed)
    empty = Band(FS, DUR, dc_fraction=0.01, iq_gain_db=0.3, iq_phase_deg=2.0)
    x = cu8_to_complex64(to_cu8(render_band(empty, rng), 6.0))
    d = decode(x, FS)
    assert d.text == "" and not d.signals
    assert [round(c.freq_hz) for c in d.steady_carriers] == [0]
    assert not _detect(x).detected
    hi = Keyed.of(HI, -30.0, 476.0, 0.2 / 60)
    x = cu8_to_complex64(to_cu8(render_band(Band(FS, DUR, (hi,), dc_fraction=0.01,
                                                 iq_gain_db=0.3, iq_phase_deg=2.0), rng), 6.0))
    assert _texts(decode(x, FS)) == [("HI", 476)]
    det = _detect(x)
    assert det.detected and det.rounds[0].freq_hz == pytest.approx(476.0, abs=0.1)


def test_a_birdie_20_db_stronger_does_not_hide_the_hi():
    rng = np.random.default_rng(7)
    band = Band(FS, DUR, (Keyed.of(HI, -30.0, -212.0),), (Carrier(-10.0, 388.0, 0.01 / 60),))
    x = render_band(band, rng)
    d = decode(x, FS)
    assert (d.text, round(d.freq_hz)) == ("HI", -212)
    assert [round(c.freq_hz) for c in d.steady_carriers] == [388]
    det = _detect(x)
    assert det.detected and det.rounds[0].freq_hz == pytest.approx(-212.0, abs=0.1)


def test_impulsive_noise_is_blanked():
    rng = np.random.default_rng(8)
    x = render_band(Band(FS, DUR, impulses=Impulses()), rng)
    d = decode(x, FS)
    assert d.text == "" and 0.002 < d.blanked_fraction < 0.02
    assert not _detect(x).detected
    x = render_band(Band(FS, DUR, (Keyed.of(HI, -30.0, 150.0),), impulses=Impulses()), rng)
    assert _texts(decode(x, FS)) == [("HI", 150)]


def test_every_signal_is_reported_a_beacon_and_two_operators():
    rng = np.random.default_rng(9)
    beacon = key_intervals("VVV DE N0CALL", 10.0, start_s=2.0)
    band = Band(FS, DUR, (Keyed.of(HI, -30.0, -300.0), Keyed.of(beacon[beacon[:, 1] < DUR],
                                                                -26.0, -180.0)))  # fmt: skip
    d = decode(render_band(band, rng), FS)
    texts = dict((f, t) for t, f in _texts(d))
    assert texts[-300] == "HI" and texts[-180] == "VVV"  # 400 s hold "VVV" at 10 s dits
    band = Band(FS, DUR, (Keyed.of(HI, -30.0, 100.0), Keyed.of(HI + 0.7, -33.0, 118.0)))
    d = decode(render_band(band, rng), FS)
    assert _texts(d) == [("HI", 100), ("HI", 118)]
    assert d.signals[0].snr2500_db > d.signals[1].snr2500_db


def test_a_strong_signals_iq_image_is_not_an_extra_signal():
    rng = np.random.default_rng(10)
    band = Band(FS, DUR, (Keyed.of(HI, -5.0, 333.0),), iq_gain_db=0.3, iq_phase_deg=2.0)
    x = render_band(band, rng)
    assert _texts(decode(x, FS)) == [("HI", 333)]
    # Without the mirror rule the image (about 32 dB down, -37 dB) is a keyed signal.
    kept = decode(x, FS, image_center_hz=None).signals
    assert [round(s.freq_hz) for s in kept] == [333, -333]
    assert kept[1].keying.keyed and kept[1].snr2500_db < -35


def test_ssb_audio_with_agc_ripple_and_a_birdie():
    rng = np.random.default_rng(11)
    band = Band(8000.0, DUR, (Keyed.of(HI, -30.0, 1210.0),), (Carrier(-15.0, 1777.0),),
                ripple_db=2.0, level_swing_db=3.0, impulses=Impulses(rate_per_s=1 / 30))
    a = ssb_audio(band, rng)
    d = decode(a, 8000.0, center_hz=1500.0, search_hz=1000.0)
    assert _texts(d) == [("HI", 1210)]
    det = detect(a, 8000.0, [HI], center_hz=1500.0, search_hz=1000.0,
                 max_drift_hz_per_s=DRIFT)  # fmt: skip
    assert det.detected and det.rounds[0].freq_hz == pytest.approx(1210.0, abs=0.1)


@pytest.mark.parametrize("seed", range(4))
def test_near_the_knee_the_text_is_right_or_absent(seed):
    rng = np.random.default_rng([12, seed])
    x = render_band(Band(FS, DUR, (Keyed.of(HI, -37.0, float(rng.uniform(-900, 900)),
                                            float(rng.uniform(-DRIFT, DRIFT))),)), rng)
    d = decode(x, FS)
    assert all(s.text in ("", "HI") for s in d.signals)
    assert len([s for s in d.signals if s.text]) <= 1
