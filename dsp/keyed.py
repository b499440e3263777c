"""Keyed, not merely present: testing key-down against key-up energy on one track.

A slow-Morse signal is a carrier switched on and off.  A steady carrier (a birdie,
the RTL-SDR DC spike, an unkeyed rig, an I/Q image of one) fills every scheduled
key-down interval too, so a test of *presence* finds it "keyed" at any level.  This
module tests *keying*: along one frequency track, the normalised matched-filter
energies of the key-down pieces (``S_on``, ``n_on`` pieces lasting ``T_on`` seconds in
all) against those of key-up pieces on the same track (``S_off``, ``n_off`` pieces,
``T_off`` seconds).

Null hypothesis: the track holds noise plus a steady carrier of *unknown* level
``eps = C / N0`` (1/s; ``eps = 0`` is noise alone).  Each piece's normalised energy
is then ``ncx2(2, 2 eps L) / 2`` (``L`` its length), pieces are independent, so

    2 S_on  ~ ncx2(2 n_on,  2 eps T_on)        2 S_off ~ ncx2(2 n_off, 2 eps T_off)

independently.  For the rejection region "``S_on`` at least as large *and* ``S_off``
at least as small as observed" the probability under the null is the product of the
two tails, and the p-value of the composite null is its supremum over ``eps``:

    p_steady = sup_{eps >= 0}  P_eps(S_on >= s_on) * P_eps(S_off <= s_off)

for every level at once; as at the true level the two tails are independent uniforms,
whose product ``u`` has ``P(u <= x) = x (1 - ln x)``, :func:`steady_p_value` reports
``p (1 - ln p)``, a valid p-value.  A keyed carrier keeps
``S_off`` at the noise level while ``S_on`` is large, which no single ``eps`` explains;
a steady carrier of any strength makes the two alike and ``p_steady`` of order 0.1.

That p-value is used by the blind decoder, whose on/off split is its own choice.
Known-template detection has a fixed split and a fixed presence threshold ``thr``,
and uses a sharper, exact test (:func:`region_p_value`): the nested regions

    R(t0) = {S_on >= thr  and  S_off - n_off <= t0 + beta (S_on - n_on)},
    beta = KEY_UP_SLOPE * T_off / T_on

(key-up growing with key-down by a twentieth, plus an allowance ``t0`` for the noise)
have
the exact size ``g(t0) = sup_eps P_eps(R(t0))`` (a one-dimensional integral for each
level), and the p-value of an observation is the size of the smallest region holding
it.  It costs a weak keyed signal far less than the orthant above.

Hand-written: scipy has the noncentral chi-squared law (used here) but no test of a
two-sample on/off contrast with a steady-carrier nuisance.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from dsp.errors import DspValueError
from dsp.results import KeyingTest

__all__ = [
    "KEY_UP_SLOPE",
    "MAX_KEY_UP_RATIO",
    "STEADY_CELLS",
    "keying_test",
    "region_allowance",
    "region_keying_test",
    "region_p_value",
    "steady_p_value",
]

#: Effectively independent cells of a frequency x drift search through which weak
#: steady carriers can pass as keyed, at the level where they best mimic keying (a
#: few times the noise per key-down piece, -46 to -42 dB SNR2500 for 30 s dits): each
#: carrier's main lobe and the drifts that keep a track on it form a handful of
#: strongly correlated cells, about 3 independent ones; 10 covers three such
#: carriers.  Stronger carriers are masked before the search.  ``bench/realism.py``
#: measures the false alarms left at the worst levels at pfa 0.01 and 0.1.
STEADY_CELLS = 10

_GRID = np.concatenate(([0.0], np.geomspace(1e-3, 1e3, 49)))


def _log_tails(s_on, s_off, n_on, n_off, mu_on, mu_off):
    """Log P(S_on >= s_on) + log P(S_off <= s_off) at key-down/up energies mu (Es/N0)."""
    with np.errstate(divide="ignore"):
        a = np.where(
            mu_on > 0,
            scipy.stats.ncx2.logsf(2 * s_on, 2 * n_on, 2 * np.maximum(mu_on, 1e-300)),
            scipy.stats.gamma.logsf(s_on, n_on),
        )
        b = np.where(
            mu_off > 0,
            scipy.stats.ncx2.logcdf(2 * s_off, 2 * n_off, 2 * np.maximum(mu_off, 1e-300)),
            scipy.stats.gamma.logcdf(s_off, n_off),
        )
    return np.maximum(a + b, -1e6)  # finite, for the bounded search


def steady_p_value(
    s_on: float, s_off: float, n_on: int, n_off: int, t_on_s: float, t_off_s: float
) -> float:
    """p-value of "noise plus a steady carrier of any level" for one track's on/off sums.

    Parameters
    ----------
    s_on, s_off : float
        Sums of normalised energies (noise alone: each piece exponential, mean 1) of
        the key-down and key-up pieces.
    n_on, n_off : int
        Numbers of pieces summed.
    t_on_s, t_off_s : float
        Total duration of the key-down and key-up pieces, s.

    Returns
    -------
    float
        ``sup over eps of P_eps(S_on >= s_on) P_eps(S_off <= s_off)`` (see the module
        docstring), in [0, 1].

    Examples
    --------
    Six 30 s dits well above the noise, seven quiet key-up pieces: keyed.

    >>> p = steady_p_value(96.0, 7.0, 6, 7, 180.0, 210.0)
    >>> p < 1e-14
    True

    A steady carrier fills both alike, whatever its level: not keyed.

    >>> steady_p_value(6 * 1001.0, 7 * 1001.0, 6, 7, 180.0, 210.0) > 0.05
    True
    """
    if n_on < 1 or n_off < 1 or not (t_on_s > 0 and t_off_s > 0):
        raise DspValueError(
            f"n_on={n_on}, n_off={n_off} must be >= 1 and t_on_s={t_on_s}, t_off_s={t_off_s} "
            "> 0 s"
        )
    if not (np.isfinite(s_on) and np.isfinite(s_off)):
        raise DspValueError(f"s_on={s_on} and s_off={s_off} must be finite")
    # Grid in units of the level that explains S_on, then a bounded refinement.
    scale = max(s_on - n_on, 1.0) / t_on_s
    eps = _GRID * scale
    logp = _log_tails(s_on, s_off, n_on, n_off, eps * t_on_s, eps * t_off_s)
    i = int(np.argmax(logp))
    best = float(logp[i])
    lo, hi = eps[max(i - 1, 0)], eps[min(i + 1, eps.size - 1)]
    if hi > lo:
        res = scipy.optimize.minimize_scalar(
            lambda e: -float(_log_tails(s_on, s_off, n_on, n_off, e * t_on_s, e * t_off_s)),
            bounds=(lo, hi), method="bounded", options={"xatol": 1e-3 * (hi - lo)},
        )  # fmt: skip
        best = max(best, -float(res.fun))
    # At the true level the two tails are independent uniforms, and their product u
    # has P(u <= x) = x (1 - ln x): report that, so the value is a valid p-value.
    return float(min(1.0, np.exp(best) * (1.0 - best)))


#: Largest key-up level, as a fraction of the key-down level (in C/N0), that still
#: counts as keyed: a keyer suppresses the carrier by far more than 7 dB, while a
#: steady carrier under QSB or AGC keeps most of its level between its peaks.
MAX_KEY_UP_RATIO = 0.2


def keying_test(
    s_on: float,
    s_off: float,
    n_on: int,
    n_off: int,
    t_on_s: float,
    t_off_s: float,
    *,
    log_search_factor: float,
    pfa: float,
) -> KeyingTest:
    """Is the track keyed?  :func:`steady_p_value` with its search, and the key-up level.

    Parameters
    ----------
    s_on, s_off, n_on, n_off, t_on_s, t_off_s
        As for :func:`steady_p_value`.
    log_search_factor : float
        Natural log of the number of (track, timing, pattern) choices made before the
        test (a union bound): ``false_alarm_probability = factor * p_steady``.
    pfa : float
        False-alarm probability of the test.

    Returns
    -------
    KeyingTest
        Keyed when the false-alarm probability is at most ``pfa`` *and* the key-up
        level is at most :data:`MAX_KEY_UP_RATIO` of the key-down level.

    Examples
    --------
    >>> t = keying_test(96.0, 7.0, 6, 7, 180.0, 210.0, log_search_factor=np.log(1e6), pfa=1e-3)
    >>> t.keyed, round(t.key_down_c_n0_hz, 2)
    (True, 0.5)
    >>> keying_test(6006.0, 7007.0, 6, 7, 180.0, 210.0, log_search_factor=0.0, pfa=1e-3).keyed
    False
    """
    p = steady_p_value(s_on, s_off, n_on, n_off, t_on_s, t_off_s)
    with np.errstate(divide="ignore"):
        log_fap = np.log(p) + log_search_factor
    fap = float(min(1.0, np.exp(min(log_fap, 0.0))))
    on = max(s_on - n_on, 0.0) / t_on_s
    off = max(s_off - n_off, 0.0) / t_off_s
    return KeyingTest(
        p_steady=p,
        false_alarm_probability=fap,
        key_down_c_n0_hz=float(on),
        key_up_c_n0_hz=float(off),
        keyed=bool(fap <= pfa and off <= MAX_KEY_UP_RATIO * on),
    )


#: Slope of the region boundary of :func:`region_p_value`: the key-up level allowed
#: grows by a twentieth of the key-down level (a keyer's carrier suppression, or
#: hand-keyed edges spilling into key-up, stay far below; a steady carrier does not).
KEY_UP_SLOPE = 0.05


def _beta(t_on_s: float, t_off_s: float) -> float:
    return KEY_UP_SLOPE * t_off_s / t_on_s


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def _region_size_at(eps: float, t0: float, thr: float, n_on: int, n_off: int,
                    t_on_s: float, t_off_s: float) -> float:  # fmt: skip
    """P_eps(R(t0)): integral over S_on >= thr of its density times P(S_off <= boundary)."""
    lam_on, lam_off = 2 * eps * t_on_s, 2 * eps * t_off_s
    mean = n_on + eps * t_on_s
    sd = np.sqrt(n_on + 2 * eps * t_on_s)
    lo = thr
    hi = max(thr, mean) + 40 * sd + 40
    if lo >= hi:
        return 0.0
    # Map Gauss-Legendre nodes to [lo, hi], denser near lo where the density sits.
    u = 0.5 * (_NODES + 1)
    s = lo + (hi - lo) * u**3
    ds = (hi - lo) * 3 * u**2 * 0.5 * _WEIGHTS
    if lam_on > 0:
        dens = 2 * scipy.stats.ncx2.pdf(2 * s, 2 * n_on, lam_on)
    else:
        dens = scipy.stats.gamma.pdf(s, n_on)
    bound = n_off + t0 + _beta(t_on_s, t_off_s) * (s - n_on)
    if lam_off > 0:
        cdf = scipy.stats.ncx2.cdf(2 * np.maximum(bound, 0), 2 * n_off, lam_off)
    else:
        cdf = scipy.stats.gamma.cdf(np.maximum(bound, 0), n_off)
    return float(np.sum(dens * np.where(bound > 0, cdf, 0.0) * ds))


def _region_size(t0, thr, n_on, n_off, t_on_s, t_off_s) -> float:
    """g(t0) = sup over eps >= 0 of P_eps(R(t0)) (grid, then a bounded refinement)."""
    scale = max(thr - n_on, 1.0) / t_on_s
    eps = np.concatenate(([0.0], scale * np.geomspace(1e-3, 3.0, 31)))
    sizes = [_region_size_at(e, t0, thr, n_on, n_off, t_on_s, t_off_s) for e in eps]
    i = int(np.argmax(sizes))
    best = sizes[i]
    lo, hi = eps[max(i - 1, 0)], eps[min(i + 1, eps.size - 1)]
    if hi > lo:
        res = scipy.optimize.minimize_scalar(
            lambda e: -_region_size_at(e, t0, thr, n_on, n_off, t_on_s, t_off_s),
            bounds=(lo, hi), method="bounded", options={"xatol": 1e-3 * (hi - lo)},
        )  # fmt: skip
        best = max(best, -float(res.fun))
    return float(min(best, 1.0))


@functools.lru_cache(maxsize=256)
def _critical_t0(thr, n_on, n_off, t_on_s, t_off_s, alpha) -> float:
    """Largest allowance t0 with g(t0) <= alpha (-inf when even t0 = -n_off is too big)."""
    lo, hi = -float(n_off), float(n_off)
    if _region_size(lo, thr, n_on, n_off, t_on_s, t_off_s) > alpha:
        return -np.inf
    while _region_size(hi, thr, n_on, n_off, t_on_s, t_off_s) <= alpha:
        lo, hi = hi, 2 * hi + n_off
        if hi > 1e6:
            return hi
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if _region_size(mid, thr, n_on, n_off, t_on_s, t_off_s) <= alpha:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-3 * max(1.0, abs(lo)):
            break
    return lo


def region_allowance(thr: float, n_on: int, n_off: int, t_on_s: float, t_off_s: float,
                     alpha: float) -> float:  # fmt: skip
    """Largest allowance ``t0`` whose region ``R(t0)`` has size at most ``alpha``.

    A track is keyed at level ``alpha`` when ``s_on >= thr`` and
    ``s_off - n_off - beta (s_on - n_on) <= t0`` (``-inf``: no region is small enough).

    Examples
    --------
    >>> round(region_allowance(37.0, 6, 7, 180.0, 210.0, 1e-4), 1)
    2.6
    """
    return _critical_t0(float(thr), int(n_on), int(n_off), float(t_on_s), float(t_off_s),
                        float(alpha))  # fmt: skip


def region_p_value(s_on: float, s_off: float, thr: float, n_on: int, n_off: int,
                   t_on_s: float, t_off_s: float) -> float:  # fmt: skip
    """Exact p-value of "noise plus a steady carrier of any level" for a fixed template.

    The size ``g(t0)`` of the smallest region ``R(t0)`` (module docstring) holding
    ``(s_on, s_off)``, with ``thr`` the presence threshold of the key-down sum (an
    observation below it gets ``thr = s_on``).

    Examples
    --------
    >>> thr = 37.0      # six dits, presence over ~2e7 cells at pfa 1e-3
    >>> region_p_value(51.0, 7.0, thr, 6, 7, 180.0, 210.0) < 1e-5
    True
    >>> region_p_value(6 * 101.0, 7 * 101.0, thr, 6, 7, 180.0, 210.0) > 0.1
    True
    """
    t0 = s_off - n_off - _beta(t_on_s, t_off_s) * (s_on - n_on)
    return _region_size(float(t0), float(min(thr, s_on)), n_on, n_off, t_on_s, t_off_s)


def region_keying_test(s_on: float, s_off: float, thr: float, n_on: int, n_off: int,
                       t_on_s: float, t_off_s: float, *, pfa: float,
                       cells: int = STEADY_CELLS) -> KeyingTest:  # fmt: skip
    """Keying test of a fixed template at presence threshold ``thr`` (:func:`region_p_value`).

    Keyed when ``s_on >= thr`` and the observation lies in the region whose size
    times ``cells`` is ``pfa``; ``false_alarm_probability`` is ``cells`` times the
    p-value (computed for tracks that pass; the critical region is cached per
    template, so trying many tracks is cheap).

    Examples
    --------
    >>> region_keying_test(51.0, 7.0, 37.0, 6, 7, 180.0, 210.0, pfa=1e-3).keyed
    True
    """
    on = max(s_on - n_on, 0.0) / t_on_s
    off = max(s_off - n_off, 0.0) / t_off_s
    t0_crit = _critical_t0(float(thr), n_on, n_off, float(t_on_s), float(t_off_s), pfa / cells)
    t0 = s_off - n_off - _beta(t_on_s, t_off_s) * (s_on - n_on)
    keyed = bool(s_on >= thr and t0 <= t0_crit)
    p = region_p_value(s_on, s_off, thr, n_on, n_off, t_on_s, t_off_s) if keyed else 1.0
    if not keyed and s_on >= thr:
        p = region_p_value(s_on, s_off, thr, n_on, n_off, t_on_s, t_off_s)
    return KeyingTest(p_steady=p, false_alarm_probability=float(min(1.0, cells * p)),
                      key_down_c_n0_hz=float(on), key_up_c_n0_hz=float(off),
                      keyed=keyed)  # fmt: skip
