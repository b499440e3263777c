import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import sigmf

from dsp.channelize import cu8_to_complex64
from station.errors import InputError, RecordingError, RecordingExistsError
from station.recording import (
    GAP_LABEL,
    SigmfStreamWriter,
    read_gaps,
    read_recording,
)
from station.sdr.base import IQBlock, SourceInfo
from tests.station.helpers import invoke, snapshot

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2013, 10, 9, 17, 59, 30, 250000, tzinfo=UTC)
FS = 240_000.0


def writer(path, **kwargs):
    args = dict(
        datatype="cu8",
        sample_rate_hz=FS,
        center_freq_hz=28.5e6,
        start_utc=T0,
        hardware="RTL-SDR R820T via rtl_tcp 127.0.0.1:1234",
        freq_correction_ppm=-1.5,
        description="test capture",
    )
    return SigmfStreamWriter(path, **(args | kwargs))


def meta_of(path):
    return json.loads(Path(f"{path}.sigmf-meta").read_text())


def sigmf_validate(path):
    exe = shutil.which("sigmf_validate") or str(Path(sys.executable).with_name("sigmf_validate"))
    return subprocess.run([exe, str(path)], capture_output=True, text=True, timeout=120)


# --- round trips ---------------------------------------------------------------------


def test_cu8_bytes_round_trip_bit_exactly_and_validate(tmp_path):
    rng = np.random.default_rng(3)
    raw = rng.integers(0, 256, 2 * 100_003, dtype=np.uint8)
    cuts = np.sort(rng.integers(0, raw.size // 2, 20)) * 2
    with writer(tmp_path / "cap") as w:
        for a, b in zip([0, *cuts], [*cuts, raw.size], strict=True):
            w.write(raw[a:b].tobytes() if a % 4 else raw[a:b])
    assert (tmp_path / "cap.sigmf-data").read_bytes() == raw.tobytes()
    handle = sigmf.fromfile(tmp_path / "cap.sigmf-meta")  # verifies core:sha512
    handle.validate()
    assert handle.sample_count == 100_003
    assert np.array_equal(handle.read_samples(), cu8_to_complex64(raw))
    unscaled = sigmf.fromfile(tmp_path / "cap", autoscale=False).read_samples()
    assert np.array_equal(unscaled.real, raw[0::2]) and np.array_equal(unscaled.imag, raw[1::2])
    result = sigmf_validate(tmp_path / "cap.sigmf-meta")
    assert result.returncode == 0, result.stderr


def test_cf32_round_trips_every_bit_pattern(tmp_path):
    x = np.random.default_rng(4).standard_normal((50_000, 2)).astype(np.float32)
    x = x.view(np.complex64)[:, 0].copy()
    x[:3] = [np.complex64(-0.0 + 1e-40j), np.complex64(3.4e38 - 1.5e-45j), 0]
    with writer(tmp_path / "iq.sigmf-meta", datatype="cf32_le", sample_rate_hz=2000.0) as w:
        for block in np.array_split(x, 7):
            w.write(block)
    handle = sigmf.fromfile(tmp_path / "iq")
    handle.validate()
    got = handle.read_samples()
    assert got.dtype == np.complex64
    assert np.array_equal(got.view(np.uint64), x.view(np.uint64))
    assert sigmf_validate(tmp_path / "iq.sigmf-meta").returncode == 0


def test_metadata_while_recording_and_after_close(tmp_path):
    w = writer(tmp_path / "cap")
    meta = meta_of(tmp_path / "cap")  # written at open, before any sample
    g = meta["global"]
    assert g["core:datatype"] == "cu8" and g["core:version"] == sigmf.__specification__
    assert g["core:sample_rate"] == FS and g["core:hw"].startswith("RTL-SDR")
    assert g["core:recorder"].startswith("hi-station ") and g["core:description"] == "test capture"
    assert g["hi_station:freq_correction_ppm"] == -1.5
    assert {"name": "hi_station", "version": g["core:recorder"].split()[1], "optional": True} in (
        g["core:extensions"]
    )
    assert "core:sha512" not in g
    assert meta["captures"] == [
        {
            "core:sample_start": 0,
            "core:frequency": 28.5e6,
            "core:datetime": "2013-10-09T17:59:30.250000Z",
        }
    ]
    assert meta["annotations"] == []
    w.write(np.full(4000, 128, np.uint8))
    sigmf.fromfile(tmp_path / "cap").validate()  # valid mid-recording
    w.close()
    w.close()  # idempotent
    final = meta_of(tmp_path / "cap")
    assert len(final["global"]["core:sha512"]) == 128
    assert final["captures"] == meta["captures"]
    rec = read_recording(tmp_path / "cap")  # hi-station's own reader
    assert rec.sample_rate_hz == FS and rec.center_freq_hz == 28.5e6 and rec.start_utc == T0
    assert not list(tmp_path.glob(".hi-station-*"))


def test_complex_samples_are_quantized_for_cu8(tmp_path):
    x = np.array([0, 0.5 - 0.25j, -1 + 0.9921875j, 2 - 2j], np.complex64)
    with writer(tmp_path / "q") as w:
        w.write(x)
    got = sigmf.fromfile(tmp_path / "q").read_samples()
    assert np.array_equal(got, np.array([0, 0.5 - 0.25j, -1 + 0.9921875j, 0.9921875 - 1j]))


def test_from_source_and_write_block(tmp_path):
    info = SourceInfo(FS, 28.3e6, T0, "synthetic", datatype="cu8", freq_correction_ppm=2.0)
    raw = bytes(range(256)) * 4
    block = IQBlock(cu8_to_complex64(np.frombuffer(raw, np.uint8)), 0, raw=raw)
    with SigmfStreamWriter.from_source(tmp_path / "s", info) as w:
        assert w.write_block(block) == 512
        w.write_block(IQBlock(np.zeros(10, np.complex64), 600, dropped_before=88))
    g = meta_of(tmp_path / "s")["global"]
    assert g["core:hw"] == "synthetic" and g["hi_station:freq_correction_ppm"] == 2.0
    assert (tmp_path / "s.sigmf-data").read_bytes()[:1024] == raw
    assert read_gaps(tmp_path / "s") == ((512, 88),)


# --- gaps and annotations -------------------------------------------------------------


def test_gap_is_zero_filled_and_annotated_so_time_stays_linear(tmp_path):
    a, b = np.full(2000, 7, np.uint8), np.full(3000, 200, np.uint8)
    with writer(tmp_path / "g") as w:
        w.write(a, start_sample=0)
        assert w.write(b, start_sample=5000) == 5500  # 4000 zero-filled + 1500 new samples
        assert w.samples_written == 6500
        with pytest.raises(InputError, match="start_sample=10 is before the end"):
            w.write(a, start_sample=10)
    handle = sigmf.fromfile(tmp_path / "g")
    handle.validate()
    x = handle.read_samples()
    assert x.size == 6500 and np.all(x[1000:5000] == 0) and np.all(x[5000:].real > 0.5)
    (ann,) = handle.get_annotations()
    assert ann["core:label"] == GAP_LABEL and ann["core:sample_start"] == 1000
    assert ann["core:sample_count"] == 4000 and "4000 samples lost" in ann["core:comment"]
    assert read_gaps(tmp_path / "g.sigmf-meta") == ((1000, 4000),)
    assert sigmf_validate(tmp_path / "g.sigmf-meta").returncode == 0


def test_annotations_sorted_cut_at_the_end_and_dropped_past_it(tmp_path):
    with writer(tmp_path / "a") as w:
        w.annotate(500, 100, "dah", "late", 28.0499e6, 28.0501e6)
        w.annotate(100, 50, "dit")
        w.annotate(900, 500, "dit", "runs past the end")
        w.annotate(5000, 10, "dit", "after the end")
        w.write(np.full(2000, 128, np.uint8))
        with pytest.raises(InputError, match="both frequency edges"):
            w.annotate(0, 1, "x", freq_lower_hz=1.0)
        with pytest.raises(InputError, match="count >= 1"):
            w.annotate(0, 0, "x")
    anns = sigmf.fromfile(tmp_path / "a").get_annotations()
    assert [(a["core:sample_start"], a["core:sample_count"]) for a in anns] == [
        (100, 50),
        (500, 100),
        (900, 100),
    ]
    assert anns[1]["core:freq_lower_edge"] == 28.0499e6 and anns[1]["core:comment"] == "late"


def test_annotations_reach_the_metadata_at_the_next_sync(tmp_path):
    w = writer(tmp_path / "live", sample_rate_hz=1000.0, sync_s=1.0)
    w.annotate(100, 200, "dit")
    w.write(np.full(2 * 500, 128, np.uint8))  # 0.5 s: no sync yet
    assert meta_of(tmp_path / "live")["annotations"] == []
    w.write(np.full(2 * 600, 128, np.uint8))  # 1.1 s: synced
    assert [a["core:label"] for a in meta_of(tmp_path / "live")["annotations"]] == ["dit"]
    w.close()


def test_data_is_fsynced_once_per_second_of_signal(tmp_path, monkeypatch):
    synced = []  # inodes of the files fsynced
    real_fsync = os.fsync
    monkeypatch.setattr(
        os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_ino), real_fsync(fd))[1]
    )
    w = writer(tmp_path / "f", sample_rate_hz=10_000.0, sync_s=1.0)
    data = (tmp_path / "f.sigmf-data").stat().st_ino
    for _ in range(100):  # 10 s in 0.1 s blocks
        w.write(np.full(2 * 1000, 128, np.uint8))
    assert synced.count(data) == 10
    w.close()  # nothing arrived since the last sync: no extra fsync
    assert synced.count(data) == 10
    del synced[:]  # (inode numbers of files deleted so far may be reused)
    w = writer(tmp_path / "g", sample_rate_hz=10_000.0, sync_s=1.0)
    data = (tmp_path / "g.sigmf-data").stat().st_ino
    w.write(np.full(2 * 1000, 128, np.uint8))
    assert synced.count(data) == 0
    w.close()  # 0.1 s arrived since: synced once
    assert synced.count(data) == 1


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("existing", ["cap.sigmf-meta", "cap.sigmf-data"])
def test_never_overwrites_without_overwrite(tmp_path, existing):
    (tmp_path / existing).write_bytes(b"precious")
    before = snapshot(tmp_path)
    with pytest.raises(RecordingExistsError, match="already exists; use --overwrite"):
        writer(tmp_path / "cap")
    assert snapshot(tmp_path) == before
    with writer(tmp_path / "cap", overwrite=True) as w:
        w.write(b"\x80\x80")
    assert (tmp_path / "cap.sigmf-data").read_bytes() == b"\x80\x80"


