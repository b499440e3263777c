"""The CLI on real-band recordings: every signal shown, steady carriers and DC never read."""

import json

import numpy as np
import pytest

from dsp.impair import Band, Carrier, Keyed, cu8_blocks, render_band
from dsp.morse import key_intervals
from station.recording import write_sigmf
from tests.station.helpers import invoke

HI = key_intervals("HI", 2.0, start_s=3.0)  # 26 s of keying
FS = 2000.0


def _write(tmp_path, name, band, seed):
    x = render_band(band, np.random.default_rng(seed))
    return write_sigmf(tmp_path / name, x, band.sample_rate_hz)


def test_decode_shows_the_hi_and_names_the_birdie_it_did_not_read(runner, tmp_path):
    band = Band(FS, 40.0, (Keyed.of(HI, -18.0, -140.0),), (Carrier(2.0, 260.0),))
    path = _write(tmp_path, "birdie", band, 1)
    out = invoke(runner, "decode", path).stdout
    assert "decoded: HI" in out
    assert "steady carrier (not keyed, never read) at +260.00 Hz" in out
    data = json.loads(invoke(runner, "decode", path, "--json").stdout)
    assert [(s["text"], round(s["freq_hz"])) for s in data["signals"]] == [("HI", -140)]
    assert [round(c["freq_hz"]) for c in data["steady_carriers"]] == [260]
    assert data["signals"][0]["text_confidence"] > 0.9


def test_decode_reports_two_operators_on_one_schedule(runner, tmp_path):
    band = Band(FS, 40.0, (Keyed.of(HI, -18.0, 50.0), Keyed.of(HI + 0.3, -21.0, 90.0)))
    path = _write(tmp_path, "two", band, 2)
    out = invoke(runner, "decode", path).stdout
    assert "2 keyed signal(s)" in out
    data = json.loads(invoke(runner, "decode", path, "--json").stdout)
    assert sorted((s["text"], round(s["freq_hz"])) for s in data["signals"]) == [
        ("HI", 50), ("HI", 90)]  # fmt: skip
    assert data["text"] == "HI" and round(data["freq_hz"]) == 50  # the stronger first


def test_detect_a_steady_carrier_is_not_the_schedule(runner, tmp_path):
    band = Band(FS, 40.0, carriers=(Carrier(-5.0, -77.0),))
    path = _write(tmp_path, "steady", band, 3)
    result = invoke(runner, "detect", path, "--start-offset-s", "3", "--dit-s", "2")
    assert result.exit_code == 0, result.output
    assert "detected: no" in result.stdout
    assert "steady carriers masked before the search: -77.0" in result.stdout


def test_replay_of_an_rtl_cu8_with_dc_spike_and_iq_imbalance_reads_the_hi(runner, tmp_path):
    # The recording of the issue: HI 476 Hz from the centre of a 240 kS/s cu8 with an
    # RTL-SDR's DC offset and I/Q imbalance; the DC spike used to decode as "M".
    band = Band(240e3, 40.0, (Keyed.of(HI, -18.0, 476.0),), dc_fraction=0.01,
                iq_gain_db=0.3, iq_phase_deg=2.0)  # fmt: skip
    path = tmp_path / "rtl.cu8"
    with open(path, "wb") as fh:
        for block in cu8_blocks(band, np.random.default_rng(4), noise_counts=8.0):
            fh.write(block.tobytes())
    args = ["replay", path, "--rate-hz", "240000", "--center-mhz", "28.25",
            "--freq-mhz", "28.25", "--json"]  # fmt: skip
    result = invoke(runner, *args)
    assert result.exit_code == 0, result.output
    (channel,) = json.loads(result.stdout)["channels"]
    decoded = channel["decoded"]
    assert [(s["text"], round(s["freq_hz"])) for s in decoded["signals"]] == [("HI", 476)]
    assert [round(c["freq_hz"]) for c in decoded["steady_carriers"]] == [0]
    assert decoded["freq_hz"] == pytest.approx(476.0, abs=0.1)


def test_detect_finds_an_operator_whose_clock_is_off(runner, tmp_path):
    from dsp.variation import hand_keyed

    # 10 s dits keyed by hand (0.5 s rms) by an operator whose clock is 3 s late; the
    # grid search keys the schedule, the refinement finds the offset.
    keyed = hand_keyed(HI * 5, 0.5, 3.0, np.random.default_rng(8))
    band = Band(FS, 160.0, (Keyed.of(keyed, -26.0, 120.0),))
    path = _write(tmp_path, "late", band, 8)
    args = ("detect", path, "--start-offset-s", "15", "--dit-s", "10")
    result = invoke(runner, *args, "--json")
    data = json.loads(result.stdout)
    assert data["detected"] and data["rounds"][0]["timing_offset_s"] == pytest.approx(3.0, abs=1.0)
    assert "from the schedule (the operator's clock)" in invoke(runner, *args).stdout
    exact = json.loads(invoke(runner, *args, "--timing-offset-s", "0", "--json").stdout)
    assert exact["rounds"][0]["timing_offset_s"] == 0.0
    bad = invoke(runner, *args, "--timing-offset-s", "-1")
    assert bad.exit_code == 2 and "timing offset -1.0 s must be a finite span >= 0 s" in bad.output


def test_detect_follows_a_carrier_wandering_between_rounds(runner, tmp_path):
    # 6 rounds of 10 s dits, 200 s apart, the carrier off by 0.5 Hz rms each round:
    # the stack reports the track it followed, round by round.
    iv = key_intervals("HI", 10.0, start_s=0.0)
    rng = np.random.default_rng(3)
    wander = rng.normal(0.0, 0.5, 6)
    stations = tuple(Keyed.of(iv + 15.0 + 200.0 * k, -37.0, 120.0 + w, 0.0)
                     for k, w in enumerate(wander))  # fmt: skip
    path = _write(tmp_path, "wander", Band(400.0, 1240.0, stations), 3)
    args = ("detect", path, "--start-offset-s", "15", "--dit-s", "10", "--rounds", "6",
            "--period-s", "200", "--search-hz", "150", "--stack-wander-hz", "0.5")  # fmt: skip
    data = json.loads(invoke(runner, *args, "--json").stdout)
    track = np.array(data["stacked"]["track_hz"])
    assert data["stacked"]["detected"] and track.size == 6
    assert np.sum(np.abs(track - (120.0 + wander)) < 0.06) >= 5
    assert "stack track from" in invoke(runner, *args).stdout
    bad = invoke(runner, *args, "--stack-wander-hz", "-1")
    assert bad.exit_code == 2 and "stack wander -1 Hz must be finite and >= 0" in bad.output
    bad = invoke(runner, *args, "--stack-drift-hz-per-min", "nan")
    assert bad.exit_code == 2 and "stack drift nan Hz/min must be finite and >= 0" in bad.output
