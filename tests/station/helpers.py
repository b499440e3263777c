"""Helpers shared by the station tests: CLI assertions, file snapshots, small signals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from station.cli import app


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_error_line(result, *fragments: str) -> str:
    """Exit code 2, exactly one stderr line 'error: ...' containing every fragment, no stdout."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert result.stdout == ""
    return line


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def tone_iq(n: int = 2000, fs: float = 2000.0, f: float = 100.0) -> np.ndarray:
    t = np.arange(n) / fs
    return (0.5 * np.exp(2j * np.pi * f * t)).astype(np.complex64)
