"""Tell the HI from broadband interference: the event channel against its references.

Hams at 28-29 MHz add power only to the event channel; spacecraft and terrestrial
interference is broadband and raises the neighbouring channels (27.5 and 29.5 MHz
for Waves) alike.  :func:`broadband_test` runs :func:`dsp.radiometer.radiometer_test`'s
fit on the event channel and on each reference, and:

1. **Masks what the references show.**  Each reference's relative excess over its
   running level is averaged over the references; where its mean over 3, 10 or 30
   samples stands :data:`dsp.bursts.MASK_Z` standard errors high (a burst), those samples are
   left out of every channel's fit; a sample that is a spike (:data:`SPIKE_RATIO` x
   its running median) in every reference is an instrument spike (pre-amp toggling
   reaches all channels) and is left out everywhere.  The references' noise is
   independent of the event channel's, so the mask cannot bias the event channel.
2. **Tests what the mask leaves against the references.**  For every dit and round,
   the event channel's relative amplitude ``m`` (amplitude over background) and the
   references' mean ``c`` (with their standard errors under the null).  Where the
   references show the template (``c`` above :data:`GATE_Z` standard errors for a
   round, :data:`GATE_Z_DIT` for a dit, or the dit's round so), the test is
   ``(m - c) / sqrt(se_m**2 + se_c**2)``: HI must
   be in the event channel *beyond* what the references show, and interference common
   to all channels cannot be reported as HI (the test is then *vetoed*, with its
   reason).  Under that test's null the interference is in every channel and raises
   its key-downs' noise with their level, so ``se_m`` and ``se_c`` are read with the
   gated key-downs' noise raised by ``(1 + c)**2`` (``c`` the references' relative
   excess there; :func:`dsp.radiometer_fit.raised_cov`): against the background's
   noise alone such tests had a null spread of 1.1-1.4.  Elsewhere the event
   channel's own ``z``, so a quiet band loses nothing.
3. **Stacks** the rounds' chosen statistics with their full null covariance (event
   channel's plus, for vetoed rounds, the references'), as
   :func:`dsp.radiometer_results.stack_power`.

Limits: interference whose spectrum curves across the three channels is cancelled
only to its linear part (the mean of the two neighbours); interference far below the
noise of one dit but timed with every dit of a round is caught by the round's gate.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(4)
>>> t = np.arange(0.0, 3600.0)
>>> kd = np.array([[1200.0 + 60 * k, 1230.0 + 60 * k] for k in range(6)])
>>> on = ((t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])).any(axis=1)
>>> bands = rng.gamma(17.0, 1 / 17.0, (3, t.size)) * (1 + 0.1 * on)   # interference
>>> r = broadband_test(t, bands[1], bands[[0, 2]], kd, [1] * 6)
>>> r.rounds[0].event_z > 4, r.rounds[0].reference_z > 5, r.rounds[0].vetoed
(True, True, True)
>>> r.main.rounds[0].detected, r.rounds[0].reason.startswith("the references rise too")
(False, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dsp.bursts import burst_mask, burst_share, common_spikes, near_mask
from dsp.errors import DspValueError
from dsp.radiometer import amplitude_skews, assemble, check_inputs, near_edges
from dsp.radiometer_fit import SPIKE_RATIO, TemplateFit, fit_template, raised_cov
from dsp.radiometer_results import (
    RadiometerResult,
    dit_results,
    round_results,
    sidak_level,
    stack_power,
)
from dsp.results import AsDict

__all__ = ["GATE_Z", "GATE_Z_DIT", "BroadbandResult", "Check", "broadband_test"]

#: A round the references show at this z or more is tested against them (and so are
#: its dits): 0.6 % of a quiet band's rounds, a cost of ~0.8 in their z (at 2, 2.3 %
#: of rounds, and 2 % less per-round Pd at z 6).  Interference of x1.1 or more on a
#: round's key-downs shows at z 8 in the references.
GATE_Z = 2.5
#: A dit the references show at this z or more (its round aside) is tested against them.
GATE_Z_DIT = 3.0


@dataclass(frozen=True, slots=True)
class Check(AsDict):
    """One dit's or round's comparison with the references.

    Attributes
    ----------
    reference_z : float or None
        The references' mean relative amplitude over its standard error (None: no
        reference data).
    event_z : float or None
        The event channel's own ``z``.
    vetoed : bool
        True when the references show the template (or a burst masked it): the
        reported ``z`` is then the event channel's excess beyond the references.
    reason : str
        Why it was vetoed ("" if not).
    """

    reference_z: float | None
    event_z: float | None
    vetoed: bool
    reason: str

    @classmethod
    def alone(cls, z: float | None) -> Check:
        """Make the check of a test with no reference data: the event channel's ``z``."""
        return cls(None, z, False, "")


