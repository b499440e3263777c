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

exactly, for every level at once (:func:`steady_p_value`).  A keyed carrier keeps
``S_off`` at the noise level while ``S_on`` is large, which no single ``eps`` explains;
a steady carrier of any strength makes the two alike and ``p_steady`` of order 0.1.
At ``eps = 0`` the product is at most the presence p-value ``P_0(S_on >= s_on)``, so
the test never claims more than presence does.

Hand-written: scipy has the noncentral chi-squared law (used here) but no test of a
two-sample on/off contrast with a steady-carrier nuisance.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.stats

from dsp.errors import DspValueError
from dsp.results import KeyingTest

__all__ = ["MAX_KEY_UP_RATIO", "STEADY_CELLS", "keying_test", "steady_p_value"]

#: Cells of a frequency x drift search that one steady carrier reaches at the level
#: where it best mimics keying (a few key-down energies of the noise, where the
#: supremum above sits): its main lobe (+-1 matched bin) times the drifts that keep
#: a track on it (about 3), for up to 3 carriers, rounded up by a factor of 3.
#: Stronger carriers are masked before the search (their side lobes reach further
#: but stay far below the levels that matter).  ``bench/realism.py`` measures the
#: false alarms this leaves at the worst levels.
STEADY_CELLS = 100

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
    return float(min(1.0, np.exp(best)))


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
