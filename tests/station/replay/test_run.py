"""Replay of a whole-band recording: every format, three 2013 frequencies decoded."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from station.cli import app
from station.recording import SigmfStreamWriter
from station.replay import replay
from tests.station.replay.conftest import CENTER, HI_AT, JUNO, RATE, synthetic_band


def _check(result, event=True):
    by = {c.channel.label: c for c in result.channels}
    for label in HI_AT:
        assert by[label].decoded.text == "HI", label
        if event:
            assert by[label].detection.rounds[0].detected
    others = [c for c in result.channels if c.channel.label not in HI_AT]
    for c in others:
        assert not c.decoded.detected or c.decoded.text == ""
        if event:
            assert not c.detection.detected


def test_three_2013_frequencies_decoded_and_detected_from_cu8(band_cu8, fast_event, tmp_path):
    result = replay(band_cu8, event=fast_event, png_dir=tmp_path, callsign="N0CALL")
    assert [c.channel.label for c in result.channels] == ["G", "H", "I", "J", "K", "L"]
    _check(result)
    assert all(len(c.pngs) >= 1 for c in result.channels)
    assert all(p.read_bytes()[:4] == b"\x89PNG" for c in result.channels for p in c.pngs)


def test_cf32_raw_cu8_and_wav_replay_the_same(band_cu8, fast_event, tmp_path):
    src = synthetic_band()
    info = src.open()
    x = np.concatenate([b.samples for b in iter(lambda: src.read(1 << 17), None)])
    with SigmfStreamWriter(tmp_path / "cf", datatype="cf32_le", sample_rate_hz=RATE,
                           center_freq_hz=CENTER, start_utc=info.start_utc) as w:  # fmt: skip
        w.write(x)
    _check(replay(tmp_path / "cf", event=fast_event))
    raw = tmp_path / "band.cu8"
    raw.write_bytes(band_cu8.with_suffix(".sigmf-data").read_bytes())
    freqs = [JUNO.table_hz[c] for c in HI_AT]
    r = replay(raw, sample_rate_hz=RATE, center_freq_hz=CENTER, freqs_hz=freqs)
    assert [c.decoded.text for c in r.channels] == ["HI"] * 3
    wav = tmp_path / "band.wav"
    sf.write(wav, np.stack([x.real, x.imag], axis=1).astype(np.float32), int(RATE))
    r = replay(wav, center_freq_hz=CENTER, freqs_hz=freqs)
    assert [c.decoded.text for c in r.channels] == ["HI"] * 3


def test_replay_cli_table_and_json(runner, band_cu8, fast_event):
    args = ["replay", str(band_cu8), "--schedule", str(fast_event.source)]
    result = runner.invoke(app, args + ["--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["decoded"]["text"] for c in data["channels"][:3]] == ["HI"] * 3
    text = runner.invoke(app, args).stdout
    assert "G " in text and "1/1 (1)" in text


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ([], "say which channels to analyse"),
        (["--freq-mhz", "29.5"], "outside the recording's usable band"),
        (["--schedule", "nope.toml"], "no such event file"),
        (["--freq-mhz", "28.25", "--png", "/dev/null"], "is not a directory"),
    ],
)
def test_replay_bad_input_one_line(runner, band_cu8, extra, needle):
    result = runner.invoke(app, ["replay", str(band_cu8), *extra])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


@pytest.mark.parametrize("content", [b"", b"\x80"])
def test_replay_empty_or_truncated_raw(runner, tmp_path, content):
    p = tmp_path / "x.cu8"
    p.write_bytes(content)
    result = runner.invoke(app, ["replay", str(p), "--rate-hz", "240000", "--center-mhz", "28.3"])
    assert result.exit_code == 2 and result.stderr.startswith("error:")
    assert p.read_bytes() == content
