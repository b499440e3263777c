"""The local cluster's workers start from what they need, not from the main script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys
from pathlib import Path

MARK = Path(sys.argv[1])
with open(MARK, "a") as fh:  # at import: every process that runs this script adds a line
    fh.write("ran\\n")

if __name__ == "__main__":
    from station.batch.cluster import open_client

    with open_client(workers=1, dask_dir=MARK.parent / ".dask") as client:
        print(client.submit(sum, [1, 2], pure=False).result())
"""


def test_spawned_workers_do_not_rerun_the_main_script(tmp_path):
    """As `hi-station` (a console script) starts them: the CLI is not imported again."""
    script, mark = tmp_path / "main-script.py", tmp_path / "mark.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    run = subprocess.run([sys.executable, str(script), str(mark)], capture_output=True, text=True,
                         timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))  # fmt: skip
    assert run.returncode == 0 and run.stdout.strip() == "3", run.stderr[-2000:]
    assert mark.read_text().splitlines() == ["ran"]
    assert not (tmp_path / ".dask").exists()


def _profiling() -> bool:
    import dask

    return bool(dask.config.get("distributed.worker.profile.enabled"))


def test_local_workers_run_without_the_statistical_profiler(tmp_path):
    """Its 10 ms stack samples cost a worker memory and time; nothing reads them here."""
    from station.batch.cluster import open_client

    with open_client(workers=1, dask_dir=tmp_path / ".dask") as client:
        assert list(client.run(_profiling).values()) == [False]
    assert _profiling()  # the client's own configuration is left as it was
