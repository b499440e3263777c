import numpy as np
import pytest
import sigmf

from station.recording import read_recording
from tests.station.helpers import assert_one_error_line, invoke, snapshot


def test_encode_sigmf_with_noise_and_start_time(runner, tmp_path):
    out = tmp_path / "hi"
    result = invoke(
        runner, "encode", "HI", "--out", out, "--dit-s", "2", "--snr2500-db", "-10",
        "--seed", "1", "--offset-hz", "25", "--drift-hz-per-min", "0.5",
        "--freq-mhz", "28.5", "--start-utc", "2013-10-09T18:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'hi.sigmf-meta'}" in result.stdout
    assert "seed 1" in result.stdout and "SNR2500 -10 dB" in result.stdout
    rec = read_recording(out)
    assert rec.sample_rate_hz == 2000.0 and rec.center_freq_hz == 28.5e6
    assert rec.start_utc.isoformat() == "2013-10-09T17:59:55+00:00"
    labels = [a[sigmf.LABEL_KEY] for a in sigmf.fromfile(out).get_annotations()]
    assert labels == ["dit"] * 6


def test_encode_wav_is_mono_audio_at_8000(runner, tmp_path):
    result = invoke(runner, "encode", "T", "--out", tmp_path / "t.wav", "--wpm", "20")
    assert result.exit_code == 0, result.output
    rec = read_recording(tmp_path / "t.wav")
    assert rec.kind == "audio" and rec.sample_rate_hz == 8000.0
    assert rec.duration_s == pytest.approx(10.0 + 3 * 0.06)


def test_negative_snr_is_fine(runner, tmp_path):
    result = invoke(runner, "encode", "E", "--out", tmp_path / "e", "--dit-s", "1",
                    "--snr2500-db", "-40", "--seed", "3")  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["H%", "--out", "{d}/x.wav"], ["'%'", "no Morse code"]),
        (["HI", "--out", "{d}/x.wav", "--dit-s", "0"], ["--dit-s=0.0", "> 0"]),
        (["HI", "--out", "{d}/x.wav", "--dit-s", "-3"], ["--dit-s=-3.0"]),
        (["HI", "--out", "{d}/x.wav", "--wpm", "0"], ["--wpm=0.0"]),
        (["HI", "--out", "{d}/x.wav", "--dit-s", "1", "--wpm", "5"], ["not both"]),
        (["HI", "--out", "{d}/x", "--snr2500-db", "nan"], ["--snr2500-db=nan", "finite"]),
        (["HI", "--out", "{d}/x", "--snr2500-db", "inf"], ["--snr2500-db=inf"]),
        (["HI", "--out", "{d}/x", "--offset-hz", "1500"], ["--offset-hz=1500", "Nyquist", "1000"]),
        (["HI", "--out", "{d}/x", "--drift-hz-per-min", "nan"], ["--drift-hz-per-min=nan"]),
        (["HI", "--out", "{d}/x.wav", "--tone-hz", "5000"], ["--tone-hz=5000", "Nyquist"]),
        (["HI", "--out", "{d}/x", "--sample-rate-hz", "0"], ["--sample-rate-hz=0.0"]),
        (["HI", "--out", "{d}/x", "--lead-s", "-1"], ["--lead-s=-1.0"]),
        (["HI", "--out", "{d}/x", "--start-utc", "noon"], ["--start-utc='noon'", "ISO 8601"]),
        (["HI", "--out", "{d}/x", "--seed", "-1"], ["--seed=-1"]),
        (["HI", "--out", "{d}/x.txt"], ["x.txt", "'.txt' is not a recording format"]),
        (["HI", "--out", "{d}/missing/x.wav"], ["missing", "does not exist"]),
        (["", "--out", "{d}/x.wav"], ["is empty"]),
    ],
)
def test_bad_input_gives_one_line_exit_2_and_writes_nothing(runner, tmp_path, args, fragments):
    before = snapshot(tmp_path)
    result = invoke(runner, "encode", *[a.format(d=tmp_path) for a in args])
    assert_one_error_line(result, *fragments)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("name", ["old.wav", "old", "old.sigmf-meta", "old.sigmf"])
def test_existing_output_is_left_untouched_without_overwrite(runner, tmp_path, name):
    first = invoke(runner, "encode", "E", "--out", tmp_path / name, "--dit-s", "1", "--seed", "1")
    assert first.exit_code == 0, first.output
    before = snapshot(tmp_path)
    result = invoke(runner, "encode", "T", "--out", tmp_path / name, "--dit-s", "1", "--seed", "2")
    assert_one_error_line(result, "already exists", "--overwrite")
    assert snapshot(tmp_path) == before
    again = invoke(runner, "encode", "T", "--out", tmp_path / name, "--dit-s", "1", "--overwrite")
    assert again.exit_code == 0, again.output
    assert snapshot(tmp_path) != before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_same_seed_same_samples(runner, tmp_path):
    for name in ("a.wav", "b.wav"):
        args = ["encode", "HI", "--out", tmp_path / name, "--dit-s", "0.2"]
        assert invoke(runner, *args, "--snr2500-db", "0", "--seed", "7").exit_code == 0
    a, b = (read_recording(tmp_path / n).samples for n in ("a.wav", "b.wav"))
    assert np.array_equal(a, b)
