"""Run the bad-input corpus (issue 13) and print its summary table and any failures.

Usage: ``python bench/corpus.py`` from the repository root.  The cases, the runner
and the contract are in :mod:`tests.station.corpus`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.station.corpus.harness import main  # noqa: E402

if __name__ == "__main__":
    main()
