"""The bad-input corpus (issue 13): every case keeps the CLI contract.

Built once per module: about 1,600 malformed files and arguments, run in two runner
processes (:mod:`tests.station.corpus.runner`), judged by
:func:`tests.station.corpus.harness.verdict`.  A handful of cases are run again as
real ``python -m station.cli`` processes to show the in-process runner is faithful.
``python bench/corpus.py`` prints the same summary table.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.station.corpus.harness import KNOWN_OPEN, _child_env, build, describe, run, summarize

MIN_CASES = 1000
#: Cases run again as real processes: errors of each kind, successes, usage mistakes.
GENUINE = [
    "usage-0", "usage-2", "opt-encode--dit-s-0", "sigmf-global-str/decode", "event-id-int/plan",
    "sigmf-json-deep-global/replay", "sigmf-sha-mismatch/replay", "event-period-1e308/plan",
    "txlog-deep/default", "path-fifo/schedule-show", "tz-4",
]  # fmt: skip
_PROG = re.compile(r"(python -m )?[\w.]*(hi-station|station\.cli|runner)")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    sb, cases = build(tmp_path_factory.mktemp("corpus"))
    by_id = {c.id: c for c in cases}
    with ThreadPoolExecutor(1) as pool:  # the real processes start while the corpus runs
        genuine = pool.submit(_run_genuine, [by_id[i] for i in GENUINE], sb)
        results = run(cases, sb)
        return sb, cases, results, genuine.result()


def _run_genuine(cases, sb):
    out = {}
    for case in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "station.cli", *case.argv], cwd=sb.cwd,
            env=_child_env(sb, sb.home / "genuine"), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        out[case.id] = proc
    return out


def test_every_case_keeps_the_contract(corpus):
    _, cases, results, _ = corpus
    summary = summarize(cases, results)
    print("\n" + summary.table())
    assert len(cases) >= MIN_CASES
    assert summary.total["cases"] == len(cases) == len(results)
    unexpected = [f for f in summary.failures if f[0].id not in KNOWN_OPEN]
    assert not unexpected, "\n".join(describe(f) for f in unexpected[:40])


def test_in_process_runs_are_the_real_command(corpus):
    _, _, results, genuine = corpus
    for case_id, proc in genuine.items():
        mine = results[case_id]
        assert proc.returncode == mine["exit"], (case_id, proc.stderr, mine["stderr"])
        real_err = _PROG.sub("PROG", proc.stderr.strip())
        assert real_err == _PROG.sub("PROG", mine["stderr"].strip()), case_id
        if proc.returncode == 0:  # tz-4: a plan printed, byte for byte
            assert proc.stdout == mine["stdout"], case_id
    assert any(p.returncode == 0 for p in genuine.values())