@dataclass(frozen=True)
class BroadbandResult:
    """The event channel's test with the references applied, and what they showed.

    Attributes
    ----------
    main : RadiometerResult
        The event channel; its dits', rounds' and stack's ``z`` and decisions are the
        vetoed tests where the references show the template.
    references : tuple of RadiometerResult
        Each reference channel's own test.
    dits, rounds : tuple of Check
        Per key-down (input order) and per round (as ``main.rounds``).
    masked : numpy.ndarray of bool
        Samples left out as broadband bursts or common spikes.
    """

    main: RadiometerResult
    references: tuple[RadiometerResult, ...]
    dits: tuple[Check, ...]
    rounds: tuple[Check, ...]
    masked: np.ndarray

    @classmethod
    def alone(cls, main: RadiometerResult, masked: np.ndarray, references=()) -> BroadbandResult:
        """Make the result of ``main`` tested without the references (none, or no data)."""
        return cls(main, tuple(references), tuple(Check.alone(d.z) for d in main.dits),
                   tuple(Check.alone(r.z) for r in main.rounds), masked)  # fmt: skip


def broadband_test(t_s: np.ndarray, power: np.ndarray, references: np.ndarray,
                   key_down_s, round_of: Sequence[int], *, pfa: float = 1e-3,
                   background_knot_s: float = 600.0, edge_guard_s: float = 0.0,
                   spike_ratio: float = SPIKE_RATIO) -> BroadbandResult:  # fmt: skip
    """Test the template in ``power`` against the ``references`` (channels, samples).

    Parameters as :func:`dsp.radiometer.radiometer_test`; see the module docstring.
    """
    t, x, kd, labels = check_inputs(t_s, power, key_down_s, round_of, background_knot_s,
                                    edge_guard_s, spike_ratio)  # fmt: skip
    refs = np.atleast_2d(np.asarray(references, float))
    if refs.shape[1:] != t.shape:
        raise DspValueError(f"references {refs.shape} must be (channels, {t.size})")
    common = common_spikes(refs)
    masked = burst_mask(refs) | common
    keep = ~masked & ~near_edges(t, kd, edge_guard_s)
    fits = [fit_template(t, y, kd, labels, background_knot_s=background_knot_s,
                         spike_ratio=spike_ratio, use=keep) for y in (x, *refs)]  # fmt: skip
    results = [assemble(f, y, kd, labels, pfa=pfa, background_knot_s=background_knot_s,
                        spike_ratio=spike_ratio)
               for f, y in zip(fits, (x, *refs), strict=True)]  # fmt: skip
    main, ref_res = results[0], tuple(results[1:])
    if main.stack is None:
        return BroadbandResult.alone(main, masked, ref_res)
    return _combine(t, kd, labels, masked, common, main, ref_res, fits, pfa)


