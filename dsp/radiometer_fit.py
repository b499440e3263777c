"""The fit behind :func:`dsp.radiometer.radiometer_test`: one channel, arrays out.

A cubic B-spline background plus one regressor per key-down (or per round), fitted by
weighted least squares with a noise model measured on the data:

* **weights** ``1 / (level**2 (1 + gamma / level))``: a square-law detector's
  fluctuation is proportional to its level, plus the amplitude quantization's share,
  which grows as the level falls (``gamma`` fitted on the residuals); the level being
  the background plus only the key-downs an unweighted
  fit finds above 5 sigma (strong signals near closest approach; a lower bar lets
  the noise of marginal dits lower their own weights and biases amplitudes low);
* **robust to bursts**: samples whose standardised residual is beyond
  :data:`OUTLIER_Z`, and runs of a key-down's length whose mean residual is beyond
  :data:`BURST_Z` (a burst of interference the caller did not mask), are left out
  and the fit repeated, so one burst cannot set the noise scale;
* **scale** ``s**2``: the variance of the standardised residuals; a **variance
  inflation factor** from the spread of key-down-length block sums (blocks beyond 5
  robust deviations left out, so a leftover burst block cannot inflate it) guards
  against correlated noise;
* **two covariances**: under the fitted level (the amplitude's standard error) and
  under the null, weights ``1 / background**2`` (the significance): a strong signal
  raises its own noise, and a ``z`` read against that noise would stop growing with
  the signal; against the null's it stays linear, and under noise the two agree.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(2)
>>> t = np.arange(0.0, 1800.0)
>>> kd = np.array([[600.0, 630.0], [660.0, 690.0]])
>>> on = ((t >= 600) & (t < 630)) | ((t >= 660) & (t < 690))
>>> x = rng.gamma(17.0, 1 / 17.0, t.size) * (1 + 3.0 * on)
>>> f = fit_template(t, x, kd, [1, 1], background_knot_s=600.0)
>>> z = f.round_amp / np.sqrt(np.diag(f.round_cov0))
>>> bool(z[0] > 0.9 * 3.0 / (np.sqrt(1 / 17 / 60) * 1.05))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.interpolate import BSpline
from scipy.linalg import pinvh
from scipy.ndimage import maximum_filter1d, median_filter, uniform_filter1d

__all__ = ["BURST_Z", "MIN_SAMPLES", "OUTLIER_Z", "SPIKE_RATIO", "TemplateFit", "Design",
           "find_spikes", "fit_template", "raised_cov", "wls"]  # fmt: skip

MIN_SAMPLES = 3
#: A sample this many standard deviations from the model is an outlier (Gamma(17)
#: noise reaches it about once in 10**6 samples).
OUTLIER_Z = 6.0
#: A key-down-length run whose mean residual is this many standard errors high is a burst.
BURST_Z = 5.0
#: A sample this many times its 5-sample running median (or 1/this) is a spike: pre-amp
#: or attenuator toggling (19 dB), never square-law noise (Gamma(17) reaches 2.5x once
#: in 10**7) and never a key-down, whose samples' running median is the key-down level.
SPIKE_RATIO = 4.0


@dataclass(frozen=True)
class TemplateFit:
    """One channel's fit: arrays for the per-dit, per-round and stacked tests.

    Dit arrays cover the key-downs with data (``has_data``), round arrays the rounds
    with data (``rounds_used``).  ``*_se`` are standard errors under the fitted level,
    ``*_se0`` / ``round_cov0`` under the null (background only); ``*_bg`` the mean
    fitted background over the key-down (or the round's key-downs).  ``skew``: the
    standardised residuals' skewness (a square-law detector's samples are skewed,
    ``2 / sqrt(k)`` for Gamma(k), more with quantization); an amplitude over ``n``
    samples has about ``skew / sqrt(n)``.  ``dit_parts`` (dits with data x all
    key-downs + 1) and ``round_parts`` (all key-downs + 1 x rounds x rounds) split
    the amplitudes' null (co)variances into the shares of each key-down's samples and,
    last, of the other samples (:func:`raised_cov`).
    """

    design: Design
    dit_amp: np.ndarray
    dit_se: np.ndarray
    dit_se0: np.ndarray
    dit_bg: np.ndarray
    round_amp: np.ndarray
    round_se: np.ndarray
    round_cov0: np.ndarray
    round_bg: np.ndarray
    scale2: float
    vif: float
    skew: float
    n_used: int
    n_spikes: int
    n_outliers: int
    parts_from: tuple = field(default=(), repr=False, compare=False)

    @cached_property
    def dit_parts(self) -> np.ndarray:
        """Each dit's null variance split by key-down (:func:`raised_cov`)."""
        x_dit, cov, _, _, weight, v0, owner, nb = self.parts_from
        return _variance_parts(x_dit, cov, weight, v0, owner, nb, full=False)

    @cached_property
    def round_parts(self) -> np.ndarray:
        """The rounds' null covariance split by key-down (:func:`raised_cov`)."""
        _, _, x_round, cov_r, weight, v0, owner, nb = self.parts_from
        return _variance_parts(x_round, cov_r, weight, v0, owner, nb, full=True)


