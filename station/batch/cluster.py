"""The Dask side of a batch: a cluster to run on, the tasks, and the count of their starts.

:func:`open_client` connects to ``--scheduler`` / ``--scheduler-file``, or starts a
:class:`distributed.LocalCluster` of worker processes (one thread each, on
127.0.0.1, no dashboard, no statistical profiler: it sampled each worker's stack every
10 ms and kept the profiles, about 35 MB more per worker after four 20-minute replays,
and slower tasks) whose scratch space (Dask's ``temporary-directory``, the
workers' ``TMPDIR``) is ``DIR/.dask``, removed when the batch ends.  Nothing here is
imported before there is work: a rerun that finds every result never imports Dask.

:class:`Tasks` submits one :func:`station.batch.task.replay_task` per recording and
hands each outcome to the caller as its future completes, on the client, so the
caller's write of the result file is the only one (a worker that dies mid-task
leaves nothing behind; the scheduler reruns the task on another worker).
:class:`StartCounter` counts each task's starts from the events the tasks log: a task
started more than once was rerun because its worker died.  :class:`LazyCluster`
starts the cluster on a thread at the first task and submits each task as soon as the
cluster is up, so keying the other recordings overlaps the start and the first tasks.

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
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.batch.task import EVENT_TOPIC, replay_task
from station.errors import InputError

__all__ = ["LazyCluster", "Outcome", "StartCounter", "Tasks", "new_run_id", "open_client"]

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
        with dask.config.set({"temporary-directory": str(dask_dir),
                              "distributed.worker.profile.enabled": False}), \
                warnings.catch_warnings(), _main_not_rerun():
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


@contextlib.contextmanager
def _main_not_rerun() -> Iterator[None]:
    """While the local cluster lives, its spawned workers do not run the main script again.

    ``multiprocessing``'s spawn start method re-imports the parent's main script in
    each child; ``hi-station``'s is the console script, which imports the whole CLI
    (1.5 s of a worker's start, on the way to the first task, and again for each
    worker a nanny restarts).  The workers need only :mod:`station.batch.task`, so the
    main module's ``__file__`` is hidden meanwhile (a ``python -m`` main has a
    ``__spec__`` instead; ``python -m station.cli``'s, ``station.cli.__main__``, spawn
    never re-imports).  Nothing else here reads it.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


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


class Tasks:
    """The batch's tasks on ``client``: submitted one by one, their outcomes as they end.

    Parameters
    ----------
    client : distributed.Client
    options : dict
        Replay's keyword arguments.
    counter : StartCounter
        Fed by the tasks' start events from construction to :meth:`close`.
    """

    def __init__(self, client: Any, options: dict[str, Any], counter: StartCounter) -> None:
        from distributed import as_completed

        self.client, self.options, self.counter = client, options, counter
        self._jobs: dict[str, tuple[str, str]] = {}
        self._done = as_completed()
        client.subscribe_topic(EVENT_TOPIC, counter.handle)

    def submit(self, path: str, sha: str) -> None:
        """Start the task of recording ``path`` (content ``sha``) at once."""
        key = f"hi-station-replay-{sha[:16]}-{self.counter.run_id}"
        fut = self.client.submit(replay_task, path, sha, self.options,
                                 run_id=self.counter.run_id, key=key, pure=False)  # fmt: skip
        self._jobs[fut.key] = (path, sha)
        self._done.add(fut)

    def wait(self, on_outcome: Callable[[Outcome], None]) -> None:
        """Hand each task's :class:`Outcome` to ``on_outcome`` as it ends, until all have."""
        for fut in self._done:
            path, sha = self._jobs.pop(fut.key)
            if fut.status == "finished":
                on_outcome(Outcome(path, sha, fut.result(), None))
            else:
                exc = fut.exception()
                if not _killed(exc):  # a bug: its traceback, and the batch goes on
                    logger.error("%s: the task raised", path, exc_info=exc)
                on_outcome(Outcome(path, sha, None, _failure(path, exc)))
            fut.release()
        self.counter.recount(self.client.get_events(EVENT_TOPIC))

    def close(self) -> None:
        """Stop listening to the tasks' events."""
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(EVENT_TOPIC)


class LazyCluster:
    """The batch's cluster, started on a thread at the first task (none without a task).

    Each :meth:`submit` hands one recording's task to the cluster as soon as it is up,
    so the client keeps keying recordings while the cluster starts and the first tasks
    run.  Parameters as :func:`open_client`'s, and replay's keyword arguments.
    """

    def __init__(
        self,
        options: dict[str, Any],
        *,
        workers: int,
        dask_dir: Path,
        scheduler: str | None = None,
        scheduler_file: Path | None = None,
    ) -> None:
        self.options = options
        self._where: dict[str, Any] = {"workers": workers, "dask_dir": dask_dir,
                                       "scheduler": scheduler, "scheduler_file": scheduler_file}
        self.counter = StartCounter(new_run_id())
        self._pending: list[tuple[str, str]] = []
        self._opening: Future[tuple[Tasks, contextlib.ExitStack]] | None = None

    def submit(self, path: str, sha: str) -> None:
        """Run the task of ``path`` as soon as the cluster is up (starting it if need be).

        Raises
        ------
        InputError
            The cluster could not be had (:func:`open_client`), once it is known.
        """
        self._pending.append((path, sha))
        if self._opening is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dask-open")
            self._opening = pool.submit(self._open, time.perf_counter())
            pool.shutdown(wait=False)
        if self._opening.done():
            self._flush()

    def _open(self, t0: float) -> tuple[Tasks, contextlib.ExitStack]:
        with contextlib.ExitStack() as stack:
            client = stack.enter_context(open_client(**self._where))
            tasks = Tasks(client, self.options, self.counter)
            stack.callback(tasks.close)
            logger.info("cluster up in %.2f s", time.perf_counter() - t0)
            return tasks, stack.pop_all()
        raise AssertionError("unreachable")  # pragma: no cover

    def _flush(self) -> tuple[Tasks, contextlib.ExitStack]:
        assert self._opening is not None
        up = self._opening.result()  # open_client's InputError is raised here
        for job in self._pending:
            up[0].submit(*job)
        self._pending.clear()
        return up

    def abort(self) -> None:
        """Cancel what was started and close the cluster (keying failed or was stopped)."""
        if self._opening is not None:
            with contextlib.suppress(Exception):
                self._opening.result()[1].close()

    def finish(self, on_outcome: Callable[[Outcome], None]) -> threading.Thread:
        """Wait for every task (``on_outcome`` as each ends); return the closing thread.

        The cluster is closed on that thread (the caller joins it when its own work
        is done); on an error it is closed before this returns.
        """
        t0 = time.perf_counter()
        try:
            tasks, closing = self._flush()
        except BaseException:
            self.abort()
            raise
        with closing:
            tasks.wait(on_outcome)
            logger.info("tasks done in %.2f s after the last was keyed", time.perf_counter() - t0)
            closing = closing.pop_all()
        closer = threading.Thread(target=_timed_close, args=(closing,), name="dask-close")
        closer.start()
        return closer


def _timed_close(stack: contextlib.ExitStack) -> None:
    t0 = time.perf_counter()
    stack.close()
    logger.info("cluster closed in %.2f s", time.perf_counter() - t0)


def new_run_id() -> str:
    """Return a fresh id for one batch run."""
    return uuid.uuid4().hex[:12]
