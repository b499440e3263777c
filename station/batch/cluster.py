"""The Dask side of a batch: a cluster to run on, the tasks, and the count of their starts.

:func:`open_client` connects to ``--scheduler`` / ``--scheduler-file``, or starts a
:class:`distributed.LocalCluster` of worker processes (one thread each, on
127.0.0.1, no dashboard) whose scratch space (Dask's ``temporary-directory``, the
workers' ``TMPDIR``) is ``DIR/.dask``, removed when the batch ends.  Nothing here is
imported before there is work: a rerun that finds every result never imports Dask.

:func:`run_tasks` submits one :func:`station.batch.task.replay_task` per recording
and hands each outcome to the caller as its future completes, on the client, so
the caller's write of the result file is the only one (a worker that dies mid-task
leaves nothing behind; the scheduler reruns the task on another worker).
:class:`StartCounter` counts each task's starts from the events the tasks log: a task
started more than once was rerun because its worker died.

Examples
--------
>>> counter = StartCounter("run1")
>>> for pid in (11, 12):  # started on a worker that died, then on another
...     counter.handle((0.0, {"run": "run1", "sha256": "ab", "pid": pid}))
>>> counter.handle((0.0, {"run": "other", "sha256": "ab", "pid": 13}))
>>> counter.starts("ab"), counter.starts("cd")
(2, 1)
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.batch.task import EVENT_TOPIC, replay_task
from station.errors import InputError

__all__ = ["Outcome", "StartCounter", "new_run_id", "open_client", "run_tasks"]

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def open_client(
    *,
    workers: int,
    dask_dir: Path,
    scheduler: str | None = None,
    scheduler_file: Path | None = None,
) -> Iterator[Any]:
    """Yield a :class:`distributed.Client` on the cluster asked for (closed and cleaned after).

    Raises
    ------
    InputError
        The scheduler cannot be reached, or no worker joins within 60 s.
    """
    import dask
    from distributed import Client, LocalCluster

    if logging.getLogger().getEffectiveLevel() >= logging.WARNING:  # no -v: our lines only
        logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler or scheduler_file:
        name = f"--scheduler={scheduler}" if scheduler else f"--scheduler-file={scheduler_file}"
        try:
            sf = None if scheduler_file is None else str(scheduler_file)
            client = Client(address=scheduler, timeout="20s", scheduler_file=sf)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"{name}: cannot connect to a Dask scheduler ({exc})") from None
        try:
            _wait(client, 1, name)
            yield client
        finally:
            client.close()
        return
    dask_dir.mkdir(parents=True, exist_ok=True)
    try:
        with dask.config.set({"temporary-directory": str(dask_dir)}), warnings.catch_warnings():
            # the scheduler's HTTP routes (no dashboard) take another port when 8787 is busy
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None,
                                   env={"TMPDIR": str(dask_dir)},
                                   silence_logs=logging.ERROR)  # fmt: skip
            try:
                client = Client(cluster)
                try:
                    _wait(client, workers, "the local cluster")
                    yield client
                finally:
                    client.close()
            finally:
                cluster.close()
    finally:
        shutil.rmtree(dask_dir, ignore_errors=True)


def _wait(client: Any, n: int, name: str) -> None:
    try:
        client.wait_for_workers(n, timeout=60)
    except TimeoutError:
        raise InputError(f"{name}: no Dask worker joined within 60 s") from None


class StartCounter:
    """Starts of each recording's task in one batch run, from the tasks' events.

    Parameters
    ----------
    run_id : str
        The batch run's id (events of other runs on a shared scheduler are ignored).
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._lock = threading.Lock()
        self._starts: Counter[str] = Counter()

    def handle(self, event: Any) -> None:
        """Count one ``(timestamp, message)`` event of :data:`EVENT_TOPIC`."""
        msg = event[1] if isinstance(event, tuple | list) and len(event) == 2 else event
        if isinstance(msg, dict) and msg.get("run") == self.run_id:
            with self._lock:
                self._starts[str(msg.get("sha256"))] += 1

    def recount(self, events: Sequence[Any]) -> None:
        """Count again from the scheduler's whole event log of the topic."""
        fresh = StartCounter(self.run_id)
        for event in events:
            fresh.handle(event)
        with self._lock:
            for key, n in fresh._starts.items():
                self._starts[key] = max(self._starts[key], n)

    def starts(self, sha256: str) -> int:
        """How many times the task of ``sha256`` started (at least 1)."""
        with self._lock:
            return max(1, self._starts[sha256])


@dataclass(frozen=True)
class Outcome:
    """How one task ended: its returned document, or why it failed."""

    path: str
    sha256: str
    result: dict[str, Any] | None
    failure: str | None


def _killed(exc: BaseException) -> bool:
    from distributed import KilledWorker

    return isinstance(exc, KilledWorker)


def _failure(path: str, exc: BaseException) -> str:
    if _killed(exc):
        return (f"failed: {path}: its worker died each time it ran (KilledWorker: the scheduler "
                "gives up after distributed.scheduler.allowed-failures, default 3); is it "
                "running out of memory?")  # fmt: skip
    return f"failed: {path}: {type(exc).__name__}: {' '.join(str(exc).split())}"


def run_tasks(
    client: Any,
    jobs: Sequence[tuple[str, str]],
    options: dict[str, Any],
    on_outcome: Callable[[Outcome], None],
    counter: StartCounter,
) -> None:
    """Run ``jobs`` (path, sha256) with replay ``options``; ``on_outcome`` as each ends."""
    from distributed import as_completed

    client.subscribe_topic(EVENT_TOPIC, counter.handle)
    try:
        futures = {}
        for path, sha in jobs:
            key = f"hi-station-replay-{sha[:16]}-{counter.run_id}"
            fut = client.submit(replay_task, path, sha, options, run_id=counter.run_id,
                                key=key, pure=False)  # fmt: skip
            futures[fut.key] = (path, sha, fut)
        for fut in as_completed([f for _, _, f in futures.values()]):
            path, sha, _ = futures.pop(fut.key)
            if fut.status == "finished":
                on_outcome(Outcome(path, sha, fut.result(), None))
            else:
                exc = fut.exception()
                if not _killed(exc):  # a bug: its traceback, and the batch goes on
                    logger.error("%s: the task raised", path, exc_info=exc)
                on_outcome(Outcome(path, sha, None, _failure(path, exc)))
            fut.release()
        counter.recount(client.get_events(EVENT_TOPIC))
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(EVENT_TOPIC)


def new_run_id() -> str:
    """Return a fresh id for one batch run."""
    return uuid.uuid4().hex[:12]