class Design:
    """The linear model both the test and the planner use: spline background + template.

    Columns are the background basis, then one indicator per key-down with enough
    samples (:meth:`dit_design`) or one per round with data (:meth:`round_design`).
    """

    def __init__(self, t: np.ndarray, kd: np.ndarray, labels: list[int], knot_s: float) -> None:
        self.inside = (t[:, None] >= kd[:, 0]) & (t[:, None] < kd[:, 1])
        self.support = self.inside.sum(axis=0)
        self.has_data = self.support >= MIN_SAMPLES
        self.order = list(dict.fromkeys(labels))
        self.member = np.array([[lab == r for r in self.order] for lab in labels], dtype=float)
        self.rounds_used = self.member[self.has_data].sum(axis=0) > 0
        self.basis = _spline_basis(t, knot_s) if self.has_data.any() else None

    @property
    def n_basis(self) -> int:
        """Columns of the background basis (0 without data)."""
        return 0 if self.basis is None else int(self.basis.shape[1])

    def dit_design(self) -> sparse.csr_matrix:
        """Background basis and one indicator column per key-down with data."""
        dits = sparse.csr_matrix(self.inside[:, self.has_data].astype(np.float64))
        return sparse.hstack([self.basis, dits], format="csr")

    def owner(self) -> tuple[np.ndarray, int]:
        """Return each sample's key-down (-1: none; they do not overlap) and their count."""
        inside = self.inside
        return np.where(inside.any(axis=1), np.argmax(inside, axis=1), -1), inside.shape[1]

    def round_columns(self) -> np.ndarray:
        """One indicator column per round with data (its key-downs)."""
        return self.inside.astype(np.float64) @ self.member[:, self.rounds_used]

    def round_design(self) -> sparse.csr_matrix:
        """Background basis and the round columns."""
        return sparse.hstack([self.basis, sparse.csr_matrix(self.round_columns())], format="csr")


def find_spikes(x: np.ndarray, spike_ratio: float = SPIKE_RATIO) -> np.ndarray:
    """Flag isolated spikes: ``spike_ratio`` times the 5-sample running median, or 1/that.

    Parameters
    ----------
    x : numpy.ndarray
        Finite power samples in time order.
    spike_ratio : float
        How far from the running median a spike lies (a factor, > 1).

    Returns
    -------
    numpy.ndarray
        Boolean mask of spikes.

    Examples
    --------
    >>> x = np.random.default_rng(0).gamma(17.0, 1 / 17.0, 50); x[20] *= 80.0
    >>> np.flatnonzero(find_spikes(x)).tolist()
    [20]
    """
    if x.size < 5:
        return np.zeros(x.size, dtype=bool)
    med = median_filter(x, size=5, mode="nearest")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = x / med
    return (ratio > spike_ratio) | (ratio < 1.0 / spike_ratio)


def fit_template(t: np.ndarray, x: np.ndarray, kd: np.ndarray, labels: list[int], *,
                 background_knot_s: float, spike_ratio: float = SPIKE_RATIO,
                 use: np.ndarray | None = None) -> TemplateFit | None:  # fmt: skip
    """Fit one channel (see the module docstring); None without enough data.

    ``use`` (optional) leaves samples out, e.g. bursts seen in other channels.
    """
    good = np.isfinite(x) if use is None else np.isfinite(x) & use
    spikes = np.zeros(t.size, dtype=bool)
    spikes[good] = find_spikes(x[good], spike_ratio)
    keep = good & ~spikes
    block = max(int(round(np.median(np.diff(kd, axis=1)) / np.median(np.diff(t)))), 2) \
        if kd.size and t.size > 1 else 2  # fmt: skip
    n_out = 0
    for _ in range(3):  # leave out outliers and bursts, then fit again
        fit = _fit(t[keep], x[keep], kd, labels, background_knot_s, block)
        if fit is None:
            return None
        out = fit[1]
        if not out.any():
            break
        n_out += int(out.sum())
        keep[np.flatnonzero(keep)[out]] = False
    d, _, parts = fit
    return TemplateFit(design=d, **parts, n_used=int(keep.sum()), n_spikes=int(spikes.sum()),
                       n_outliers=n_out)


