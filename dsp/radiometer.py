"""Wide-band power-channel detection of a known on/off keying template (a radiometer).

Juno's Waves receiver did not hear any one transmitter: it measured total power in a
1 MHz channel, and the HI showed as hundreds of carriers keying on and off together.
This module tests that on/off template in a power time series:

1. **Missing and spiky samples** are dropped: NaN, and isolated outliers (pre-amp or
   attenuator toggling) more than ``spike_sigma`` robust deviations from a 5-sample
   running median.
2. **A linear model** is fitted by weighted least squares: a cubic B-spline background
   with a knot every ``background_knot_s`` (it follows the background as it changes
   with range during a flyby, yet is too stiff to follow 30-s dits), plus one
   regressor per key-down (per-dit test) or per round (round and stacked tests).
3. **The noise model is fitted to the data**, not assumed: a square-law detector's
   fluctuation is proportional to the level, so samples are weighted by
   ``1/level**2`` with the level from a first unweighted fit; the scale is the
   standard deviation of the weighted residuals; a variance inflation factor measured
   on dit-length blocks of residuals guards against correlated noise.  The amplitude
   estimates are sums of many samples, so they are Gaussian even when single samples
   are coarsely quantized (5 levels near the Waves noise floor).
4. **Significance**: ``z = amplitude / standard error`` from the fit's covariance,
   one-sided (a transmitter only adds power), ``p = Q(z)``.  ``pfa`` is the
   family-wise false-alarm probability of each level (all dits, all rounds, the
   stack): the threshold is Šidák-corrected for the number of tests at that level.

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
from scipy import sparse
from scipy.interpolate import BSpline
from scipy.linalg import pinvh
from scipy.ndimage import median_filter
from scipy.stats import norm

from dsp.errors import DspValueError
from dsp.radiometer_results import DitPower, RadiometerResult, RoundPower, StackPower

__all__ = ["find_spikes", "radiometer_test", "sidak_z_threshold", "template_standard_errors"]

_MIN_SAMPLES = 3


def sidak_z_threshold(pfa: float, tests: int) -> float:
    """One-sided Gaussian threshold giving family-wise false-alarm `pfa` over `tests` tests.

    Examples
    --------
    >>> round(sidak_z_threshold(1e-3, 1), 3)
    3.09
    >>> round(sidak_z_threshold(1e-3, 16), 2)
    3.84
    """
    if not (0 < pfa < 1):
        raise DspValueError(f"pfa={pfa} must be between 0 and 1")
    per_test = -math.expm1(math.log1p(-pfa) / max(tests, 1))
    return float(norm.isf(per_test))


def radiometer_test(
    t_s: np.ndarray,
    power: np.ndarray,
    key_down_s: np.ndarray | Sequence[Sequence[float]],
    round_of: Sequence[int],
    *,
    pfa: float = 1e-3,
    background_knot_s: float = 600.0,
    edge_guard_s: float = 0.0,
    spike_sigma: float = 8.0,
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
    spike_sigma : float
        Outlier threshold in robust standard deviations from a 5-sample running median.

    Returns
    -------
    RadiometerResult
        Per-dit, per-round and stacked statistics, thresholds and the noise model.
    """
    t = np.asarray(t_s, dtype=np.float64)
    x = np.asarray(power, dtype=np.float64)
    kd = np.asarray(key_down_s, dtype=np.float64).reshape(-1, 2)
    labels = [int(r) for r in round_of]
    _check(t, x, kd, labels, background_knot_s, edge_guard_s, spike_sigma)
    good = np.isfinite(x)
    spikes = np.zeros(t.size, dtype=bool)
    spikes[good] = find_spikes(x[good], spike_sigma)
    use = good & ~spikes & ~_near_edges(t, kd, edge_guard_s)
    t, x = t[use], x[use]
    d = _Design(t, kd, labels, background_knot_s)
    if t.size < 4 * _MIN_SAMPLES or not d.has_data.any():
        return _empty(kd, labels, pfa, background_knot_s, int(spikes.sum()), int(t.size))

    x_dit = d.dit_design()
    nb = d.basis.shape[1]
    level = _level(x_dit, nb, x)
    weight = 1.0 / level**2
    coef, cov = _wls(x_dit, x, weight)
    resid = (x - x_dit @ coef) / level
    n_par = x_dit.shape[1]
    scale2 = float(resid @ resid) / max(t.size - n_par, 1)
    block = max(int(round(np.median(np.diff(kd, axis=1)) / np.median(np.diff(t)))), 2)
    vif = _variance_inflation(resid, block)
    cov *= scale2 * vif
    background = d.basis @ coef[:nb]

    coef_r, cov_r = _wls(d.round_design(), x, weight)
    cov_r *= scale2 * vif
    amp_r, var_r = coef_r[nb:], np.diag(cov_r)[nb:]

    z_dit = sidak_z_threshold(pfa, int(d.has_data.sum()))
    z_round = sidak_z_threshold(pfa, int(d.rounds_used.sum()))
    z_stack = sidak_z_threshold(pfa, 1)
    dit_results = _dit_results(kd, labels, d.has_data, d.support, coef[nb:],
                               np.diag(cov)[nb:], d.inside, background, z_dit)
    round_results = _round_results(kd, labels, d.order, d.rounds_used, amp_r, var_r, z_round)
    stack = _stack(amp_r, cov_r[nb:, nb:], z_stack)
    return RadiometerResult(
        dits=dit_results,
        rounds=round_results,
        stack=stack,
        pfa=pfa,
        z_threshold_dit=z_dit,
        z_threshold_round=z_round,
        z_threshold_stack=z_stack,
        noise_relative_std=math.sqrt(scale2),
        variance_inflation=vif,
        n_samples_used=int(t.size),
        n_spikes=int(spikes.sum()),
        background_knot_s=background_knot_s,
    )


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
    d = _Design(t, kd, labels, background_knot_s)
    dit_se, round_se = np.full(len(kd), np.nan), np.full(len(d.order), np.nan)
    if not d.has_data.any():
        return dit_se, round_se
    nb, zeros = d.basis.shape[1], np.zeros(t.size)
    dit_se[d.has_data] = np.sqrt(np.diag(_wls(d.dit_design(), zeros, weight)[1])[nb:])
    round_se[d.rounds_used] = np.sqrt(np.diag(_wls(d.round_design(), zeros, weight)[1])[nb:])
    return dit_se, round_se


