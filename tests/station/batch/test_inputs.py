"""What a batch is given and how it keys it: inputs, the --out check, hashes, the stat cache."""

from __future__ import annotations

import hashlib
import os

import pytest

from station.batch.identity import StatCache, content_sha256, identify, station_name
from station.batch.inputs import check_out_dir, find_recordings
from station.errors import InputError


def _touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_files_folders_globs_each_once_sorted(tmp_path):
    a = _touch(tmp_path / "a.sigmf-meta")
    _touch(tmp_path / "a.sigmf-data")
    b = _touch(tmp_path / "deep" / "er" / "b.WAV")
    c = _touch(tmp_path / "c.cu8")
    odd = _touch(tmp_path / "odd[1].cu8")  # a literal name with glob characters
    _touch(tmp_path / "deep" / "notes.txt")
    got = find_recordings([str(tmp_path / "*.sigmf-data"), str(tmp_path / "deep"),
                           str(tmp_path / "**" / "*.cu8"), str(c), str(odd)])  # fmt: skip
    assert got == sorted([a, b, c, odd])


def test_a_folder_without_recordings_and_a_special_file_are_refused(tmp_path):
    _touch(tmp_path / "empty" / "notes.txt")
    with pytest.raises(InputError, match="holds no recordings"):
        find_recordings([str(tmp_path / "empty")])
    os.mkfifo(tmp_path / "fifo.cu8")
    with pytest.raises(InputError, match="not a regular file"):
        find_recordings([str(tmp_path / "fifo.cu8")])
    with pytest.raises(InputError, match="at least one"):
        find_recordings([])


def test_out_dir_must_be_new_empty_or_a_batch(tmp_path):
    check_out_dir(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty")
    batch = tmp_path / "batch"
    _touch(batch / "batch.json", b'{"schema": "hi-station-batch/1", "options": {}}')
    _touch(batch / "results" / "x.json")
    check_out_dir(batch)
    _touch(batch / "mine.txt")
    with pytest.raises(InputError, match="holds 'mine.txt'"):
        check_out_dir(batch)


def test_sigmf_content_is_meta_then_data_and_the_stat_cache_spares_rehashing(tmp_path):
    meta = _touch(tmp_path / "g.sigmf-meta", b'{"global": {"core:author": " G4ABC "}}')
    data = _touch(tmp_path / "g.sigmf-data", b"\x80" * 1000)
    sha, n = content_sha256(meta)
    assert sha == hashlib.sha256(meta.read_bytes() + data.read_bytes()).hexdigest()
    assert n == meta.stat().st_size + 1000
    assert station_name(meta) == "G4ABC" and station_name(tmp_path / "x.y.cu8") == "x.y"
    cache = StatCache(tmp_path / "index.json")
    assert identify([meta], cache)[meta] == (sha, n)
    cache.save()
    again = StatCache(tmp_path / "index.json")
    assert identify([meta], again)[meta] == (sha, n) and again.hashed == 0
    os.utime(data, ns=(1, 1))  # touched, same content: hashed again, same key
    assert identify([meta], again)[meta] == (sha, n) and again.hashed == 1
    data.write_bytes(b"\x7f" * 1000)  # new content, same size
    assert identify([meta], again)[meta][0] != sha and again.hashed == 2
