"""Waves benchmarks: radiometer sensitivity against the ideal, and a full-day CSV analyzed.

1. **Sensitivity** of :func:`dsp.radiometer.radiometer_test` (the statistic behind
   ``hi-station waves analyze``) on the simulator's own noise model
   (:func:`station.waves.physics.measure`: Gamma fluctuation of a square-law detector
   with ``2k`` degrees of freedom, ``k = B tau = GAMMA_K``, then amplitude quantization
   to ``AMPLITUDE_STEP``).  One round of the 2013 "HI" template (six 30-s key-downs)
   with 1800 s of quiet either side at 1 sample/s on a constant background
   ``FLOOR_PSD``; the signal adds ``dP`` while keyed.  The **ideal** is the Dicke
   radiometer with known background and known template::

       dP/P = (Phi^-1(1 - Pfa) + Phi^-1(Pd)) / sqrt(k N_on),   Pfa 1e-3, Pd 0.9

   (``N_on`` = 180 keyed samples for the round test, 30 for one dit).  The measured
   ``dP/P`` at Pd 0.9 comes from Monte Carlo over a grid of levels (independent seeds
   per trial) and a maximum-likelihood probit fit ``Pd = Phi(a dP/P + b)``; the single
   test threshold is ``z > Phi^-1(1 - 1e-3) = 3.090`` on the round's ``z`` and on the
   first dit's ``z``.  **Bar: within 1.5 dB of the ideal.**  The loss is split into
   shares: known-background statistics on the same draws without and with
   quantization, and the analytic cost of fitting the background spline with the
   template (:func:`dsp.radiometer.template_standard_errors`).  The false-alarm rate
   at ``dP = 0`` is measured with ``--null-trials`` trials.

2. **A full-day PDS CSV** (86,400 rows x 154 fields: 28 leading fields + 126 channels)
   simulated with :func:`station.waves.simulate.simulate` (``full_day=True``, no safe
   mode) and written with :func:`station.waves.pds_csv.write_pds_csv`, then run in
   fresh processes: ``hi-station waves analyze FILE --schedule juno-2013-10-09
   --json``, the same with ``--png``, and ``hi-station waves inspect FILE`` (reads
   every channel).  Wall time (best of ``--repeat``) and peak RSS (``ru_maxrss`` of
   that child, from ``os.wait4``), beside the import-only and CLI start-up baselines.
   **Bar: analyzed in < 10 s with < 300 MB.**  The file is read from a warm page cache
   (just written).

Usage::

    python bench/waves.py [--trials 400] [--null-trials 2000] [--seed 1] [--workers 2]
                          [--repeat 2] [--skip-sensitivity] [--skip-day]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, stats

from dsp.radiometer import radiometer_test, template_standard_errors
from station.schedule import load_event
from station.waves.physics import (
    AMPLITUDE_STEP,
    CHANNEL_BANDWIDTH_HZ,
    FLOOR_PSD,
    GAMMA_K,
    expected_measured_psd,
    measure,
    sample_std_psd,
)

EVENT_ID = "juno-2013-10-09"
PFA = 1e-3
PD = 0.9
Z_PFA = float(stats.norm.isf(PFA))  # 3.090: the single-test threshold
Z_PD = float(stats.norm.isf(1 - PD))  # 1.282
QUIET_S = 1800.0
KNOT_S = 600.0
BAR_DB = 1.5
BAR_DAY_S = 10.0
BAR_DAY_MB = 300.0
GRID_DB = np.arange(-1.5, 3.01, 0.5)  # grid offsets from the ideal, dB
CHUNK = 50  # trials per pool job
#: The statistics computed on every trial, in the order a job returns them.
STATS = ("round", "dit", "round_known_q", "dit_known_q", "round_known", "dit_known")
#: Also returned, after the z values: radiometer_test's standard error of the amplitude
#: in units of the ideal one, P / sqrt(k N_on).
SIGMAS = ("round_sigma", "dit_sigma")


# ---------------------------------------------------------------- sensitivity ---


@dataclass(frozen=True)
class Setup:
    """One round of the template with quiet either side, 1 sample/s."""

    t_s: np.ndarray
    key_down_s: np.ndarray
    on_round: np.ndarray
    on_dit: np.ndarray

    @property
    def n_round(self) -> int:
        """Keyed samples of the round."""
        return int(self.on_round.sum())

    @property
    def n_dit(self) -> int:
        """Keyed samples of the first dit."""
        return int(self.on_dit.sum())


def make_setup() -> Setup:
    kd = np.asarray(load_event(EVENT_ID).key_down_s, dtype=float)
    t = np.arange(kd[0, 0] - QUIET_S, kd[-1, 1] + QUIET_S, 1.0)
    inside = (t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])
    return Setup(t, kd, inside.any(axis=1), inside[:, 0])


def ideal_db(n_on: int, k: float = GAMMA_K) -> float:
    """Dicke radiometer, known background and template, Gaussian approximation."""
    return 10 * math.log10((Z_PFA + Z_PD) / math.sqrt(k * n_on))


def exact_gamma_db(n_on: int, k: float = GAMMA_K) -> float:
    """Solve the same test with the exact law: the on-sum is Gamma(k N_on), wider under H1."""
    a = k * n_on
    thr = stats.gamma.isf(PFA, a, scale=1 / a)
    d = optimize.brentq(lambda d: stats.gamma.sf(thr / (1 + d), a, scale=1 / a) - PD, 1e-6, 10)
    return 10 * math.log10(d)


def trial_job(args: tuple[float | None, int, int, int]) -> np.ndarray:
    """Trials at one level: rows of ``STATS`` z values, then ``SIGMAS`` (NaN: no test)."""
    level_db, seed, tag, first = args
    setup = make_setup()
    rel = 0.0 if level_db is None else 10 ** (level_db / 10)
    psd = FLOOR_PSD * (1 + rel * setup.on_round)
    mu_q, sd_q = expected_measured_psd(FLOOR_PSD), sample_std_psd(FLOOR_PSD)
    labels = [1] * len(setup.key_down_s)
    out = np.full((CHUNK, len(STATS) + len(SIGMAS)), np.nan)
    for i in range(CHUNK):
        entropy = [seed, tag, first + i]
        x = measure(psd, np.random.default_rng(entropy))
        # the same Gamma draws without quantization (an amplitude step far below 1 ulp)
        raw = measure(psd, np.random.default_rng(entropy), amplitude_step=1e-30)
        x[~(x > 0)] = np.nan  # as the simulator and the readers do
        res = radiometer_test(
            setup.t_s, x, setup.key_down_s, labels, pfa=PFA, background_knot_s=KNOT_S
        )
        z = [res.rounds[0].z, res.dits[0].z]
        for on in (setup.on_round, setup.on_dit):
            n = on.sum()
            z.append((np.nansum(x[on]) - n * mu_q) / (math.sqrt(n) * sd_q))
        for on in (setup.on_round, setup.on_dit):
            n = on.sum()
            z.append((raw[on].sum() / (n * FLOOR_PSD) - 1) * math.sqrt(GAMMA_K * n))
        for sigma, n in ((res.rounds[0].sigma, setup.n_round), (res.dits[0].sigma, setup.n_dit)):
            z.append(None if sigma is None else sigma / FLOOR_PSD * math.sqrt(GAMMA_K * n))
        out[i] = [np.nan if v is None else v for v in z]
    return out


def run_level(pool, level_db: float | None, trials: int, seed: int, tag: int) -> np.ndarray:
    jobs = [(level_db, seed, tag, first) for first in range(0, trials, CHUNK)]
    return np.concatenate(list(pool.map(trial_job, jobs)))[:trials]


@dataclass(frozen=True)
class Fit:
    """Probit fit ``Pd = Phi(a x + b)`` of detections against linear ``x = dP/P``."""

    a: float
    b: float
    x90_db: float
    se_db: float
    inside_grid: bool


def probit_fit(x: np.ndarray, hits: np.ndarray, n: int, x_ref: float) -> Fit:
    u = x / x_ref  # scaled for the optimizer

    def nll(p):
        eta = p[0] * u + p[1]
        return -float(np.sum(hits * stats.norm.logcdf(eta) + (n - hits) * stats.norm.logsf(eta)))

    p = optimize.minimize(
        nll,
        [Z_PFA + Z_PD, -Z_PFA],
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000},
    ).x
    a, b = p[0] / x_ref, p[1]
    x90 = (Z_PD - b) / a
    eta = a * x + b
    pdf, cdf = stats.norm.pdf(eta), np.clip(stats.norm.cdf(eta), 1e-12, 1 - 1e-12)
    w = n * pdf**2 / (cdf * (1 - cdf))
    design = np.stack([x, np.ones_like(x)], axis=1)
    cov = np.linalg.pinv(design.T @ (w[:, None] * design))
    grad = np.array([-x90 / a, -1 / a])
    se = math.sqrt(max(float(grad @ cov @ grad), 0.0))
    return Fit(
        a, b, 10 * math.log10(x90), 10 / math.log(10) * se / x90, bool(x.min() <= x90 <= x.max())
    )


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}")
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


def sensitivity(args: argparse.Namespace) -> None:
    setup = make_setup()
    t_start = time.perf_counter()
    print(f"\n== 1. Radiometer sensitivity vs the ideal (bar: loss <= {BAR_DB} dB) ==")
    print(
        f"template: one round of {EVENT_ID}, key-downs "
        + " ".join(f"[{a:g},{b:g})" for a, b in setup.key_down_s)
        + f" s; {QUIET_S:g} s quiet either side; {setup.t_s.size} samples at 1 s cadence"
    )
    print(
        f"noise: physics.measure, k = B tau = GAMMA_K = {GAMMA_K} (B = "
        f"{CHANNEL_BANDWIDTH_HZ / 1e6:g} MHz), amplitude step {AMPLITUDE_STEP:.4g}; "
        f"background FLOOR_PSD = {FLOOR_PSD:.4g} V^2 m^-2 Hz^-1 (constant)"
    )
    print(
        f"test: radiometer_test(pfa={PFA:g}, background_knot_s={KNOT_S:g}); detection = "
        f"z > Phi^-1(1 - {PFA:g}) = {Z_PFA:.3f} (one test); Pd {PD}"
    )
    print(
        "ideal: Dicke radiometer, background and template known, per-sample relative std "
        f"1/sqrt(k) = {1 / math.sqrt(GAMMA_K):.4f}:"
    )
    print(f"  dP/P = ({Z_PFA:.3f} + {Z_PD:.3f}) / sqrt(k N_on)")

    tests = [
        ("round (6 dits)", "round", setup.n_round),
        ("one dit (the first)", "dit", setup.n_dit),
    ]
    results: dict[str, dict[str, Fit]] = {}
    curves: dict[str, list[tuple[float, dict[str, int]]]] = {}
    sigmas: dict[str, list[float]] = {}
    with ProcessPoolExecutor(args.workers) as pool:
        null = run_level(pool, None, args.null_trials, args.seed, 0)
        for j, (_, key, n_on) in enumerate(tests):
            ideal = ideal_db(n_on)
            grid = ideal + GRID_DB
            z = [
                run_level(pool, float(g), args.trials, args.seed, 100 * (j + 1) + i)
                for i, g in enumerate(grid)
            ]
            hits = {
                s: np.array([int(np.sum(zz[:, STATS.index(s)] > Z_PFA)) for zz in z])
                for s in (key, f"{key}_known_q", f"{key}_known")
            }
            x = 10 ** (grid / 10)
            ref = 10 ** (ideal / 10)
            results[key] = {s: probit_fit(x, h, args.trials, ref) for s, h in hits.items()}
            curves[key] = [
                (float(g), {s: int(h[i]) for s, h in hits.items()}) for i, g in enumerate(grid)
            ]
            column = len(STATS) + SIGMAS.index(f"{key}_sigma")
            sigmas[key] = [float(np.nanmean(zz[:, column])) for zz in z]

    rows = []
    for name, key, n_on in tests:
        ideal = ideal_db(n_on)
        fit = results[key][key]
        loss = fit.x90_db - ideal
        rows.append(
            [
                name,
                str(n_on),
                f"{ideal:.2f}",
                f"{fit.x90_db:.2f} +- {fit.se_db:.2f}",
                f"{loss:+.2f}",
                f"{BAR_DB:g}",
                ("yes" if loss <= BAR_DB else "NO")
                + ("" if fit.inside_grid else " (outside grid)"),
            ]
        )
    print_table(
        f"dP/P (dB, 10 log10) for Pd {PD} at Pfa {PFA:g}, single test; measured = "
        f"probit fit over {len(GRID_DB)} levels x {args.trials} trials (+- 1 sigma)",
        ["test", "N_on", "ideal dB", "measured dB", "loss dB", "bar dB", "ok"],
        rows,
    )

    q_share = 10 * math.log10(sample_std_psd(FLOOR_PSD) / FLOOR_PSD * math.sqrt(GAMMA_K))
    dit_se, round_se = template_standard_errors(
        setup.t_s,
        setup.key_down_s,
        [1] * len(setup.key_down_s),
        np.ones(setup.t_s.size),
        background_knot_s=KNOT_S,
    )
    rows = []
    for name, key, n_on in tests:
        ideal, r = ideal_db(n_on), results[key]
        gauss = r[f"{key}_known"].x90_db - ideal
        quant = r[f"{key}_known_q"].x90_db - r[f"{key}_known"].x90_db
        se = round_se[0] if key == "round" else dit_se[0]
        spline = 10 * math.log10(se * math.sqrt(n_on))
        total = r[key].x90_db - ideal
        rows.append(
            [
                name,
                f"{gauss:+.2f} ({exact_gamma_db(n_on) - ideal:+.2f})",
                f"{quant:+.2f} ({q_share:+.2f})",
                f"{spline:+.2f}",
                f"{total - gauss - quant - spline:+.2f}",
                f"{total:+.2f}",
            ]
        )
    print_table(
        "Where the loss comes from (dB of dP/P; Monte Carlo (analytic); the shares add up to "
        "the total)",
        [
            "test",
            "known bg, unquantized",
            "+ quantization",
            "+ background spline (analytic)",
            "+ rest",
            "= total",
        ],
        rows,
    )
    print(
        "  known bg, unquantized: z of the sum of on-samples of the same Gamma draws with "
        "known\n    FLOOR_PSD and 1/sqrt(k), i.e. the ideal test run; it differs from the "
        "Gaussian formula\n    by the wider spread under H1 and the Gamma skew (analytic: "
        "exact Gamma law of the on-sum)"
    )
    print(
        "  quantization: the same sum on the quantized samples, known mean "
        f"{expected_measured_psd(FLOOR_PSD) / FLOOR_PSD:.4f} P and std "
        f"{sample_std_psd(FLOOR_PSD) / FLOOR_PSD:.4f} P\n    (analytic: that std over "
        f"1/sqrt(k) = {1 / math.sqrt(GAMMA_K):.4f})"
    )
    print(
        f"  background spline: standard error of the amplitude when a cubic spline with "
        f"{KNOT_S:g}-s knots\n    (and, per dit, the other dits) is fitted with it, times "
        "sqrt(N_on) (template_standard_errors,\n    white noise)"
    )
    print(
        "  rest: radiometer_test's noise scale estimated from the data, 1/level^2 weights, "
        "spike\n    removal, Monte Carlo error.  The 1/level^2 level includes every dit "
        "significant (> 3 sigma)\n    in a first unweighted fit, so once a dit is strong its "
        "standard error is the one under H1,\n    ~ (P + dP) / sqrt(k N): z is lower by "
        "~(1 + dP/P) than with the background's (Pfa unchanged).\n    Near Pd 0.9 most single "
        "dits are strong (dP/P ~ 0.24) but the round's dits mostly not\n    (dP/P ~ 0.1): "
        "see the sigma column below"
    )

    for name, key, n_on in tests:
        fit = results[key][key]
        column = len(STATS) + SIGMAS.index(f"{key}_sigma")
        rows = [
            [
                "no signal",
                "",
                *(
                    f"{np.mean(null[:, STATS.index(s)] > Z_PFA):.3f}"
                    for s in (key, f"{key}_known_q", f"{key}_known")
                ),
                "",
                f"{np.nanmean(null[:, column]):.3f}",
            ]
        ]
        for (g, hits), sigma in zip(curves[key], sigmas[key], strict=True):
            x = 10 ** (g / 10)
            rows.append(
                [
                    f"{g:.2f}",
                    f"{g - ideal_db(n_on):+.1f}",
                    *(
                        f"{hits[s] / args.trials:.3f}"
                        for s in (key, f"{key}_known_q", f"{key}_known")
                    ),
                    f"{stats.norm.cdf(fit.a * x + fit.b):.3f}",
                    f"{sigma:.3f}",
                ]
            )
        print_table(
            f"Pd curve, {name} ({args.trials} trials per level; sigma: radiometer_test's "
            "standard error of the amplitude, mean)",
            [
                "dP/P dB",
                "vs ideal",
                "Pd radiometer_test",
                "Pd known bg quantized",
                "Pd known bg unquantized",
                "Pd probit fit (radiometer_test)",
                "sigma / (P/sqrt(k N_on))",
            ],
            rows,
        )

    rows = []
    labels = {
        "round": "round, radiometer_test",
        "dit": "first dit, radiometer_test",
        "round_known_q": "round, known bg quantized",
        "dit_known_q": "dit, known bg quantized",
        "round_known": "round, known bg unquantized",
        "dit_known": "dit, known bg unquantized",
    }
    for j, s in enumerate(STATS):
        z = null[:, j]
        fa = int(np.sum(z > Z_PFA))
        mean, std = float(np.nanmean(z)), float(np.nanstd(z))
        rows.append(
            [
                labels[s],
                f"{fa}/{z.size}",
                f"{fa / z.size:.1e}",
                f"{stats.norm.sf((Z_PFA - mean) / std):.1e}",
                f"{mean:+.3f}",
                f"{std:.3f}",
            ]
        )
    print_table(
        f"No signal (dP = 0): false alarms at z > {Z_PFA:.3f}, expected Pfa {PFA:g}",
        [
            "statistic",
            "false alarms / trials",
            "Pfa measured",
            "Pfa from z std (Gaussian)",
            "z mean",
            "z std",
        ],
        rows,
    )
    print(f"\n(sensitivity: {time.perf_counter() - t_start:.0f} s with {args.workers} workers)")


# --------------------------------------------------------------------- full day ---


@dataclass(frozen=True)
class Job:
    """One command run in a fresh process."""

    name: str
    argv: list[str]
    bar: bool


@dataclass(frozen=True)
class Run:
    """Wall time and peak RSS of one child process."""

    wall_s: float
    rss_mb: float
    stdout: str


#: Runs one command and reports its wall time and peak RSS.  A small stdlib-only
#: launcher: a child's ``ru_maxrss`` starts from its parent's high-water mark (fork,
#: or vfork + exec), so children of this big process would all show its ~600 MB.
_LAUNCHER = """
import json, os, resource, subprocess, sys, time
argv, out_path, err_path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(out_path, "wb") as out, open(err_path, "wb") as err:
    t0 = time.perf_counter()
    code = subprocess.call(argv, stdout=out, stderr=err)
    wall = time.perf_counter() - t0
