"""Frozen result types of :func:`dsp.radiometer.radiometer_test`.

Amplitudes are in the units of the tested power series (V²/m²/Hz for Waves data);
``detected`` is None where there were no samples to test.

Examples
--------
>>> d = DitPower.no_data(round_number=3, index=0, start_s=0.0, stop_s=30.0, n_samples=0)
>>> d.detected is None
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, pearson3

from dsp.errors import DspValueError
from dsp.results import AsDict

__all__ = ["DitPower", "RadiometerResult", "RoundPower", "StackPower", "dit_results",
           "empty_result", "round_results", "sidak_level", "sidak_z_threshold", "stack_power",
           "tail_p", "z_for"]  # fmt: skip


@dataclass(frozen=True, slots=True)
class DitPower(AsDict):
    """The test of one expected key-down.

    Attributes
    ----------
    round_number : int
        Round the key-down belongs to.
    index : int
        Position within its round, from 0.
    start_s, stop_s : float
        Expected key-down, in the time base of the input.
    n_samples : int
        Samples inside it that were used.
    amplitude : float or None
        Estimated power added while keyed (input units); may be negative in noise.
    sigma : float or None
        Standard error of `amplitude` from the fitted noise model (the signal's own
        fluctuation included).
    sigma_null : float or None
        Its standard error under the null (background only).
    z : float or None
        ``amplitude / sigma_null``: linear in the signal.
    p_value : float or None
        One-sided false-alarm probability of this `z` alone.
    detected : bool or None
        ``z`` above the Šidák threshold of the dit level; None without data.
    background : float or None
        Mean fitted background during the key-down (input units).
    snr_db : float or None
        ``10 log10(amplitude / background)``; None unless both are positive.
    """

    round_number: int
    index: int
    start_s: float
    stop_s: float
    n_samples: int
    amplitude: float | None
    sigma: float | None
    sigma_null: float | None
    z: float | None
    p_value: float | None
    detected: bool | None
    background: float | None
    snr_db: float | None

    @classmethod
    def no_data(cls, **fields) -> DitPower:
        """Make the result of a key-down with too few samples to test."""
        return cls(**fields, amplitude=None, sigma=None, sigma_null=None, z=None, p_value=None,
                   detected=None, background=None, snr_db=None)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RoundPower(AsDict):
    """The test of one round's whole template (its key-downs with data).

    Attributes
    ----------
    round_number : int
        The round.
    start_s, stop_s : float
        First key-down start and last key-down stop of the round.
    amplitude, sigma, sigma_null, z, p_value, background : float or None
        As for :class:`DitPower`, for one amplitude shared by the round's key-downs.
    detected : bool or None
        Above the Šidák threshold of the round level; None without data.
    """

    round_number: int
    start_s: float
    stop_s: float
    amplitude: float | None
    sigma: float | None
    sigma_null: float | None
    z: float | None
    p_value: float | None
    detected: bool | None
    background: float | None

    @classmethod
    def no_data(cls, **fields) -> RoundPower:
        """Make the result of a round with no testable key-down."""
        return cls(**fields, amplitude=None, sigma=None, sigma_null=None, z=None, p_value=None,
                   detected=None, background=None)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StackPower(AsDict):
    """All rounds combined: every round alike, and the strongest round (Bonferroni).

    Attributes
    ----------
    n_rounds : int
        Rounds with data.
    z : float
        Every round alike: inverse-variance weighted (null variances), with the fit's
        full covariance.
    z_strongest : float
        The largest round ``z``.
    p_value : float
        The family's one-sided false-alarm probability: twice the smaller of the two
        tests' (every round alike: ``Q(z)``; strongest: Šidák over ``n_rounds``).
    detected : bool
        ``p_value`` at most the level's ``pfa``.
    """

    n_rounds: int
    z: float
    z_strongest: float
    p_value: float
    detected: bool


@dataclass(frozen=True, slots=True)
class RadiometerResult(AsDict):
    """Everything :func:`~dsp.radiometer.radiometer_test` found.

    Attributes
    ----------
    dits, rounds : tuple
        :class:`DitPower` per key-down (input order), :class:`RoundPower` per round.
    stack : StackPower or None
        None when no round had data.
    pfa : float
        Requested family-wise false-alarm probability per level.
    z_threshold_dit, z_threshold_round, z_threshold_stack : float
        The Šidák-corrected thresholds used.
    noise_relative_std : float
        Fitted per-sample standard deviation relative to the level.
    variance_inflation : float
        Measured correlated-noise factor applied to variances (1 for white noise).
    n_samples_used, n_spikes : int
        Samples in the fit; spikes removed.
    background_knot_s : float
        Knot spacing of the background spline.
    n_outliers : int
        Samples left out as outliers or bursts found in the fit's residuals.
    """

    dits: tuple[DitPower, ...]
    rounds: tuple[RoundPower, ...]
    stack: StackPower | None
    pfa: float
    z_threshold_dit: float
    z_threshold_round: float
    z_threshold_stack: float
    noise_relative_std: float
    variance_inflation: float
    n_samples_used: int
    n_spikes: int
    background_knot_s: float
    n_outliers: int = 0


def sidak_z_threshold(pfa: float, tests: int) -> float:
    """One-sided Gaussian threshold giving family-wise false-alarm `pfa` over `tests` tests.

    Examples
    --------
    >>> round(sidak_z_threshold(1e-3, 1), 3)
    3.09
    >>> round(sidak_z_threshold(1e-3, 16), 2)
    3.84
    """
    return float(norm.isf(sidak_level(pfa, tests)))


def sidak_level(pfa: float, tests: int) -> float:
    """Per-test false-alarm probability giving family-wise `pfa` over `tests` tests.

    Examples
    --------
    >>> round(sidak_level(1e-3, 16) * 1e5, 2)
    6.25
    """
    if not (0 < pfa < 1):
        raise DspValueError(f"pfa={pfa} must be between 0 and 1")
    return -math.expm1(math.log1p(-pfa) / max(tests, 1))


def tail_p(z, skew):
    """One-sided p of ``z`` for a statistic of skewness ``skew`` (Pearson type III).

    A sum of ``n`` square-law samples is skewed (``~ 2 / sqrt(k n)``): at 4 sigma the
    Gaussian tail is 2-3x too thin for a 30-sample dit (measured on noise).

    Examples
    --------
    >>> float(tail_p(4.0, 0.0)) == float(norm.sf(4.0)), bool(tail_p(4.0, 0.1) > norm.sf(4.0))
    (True, True)
    """
    return pearson3.sf(z, skew)


def z_for(level: float, skew: float) -> float:
    """Return the ``z`` whose :func:`tail_p` is ``level``."""
    return float(pearson3.isf(level, skew))


def _family_p(p_min: float, tests: int) -> float:
    """Probability that the smallest of ``tests`` independent p-values is ``p_min`` or less."""
    return float(-math.expm1(tests * math.log1p(-min(p_min, 1 - 1e-16))))


def dit_results(kd, labels, has_data, support, amp, se, se0, bg, level, skew, z=None,
                veto=None):  # fmt: skip
    """Assemble :class:`DitPower` per key-down; ``z`` defaults to ``amp / se0``.

    Arrays cover the key-downs with data; detected where :func:`tail_p` of ``z`` (with
    its ``skew``) is at most ``level``; ``veto``: never detected, whatever its ``z``.
    """
    z = np.asarray(amp) / np.asarray(se0) if z is None else z
    veto = np.zeros(len(z), bool) if veto is None else veto
    p_all = tail_p(np.asarray(z, float), np.asarray(skew, float)) if len(z) else z
    out, k_data = [], 0
    seen: dict[int, int] = {}
    for k, (start, stop) in enumerate(kd):
        index = seen.get(labels[k], 0)
        seen[labels[k]] = index + 1
        common = dict(round_number=labels[k], index=index, start_s=float(start), stop_s=float(stop),
                      n_samples=int(support[k]))  # fmt: skip
        if not has_data[k]:
            out.append(DitPower.no_data(**common))
            continue
        a, b, zk = float(amp[k_data]), float(bg[k_data]), float(z[k_data])
        snr = 10 * math.log10(a / b) if a > 0 and b > 0 else None
        out.append(DitPower(**common, amplitude=a, sigma=float(se[k_data]),
                            sigma_null=float(se0[k_data]), z=zk, p_value=float(p_all[k_data]),
                            detected=bool(p_all[k_data] <= level and not veto[k_data]),
                            background=b,
                            snr_db=snr))  # fmt: skip
        k_data += 1
    return tuple(out)


def round_results(kd, labels, order, rounds_used, amp, se, se0, bg, level, skew, z=None,
                  veto=None):  # fmt: skip
    """Assemble :class:`RoundPower` per round, as :func:`dit_results`."""
    z = np.asarray(amp) / np.asarray(se0) if z is None else z
    veto = np.zeros(len(z), bool) if veto is None else veto
    p_all = tail_p(np.asarray(z, float), np.asarray(skew, float)) if len(z) else z
    out, j = [], 0
    for r, label in enumerate(order):
        mine = kd[[lab == label for lab in labels]]
        common = dict(round_number=label, start_s=float(mine[:, 0].min()),
                      stop_s=float(mine[:, 1].max()))  # fmt: skip
        if not rounds_used[r]:
            out.append(RoundPower.no_data(**common))
            continue
        zj = float(z[j])
        out.append(RoundPower(**common, amplitude=float(amp[j]), sigma=float(se[j]),
                              sigma_null=float(se0[j]), z=zj, p_value=float(p_all[j]),
                              detected=bool(p_all[j] <= level and not veto[j]),
                              background=float(bg[j])))  # fmt: skip
        j += 1
    return tuple(out)


def stack_power(amp: np.ndarray, cov0: np.ndarray, pfa: float, skew, z=None
                ) -> StackPower | None:  # fmt: skip
    """Make the two stack tests of ``amp`` (null covariance ``cov0``; ``z``: rounds' own).

    ``skew``: each round's skewness (the all-alike sum's is about their mean / sqrt R).
    """
    if np.size(amp) == 0:
        return None
    cov0 = np.asarray(cov0)
    skew = np.asarray(skew, float)
    weights = 1.0 / np.maximum(np.diag(cov0), 1e-300)
    z_all = float(weights @ amp / math.sqrt(weights @ cov0 @ weights))
    z_rounds = np.asarray(amp) / np.sqrt(np.diag(cov0)) if z is None else np.asarray(z)
    k = int(np.argmax(z_rounds))
    z_max = float(z_rounds[k])
    p_strongest = _family_p(float(np.min(tail_p(z_rounds, skew))), int(np.size(amp)))
    p_all = float(tail_p(z_all, float(np.mean(skew)) / math.sqrt(np.size(amp))))
    p = min(1.0, 2 * min(p_all, p_strongest))
    return StackPower(n_rounds=int(np.size(amp)), z=z_all, z_strongest=z_max, p_value=p,
                      detected=bool(p <= pfa))  # fmt: skip


def empty_result(kd, labels, pfa, knot_s, n_spikes, n_used) -> RadiometerResult:
    """Make the result of a series with no testable key-down."""
    none = np.zeros(len(kd), dtype=bool)
    order = list(dict.fromkeys(labels))
    dits = dit_results(kd, labels, none, np.zeros(len(kd), dtype=int), (), (), (), (), 0.0, (),
                       ())  # fmt: skip
    rounds = round_results(kd, labels, order, np.zeros(len(order), dtype=bool), (), (), (), (),
                           0.0, (), ())  # fmt: skip
    nan = float("nan")
    return RadiometerResult(dits=dits, rounds=rounds, stack=None, pfa=pfa,
                            z_threshold_dit=nan, z_threshold_round=nan, z_threshold_stack=nan,
                            noise_relative_std=nan, variance_inflation=nan,
                            n_samples_used=n_used, n_spikes=n_spikes, background_knot_s=knot_s)
