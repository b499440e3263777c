"""``hi-station batch``: many recordings analysed as ``replay`` does, resumably, on Dask.

:func:`run_batch` finds the recordings (:mod:`station.batch.inputs`), checks or writes
the folder's options (:mod:`station.batch.manifest`), keys each recording by its
content (:mod:`station.batch.identity`, hashing only what ``DIR/index.json`` does not
know), largest first, and skips every recording whose result file is already there.
Each of the others becomes a Dask task as soon as it is keyed
(:class:`station.batch.cluster.LazyCluster`: the cluster starts on a thread at the first
such recording, so hashing the rest overlaps its start and the first tasks; no cluster
is started, nor Dask imported, when there is nothing to do).  Each result is written as
its task ends (:func:`station.batch.results.write_result`) and at the end the table of
all results (``DIR/results.parquet``).  A recording replay refuses becomes a result
with an ``error`` and the batch goes on; a task whose workers kept dying becomes one
whose error starts ``failed:`` (redone by the next run).

Examples
--------
>>> BatchSummary("out", 8, 7, 0, 1, 0, 1, 8, 93.25, True).line()
'batch: 8 recordings: 7 done, 0 skipped (cached), 1 refused, 0 failed, 1 rerun, 93.2 s -> out'
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from station.batch.cluster import LazyCluster, Outcome
from station.batch.identity import StatCache, iter_identify, recording_bytes, station_name
from station.batch.inputs import check_out_dir, find_recordings
from station.batch.manifest import open_manifest
from station.batch.results import RecordingId, read_results, result_path, write_result, write_table
from station.utc import format_utc

__all__ = ["BatchRequest", "BatchSummary", "Progress", "run_batch"]

FAILED = "failed: "
_TASK_FIELDS = ("worker", "task_s", "peak_rss_mb", "task_start_utc")

logger = logging.getLogger(__name__)


class Progress(Protocol):
    """What a batch tells as it goes (the CLI draws a bar, or prints lines)."""

    def start(self, total: int) -> None:
        """``total`` recordings are to be analysed."""

    def advance(self, line: str) -> None:
        """One recording is finished (``line`` says how)."""

    def note(self, line: str) -> None:
        """Something worth a line (a rerun)."""


@dataclass(frozen=True)
class BatchRequest:
    """What to analyse, how, where to, and on which cluster.

    Attributes
    ----------
    inputs : tuple of str
        Files, folders, globs.
    out_dir : pathlib.Path
    options : dict
        ``batch.json``'s options (:func:`station.batch.manifest.batch_options`).
    event_text : str
        The event file's text ("" without an event).
    replay_options : dict
        Keyword arguments of :func:`station.replay.replay` (event object included).
    workers : int
        Local cluster size (ignored with a scheduler).
    scheduler, scheduler_file : optional
        An existing cluster.
    """

    inputs: tuple[str, ...]
    out_dir: Path
    options: dict[str, Any]
    event_text: str
    replay_options: dict[str, Any]
    workers: int = 1
    scheduler: str | None = None
    scheduler_file: Path | None = None


@dataclass(frozen=True)
class BatchSummary:
    """How a batch went (``--json`` prints :meth:`to_dict`)."""

    out_dir: str
    recordings: int
    done: int
    skipped: int
    refused: int
    failed: int
    rerun: int
    hashed: int
    seconds: float
    cluster_started: bool
    errors: tuple[str, ...] = field(default=())
    started_utc: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.__dict__, "errors": list(self.errors)}

    def line(self) -> str:
        """Return the one summary line."""
        return (f"batch: {self.recordings} recordings: {self.done} done, {self.skipped} skipped "
                f"(cached), {self.refused} refused, {self.failed} failed, {self.rerun} rerun, "
                f"{self.seconds:.1f} s -> {self.out_dir}")  # fmt: skip


def _reusable(path: Path) -> bool:
    """Tell whether a rerun keeps this result file (not a failure, which is redone)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    error = doc.get("error") if isinstance(doc, dict) else None
    return isinstance(doc, dict) and not (isinstance(error, str) and error.startswith(FAILED))


