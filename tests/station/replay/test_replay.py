"""Replay of a whole-band recording: every format, three 2013 frequencies decoded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from station.cli import app
from station.replay import replay
from station.schedule.event import load_event
from station.sdr.synthetic import Carrier, SyntheticSource
from station.sdr.writer import SigmfStreamWriter

JUNO = load_event("juno-2013-10-09")
START = datetime(2013, 10, 9, 17, 59, 58, tzinfo=UTC)
RATE = 240_000.0
CENTER = 28.3e6
HI_AT = ("G", "H", "I")  # 28.250, 28.280, 28.310 MHz in the reconstructed table


@pytest.fixture(scope="module")
def fast_event(tmp_path_factory):
    """The 2013 event's frequency table with 2 s dits (so a round fits in 26 s)."""
    text = JUNO.source and Path(JUNO.source).read_text(encoding="utf-8")
    text = text.replace("dit_s = 30.0", "dit_s = 2.0").replace(
        "round_period_s = 600.0", "round_period_s = 40.0"
    )
    text = text.replace("start_utc = 2013-10-09T18:00:00Z", "start_utc = 2013-10-09T18:00:00Z")
    path = tmp_path_factory.mktemp("ev") / "fast.toml"
    path.write_text(text, encoding="utf-8")
    return load_event(path)


def _source(**kw):
    carriers = [Carrier(JUNO.table_hz[c], "HI", 2.0, 2.0, -15.0) for c in HI_AT]
    return SyntheticSource(center_freq_hz=CENTER, sample_rate_hz=RATE, carriers=carriers,
                           seed=7, start_utc=START, duration_s=32.0, **kw)  # fmt: skip


@pytest.fixture(scope="module")
def band_cu8(tmp_path_factory):
    src = _source(cu8=True)
    info = src.open()
    path = tmp_path_factory.mktemp("band") / "band"
    with SigmfStreamWriter.from_source(path, info) as w:
        while (b := src.read(1 << 17)) is not None:
            w.write_block(b)
    return path


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
    src = _source()
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
        (["--freq-mhz", "28.25", "--png", "/nonexistent/dir"], "is not a directory"),
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


def test_long_channels_are_decoded_in_windows(band_cu8, fast_event, monkeypatch):
    import station.replay_signals as replay_signals

    monkeypatch.setattr(replay_signals, "DECODE_WINDOW_S", 10.0)
    freqs = [JUNO.table_hz["G"]]
    r = replay(band_cu8, freqs_hz=freqs)
    # 32 s in 10 s windows; the last 2 s are too short to decode alone
    assert [s for s, _ in r.channels[0].windows] == [0.0, 10.0, 20.0]
    r = replay(band_cu8, freqs_hz=freqs, event=fast_event)
    ((start, decoded),) = r.channels[0].windows  # one window: the round and a minute around it
    assert start == 0.0 and decoded.text == "HI" and r.channels[0].decoded is decoded
