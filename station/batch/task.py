"""One batch task: :func:`station.replay.replay` on one recording, as a Dask worker runs it.

:func:`replay_task` is what the client submits (one per recording).  On a worker it
logs its start as a ``hi-station-batch`` event (so the client can count a task run
again after its worker died), pins glibc's mmap threshold as the CLI does
(:mod:`station._memory`; under the nanny's ``MALLOC_TRIM_THRESHOLD_`` a 10-minute
replay took twice as long without it), gives back the free heap the worker's last task
left, resets the process's peak-RSS mark, runs replay with its
scratch files in the worker's own folder (inside ``DIR/.dask`` for the default local
cluster), and returns replay's ``--json`` document with the task's wall time, the
worker's address and the peak RSS.  A recording replay refuses (an expected error:
:data:`station.cli._common.EXPECTED_ERRORS`' kinds) comes back as ``error``, never as
a raised exception, so one bad file never stops the batch.  It also runs without Dask
(then ``worker`` is ``""``).

Examples
--------
>>> out = replay_task("/no/such.cu8", "00" * 32, {"sample_rate_hz": 240e3,
...                   "center_freq_hz": 28.4e6}, run_id="doc")
>>> out["replay"], out["error"].startswith("/no/such.cu8")
(None, True)
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dsp.errors import DspValueError
from station.errors import StationError
from station.utc import format_utc

__all__ = ["EVENT_TOPIC", "peak_rss_mb", "replay_task", "reset_peak_rss"]

#: Topic of the events a task logs at its start (``{"run", "sha256", "pid"}``).
EVENT_TOPIC = "hi-station-batch"


def reset_peak_rss() -> None:
    """Reset this process's peak-RSS mark (``VmHWM``) to its current RSS (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    """Return the process's peak resident set since start or :func:`reset_peak_rss`, MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _worker() -> Any:
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def replay_task(path: str, sha256: str, options: dict[str, Any], *, run_id: str) -> dict[str, Any]:
    """Replay ``path`` with ``options`` (replay's keyword arguments); runs on a worker.

    Returns
    -------
    dict
        ``replay`` (``ReplayResult.to_dict()``, or None when refused), ``error`` (the
        refusal's one line, or None), ``task_s``, ``task_start_utc`` (ISO 8601, the
        worker's clock), ``worker`` (address), ``pid`` and ``peak_rss_mb``.
    """
    from station._memory import pin_mmap_threshold, trim_heap
    from station.replay import replay

    pin_mmap_threshold()  # as the CLI does: else 2x slower under the nanny's malloc settings
    worker = _worker()
    scratch = None
    if worker is not None:
        worker.log_event(EVENT_TOPIC, {"run": run_id, "sha256": sha256, "pid": os.getpid()})
        scratch = Path(worker.local_directory)
    trim_heap()  # the last task's free heap back to the system: this one's peak is its own
    reset_peak_rss()
    started = format_utc(datetime.now(UTC), "milliseconds")
    t0 = time.perf_counter()
    doc: dict[str, Any] | None = None
    error = None
    try:
        doc = replay(path, scratch_dir=scratch, **options).to_dict()
    except (StationError, DspValueError) as exc:
        error = " ".join(str(exc).split()) or type(exc).__name__
        if not error.startswith(path):
            error = f"{path}: {error}"
    return {"replay": doc, "error": error, "task_s": time.perf_counter() - t0,
            "worker": "" if worker is None else str(worker.address), "pid": os.getpid(),
            "peak_rss_mb": peak_rss_mb(), "task_start_utc": started}  # fmt: skip
