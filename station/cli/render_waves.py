"""Rendering of ``hi-station waves``: round, noise and prediction tables (printing only)."""

from __future__ import annotations

import math
from pathlib import Path

from rich.table import Table

from station.cli._common import out_console
from station.waves.analyze import WavesAnalysis
from station.waves.inspect import WavesInspection
from station.waves.series import parse_unix_s
from station.waves.simulate import Prediction

__all__ = ["print_analysis", "print_inspection", "print_prediction"]


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _yes(value: bool | None) -> str:
    return "no data" if value is None else ("yes" if value else "no")


def _round_table(a: WavesAnalysis) -> Table:
    """One row per round; "(veto)" where the references decided (see the lines below it)."""
    table = Table(show_edge=False)
    for col in ("round", "UTC", "range km", "z", "p", "detected", "dits", "ref z"):
        table.add_column(col, justify="right")
    for r in a.rounds:
        dits = sum(1 for d in a.dits if d.round == r.number and d.detected is not None)
        table.add_row(
            str(r.number), r.start_utc[11:19], _f(r.range_km, ",.0f"), _f(r.z, ".2f"),
            _f(r.p_value, ".1e"), _yes(r.detected) + (" (veto)" if r.vetoed else ""),
            f"{r.dits_detected}/{dits}", " ".join(_f(z, ".1f") for z in r.reference_z) or "-")
    return table


def _veto_lines(a: WavesAnalysis) -> list[str]:
    """Per vetoed round: the event channel's own z, the references' z and the reason."""
    return [f"round {r.number} veto: {r.veto_reason}; z above is the excess beyond the "
            f"references, own z {_f(r.event_z, '.2f')}, references' mean z "
            f"{_f(r.reference_mean_z, '.1f')}" for r in a.rounds if r.vetoed]


def _masked_line(a: WavesAnalysis) -> str:
    """How much the broadband-burst mask and the outlier cut left out of the fit."""
    seconds = sum(parse_unix_s(stop) - parse_unix_s(start) for start, stop in a.masked_utc)
    samples = round(seconds / a.cadence_s) if a.cadence_s > 0 else 0
    vetoed = sum(1 for d in a.dits if d.vetoed)
    return (f"left out of the fit: {len(a.masked_utc)} interval(s), {samples} sample(s) masked "
            f"as broadband bursts in the references, {a.n_outliers} outlier(s); "
            f"{vetoed} dit(s) vetoed")


def print_analysis(a: WavesAnalysis, png: Path | None = None) -> None:
    """Print the round table and a summary of `a`."""
    console = out_console()
    refs = ", ".join(f"{f / 1e6:g}" for f in a.reference_channels_hz) or "none"
    console.print(
        f"{a.source} ({a.file_format}): {a.span_start_utc} to {a.span_stop_utc}, cadence "
        f"{a.cadence_s:.3g} s; event {a.event_id}; channel {a.channel_hz / 1e6:g} MHz "
        f"(references {refs} MHz)", markup=False)
    console.print(_round_table(a))
    for line in _veto_lines(a):
        console.print(line, markup=False)
    verdict = "detected" if a.stack_detected else "not detected"
    refs_z = " ".join(_f(z, ".1f") for z in a.reference_stack_z) or "-"
    strongest = "" if a.stack_z_strongest is None else \
        f" (strongest round z {a.stack_z_strongest:.2f})"
    stack = "no data" if a.stack_z is None else (
        f"z {a.stack_z:.2f}{strongest}, p {a.stack_p_value:.1e}, {verdict} "
        f"(references {refs_z})")
    console.print(f"stacked over rounds: {stack}", markup=False)
    console.print(
        f"thresholds at family-wise Pfa {a.pfa:g}: dit z>{a.z_threshold_dit:.2f}, round "
        f"z>{a.z_threshold_round:.2f}, stack z>{a.z_threshold_stack:.2f}; noise "
        f"{100 * a.noise_relative_std:.0f} % of level per sample, variance inflation "
        f"{a.variance_inflation:.2f}, {a.n_spikes} spike(s) removed", markup=False)
    console.print(_masked_line(a), markup=False)
    if png is not None:
        console.print(f"wrote {png}", markup=False)


