"""Run corpus cases in this process, as ``hi-station`` would run each one.

``python -m tests.station.corpus.runner RESULTS`` reads a JSON list of cases on stdin
and appends one JSON line per case to ``RESULTS``: a ``start`` line before the case
(so a parent that has to kill a hung child knows which case hung) and a result line
after it.  Each case runs :func:`station.cli.main` (the console script's own entry
point) with ``sys.argv`` set, ``sys.stdout``/``sys.stderr`` captured and ``SystemExit``
caught for the exit code, exactly the standalone behaviour of the real command; an
exception escaping ``main`` is printed as Python would print it (a traceback, exit 1).
Between cases the state a fresh process would not have is reset: logging handlers,
warning registries, numpy error state, the working directory.  Peak memory is the
process's ``VmHWM``, reset before each case through ``/proc/self/clear_refs``.
"""

from __future__ import annotations

import io
import json
import logging
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

#: Address-space ceiling of a runner, bytes: a memory bomb fails, never swaps.
ADDRESS_SPACE_LIMIT = 6 * 2**30


#: Text that must never reach stderr: a traceback, a usage box, a warning line.
MARKS = ("Traceback (most recent call last)", "Warning:", "╭", "Usage:", "Aborted")


class CaseTimeout(BaseException):
    """Raised by the alarm when a case overstays its time limit."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _stream(errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=errors, write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer.getvalue()  # type: ignore[attr-defined]
    return raw.decode("utf-8", errors="replace")


def snapshot(roots: list[str]) -> dict[str, tuple[int, int, int, int]]:
    """Every path under ``roots`` (not following links) with its size, mtime, mode, inode."""
    seen: dict[str, tuple[int, int, int, int]] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(folder, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                seen[path] = (st.st_size, st.st_mtime_ns, st.st_mode, st.st_ino)
    return seen


def touched_outside(
    before: dict[str, tuple[int, int, int, int]],
    after: dict[str, tuple[int, int, int, int]],
    allowed: list[str],
) -> list[str]:
    """Paths created, changed or removed that are not (under) an allowed path."""
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}

    def ok(path: str) -> bool:
        return any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed)

    return sorted(p for p in changed if not ok(p))


def run_case(case: dict[str, Any], saved_filters: list, saved_np: dict) -> dict[str, Any]:
    """Run one case; return its exit code, output, time, peak memory and stray writes."""
    from station.cli import main

    case = {**case, "watch": [*case["watch"], tempfile.gettempdir()]}
    before = snapshot(case["watch"])

    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    warnings.filters[:] = saved_filters
    warnings._filters_mutated()  # type: ignore[attr-defined]  # forget "already shown"
    np.seterr(**saved_np)
    os.chdir(case["cwd"])
    out, err = _stream("strict"), _stream("backslashreplace")
    real = sys.stdout, sys.stderr, sys.stdin, sys.argv
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO("")
    sys.argv = ["hi-station", *case["argv"]]
    _reset_peak()
    code: int | None = None
    began = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, float(case.get("timeout_s", 20)))
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
    except CaseTimeout:
        code = None
    except BaseException:  # what Python would print for an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr, sys.stdin, sys.argv = real
    seconds = time.perf_counter() - began
    outside = touched_outside(before, snapshot(case["watch"]), case["allowed"])
    stderr = _text(err)
    lines = [line for line in stderr.splitlines() if line.strip()]
    return {
        "id": case["id"],
        "exit": code,
        "hang": code is None,
        "stdout": _text(out)[-2000:],
        "stderr": stderr[:1000] + (" ... " + stderr[-1000:] if len(stderr) > 2000 else ""),
        "err_lines": len(lines),
        "err_first_ok": bool(lines) and lines[0].startswith("error: "),
        "marks": [mark for mark in MARKS if mark in stderr],
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "outside": outside[:20],
    }


def _build_the_command_tree_once() -> None:
    """Typer turns the app into its click command tree once per case; keep the first.

    The tree is built from the same functions every time (a real process builds it
    once too), and two thirds of a case's time went into rebuilding it.  Click
    commands keep no state between invocations; ``test_in_process_runs_are_the_real_command``
    checks the runs still match real processes.
    """
    import typer.main

    build = typer.main.get_command
    built: dict[int, Any] = {}

    def once(typer_instance: Any) -> Any:
        key = id(typer_instance)
        if key not in built:
            built[key] = build(typer_instance)
        return built[key]

    typer.main.get_command = once  # type: ignore[assignment]


def main(results_path: str) -> None:
    """Read the cases on stdin and run them, writing JSON lines to ``results_path``."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > ADDRESS_SPACE_LIMIT:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, hard))
    signal.signal(signal.SIGALRM, _on_alarm)
    cases = json.load(sys.stdin)
    # matplotlib's first import in a new HOME writes its per-user config folder and font
    # cache (~/.config/matplotlib, ~/.cache/matplotlib): the library's own, once per user,
    # not a write by the command.  Made here, before any case watches the home.
    import matplotlib.font_manager  # noqa: F401

    import station.cli  # noqa: F401  # imported before the first case, as at start-up

    _build_the_command_tree_once()

    saved_filters, saved_np = list(warnings.filters), np.geterr()
    with open(results_path, "a", encoding="utf-8") as log:
        for case in cases:
            log.write(json.dumps({"start": case["id"]}) + "\n")
            log.flush()
            log.write(json.dumps(run_case(case, saved_filters, saved_np)) + "\n")
            log.flush()


if __name__ == "__main__":
    main(sys.argv[1])