def _fit(t, x, kd, labels, knot_s, block):
    d = Design(t, kd, labels, knot_s)
    if t.size < 4 * MIN_SAMPLES or not d.has_data.any():
        return None
    x_dit = d.dit_design()
    nb = d.n_basis
    level, background = _level(x_dit, nb, x)
    coef, cov = wls(x_dit, x, 1.0 / level**2)
    quiet = level <= background * 1.0001  # the null's samples (not strong key-downs)
    gamma = _quantization_gamma((x - x_dit @ coef)[quiet], background[quiet])
    weight = 1.0 / (level**2 * (1.0 + gamma / level))
    weight0 = 1.0 / (background**2 * (1.0 + gamma / background))
    if gamma > 0:  # else the weights are those just used
        coef, cov = wls(x_dit, x, weight)
    resid = (x - x_dit @ coef) * np.sqrt(weight)
    scale2 = float(resid @ resid) / max(t.size - x_dit.shape[1], 1)
    skew = float(np.mean(resid**3) / np.mean(resid**2) ** 1.5) if resid.size > 2 else 0.0
    vif = _variance_inflation(resid, block)
    out = _outliers(resid / math.sqrt(scale2), block, vif)
    noise = scale2 * vif
    x_round = d.round_design()
    coef_r, cov_r = wls(x_round, x, weight)
    # Under noise no key-down is strong: the null's weights are the fit's own.
    same = np.array_equal(weight, weight0)
    cov0 = cov if same else wls(x_dit, x, weight0)[1]
    cov_r0 = cov_r if same else wls(x_round, x, weight0)[1]
    bg_fit = d.basis @ coef[:nb]
    rounds = d.round_columns()
    with np.errstate(invalid="ignore"):
        round_bg = (bg_fit @ rounds) / rounds.sum(axis=0)
        dit_bg = (bg_fit @ d.inside[:, d.has_data]) / d.support[d.has_data]
    parts = dict(
        dit_amp=coef[nb:], dit_se=np.sqrt(np.diag(cov)[nb:] * noise),
        dit_se0=np.sqrt(np.diag(cov0)[nb:] * noise), dit_bg=dit_bg,
        round_amp=coef_r[nb:], round_se=np.sqrt(np.diag(cov_r)[nb:] * noise),
        round_cov0=cov_r0[nb:, nb:] * noise, round_bg=round_bg,
        parts_from=(x_dit, cov, x_round, cov_r, weight, noise / weight0, d.owner(), nb),
        scale2=scale2, vif=vif, skew=skew,
    )  # fmt: skip
    return d, out, parts


def _variance_parts(design, cov, weight, v0, owner, nb, full):
    """Split the amplitudes' null (co)variance into each key-down's samples' share.

    The amplitudes are ``H x`` with ``H = cov X' W`` (their rows); under the null the
    samples have variances ``v0``, so the covariance is ``sum_i H_i H_i' v0_i``, here
    summed over each key-down's samples (``owner``: the key-down of each sample, -1
    for none, and the number of key-downs) and, last, over the others.  ``full``:
    the (key-downs + 1, a, a) covariances; else the (a, key-downs + 1) variances.
    """
    g = np.asarray((sparse.diags(weight) @ design) @ cov[:, nb:]).T * np.sqrt(v0)
    owner, k = owner  # and the number of key-downs
    slot = np.where(owner >= 0, owner, k)
    if not full:
        onehot = sparse.csr_matrix((np.ones(owner.size), (np.arange(owner.size), slot)),
                                   shape=(owner.size, k + 1))  # fmt: skip
        return np.asarray((onehot.T @ (g**2).T).T)
    parts = np.zeros((k + 1, g.shape[0], g.shape[0]))
    edges = np.flatnonzero(np.diff(np.r_[-2, owner, -2]))  # runs of one owner
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        parts[slot[a]] += g[:, a:b] @ g[:, a:b].T
    return parts


def raised_cov(parts: np.ndarray, excess: np.ndarray) -> np.ndarray:
    """Return the null (co)variance's increase when key-down ``k``'s level is ``1 + excess[k]``.

    Broadband interference on a key-down raises its samples' noise with their level
    (a square-law detector's fluctuation is proportional to it), so a test of what
    it leaves must read the amplitude against that noise.  ``parts`` is a
    :class:`TemplateFit`'s ``dit_parts`` (variances out) or ``round_parts``
    (covariances out); ``excess`` is relative, per key-down, negative read as 0.

    Examples
    --------
    >>> parts = np.array([[2.0, 0.0, 1.0], [0.5, 3.0, 1.0]])   # 2 dits, 2 key-downs + rest
    >>> raised_cov(parts, np.array([1.0, 0.0])).tolist()
    [6.0, 1.5]
    """
    grow = (1.0 + np.maximum(np.nan_to_num(np.asarray(excess, float)), 0.0)) ** 2 - 1.0
    if parts.ndim == 2:
        return parts[:, :-1] @ grow
    return np.tensordot(grow, parts[:-1], axes=1)