class _Writer:
    """Writes each finished recording's result (on the client) and keeps the tally."""

    def __init__(self, request: BatchRequest, sizes: dict[str, int], progress: Progress) -> None:
        self.request, self.sizes, self.progress = request, sizes, progress
        self.done = 0
        self.attempts: dict[str, int] = {}
        self.last: dict[str, tuple[str, dict[str, Any] | None, str | None]] = {}

    def write(self, path: str, sha: str, doc: dict[str, Any] | None, failure: str | None,
              attempts: int) -> None:  # fmt: skip
        replay = None if doc is None else doc.get("replay")
        error = failure if doc is None else doc.get("error")
        start = None if replay is None else replay.get("start_utc")
        rec = RecordingId(path, sha, self.sizes[sha], station_name(Path(path)), start)
        extra = {} if doc is None else {k: doc[k] for k in _TASK_FIELDS}
        write_result(self.request.out_dir, rec, self.request.options, replay, error=error,
                     attempts=attempts, **extra)  # fmt: skip
        self.attempts[sha] = attempts
        self.last[sha] = (path, doc, failure)

    def finished(self, path: str, sha: str, doc: dict[str, Any] | None, failure: str | None,
                 attempts: int) -> None:  # fmt: skip
        self.write(path, sha, doc, failure, attempts)
        if attempts > 1:
            self.progress.note(f"rerun: {path} (its worker died)")
        error = failure if doc is None else doc.get("error")
        if error is None and doc is not None:
            self.done += 1
            self.progress.advance(f"done: {path} ({doc['task_s']:.1f} s on {doc['worker'] or '-'}"
                                  f", peak {doc['peak_rss_mb']:.0f} MB)")  # fmt: skip
            return
        self.progress.advance(str(error) if failure else f"refused: {error}")


def _key_and_submit(
    request: BatchRequest, cluster: LazyCluster
) -> tuple[dict[str, str], dict[str, int], list[tuple[str, str]], int]:
    """Find and key the recordings, largest first, handing each that needs work to ``cluster``.

    Returns {sha256: first path}, {sha256: bytes}, the (path, sha256) to analyse and
    the files hashed.  Largest first: the longest tasks start first, so the workers'
    last tasks end together.
    """
    paths = find_recordings(request.inputs)
    check_out_dir(request.out_dir)
    open_manifest(request.out_dir, request.options, request.event_text)
    cache = StatCache(request.out_dir / "index.json")
    ordered = sorted(paths, key=lambda p: -recording_bytes(p))  # stable: ties keep their order
    by_sha: dict[str, str] = {}
    sizes: dict[str, int] = {}
    todo: list[tuple[str, str]] = []
    try:
        for p, (sha, n) in iter_identify(ordered, cache, threads=min(4, os.cpu_count() or 1)):
            if sha in by_sha:
                continue
            by_sha[sha], sizes[sha] = str(p), n
            if not _reusable(result_path(request.out_dir, sha)):
                todo.append((str(p), sha))
                cluster.submit(str(p), sha)
    finally:
        cache.save()  # what was hashed is kept, even when a recording could not be read
    return by_sha, sizes, todo, cache.hashed


def run_batch(request: BatchRequest, progress: Progress) -> BatchSummary:
    """Analyse every recording of ``request`` not yet analysed; see the module doc.

    Raises
    ------
    InputError
        Bad inputs, ``--out`` or options (before any task runs), or an unreadable
        recording (the tasks already started are cancelled).
    """
    t0 = time.perf_counter()
    started = format_utc(datetime.now(UTC), "milliseconds")
    cluster = LazyCluster(request.replay_options, workers=request.workers,
                          dask_dir=request.out_dir / ".dask", scheduler=request.scheduler,
                          scheduler_file=request.scheduler_file)  # fmt: skip
    try:
        by_sha, sizes, todo, hashed = _key_and_submit(request, cluster)
    except BaseException:
        cluster.abort()
        raise
    logger.info("%d recordings keyed (%d hashed) in %.2f s", len(by_sha), hashed,
                time.perf_counter() - t0)
    writer = _Writer(request, sizes, progress)
    closer = None
    if todo:
        progress.start(len(todo))
        closer = _finish(cluster, writer)
    try:
        t1 = time.perf_counter()
        docs = read_results(request.out_dir)
        write_table(request.out_dir, docs)
        logger.info("results.parquet written in %.2f s", time.perf_counter() - t1)
    finally:
        if closer is not None:
            closer.join()
    errors = {d["recording"]["sha256"]: d.get("error") for d in docs}
    mine = [str(errors[s]) for s in sorted(by_sha, key=by_sha.__getitem__) if errors.get(s)]
    failed = sum(1 for e in mine if e.startswith(FAILED))
    rerun = sum(1 for n in writer.attempts.values() if n > 1)
    return BatchSummary(str(request.out_dir), len(by_sha), writer.done, len(by_sha) - len(todo),
                        len(mine) - failed, failed, rerun, hashed, time.perf_counter() - t0,
                        bool(todo), tuple(mine), started)  # fmt: skip


def _finish(cluster: LazyCluster, writer: _Writer) -> threading.Thread:
    """Write each result as its task ends; return the thread closing the cluster."""
    counter = cluster.counter

    def on_outcome(o: Outcome) -> None:
        writer.finished(o.path, o.sha256, o.result, o.failure, counter.starts(o.sha256))

    closer = cluster.finish(on_outcome)
    for sha, (path, doc, failure) in writer.last.items():  # starts seen only at the end
        if counter.starts(sha) > writer.attempts[sha]:
            writer.write(path, sha, doc, failure, counter.starts(sha))
            writer.progress.note(f"rerun: {path} (its worker died)")
    return closer
