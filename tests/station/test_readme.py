"""The README's fresh-machine commands, and .ci/run running exactly the test one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_readme_has_exactly_the_two_commands():
    demo, tests = _readme_commands()
    assert demo == "pip install . && hi-station demo"
    assert "\n" not in tests and "python -m pytest" in tests and "ruff check ." in tests


def test_ci_runs_exactly_the_readme_test_command():
    tests = _readme_commands()[1]
    script = (ROOT / ".ci" / "run").read_text()
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert "export MPLBACKEND=Agg" in script
    commands = [
        line.strip()
        for line in script.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "set ", "export ", "cd "))
    ]
    assert commands == [tests]