def test_bad_arguments_and_blocks(tmp_path):
    with pytest.raises(InputError, match="datatype='ci16_le' is not written"):
        writer(tmp_path / "x", datatype="ci16_le")
    with pytest.raises(InputError, match="sample_rate_hz=0"):
        writer(tmp_path / "x", sample_rate_hz=0)
    with pytest.raises(InputError, match="timezone-aware"):
        writer(tmp_path / "x", start_utc=datetime(2013, 10, 9))
    with pytest.raises(RecordingError, match="SigMF pair"):
        writer(tmp_path / "x.sigmf")
    assert snapshot(tmp_path) == {}
    with writer(tmp_path / "x") as w:
        with pytest.raises(InputError, match="not whole I/Q pairs"):
            w.write(b"\x01\x02\x03")
        with pytest.raises(InputError, match="NaN"):
            w.write(np.array([np.nan], np.complex64))
        with pytest.raises(InputError, match="dtype float64"):
            w.write(np.zeros(4))
        w.write(b"\x00\x00")
    with writer(tmp_path / "y", datatype="cf32_le") as w:
        with pytest.raises(InputError, match="give complex samples"):
            w.write(b"\x00" * 8)
        w.write(np.zeros(1, np.complex64))


def test_a_failed_write_keeps_whole_samples_and_drops_the_checksum(tmp_path, monkeypatch):
    w = writer(tmp_path / "full")
    w.write(np.full(2000, 100, np.uint8))
    real_write = os.write

    def disk_full(fd, data):
        real_write(fd, bytes(data)[:333])  # part of the block made it
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(RecordingError, match="No space left on device.*recording recover"):
        w.write(np.full(2000, 100, np.uint8))
    monkeypatch.setattr(os, "write", real_write)
    w.write(np.full(20, 50, np.uint8))  # space again: appended after the whole samples
    w.close()
    handle = sigmf.fromfile(tmp_path / "full")
    handle.validate()
    assert np.array_equal(
        np.fromfile(tmp_path / "full.sigmf-data", np.uint8), np.repeat([100, 50], [2000, 20])
    )
    assert handle.sample_count == 1010 and "core:sha512" not in meta_of(tmp_path / "full")["global"]


