"""Unwritable outputs (issue 13, finding 6): one ``error:`` line, exit 2, nothing left.

Real conditions, no monkeypatching: a read-only tmpfs (``EROFS`` even for root), a full
tmpfs (``ENOSPC``), and a character device like ``/dev/full`` (made in the test's own
folder, so a regression can never replace the machine's ``/dev/full``).  Mounting needs
root; without it these tests are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.errors import OutputError
from station.keyer.txlog import TxLog, read_tx_log
from station.recording import SigmfStreamWriter
from tests.station.helpers import invoke
from tests.station.keyer.conftest import practice_toml, start_rigctld

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"
WAVES_CSV = RECORDINGS / "WAV_2013282T173000_E_V02.CSV.gz"
SHIPPED_IQ = RECORDINGS / "juno-2013-round1-qrss30-l.sigmf-meta"
PAGE = 4096
TX_LOG_LINES = [
    {"type": "start", "event_id": "juno-2013-10-09", "event_name": "Say HI to Juno",
     "target": "JUNO", "callsign": "G4ABC/P", "grid": "IO91wm", "freq_hz": 28080000.0,
     "mode": "CW", "backend": "rigctld", "transmit": True, "rounds": 16, "dit_s": 30.0,
     "utc": "2013-10-09T17:58:00.000Z"},
    *({"type": "edge", "event_id": "juno-2013-10-09", "callsign": "G4ABC/P", "round": 1,
       "element": 1, "key": key, "planned_utc": f"2013-10-09T18:00:{s}.000Z",
       "sent_utc": f"2013-10-09T18:00:{s}.000Z", "actual_utc": f"2013-10-09T18:00:{s}.021Z",
       "error_ms": 21, "reply": "RPRT 0", "ptt": key == "down", "freq_hz": 28080000.0,
       "backend": "rigctld", "transmit": True} for key, s in (("down", "00"), ("up", "30"))),
]  # fmt: skip


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=False)


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        _run("umount", "-l", str(where))


def _fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        with contextlib.suppress(OSError):
            while os.write(fd, b"\0" * PAGE):
                pass
    finally:
        os.close(fd)


@dataclass
class Target:
    """A folder the commands write into, and how it refuses."""

    folder: Path
    errno_name: str

    def state(self) -> dict[str, bytes | None]:
        """Every entry below the folder (hidden ones too); files with their bytes."""
        out: dict[str, bytes | None] = {}
        for p in sorted(self.folder.rglob("*")):
            out[str(p.relative_to(self.folder))] = p.read_bytes() if p.is_file() else None
        return out


def _prepare(folder: Path) -> None:
    """What every target folder holds before the command: files that must survive."""
    (folder / "keep.txt").write_text("keep\n")
    (folder / "tx.jsonl").write_text("".join(json.dumps(r) + "\n" for r in TX_LOG_LINES))
    rec = folder / "cut"
    with SigmfStreamWriter(rec, datatype="cu8", sample_rate_hz=2000.0, center_freq_hz=28.3e6) as w:
        w.write(bytes([128, 200] * 500))
    with open(folder / "cut.sigmf-data", "ab") as fh:
        fh.write(b"\x01")  # half a sample: a recording cut short, for recover


@pytest.fixture(params=["read-only", "full"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """A read-only or a full file system, holding the files of :func:`_prepare`."""
    with _tmpfs(tmp_path / "fs", "256k") as folder:
        _prepare(folder)
        if request.param == "read-only":
            done = _run("mount", "-o", "remount,ro", str(folder))
            if done.returncode:
                pytest.skip(f"cannot remount read-only: {done.stderr.strip()}")
            yield Target(folder, "EROFS")
        else:
            _fill(folder)
            yield Target(folder, "ENOSPC")


def _assert_refused(result, *fragments: str) -> str:
    """Exit 2, exactly one stderr line ``error: ...`` with every fragment, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


