"""The README: the fresh-machine commands, .ci/run running exactly the test one, the layout."""

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


def test_readme_layout_names_every_module_of_the_tree():
    """The layout section names every module of dsp/ and station/ and no module that
    is not there (a module named in a package's line, by file name)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Layout") : text.index("## Benchmarks")]
    layout = section.split("```", 2)[1]
    root = ROOT
    missing = []
    for pkg in ("dsp", "station"):
        for path in sorted((root / pkg).rglob("*.py")):
            if path.name == "__init__.py":
                continue
            if path.name not in layout:
                missing.append(str(path.relative_to(root)))
        for path in sorted((root / pkg).rglob("*/")):
            if (path / "__init__.py").exists() and f"{path.name}/" not in layout:
                missing.append(str(path.relative_to(root)) + "/")
    assert not missing, f"README layout omits {missing}"
    named = set(re.findall(r"\b([a-z_0-9]+\.py)\b", layout))
    existing = {p.name for pkg in ("dsp", "station") for p in (root / pkg).rglob("*.py")}
    assert named <= existing, f"README layout names modules that do not exist: {named - existing}"
