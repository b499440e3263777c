"""What a batch is given and how it keys it: inputs, the --out check, hashes, the stat cache."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.batch.identity import StatCache, content_sha256, identify, iter_identify, station_name
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


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(contents=st.lists(st.binary(max_size=3000), min_size=1, max_size=6),
       cached=st.sets(st.integers(0, 5)), threads=st.integers(1, 3))  # fmt: skip
def test_iter_identify_keys_every_path_in_order_hashing_only_the_unknown(tmp_path_factory,
                                                                          contents, cached,
                                                                          threads):  # fmt: skip
    folder = tmp_path_factory.mktemp("keys")
    paths = [_touch(folder / f"r{i}.cu8", data) for i, data in enumerate(contents)]
    cache = StatCache(folder / "index.json")
    known = [p for i, p in enumerate(paths) if i in cached]
    identify(known, cache)
    cache.hashed = 0
    order = [*reversed(paths), paths[0]]  # any order, a path given twice
    got = list(iter_identify(order, cache, threads=threads))
    assert [p for p, _ in got] == order
    for p, (sha, n) in got:
        assert (sha, n) == (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size)
    assert cache.hashed == len(paths) - len(known)


def test_iter_identify_yields_a_recording_before_the_next_is_hashed(tmp_path):
    first = _touch(tmp_path / "a.cu8", b"\x80" * 100)
    slow = tmp_path / "b.cu8"
    os.mkfifo(slow)  # its hash cannot end before we write it: only after the first is out
    keyed = iter_identify([first, slow], StatCache(tmp_path / "index.json"), threads=2)

    def feed() -> None:
        with open(slow, "wb") as fh:
            fh.write(b"late")

    got: list = []
    reader = threading.Thread(target=lambda: got.append(next(keyed)))
    reader.start()
    reader.join(timeout=20)
    streamed = not reader.is_alive()
    writer = threading.Thread(target=feed)
    writer.start()  # unblocks the FIFO's hash either way: the suite never hangs
    reader.join()
    assert streamed, "the first recording waited for the second's hash"
    path, (sha, _) = got[0]
    assert path == first and sha == hashlib.sha256(b"\x80" * 100).hexdigest()
    path, (sha, n) = next(keyed)
    writer.join()
    assert (path, sha, n) == (slow, hashlib.sha256(b"late").hexdigest(), 4)
    assert next(keyed, None) is None
