"""Combining repeated rounds, and the false-alarm law of summed normalised powers.

Each scheduled key-down element gives a power spectrum normalised to the noise,
so every bin of noise is exponential with mean 1 (chi-squared with 2 degrees of
freedom, halved).  Summing ``n`` such independent bins gives Gamma(n, 1); that is
the law of a round's statistic (``n`` = elements per round) and of the stack of
``R`` rounds (``n * R`` elements).  Searching ``cells`` frequency x drift cells and
keeping the best is corrected with the Bonferroni bound ``cells * sf``, which is
conservative because neighbouring cells are correlated.

The position-by-position stack (first dit of every round, second dit of every
round, ...) assumes every round starts on the same carrier frequency to within one
matched bin (1/(2 x dit) Hz) and drifts alike within the round;
:mod:`dsp.stack_track` stacks along a carrier that drifts across the rounds, and
:mod:`dsp.detect` searches both.
"""

from __future__ import annotations

import scipy.stats

from dsp.errors import DspValueError

__all__ = ["family_false_alarm", "threshold_for"]


def family_false_alarm(statistic: float, dof: int, cells: int) -> float:
    """Probability that noise alone gives ``statistic`` or more in any of ``cells`` cells.

    Parameters
    ----------
    statistic : float
        Sum of ``dof`` normalised powers (each exponential, mean 1, under noise).
    dof : int
        Number of powers summed.
    cells : int
        Number of cells searched (1 for a known frequency and drift).

    Examples
    --------
    >>> round(family_false_alarm(6.907755, 1, 1), 6)      # exp(-6.9078) = 1e-3
    0.001
    >>> family_false_alarm(40.0, 6, 10**6) < 1e-3
    True
    """
    if dof < 1 or cells < 1:
        raise DspValueError(f"dof={dof} and cells={cells} must be >= 1")
    return float(min(1.0, cells * scipy.stats.gamma.sf(statistic, dof)))


def threshold_for(pfa: float, dof: int, cells: int) -> float:
    """Statistic that noise exceeds with probability ``pfa`` over ``cells`` cells.

    Examples
    --------
    >>> round(threshold_for(1e-3, 1, 1), 3)
    6.908
    """
    if not 0 < pfa < 1:
        raise DspValueError(f"pfa={pfa} must be a probability between 0 and 1")
    return float(scipy.stats.gamma.isf(pfa / cells, dof))