class _Design:
    """The linear model both the test and the planner use: spline background + template.

    Columns are the background basis, then one indicator per key-down with enough
    samples (:meth:`dit_design`) or one per round with data (:meth:`round_design`).
    """

    def __init__(self, t: np.ndarray, kd: np.ndarray, labels: list[int], knot_s: float) -> None:
        self.inside = (t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])
        self.support = self.inside.sum(axis=0)
        self.has_data = self.support >= _MIN_SAMPLES
        self.order = list(dict.fromkeys(labels))
        self.member = np.array([[lab == r for r in self.order] for lab in labels], dtype=float)
        self.rounds_used = self.member[self.has_data].sum(axis=0) > 0
        self.basis = _spline_basis(t, knot_s) if self.has_data.any() else None

    def dit_design(self) -> sparse.csr_matrix:
        dits = sparse.csr_matrix(self.inside[:, self.has_data].astype(np.float64))
        return sparse.hstack([self.basis, dits], format="csr")

    def round_design(self) -> sparse.csr_matrix:
        rounds = self.inside.astype(np.float64) @ self.member[:, self.rounds_used]
        return sparse.hstack([self.basis, sparse.csr_matrix(rounds)], format="csr")


def _check(t, x, kd, labels, knot_s, guard_s, spike_sigma) -> None:
    if t.ndim != 1 or x.shape != t.shape:
        raise DspValueError(f"t_s {t.shape} and power {x.shape} must be 1-D of one length")
    if t.size > 1 and not np.all(np.diff(t) > 0):
        raise DspValueError("t_s must be strictly increasing")
    if len(labels) != len(kd):
        raise DspValueError(f"round_of has {len(labels)} labels for {len(kd)} key-downs")
    if kd.size and not np.all(kd[:, 1] > kd[:, 0]):
        raise DspValueError("every key-down must have stop > start")
    for name, value in (("background_knot_s", knot_s), ("spike_sigma", spike_sigma)):
        if not (np.isfinite(value) and value > 0):
            raise DspValueError(f"{name}={value} must be a finite number > 0")
    if not (np.isfinite(guard_s) and guard_s >= 0):
        raise DspValueError(f"edge_guard_s={guard_s} must be >= 0")
    longest = float(np.max(kd[:, 1] - kd[:, 0])) if kd.size else 0.0
    if knot_s < 2 * longest:
        raise DspValueError(
            f"background_knot_s={knot_s:g} must be at least twice the longest key-down "
            f"({longest:g} s): a background that bends faster follows the keying itself"
        )