def _combine(t, kd, labels, masked, common, main, ref_res, fits, pfa) -> BroadbandResult:
    f_main, f_refs = fits[0], [f for f in fits[1:] if f is not None]
    d = f_main.design
    used, sel = d.rounds_used, d.has_data
    round_index = np.array([d.order.index(lab) for lab in labels])
    # Beside a mask, the references' unmasked samples are those their noise kept below
    # it: read against them, interference would look like HI.  Vetoed outright.
    near = near_mask(t, kd, masked)
    near_r = (near.astype(float) @ d.member) > 0
    gate_r = _round_tests(f_main, f_refs, d.order)["gate"]
    dt = _dit_tests(f_main, f_refs, len(kd), gate_r[round_index])
    r = _round_tests(f_main, f_refs, d.order, dt["excess"])
    out_r = r["gate"] & near_r
    out_d = dt["gate"] & (near | near_r[round_index])  # a burst on the round: on its dits
    level_d = sidak_level(pfa, int(sel.sum()))
    level_r = sidak_level(pfa, int(used.sum()))
    skew_d, skew_r = amplitude_skews(f_main)
    # Where the references are subtracted, their (opposite) skew thins the event's.
    skew_d = skew_d * dt["share"][sel] ** 3
    skew_r = skew_r * r["share"][used] ** 3
    dits = dit_results(kd, labels, sel, d.support, f_main.dit_amp, f_main.dit_se, f_main.dit_se0,
                       f_main.dit_bg, level_d, skew_d, dt["z"][sel], out_d[sel])  # fmt: skip
    rounds = round_results(kd, labels, d.order, used, f_main.round_amp, f_main.round_se,
                           np.sqrt(np.diag(f_main.round_cov0)), f_main.round_bg, level_r,
                           skew_r, r["z"][used], out_r[used])  # fmt: skip
    keep = ~out_r[used]  # the stack leaves vetoed rounds out
    stack = stack_power(r["y"][used][keep], r["cov"][np.ix_(used, used)][np.ix_(keep, keep)],
                        pfa, skew_r[keep], r["z"][used][keep]) if keep.any() else None  # fmt: skip
    out = dataclasses.replace(main, dits=dits, rounds=rounds, stack=stack,
                              n_spikes=main.n_spikes + int(common.sum()))
    burst = burst_share(t, kd, masked, np.eye(len(kd)))
    burst_r = burst_share(t, kd, masked, d.member)
    dit_checks = tuple(_check(dt["z_ref"][k], dt["z_event"][k] if sel[k] else None,
                              bool(dt["gate"][k] and sel[k]), burst[k],
                              bool(r["gate"][round_index[k]]), bool(out_d[k]))
                       for k in range(len(kd)))  # fmt: skip
    round_checks = tuple(_check(r["z_ref"][j], r["z_event"][j] if used[j] else None,
                                bool(r["gate"][j] and used[j]), burst_r[j], False,
                                bool(out_r[j])) for j in range(len(d.order)))  # fmt: skip
    return BroadbandResult(out, ref_res, dit_checks, round_checks, masked)


def _round_tests(f_main: TemplateFit, f_refs: list[TemplateFit], order: list[int],
                 excess=None) -> dict:  # fmt: skip
    """Per round: event and references' relative amplitudes, the gate and the test.

    ``y``/``cov``: the tested statistic (event minus references where gated) and its
    null covariance, over all rounds (NaN where unused).  ``excess``: per key-down, the
    interference's relative level the references show where gated (None: none); it
    raises every channel's noise there (:func:`dsp.radiometer_fit.raised_cov`), and
    the gate is decided before it.
    """
    m, c_m = _relative_rounds(f_main, order, excess)
    own = _relative_rounds(f_main, order)[1]  # the event channel's own z: no references
    ref = [_relative_rounds(f, order, excess) for f in f_refs]
    c, cov_c, _ = _reference_mean([a for a, _ in ref], [v for _, v in ref])
    z_ref = _reference_mean([a for a, _ in ref],
                            [_relative_rounds(f, order)[1] for f in f_refs])[2]  # fmt: skip
    gate = np.nan_to_num(z_ref, nan=-np.inf) > GATE_Z
    g = np.diag(gate.astype(float))
    y = m - np.where(gate, np.nan_to_num(c), 0.0)
    cov = c_m + g @ np.nan_to_num(cov_c) @ g
    with np.errstate(invalid="ignore"):
        z = y / np.sqrt(np.diag(cov))
        z_event = m / np.sqrt(np.diag(own))
        share = np.sqrt(np.diag(c_m) / np.diag(cov))
    return dict(y=y, cov=cov, z=z, z_ref=z_ref, z_event=z_event, gate=gate, share=share)