def _quantization_gamma(resid: np.ndarray, level: np.ndarray) -> float:
    """Return ``gamma`` of the relative variance's dependence on the level, ``1 + gamma / level``.

    A square-law detector's variance is proportional to ``level**2``; quantizing its
    amplitude adds about ``q**2 level / 3`` (5 levels near the Waves floor: 9 % of
    the variance there, 2 % at five times the floor), so where the background rises
    the relative noise falls.  ``gamma`` from a least-squares fit of the squared
    relative residuals on ``[1, 1 / level]`` (clipped to 0-1 at the median level;
    none unless the level varies 1.5x), on the
    samples at the background level (the null's; a strong signal's own fluctuation
    is not the question).
    """
    u2 = (resid / level) ** 2
    if level.size < 100 or np.max(level) < 1.5 * np.min(level):  # too little to fit it on
        return 0.0
    ref = float(np.median(level))
    design = np.column_stack([np.ones_like(level), ref / level])
    (a, b), *_ = np.linalg.lstsq(design, u2, rcond=None)
    # At most the floor's share (quantization about a tenth of the variance there).
    return float(min(max(b / a, 0.0), 1.0)) * ref if a > 0 else 0.0


def _outliers(u: np.ndarray, block: int, vif: float) -> np.ndarray:
    """Flag samples beyond :data:`OUTLIER_Z`, and ``block``-long runs beyond :data:`BURST_Z`.

    A run's standard error includes the variance inflation of correlated noise.
    """
    out = np.abs(u) > OUTLIER_Z
    if u.size >= block:
        run = uniform_filter1d(u, block, mode="nearest") * math.sqrt(block / vif)
        hot = maximum_filter1d((np.abs(run) > BURST_Z).astype(np.uint8), block) > 0
        out |= hot
    return out


def _spline_basis(t: np.ndarray, knot_s: float) -> sparse.csr_matrix:
    lo, hi = float(t[0]), float(t[-1])
    segments = max(1, int(math.ceil((hi - lo) / knot_s)))
    inner = np.linspace(lo, hi, segments + 1)
    knots = np.r_[[lo] * 3, inner, [hi] * 3]
    basis = BSpline.design_matrix(t, knots, 3).tocsc()
    counts = np.diff(basis.indptr)
    return basis[:, counts >= MIN_SAMPLES].tocsr()


def _level(design: sparse.csr_matrix, nb: int, x: np.ndarray):
    """Return the weights' level (background plus *significant* key-downs) and the background.

    Weights built from every fitted dit amplitude would down-weight the samples of
    dits that noise pushed up, biasing every amplitude low; a dit enters the level
    only when an unweighted fit finds it above 5 sigma (at 3 sigma, 16 % of the dits
    of a round at z 5 entered, and amplitudes came out 4 % low).
    """
    coef, cov = wls(design, x, np.ones_like(x))
    resid = x - design @ coef
    scale2 = float(resid @ resid) / max(x.size - design.shape[1], 1)
    amp = coef[nb:]
    strong = amp > 5 * np.sqrt(np.maximum(np.diag(cov)[nb:] * scale2, 0))
    floor = 0.1 * np.median(x[x > 0]) if np.any(x > 0) else 1e-300
    background = np.maximum(design[:, :nb] @ coef[:nb], floor)
    level = np.maximum(design @ np.r_[coef[:nb], np.where(strong, amp, 0.0)], floor)
    return level, background


def wls(design: sparse.csr_matrix, x: np.ndarray, weight: np.ndarray):
    """Weighted least squares: coefficients and ``(X' W X)^-1``."""
    weighted = sparse.diags(weight) @ design
    normal = (design.T @ weighted).toarray()
    cov = pinvh(normal)
    coef = cov @ (weighted.T @ x)
    return coef, cov


def _variance_inflation(resid: np.ndarray, block: int) -> float:
    """Spread of ``block``-sample sums over white noise's (robust); 1 unless significant."""
    blocks = resid.size // block
    if blocks < 8:
        return 1.0
    sums = resid[: blocks * block].reshape(blocks, block).sum(axis=1)
    centre = np.median(sums)
    spread = 1.4826 * np.median(np.abs(sums - centre))
    typical = np.abs(sums - centre) <= 5 * spread if spread > 0 else np.ones(blocks, bool)
    ratio = float(np.var(sums[typical]) / (block * np.var(resid)))
    return ratio if ratio > 1 + 2 * math.sqrt(2 / blocks) else 1.0