def print_inspection(i: WavesInspection) -> None:
    """Print the layout and the channel noise table of `i`."""
    console = out_console()
    console.print(
        f"{i.source} ({i.file_format}): {i.n_rows} rows, {i.start_utc} to {i.stop_utc}; cadence "
        f"{i.cadence_s:.3g} s (steps {i.min_step_s:.3g}-{i.max_step_s:.3g} s, {i.n_gaps} gap(s)); "
        f"{i.n_channels} channels {i.freq_min_hz / 1e6:.4g}-{i.freq_max_hz / 1e6:.4g} MHz"
        + (f" in bands {', '.join(i.bands)}" if i.bands else "") + f"; units {i.units}",
        markup=False)
    table = Table(show_edge=False)
    table.add_column("channel MHz")
    for c in i.channels:
        table.add_column(f"{c.freq_hz / 1e6:g}", justify="right")
    rows = [
        ("valid samples", lambda c: f"{c.n_valid}/{c.n_valid + c.n_missing}"),
        ("median", lambda c: f"{c.median:.4g}"),
        ("mean", lambda c: f"{c.mean:.4g}"),
        ("std / mean", lambda c: f"{c.relative_std:.3f}"),
        ("MAD (x1.4826)", lambda c: f"{c.mad:.4g}"),
        ("5 % / 95 %", lambda c: f"{c.p05:.3g} / {c.p95:.3g}"),
        ("distinct values", lambda c: str(c.n_distinct)),
        ("sqrt(value) step", lambda c: _f(c.amplitude_step, ".4g")),
        ("levels (x step)", lambda c: ",".join(map(str, c.amplitude_levels)) or "-"),
        ("spikes", lambda c: str(c.n_spikes)),
        ("lag-1 / lag-2 corr", lambda c: f"{c.lag1_corr:+.2f} / {c.lag2_corr:+.2f}"),
        ("30-s scatter", lambda c: f"{c.block30_std_ratio:.2f}"),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(c) for c in i.channels))
    console.print(table)
    console.print("30-s scatter: std of 30-sample means over std/sqrt(30) (1 = white noise)",
                  markup=False)


def print_prediction(p: Prediction) -> None:
    """Print the planning table: expected z, Pd and operators needed per round."""
    console = out_console()
    c = p.config
    console.print(
        f"{p.event_id}: {c['n_operators']} operators x {c['power_w']:g} W at "
        f"{c['antenna_gain_dbi']:g} dBi toward the spacecraft, {100 * c['active_fraction']:.0f} % "
        f"keying each round, clocks +/-{c['clock_error_s']:g} s; trajectory {p.trajectory}; "
        f"round threshold z>{p.z_threshold_round:.2f} (Pfa {p.pfa:g} over the rounds)",
        markup=False)
    table = Table(show_edge=False)
    for col in ("round", "UTC", "range km", "keying", "S/N dB", "z", "Pd",
                "ops Pd 0.9", "dit z"):
        table.add_column(col, justify="right")
    for r in p.rounds:
        sn = "-"
        if r.signal_psd > 0 and r.background_psd > 0:
            sn = f"{10 * math.log10(r.signal_psd / r.background_psd):.1f}"
        zs = [z for z in r.dit_expected_z if z is not None]
        dits = f"{min(zs):.1f}-{max(zs):.1f}" if zs else "-"
        table.add_row(
            str(r.number), r.start_utc[11:19], f"{r.range_km:,.0f}", str(r.n_active), sn,
            _f(r.expected_z, ".1f") if r.has_data else "-", _f(r.pd, ".2f"),
            _f(r.operators_for_pd90, ",.0f"), dits if r.has_data else "-")
    console.print(table)
    console.print("S/N: mean signal over background during key-down, per 1-s sample; z: "
                  "expected round statistic; ops Pd 0.9: operators (same mix) for a 90 % "
                  "chance of detecting that round; dit z: expected range over its dits",
                  markup=False)
