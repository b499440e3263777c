"""Wide-band power-channel detection of a known on/off keying template (a radiometer).

Juno's Waves receiver did not hear any one transmitter: it measured total power in a
1 MHz channel, and the HI showed as hundreds of carriers keying on and off together.
This module tests that on/off template in a power time series:

1. **Missing and spiky samples** are dropped: NaN, and spikes (pre-amp or attenuator
   toggling) ``spike_ratio`` times their 5-sample running median or less than 1/that,
   a factor noise never reaches and a key-down never shows (its samples' running
   median is the key-down level).
2. **A linear model** is fitted by weighted least squares: a cubic B-spline background
   with a knot every ``background_knot_s`` (it follows the background as it changes
   with range during a flyby, yet is too stiff to follow 30-s dits), plus one
   regressor per key-down (per-dit test) or per round (round and stacked tests).
3. **The noise model is fitted to the data**, not assumed, and one burst cannot set
   it (:mod:`dsp.radiometer_fit`): samples weighted by ``1/level**2`` (a square-law
   detector's fluctuation is proportional to its level); outlying samples and
   key-down-length bursts left out and the fit repeated; the scale from the
   standardised residuals; a variance inflation factor from the robust spread of
   key-down-length block sums guards against correlated noise.  The amplitude
   estimates are sums of many samples, so they are Gaussian even when single samples
   are coarsely quantized (5 levels near the Waves noise floor).
4. **Significance**: ``z = amplitude / standard error under the null`` (background
   only: a strong signal's own fluctuation does not enter, so ``z`` stays linear in
   the signal; under noise it is the usual standard error), one-sided (a transmitter
   only adds power), ``p = Q(z)``.  ``pfa`` is the family-wise false-alarm
   probability of each level (all dits, all rounds, the stack): Šidák-corrected for
   the tests at that level.  The stack is two tests at ``pfa / 2`` each (Bonferroni):
   every round alike (inverse-variance weighted over the rounds, with the fit's full
   covariance), and the strongest round (Šidák over the rounds), so that a flyby
   whose signal peaks in one round near closest approach is not averaged away.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> t_s = np.arange(0.0, 1800.0)
>>> key_down_s = np.array([[600.0, 630.0], [660.0, 690.0], [720.0, 750.0]])
>>> on = ((t_s >= 600) & (t_s < 630)) | ((t_s >= 660) & (t_s < 690)) | ((t_s >= 720) & (t_s < 750))
>>> power = 1e-15 * rng.gamma(17.0, 1 / 17.0, t_s.size) * (1 + 0.2 * on)
>>> res = radiometer_test(t_s, power, key_down_s, [1, 1, 1])
>>> res.rounds[0].detected, res.rounds[0].z > 5
(True, True)
>>> quiet = radiometer_test(t_s, 1e-15 * rng.gamma(17.0, 1 / 17.0, t_s.size), key_down_s, [1, 1, 1])
>>> quiet.rounds[0].detected
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dsp.errors import DspValueError
from dsp.radiometer_fit import SPIKE_RATIO, Design, find_spikes, fit_template, wls
from dsp.radiometer_results import (
    RadiometerResult,
    dit_results,
    empty_result,
    round_results,
    sidak_level,
    sidak_z_threshold,
    stack_power,
    z_for,
)

__all__ = ["assemble", "check_inputs", "find_spikes", "near_edges", "radiometer_test",
           "sidak_z_threshold", "template_standard_errors", "amplitude_skews"]  # fmt: skip


def radiometer_test(
    t_s: np.ndarray,
    power: np.ndarray,
    key_down_s: np.ndarray | Sequence[Sequence[float]],
    round_of: Sequence[int],
    *,
    pfa: float = 1e-3,
    background_knot_s: float = 600.0,
    edge_guard_s: float = 0.0,
    spike_ratio: float = SPIKE_RATIO,
    use: np.ndarray | None = None,
) -> RadiometerResult:
    """Test a known on/off template per dit, per round and stacked over rounds.

    Parameters
    ----------
    t_s : numpy.ndarray
        Sample times in seconds (any origin; the key-downs use the same one), increasing.
    power : numpy.ndarray
        Power (or power spectral density) of the channel; NaN = missing.
    key_down_s : array of shape (k, 2)
        ``[start, stop)`` of every expected key-down.
    round_of : sequence of int
        Round number of each key-down (any labels; rounds keep first-seen order).
    pfa : float
        Family-wise false-alarm probability of each level (dits, rounds, stack).
    background_knot_s : float
        Knot spacing of the cubic-spline background; longer is stiffer.
    edge_guard_s : float
        Samples within this many seconds of a key edge are left out (timing spread of
        many operators' clocks); 0 uses every sample.
    spike_ratio : float
        A sample this many times its 5-sample running median (or 1/this) is a spike.
    use : numpy.ndarray of bool, optional
        False leaves a sample out (e.g. interference other channels saw).

    Returns
    -------
    RadiometerResult
        Per-dit, per-round and stacked statistics, thresholds and the noise model.
    """
    t, x, kd, labels = check_inputs(t_s, power, key_down_s, round_of, background_knot_s,
                                    edge_guard_s, spike_ratio)  # fmt: skip
    keep = ~near_edges(t, kd, edge_guard_s)
    if use is not None:
        keep &= np.asarray(use, dtype=bool)
    fit = fit_template(t, x, kd, labels, background_knot_s=background_knot_s,
                       spike_ratio=spike_ratio, use=keep)  # fmt: skip
    return assemble(fit, x, kd, labels, pfa=pfa, background_knot_s=background_knot_s,
                    spike_ratio=spike_ratio)  # fmt: skip


def assemble(fit, x: np.ndarray, kd: np.ndarray, labels: list[int], *, pfa: float,
             background_knot_s: float, spike_ratio: float = SPIKE_RATIO
             ) -> RadiometerResult:  # fmt: skip
    """Make the :class:`RadiometerResult` of a :class:`~dsp.radiometer_fit.TemplateFit`.

    ``fit`` None (too little data) gives every dit and round "no data".
    """
    if fit is None:
        spikes = int(find_spikes(x[np.isfinite(x)], spike_ratio).sum())
        return empty_result(kd, labels, pfa, background_knot_s, spikes, int(np.isfinite(x).sum()))
    d = fit.design
    level_dit = sidak_level(pfa, int(d.has_data.sum()))
    level_round = sidak_level(pfa, int(d.rounds_used.sum()))
    skew_dit, skew_round = amplitude_skews(fit)
    z_dit = z_for(level_dit, float(np.median(skew_dit)))
    z_round = z_for(level_round, float(np.median(skew_round)))
    z_stack = sidak_z_threshold(pfa / 2, 1)
    return RadiometerResult(
        dits=dit_results(kd, labels, d.has_data, d.support, fit.dit_amp, fit.dit_se,
                         fit.dit_se0, fit.dit_bg, level_dit, skew_dit),  # fmt: skip
        rounds=round_results(kd, labels, d.order, d.rounds_used, fit.round_amp, fit.round_se,
                             np.sqrt(np.diag(fit.round_cov0)), fit.round_bg, level_round,
                             skew_round),  # fmt: skip
        stack=stack_power(fit.round_amp, fit.round_cov0, pfa, skew_round),
        pfa=pfa,
        z_threshold_dit=z_dit,
        z_threshold_round=z_round,
        z_threshold_stack=z_stack,
        noise_relative_std=math.sqrt(fit.scale2),
        variance_inflation=fit.vif,
        n_samples_used=fit.n_used,
        n_spikes=fit.n_spikes,
        background_knot_s=background_knot_s,
        n_outliers=fit.n_outliers,
    )


def amplitude_skews(fit) -> tuple[np.ndarray, np.ndarray]:
    """Skewness of each dit's and round's amplitude: the samples' over sqrt(samples).

    Examples
    --------
    >>> t = np.arange(0.0, 1800.0)
    >>> x = np.random.default_rng(0).gamma(17.0, 1 / 17.0, t.size)
    >>> f = fit_template(t, x, np.array([[600.0, 630.0]]), [1], background_knot_s=600.0)
    >>> dit, rnd = amplitude_skews(f); bool(0.03 < dit[0] < 0.2)
    True
    """
    d = fit.design
    skew = max(fit.skew, 0.0)  # a left skew would make the tail thinner: not assumed
    dits = skew / np.sqrt(d.support[d.has_data])
    rounds = skew / np.sqrt(d.round_columns().sum(axis=0))
    return dits, rounds


def template_standard_errors(
    t_s: np.ndarray,
    key_down_s: np.ndarray,
    round_of: Sequence[int],
    noise_std: np.ndarray,
    *,
    background_knot_s: float = 600.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Predict the standard errors of the test, per key-down and per round, before any data.

    For planning: with the per-sample noise standard deviation known (from a noise
    model), the same design as :func:`radiometer_test` gives the standard error of
    each amplitude exactly, so ``expected amplitude / standard error`` is the expected
    ``z`` (white noise assumed).

    Parameters
    ----------
    t_s, key_down_s, round_of
        As :func:`radiometer_test` (samples that will exist: leave gaps out of `t_s`).
    noise_std : numpy.ndarray
        Per-sample noise standard deviation (input units), same length as `t_s`.
    background_knot_s : float
        As :func:`radiometer_test`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Per key-down (NaN where it has fewer than 3 samples) and per round (first-seen
        order of `round_of`; NaN without data).

    Examples
    --------
    >>> t = np.arange(0.0, 1800.0)
    >>> dit, rnd = template_standard_errors(t, np.array([[600.0, 630.0]]), [1], np.ones(t.size))
    >>> bool(1 / np.sqrt(30) < rnd[0] < 1.3 / np.sqrt(30))
    True
    """
    t = np.asarray(t_s, dtype=np.float64)
    kd = np.asarray(key_down_s, dtype=np.float64).reshape(-1, 2)
    labels = [int(r) for r in round_of]
    weight = 1.0 / np.asarray(noise_std, dtype=np.float64) ** 2
    d = Design(t, kd, labels, background_knot_s)
    dit_se, round_se = np.full(len(kd), np.nan), np.full(len(d.order), np.nan)
    if not d.has_data.any():
        return dit_se, round_se
    nb, zeros = d.n_basis, np.zeros(t.size)
    dit_se[d.has_data] = np.sqrt(np.diag(wls(d.dit_design(), zeros, weight)[1])[nb:])
    round_se[d.rounds_used] = np.sqrt(np.diag(wls(d.round_design(), zeros, weight)[1])[nb:])
    return dit_se, round_se


def check_inputs(t_s, power, key_down_s, round_of, knot_s: float, guard_s: float,
                 spike_ratio: float):  # fmt: skip
    """Validate :func:`radiometer_test`'s inputs; return them as arrays and a label list."""
    t = np.asarray(t_s, dtype=np.float64)
    x = np.asarray(power, dtype=np.float64)
    kd = np.asarray(key_down_s, dtype=np.float64).reshape(-1, 2)
    labels = [int(r) for r in round_of]
    if t.ndim != 1 or x.shape != t.shape:
        raise DspValueError(f"t_s {t.shape} and power {x.shape} must be 1-D of one length")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise DspValueError("t_s must be strictly increasing")
    if len(labels) != len(kd):
        raise DspValueError(f"round_of has {len(labels)} labels for {len(kd)} key-downs")
    if kd.size and not np.all(kd[:, 1] > kd[:, 0]):
        raise DspValueError("every key-down must have stop > start")
    if not (np.isfinite(knot_s) and knot_s > 0):
        raise DspValueError(f"background_knot_s={knot_s} must be a finite number > 0")
    if not (np.isfinite(spike_ratio) and spike_ratio > 1):
        raise DspValueError(f"spike_ratio={spike_ratio} must be a finite number > 1")
    if not (np.isfinite(guard_s) and guard_s >= 0):
        raise DspValueError(f"edge_guard_s={guard_s} must be >= 0")
    longest = float(np.max(kd[:, 1] - kd[:, 0])) if kd.size else 0.0
    if knot_s < 2 * longest:
        raise DspValueError(
            f"background_knot_s={knot_s:g} must be at least twice the longest key-down "
            f"({longest:g} s): a background that bends faster follows the keying itself"
        )
    return t, x, kd, labels


def near_edges(t: np.ndarray, kd: np.ndarray, guard_s: float) -> np.ndarray:
    """Flag samples within ``guard_s`` of any key edge."""
    if guard_s == 0 or kd.size == 0:
        return np.zeros(t.size, dtype=bool)
    edges = np.sort(kd.ravel())
    pos = np.clip(np.searchsorted(edges, t), 1, edges.size - 1)
    nearest = np.minimum(np.abs(t - edges[pos - 1]), np.abs(t - edges[pos]))
    return nearest < guard_s