#: Each command, given the folder to write into: its arguments, and the path it names.
COMMANDS: dict[str, Callable[[Path], tuple[list[str], str]]] = {
    "encode wav": lambda d: (["encode", "HI", "--dit-s", "0.1", "--out", f"{d}/x.wav"], "x.wav"),
    "encode sigmf": lambda d: (["encode", "HI", "--dit-s", "0.1", "--out", f"{d}/x"], "x"),
    "schedule new": lambda d: (["schedule", "new", "--out", f"{d}/e.toml"], "e.toml"),
    "schedule plan --ics": lambda d: (
        ["schedule", "plan", "juno-2013-10-09", "--callsign", "N0CALL", "--ics", f"{d}/p.ics"],
        "p.ics",
    ),
    "waves analyze --png": lambda d: (
        ["waves", "analyze", str(WAVES_CSV), "--schedule", "juno-2013-10-09", "--png",
         f"{d}/w.png"], "w.png",
    ),  # fmt: skip
    "replay --png": lambda d: (["replay", str(SHIPPED_IQ), "--png", str(d)], ".png"),
    "log adif": lambda d: (["log", "adif", f"{d}/tx.jsonl"], "tx.adi"),
    "recording recover": lambda d: (["recording", "recover", f"{d}/cut"], "cut.sigmf-meta"),
    "capture --out": lambda d: (
        ["capture", "--source", "synthetic", "--freq-mhz", "28.3", "--duration-s", "1",
         "--fast", "--quiet", "--out", f"{d}/cap"], "cap",
    ),  # fmt: skip
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unwritable_folder_is_one_error_line_and_changes_nothing(runner, target, command):
    args, named = COMMANDS[command](target.folder)
    before = target.state()
    line = _assert_refused(invoke(runner, *args), str(target.folder), named, target.errno_name)
    assert "cannot write" in line
    assert target.state() == before  # no staged file, no empty folder, nothing changed


def test_a_full_disk_mid_capture_stops_with_one_line_and_keeps_whole_samples(runner, tmp_path):
    with _tmpfs(tmp_path / "fs", "96k") as folder:
        out = folder / "cap"
        result = invoke(runner, "capture", "--source", "synthetic", "--freq-mhz", "28.3",
                        "--duration-s", "60", "--fast", "--quiet", "--out", out)  # fmt: skip
        line = _assert_refused(result, str(out), "ENOSPC", "recording recover")
        data = out / "f1_28.300000MHz.sigmf-data"
        assert str(data) in line and data.stat().st_size % 8 == 0  # cf32: whole samples
        assert not [p for p in folder.rglob(".hi-station-*")]


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A character device like ``/dev/full`` (1, 7), inside the test's own folder."""
    path = tmp_path / "full.dev"
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here (needs root): {exc}")
    return path


DEVICE_COMMANDS = {
    "encode wav": lambda dev: ["encode", "HI", "--dit-s", "0.1", "--out", str(dev)],
    "encode sigmf": lambda dev: ["encode", "HI", "--dit-s", "0.1", "--out", str(dev)],
    "schedule new": lambda dev: ["schedule", "new", "--out", str(dev)],
    "schedule plan --ics": lambda dev: [
        "schedule", "plan", "juno-2013-10-09", "--callsign", "N0CALL", "--ics", str(dev)],
    "waves analyze --png": lambda dev: [
        "waves", "analyze", str(WAVES_CSV), "--schedule", "juno-2013-10-09", "--png", str(dev)],
    "log adif": lambda dev: ["log", "adif", str(dev.parent / "tx.jsonl"), "--out", str(dev)],
}  # fmt: skip


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("command", sorted(DEVICE_COMMANDS))
def test_a_device_as_output_is_refused_and_never_replaced(runner, tmp_path, command, overwrite):
    suffix = ".wav" if command == "encode wav" else ""
    dev = tmp_path / f"full{suffix}"
    try:
        os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    except OSError as exc:
        pytest.skip(f"cannot make a device node here (needs root): {exc}")
    (tmp_path / "tx.jsonl").write_text("".join(json.dumps(r) + "\n" for r in TX_LOG_LINES))
    before = sorted(p.name for p in tmp_path.iterdir())
    args = DEVICE_COMMANDS[command](dev) + (["--overwrite"] if overwrite else [])
    _assert_refused(invoke(runner, *args), str(dev), "not a regular file")
    assert stat.S_ISCHR(os.lstat(dev).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_transmit_log_on_a_device_or_unwritable_disk_is_refused_before_keying(
    runner, tmp_path, device, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # a dry run: nothing keyed
    sched = practice_toml(tmp_path / "p.toml", lead_s=30.0, dit_s=0.5)
    args = ["transmit", str(sched), "--callsign", "N0CALL", "--quiet", "--log"]
    line = invoke(runner, *args, str(device)).stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "not a regular file" in line
    assert stat.S_ISCHR(os.lstat(device).st_mode)
    with _tmpfs(tmp_path / "fs", "64k") as folder:
        assert _run("mount", "-o", "remount,ro", str(folder)).returncode == 0
        result = invoke(runner, *args, str(folder / "tx.jsonl"))
        assert result.exit_code == 2 and "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert [x for x in lines if x.startswith("error:")] == [lines[-1]]
        assert "tx.jsonl: cannot write: Read-only file system (EROFS)" in lines[-1]
        assert list(folder.iterdir()) == []
    with _tmpfs(tmp_path / "full", "64k") as folder:
        _fill(folder)
        result = invoke(runner, *args, str(folder / "tx.jsonl"))
        assert result.exit_code == 2 and "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert [x for x in lines if x.startswith("error:")] == [lines[-1]]
        assert "tx.jsonl: cannot write: No space left on device (ENOSPC)" in lines[-1]
        assert sorted(p.name for p in folder.iterdir()) == ["filler"]  # no empty log


def test_a_tx_log_filling_the_disk_mid_keying_releases_the_key_and_keeps_its_stop(tmp_path):
    """The disk holds the log's start and tune records (about 510 bytes) and the space it
    keeps for its stop record (STOP_RESERVE_BYTES), but not the first edge record as
    well, which is written just after the first key-down: the write fails with the key
    down, nothing of it written; the key is released, the stop record goes into the
    kept space, and the run ends in one line."""
    rig = start_rigctld()
    try:
        with _tmpfs(tmp_path / "fs", "64k") as folder:
            log = folder / "tx.jsonl"
            old = json.dumps({"type": "note", "text": "x" * (PAGE - 720)}) + "\n"
            log.write_text(old)  # a previous run's line: all but 700 bytes of the page
            _fill(folder)
            filler = folder / "filler"
            os.truncate(filler, filler.stat().st_size - PAGE)  # one page free: the reserve
            # the key-down 6 s ahead: the first edge is still ahead when a loaded machine starts
            sched = practice_toml(tmp_path / "p.toml", lead_s=6.0, dit_s=1.0)
            proc = subprocess.run(
                [sys.executable, "-m", "station.cli", "transmit", str(sched), "--callsign",
                 "N0CALL", "--rig", rig.address, "--transmit", "--quiet", "--log", str(log),
                 "--ignore-clock"],
                capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False,
            )  # fmt: skip
            assert rig.ptt() is False
            text = log.read_text()
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert [x for x in lines if x.startswith("error:")] == [lines[-1]], lines
        assert f"{log}: cannot write: No space left on device (ENOSPC)" in lines[-1]
        assert "keying stopped" in lines[-1] and "key released" in lines[-1]
        assert text.startswith(old) and text.endswith("\n")
        records = [json.loads(x) for x in text[len(old) :].splitlines()]  # no torn line
        assert [r["type"] for r in records] == ["start", "tune", "stop"]  # no edge record
        stop = records[-1]
        assert stop["reason"] == "error" and stop["unkeyed"] is True and stop["edges"] == 1
        assert "No space left on device" in stop["message"]
        assert "no stop record" not in lines[-1]
    finally:
        rig.proc.kill()
        rig.proc.wait(timeout=5)


def test_a_tx_log_keeps_room_for_its_stop_record_on_a_full_disk(tmp_path):
    """Records stop being written while the disk can still hold the reserve; the stop
    record (``final``) always fits in it, and the file's size never shows the reserve."""
    with _tmpfs(tmp_path / "fs", "64k") as folder:
        path = folder / "tx.jsonl"
        with TxLog(path) as log:
            assert log.reserved and path.stat().st_size == 0
            _fill(folder)
            record = {"type": "note", "text": "x" * 200}
            written = 0
            with pytest.raises(OutputError, match="No space left on device"):
                for _ in range(PAGE):  # refused once it would eat into the reserve
                    log.write(record)
                    written += 1
            log.write({"type": "stop", "reason": "error", "message": "y" * 1500}, final=True)
        records = read_tx_log(path)
    assert [r["type"] for r in records] == ["note"] * written + ["stop"]
    assert len(records[-1]["message"]) == 1500