def test_closing_an_empty_recording_removes_it(tmp_path):
    w = writer(tmp_path / "e")
    assert w.close() is None
    assert snapshot(tmp_path) == {}


# --- crash and recovery ------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from datetime import UTC, datetime
    from station.recording import SigmfStreamWriter
    fs, block = 100_000, 10_000  # 0.1 s blocks
    w = SigmfStreamWriter(sys.argv[1], datatype="cu8", sample_rate_hz=fs,
                          center_freq_hz=28.5e6, start_utc=datetime.now(UTC), sync_s=1.0)
    w.annotate(0, 50_000, "dit", "first key-down")
    n = 0
    while True:
        raw = (np.arange(2 * n, 2 * (n + block)) % 251).astype(np.uint8)
        n += w.write(raw)
        print(n, flush=True)
        time.sleep(0.1)
    """
)


def test_sigkill_while_recording_then_recover(tmp_path, runner):
    target = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        reported = 0
        while reported < 250_000:  # 2.5 s of signal, two syncs
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            reported = int(line)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.stdout.close()
        proc.stderr.close()
    with open(f"{target}.sigmf-data", "ab") as fh:
        fh.write(b"\x01")  # as if killed in the middle of a sample
    meta = meta_of(target)
    assert "core:sha512" not in meta["global"]
    assert [a["core:label"] for a in meta["annotations"]] == ["dit"]  # synced while running

    result = invoke(runner, "recording", "recover", f"{target}.sigmf-meta", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # At most ~1 s (one sync period) plus one block may be lost; here nothing is.
    assert report["samples_kept"] >= reported - 100_000 - 10_000
    assert report["bytes_dropped"] == 1 and report["previous_sha512"] == "none"
    assert report["sha512_written"] is True
    handle = sigmf.fromfile(target)  # checksum verified
    handle.validate()
    raw = np.fromfile(f"{target}.sigmf-data", np.uint8)
    assert np.array_equal(raw, (np.arange(raw.size) % 251).astype(np.uint8))
    assert [a["core:label"] for a in handle.get_annotations()] == ["dit"]
    assert sigmf_validate(f"{target}.sigmf-meta").returncode == 0
    assert read_recording(target).samples.size == report["samples_kept"]


@pytest.mark.parametrize("how", ["rm -rf", "mv", "replaced"])
def test_a_recording_whose_folder_goes_away_is_an_error_not_a_success(tmp_path, how):
    folder = tmp_path / "out"
    folder.mkdir()
    w = writer(folder / "rec", sync_s=0.5)
    block = np.full(2 * int(FS * 0.3), 128, np.uint8)
    w.write(block)
    if how == "rm -rf":
        shutil.rmtree(folder)
    elif how == "mv":
        folder.rename(tmp_path / "elsewhere")
    else:  # a new file of the same name where the recording was
        w.data_path.unlink()
        w.data_path.write_bytes(b"")
    with pytest.raises(RecordingError, match="removed, moved or replaced while recording"):
        w.write(block)  # 0.6 s: the sync at 0.5 s finds the file gone
    with pytest.raises(RecordingError, match="removed, moved or replaced"):
        w.close()  # and closing does not report a recording either
    with pytest.raises(RecordingError, match="removed, moved or replaced"):
        w.write(block)
    if how == "mv":  # what was written is where the folder went, untouched
        assert (tmp_path / "elsewhere" / "rec.sigmf-data").stat().st_size == block.size * 2


def test_the_writer_never_writes_through_a_link(tmp_path):
    outside = tmp_path / "precious.bin"
    outside.write_bytes(b"keep me")
    (tmp_path / "rec.sigmf-data").symlink_to(outside)
    with pytest.raises(RecordingError, match="is a symbolic link"):
        writer(tmp_path / "rec", overwrite=True)
    assert outside.read_bytes() == b"keep me"