print(json.dumps([wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code]))
"""


def run_child(argv: list[str], folder: Path) -> Run:
    """Run `argv` from the launcher; wall time and that child's own peak RSS (KB -> MB)."""
    out_path, err_path = folder / "child.out", folder / "child.err"
    report = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAUNCHER, json.dumps(argv), str(out_path),
         str(err_path)], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    wall, rss_kb, code = json.loads(report)
    if code != 0:
        sys.exit(f"{' '.join(argv)} failed ({code}):\n{err_path.read_text()}")
    return Run(wall, rss_kb / 1024, out_path.read_text())


def cli_argv() -> list[str]:
    exe = Path(sys.executable).with_name("hi-station")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "station.cli"]


def full_day(args: argparse.Namespace) -> None:
    from station.waves.pds_csv import write_pds_csv
    from station.waves.simulate import SimulationConfig, simulate

    print(
        f"\n== 2. Full-day PDS CSV: analyze time and memory (bar: < {BAR_DAY_S:g} s, "
        f"< {BAR_DAY_MB:g} MB) =="
    )
    with tempfile.TemporaryDirectory(prefix="hi-station-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        sim = simulate(
            load_event(EVENT_ID),
            SimulationConfig(full_day=True, safe_mode_utc=None, seed=args.seed),
        )
        t1 = time.perf_counter()
        s = sim.series
        path = folder / "WAV_2013282T000000_E_V01.CSV"
        write_pds_csv(path, s.time_unix_s, s.freq_hz, s.bandwidth_hz, s.power)
        t2 = time.perf_counter()
        with open(path, encoding="ascii") as fh:
            widths = {line.count(",") + 1 for k, line in enumerate(fh) if k >= 5}
        width = widths.pop() if len(widths) == 1 else f"mixed {sorted(widths)}"
        size_mb = path.stat().st_size / 1e6
        print(
            f"simulated {EVENT_ID} full day (seed {args.seed}, no safe mode) in {t1 - t0:.1f} s,"
            f" wrote it in {t2 - t1:.1f} s: {s.time_unix_s.size} rows x {width} fields per "
            f"row ({'ok' if width == 154 else 'expected 154'}), {s.freq_hz.size} channels, "
            f"{size_mb:.1f} MB"
        )
        del sim, s

        cli = cli_argv()
        png = folder / "day.png"
        jobs = [
            Job(
                "import station.waves.workflow (baseline)",
                [sys.executable, "-c", "import station.waves.workflow"],
                False,
            ),
            Job(
                "hi-station waves analyze --help (CLI start-up)",
                [*cli, "waves", "analyze", "--help"],
                False,
            ),
            Job(
                "waves analyze --json",
                [*cli, "waves", "analyze", str(path), "--schedule", EVENT_ID, "--json"],
                True,
            ),
            Job(
                "waves analyze --png",
                [
                    *cli,
                    "waves",
                    "analyze",
                    str(path),
                    "--schedule",
                    EVENT_ID,
                    "--png",
                    str(png),
                    "--overwrite",
                ],
                True,
            ),
            Job("waves inspect (every channel)", [*cli, "waves", "inspect", str(path)], True),
        ]
        print(
            f"command: {' '.join(cli)} (fresh process per run; best wall of {args.repeat}, "
            "largest peak RSS)"
        )
        table, analysis = [], None
        for job in jobs:
            runs = [run_child(job.argv, folder) for _ in range(args.repeat)]
            wall, rss = min(r.wall_s for r in runs), max(r.rss_mb for r in runs)
            if job.name == "waves analyze --json":
                analysis = json.loads(runs[0].stdout)
            if job.bar:
                ok = wall < BAR_DAY_S and rss < BAR_DAY_MB
                table.append(
                    [
                        job.name,
                        f"{wall:.2f}",
                        f"{BAR_DAY_S:g}",
                        f"{wall / BAR_DAY_S:.2f}",
                        f"{rss:.0f}",
                        f"{BAR_DAY_MB:g}",
                        f"{rss / BAR_DAY_MB:.2f}",
                        "yes" if ok else "NO",
                    ]
                )
            else:
                table.append([job.name, f"{wall:.2f}", "", "", f"{rss:.0f}", "", "", ""])
        print_table(
            "Full day, 86,400 rows x 154 fields (ratio = measured / bar; < 1 passes)",
            ["job", "wall s", "bar s", "ratio", "peak RSS MB", "bar MB", "ratio", "ok"],
            table,
        )
        if analysis is not None:
            rounds = analysis.get("rounds", [])
            seen = sum(bool(r.get("detected")) for r in rounds)
            print(
                f"(check: the analysis read {analysis.get('span_start_utc')} to "
                f"{analysis.get('span_stop_utc')}, stack z {analysis.get('stack_z', 0):.1f}, "
                f"{seen}/{len(rounds)} rounds detected)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400, help="trials per signal level")
    parser.add_argument(
        "--null-trials",
        type=int,
        default=2000,
        help="trials without signal, for the false-alarm rate",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--repeat", type=int, default=2, help="runs per full-day job")
    parser.add_argument("--skip-sensitivity", action="store_true")
    parser.add_argument("--skip-day", action="store_true")
    args = parser.parse_args()
    args.trials = max(CHUNK, math.ceil(args.trials / CHUNK) * CHUNK)
    args.null_trials = max(CHUNK, math.ceil(args.null_trials / CHUNK) * CHUNK)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs "
        f"({cpus} usable); Python {platform.python_version()}, numpy {np.__version__}"
    )
    t0 = time.perf_counter()
    if not args.skip_sensitivity:
        sensitivity(args)
    if not args.skip_day:
        full_day(args)
    print(f"\n(total benchmark time {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