def _dit_tests(f_main: TemplateFit, f_refs: list[TemplateFit], k: int, round_gate) -> dict:
    """Per key-down, as :func:`_round_tests`; a dit is also gated when its round is.

    ``excess``: the references' mean relative amplitude of each gated key-down
    (0 elsewhere, and where negative), the level interference adds there.
    """
    ref = [_relative_dits(f, k) for f in f_refs]
    c, vc, z_ref = _reference_mean([a for a, _ in ref], [np.diag(w) for _, w in ref])
    gate = (np.nan_to_num(z_ref, nan=-np.inf) > GATE_Z_DIT) | round_gate
    excess = np.where(gate, np.maximum(np.nan_to_num(c), 0.0), 0.0)
    m, v = _relative_dits(f_main, k, excess)
    own = _relative_dits(f_main, k)[1]
    ref = [_relative_dits(f, k, excess) for f in f_refs]
    c, vc, _ = _reference_mean([a for a, _ in ref], [np.diag(w) for _, w in ref])
    y = m - np.where(gate, np.nan_to_num(c), 0.0)
    total = v + np.where(gate, np.nan_to_num(np.diag(vc)), 0.0)
    with np.errstate(invalid="ignore"):
        z = y / np.sqrt(total)
        z_event = m / np.sqrt(own)
        share = np.sqrt(v / total)
    return dict(z=z, z_ref=z_ref, z_event=z_event, gate=gate, share=share, excess=excess)


def _relative_rounds(f: TemplateFit, order: list[int], excess=None):
    """Round amplitudes over background (NaN where unused) and their null covariance.

    ``excess`` (per key-down): the covariance with those key-downs' noise raised.
    """
    n = len(order)
    amp, cov = np.full(n, np.nan), np.full((n, n), np.nan)
    mine = [order.index(r) for r, u in zip(f.design.order, f.design.rounds_used, strict=True)
            if u and r in order]  # fmt: skip
    amp[mine] = f.round_amp / f.round_bg
    scale = 1.0 / f.round_bg
    raised = f.round_cov0 if excess is None else f.round_cov0 + raised_cov(f.round_parts, excess)
    cov[np.ix_(mine, mine)] = raised * np.outer(scale, scale)
    return amp, cov


def _relative_dits(f: TemplateFit, k: int, excess=None):
    """Dit amplitudes over background (NaN without data) and their null variances.

    ``excess`` (per key-down): the variances with those key-downs' noise raised.
    """
    amp, var = np.full(k, np.nan), np.full(k, np.nan)
    sel = f.design.has_data
    amp[sel] = f.dit_amp / f.dit_bg
    raised = f.dit_se0**2 if excess is None else f.dit_se0**2 + raised_cov(f.dit_parts, excess)
    var[sel] = raised / f.dit_bg**2
    return amp, var


def _reference_mean(amps, covs):
    """Return the references' mean relative amplitude, its covariance and z (NaN: none)."""
    if not amps:
        n = 0 if not covs else len(covs[0])
        nan = np.full(n, np.nan)
        return nan, np.full((n, n), np.nan), nan
    a = np.array(amps)
    have = np.isfinite(a)
    count = have.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, np.nansum(a, axis=0) / count, np.nan)
        w = np.where(have, 1.0, 0.0) / np.maximum(count, 1)
        cov = sum(np.outer(wi, wi) * np.nan_to_num(ci) for wi, ci in zip(w, covs, strict=True))
        z = mean / np.sqrt(np.diag(cov))
    return mean, cov, np.where(count > 0, z, np.nan)


def _check(z_ref, z_event, gated, burst_share, round_gated, outright) -> Check:
    reasons = []
    if burst_share > 0:
        reasons.append(f"{100 * burst_share:.0f} % inside broadband bursts (masked)")
    if gated:
        reasons.append("its round's references rise too" if round_gated and
                       not (np.isfinite(z_ref) and z_ref > GATE_Z_DIT) else
                       f"the references rise too (z {z_ref:.1f})")  # fmt: skip
    if outright:
        reasons.append("beside a masked burst: not detected")
    vetoed = bool(gated or burst_share >= 0.5)
    return Check(None if not np.isfinite(z_ref) else float(z_ref),
                 None if z_event is None else float(z_event), vetoed,
                 "; ".join(reasons) if vetoed else "")  # fmt: skip