def find_spikes(x: np.ndarray, spike_sigma: float = 8.0) -> np.ndarray:
    """Flag isolated outliers: far from a 5-sample running median, relative to the level.

    Parameters
    ----------
    x : numpy.ndarray
        Finite power samples in time order.
    spike_sigma : float
        Threshold in robust standard deviations of the relative deviation.

    Returns
    -------
    numpy.ndarray
        Boolean mask of spikes (pre-amp or attenuator toggling).

    Examples
    --------
    >>> x = np.random.default_rng(0).gamma(17.0, 1 / 17.0, 50); x[20] *= 80.0
    >>> np.flatnonzero(find_spikes(x)).tolist()
    [20]
    """
    if x.size < 5:
        return np.zeros(x.size, dtype=bool)
    med = median_filter(x, size=5, mode="nearest")
    typical = np.median(med)
    rel = (x - med) / np.maximum(med, 0.1 * typical if typical > 0 else 1e-300)
    dev = np.abs(rel - np.median(rel))
    scale = 1.4826 * np.median(dev)
    if scale == 0:  # coarse quantization: most samples equal their running median
        scale = float(np.mean(dev))
    if scale == 0:
        return np.zeros(x.size, dtype=bool)
    return dev > spike_sigma * scale


def _near_edges(t: np.ndarray, kd: np.ndarray, guard_s: float) -> np.ndarray:
    if guard_s == 0 or kd.size == 0:
        return np.zeros(t.size, dtype=bool)
    edges = np.sort(kd.ravel())
    pos = np.clip(np.searchsorted(edges, t), 1, edges.size - 1)
    nearest = np.minimum(np.abs(t - edges[pos - 1]), np.abs(t - edges[pos]))
    return nearest < guard_s


def _spline_basis(t: np.ndarray, knot_s: float) -> sparse.csr_matrix:
    lo, hi = float(t[0]), float(t[-1])
    segments = max(1, int(math.ceil((hi - lo) / knot_s)))
    inner = np.linspace(lo, hi, segments + 1)
    knots = np.r_[[lo] * 3, inner, [hi] * 3]
    basis = BSpline.design_matrix(t, knots, 3).tocsc()
    counts = np.diff(basis.indptr)
    return basis[:, counts >= _MIN_SAMPLES].tocsr()


def _level(design: sparse.csr_matrix, nb: int, x: np.ndarray) -> np.ndarray:
    """Return the level for the weights: background plus only *significant* key-downs.

    Weights built from every fitted dit amplitude would down-weight the samples of
    dits that noise pushed up, biasing every amplitude low; a dit enters the level
    only when an unweighted fit finds it above 3 sigma (strong signals near closest
    approach, where the noise grows with the signal).
    """
    coef, cov = _wls(design, x, np.ones_like(x))
    resid = x - design @ coef
    scale2 = float(resid @ resid) / max(x.size - design.shape[1], 1)
    amp = coef[nb:]
    strong = amp > 3 * np.sqrt(np.maximum(np.diag(cov)[nb:] * scale2, 0))
    coef = np.r_[coef[:nb], np.where(strong, amp, 0.0)]
    floor = 0.1 * np.median(x[x > 0]) if np.any(x > 0) else 1e-300
    return np.maximum(design @ coef, floor)


