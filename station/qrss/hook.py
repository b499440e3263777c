"""The ``--on-grab`` hook: a command run after each grab (how a station uploads).

The argv template is split once (:func:`station.qrss.settings.grab_settings`), every
``{path}`` in it is replaced by the PNG's path, and it runs without a shell, its
output captured, killed after its timeout.  A failure is returned as one line for the
log and the operator; it never raises.

Examples
--------
>>> import sys
>>> run_hook((sys.executable, "-c", "pass"), Path("x.png"), 10.0) is None
True
>>> run_hook(("/no/such/cmd", "{path}"), Path("x.png"), 10.0)[:36]
'--on-grab /no/such/cmd: cannot start'
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = ["hook_argv", "run_hook"]


def hook_argv(template: Sequence[str], path: Path) -> list[str]:
    """Return the hook's argv for one grab: ``{path}`` replaced in every word.

    Examples
    --------
    >>> hook_argv(("curl", "-F", "file=@{path}", "https://x"), Path("/g/a.png"))
    ['curl', '-F', 'file=@/g/a.png', 'https://x']
    """
    return [word.replace("{path}", str(path)) for word in template]


def run_hook(template: Sequence[str], path: Path, timeout_s: float) -> str | None:
    """Run the hook for ``path``; return None when it exited 0, else what went wrong."""
    argv = hook_argv(template, path)
    name = f"--on-grab {argv[0]}"
    try:
        proc = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        return f"{name}: timed out after {timeout_s:g} s (killed) for {path.name}"
    except OSError as exc:
        return f"{name}: cannot start: {exc.strerror or exc}"
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        tail = f": {lines[-1][:200]}" if lines else ""
        return f"{name}: exit {proc.returncode} for {path.name}{tail}"
    return None