def _wls(design: sparse.csr_matrix, x: np.ndarray, weight: np.ndarray):
    weighted = sparse.diags(weight) @ design
    normal = (design.T @ weighted).toarray()
    cov = pinvh(normal)
    coef = cov @ (weighted.T @ x)
    return coef, cov


def _variance_inflation(resid: np.ndarray, block: int) -> float:
    """Ratio of the variance of `block`-sample sums to white noise's; 1 unless significant."""
    blocks = resid.size // block
    if blocks < 8:
        return 1.0
    sums = resid[: blocks * block].reshape(blocks, block).sum(axis=1)
    ratio = float(np.var(sums) / (block * np.var(resid)))
    return ratio if ratio > 1 + 2 * math.sqrt(2 / blocks) else 1.0


def _dit_results(kd, labels, has_data, support, amp, var, inside, background, z_thr):
    out, k_data, seen = [], 0, {}
    for k, (start, stop) in enumerate(kd):
        index = seen.get(labels[k], 0)
        seen[labels[k]] = index + 1
        common = dict(round_label=labels[k], index=index, start_s=float(start), stop_s=float(stop),
                      n_samples=int(support[k]))
        if not has_data[k]:
            out.append(DitPower.no_data(**common))
            continue
        a, s = float(amp[k_data]), math.sqrt(max(float(var[k_data]), 1e-300))
        k_data += 1
        bg = float(np.mean(background[inside[:, k]]))
        z = a / s
        out.append(DitPower(**common, amplitude=a, sigma=s, z=z, p_value=float(norm.sf(z)),
                            detected=bool(z > z_thr), background=bg,
                            snr_db=10 * math.log10(a / bg) if a > 0 and bg > 0 else None))
    return tuple(out)


def _round_results(kd, labels, order, rounds_used, amp, var, z_thr):
    out, j = [], 0
    for r, label in enumerate(order):
        mine = kd[[lab == label for lab in labels]]
        common = dict(round_label=label, start_s=float(mine[:, 0].min()),
                      stop_s=float(mine[:, 1].max()))
        if not rounds_used[r]:
            out.append(RoundPower.no_data(**common))
            continue
        a, s = float(amp[j]), math.sqrt(max(float(var[j]), 1e-300))
        j += 1
        out.append(RoundPower(**common, amplitude=a, sigma=s, z=a / s,
                              p_value=float(norm.sf(a / s)), detected=bool(a / s > z_thr)))
    return tuple(out)


def _stack(amp: np.ndarray, cov: np.ndarray, z_thr: float) -> StackPower | None:
    if amp.size == 0:
        return None
    weights = 1.0 / np.maximum(np.diag(cov), 1e-300)
    z = float(weights @ amp / math.sqrt(weights @ cov @ weights))
    return StackPower(n_rounds=int(amp.size), z=z, p_value=float(norm.sf(z)),
                      detected=bool(z > z_thr))


def _empty(kd, labels, pfa, knot_s, n_spikes, n_used) -> RadiometerResult:
    none = np.zeros(len(kd), dtype=bool)
    order = list(dict.fromkeys(labels))
    dits = _dit_results(kd, labels, none, np.zeros(len(kd), dtype=int), (), (), None, None, 0.0)
    rounds = _round_results(kd, labels, order, np.zeros(len(order), dtype=bool), (), (), 0.0)
    nan = float("nan")
    return RadiometerResult(dits=dits, rounds=rounds, stack=None, pfa=pfa,
                            z_threshold_dit=nan, z_threshold_round=nan, z_threshold_stack=nan,
                            noise_relative_std=nan, variance_inflation=nan,
                            n_samples_used=n_used, n_spikes=n_spikes, background_knot_s=knot_s)
