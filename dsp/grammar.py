"""Morse timing grammar on a one-dit grid, and Viterbi decoding over it.

A keyed Morse signal sampled once per dit ("unit") is a sequence of marks and
spaces whose run lengths are restricted: marks last 1 (dit) or 3 (dah) units,
spaces 1 (inside a character), 3 (between characters) or 7 and more (between
words, or silence).  This is what lets an all-dit message such as "HI" be read:
the only timing cue is the 1-unit versus 3-unit gap, and the grammar forbids every
other run length.

The grammar is a 10-state machine (states below).  :func:`viterbi_scores` finds,
for many hypotheses at once, the best total of per-unit mark scores over all
grammatical paths; :func:`viterbi_path` also returns that path.  Start and end
states are free, so a recording may begin or end in the middle of a message.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MARK_STATES",
    "N_STATES",
    "log_path_count",
    "posteriors",
    "sequence_posterior",
    "viterbi_path",
    "viterbi_scores",
]

# States: marks M1 M2 M3 (units into a mark), spaces S1..S6, S7 (>= 7 units).
M1, M2, M3, S1, S2, S3, S4, S5, S6, S7 = range(10)
N_STATES = 10
MARK_STATES = (M1, M2, M3)

# Predecessors of every state (the grammar).
_PRED: dict[int, tuple[int, ...]] = {
    M1: (S1, S3, S7),
    M2: (M1,),
    M3: (M2,),
    S1: (M1, M3),
    S2: (S1,),
    S3: (S2,),
    S4: (S3,),
    S5: (S4,),
    S6: (S5,),
    S7: (S6, S7),
}


def viterbi_scores(mark_scores: np.ndarray) -> np.ndarray:
    """Best grammatical path score for each hypothesis (column).

    Parameters
    ----------
    mark_scores : ndarray, shape (K, H)
        Score of unit ``k`` being key-down, for each of H hypotheses; key-up
        units score 0.

    Returns
    -------
    ndarray, shape (H,)

    Examples
    --------
    >>> e = np.array([[5.0], [-1.0], [5.0], [5.0], [-9.0]])   # best: 1 0 1 0 0
    >>> float(viterbi_scores(e)[0])  # "1 0 1 1 0" is not grammatical (2-unit mark)
    10.0
    """
    e = np.asarray(mark_scores, dtype=float)
    if e.ndim == 1:
        e = e[:, None]
    score = np.zeros((N_STATES, e.shape[1]))
    score[MARK_STATES, :] += e[0]
    for k in range(1, e.shape[0]):
        new = np.empty_like(score)
        new[M1] = np.maximum(np.maximum(score[S1], score[S3]), score[S7]) + e[k]
        new[M2] = score[M1] + e[k]
        new[M3] = score[M2] + e[k]
        new[S1] = np.maximum(score[M1], score[M3])
        new[S2:S7] = score[S1:S6]
        new[S7] = np.maximum(score[S6], score[S7])
        score = new
    # A recording may end inside a dah: M2 is allowed as a final state too.
    return score.max(axis=0)


def viterbi_path(mark_scores: np.ndarray) -> tuple[np.ndarray, float]:
    """Best grammatical key-state sequence for one hypothesis.

    Parameters
    ----------
    mark_scores : ndarray, shape (K,)
        Log-likelihood ratio (or any additive score) of each unit being key-down.

    Returns
    -------
    key_down : ndarray of bool, shape (K,)
    score : float

    Examples
    --------
    >>> llr = np.array([4.0, -3.0, 2.0, -4.0, 3.0, -5, -5, -5, 3.0])
    >>> path, score = viterbi_path(llr)
    >>> "".join("1" if u else "0" for u in path)
    '101010001'
    """
    e = np.asarray(mark_scores, dtype=float).ravel()
    k_units = e.size
    score = np.zeros(N_STATES)
    score[list(MARK_STATES)] += e[0]
    back = np.zeros((k_units, N_STATES), dtype=np.int8)
    for k in range(1, k_units):
        new = np.empty(N_STATES)
        for state, preds in _PRED.items():
            cand = [score[p] for p in preds]
            j = int(np.argmax(cand))
            back[k, state] = preds[j]
            new[state] = cand[j] + (e[k] if state in MARK_STATES else 0.0)
        score = new
    state = int(np.argmax(score))
    best = float(score[state])
    states = np.empty(k_units, dtype=np.int8)
    for k in range(k_units - 1, -1, -1):
        states[k] = state
        state = back[k, state]
    return np.isin(states, MARK_STATES), best


def _padded(table: dict[int, tuple[int, ...]]) -> np.ndarray:
    """(N_STATES, 3) index table, padded with N_STATES (a -inf sentinel column)."""
    out = np.full((N_STATES, 3), N_STATES)
    for state, others in table.items():
        out[state, : len(others)] = others
    return out


_PRED_IDX = _padded(_PRED)
_SUCC_IDX = _padded(
    {s: tuple(t for t, preds in _PRED.items() if s in preds) for s in range(N_STATES)}
)
_IS_MARK = np.isin(np.arange(N_STATES), MARK_STATES)


def _step(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``logsumexp`` of ``values`` over each state's row of ``index``."""
    padded = np.append(values, -np.inf)[index]
    top = padded.max(axis=1)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(padded - safe[:, None]).sum(axis=1))


def _forward(emit: np.ndarray) -> np.ndarray:
    """Log forward variables of the grammar for per-unit, per-state log emissions."""
    alpha = np.empty_like(emit)
    alpha[0] = emit[0]
    for k in range(1, emit.shape[0]):
        alpha[k] = _step(alpha[k - 1], _PRED_IDX) + emit[k]
    return alpha


def _emissions(mark_scores: np.ndarray) -> np.ndarray:
    e = np.asarray(mark_scores, dtype=float).ravel()
    return np.where(_IS_MARK[None, :], e[:, None], 0.0)


def posteriors(mark_scores: np.ndarray) -> tuple[np.ndarray, float]:
    """Forward-backward over the grammar: P(key-down) of every unit, and log Z.

    With ``mark_scores`` the log-likelihood ratios of key-down per unit and a flat
    prior over the grammar's state paths, the marginals are each unit's posterior
    probability of key-down and :func:`sequence_posterior` the probability of a
    whole key sequence.

    Returns
    -------
    p_down : ndarray, shape (K,)
    log_z : float
        Log of the sum over grammatical state paths of ``exp(score)``.

    Examples
    --------
        >>> llr = np.array([9.0, -9.0, 9.0] + [-9.0] * 7 + [9.0])    # a 7-unit word space
    >>> p, log_z = posteriors(llr)
    >>> path, _ = viterbi_path(llr)
    >>> bool(np.all((p > 0.5) == path)), round(sequence_posterior(llr, path), 3)
    (True, 0.999)
    """
    emit = _emissions(mark_scores)
    k_units = emit.shape[0]
    alpha = _forward(emit)
    beta = np.zeros((k_units, N_STATES))
    for k in range(k_units - 2, -1, -1):
        beta[k] = _step(beta[k + 1] + emit[k + 1], _SUCC_IDX)
    log_z = float(np.logaddexp.reduce(alpha[-1]))
    post = np.exp(alpha + beta - log_z)
    return post[:, _IS_MARK].sum(axis=1).clip(0.0, 1.0), log_z


def sequence_posterior(mark_scores: np.ndarray, key_down: np.ndarray) -> float:
    """Posterior probability of the key sequence ``key_down`` given the unit scores.

    Sums over every state path that keys this sequence (a recording that starts or
    ends inside an element has several), divided by the sum over all paths.

    Examples
    --------
    >>> llr = np.array([2.0, -2.0, 2.0, -2.0])
    >>> 0.3 < sequence_posterior(llr, np.array([1, 0, 1, 0], bool)) < 1.0
    True
    """
    emit = _emissions(mark_scores)
    down = np.asarray(key_down, dtype=bool).ravel()
    if down.size != emit.shape[0]:
        raise ValueError(f"key_down has {down.size} units, mark_scores {emit.shape[0]}")
    allowed = np.where(down[:, None] == _IS_MARK[None, :], 0.0, -np.inf)
    with np.errstate(invalid="ignore"):
        log_seq = float(np.logaddexp.reduce(_forward(emit + allowed)[-1]))
    log_z = float(np.logaddexp.reduce(_forward(emit)[-1]))
    return float(np.exp(min(log_seq - log_z, 0.0)))


def log_path_count(k_units: int) -> float:
    """Natural log of the number of grammatical state paths of ``k_units`` units.

    An upper bound on the number of key patterns a decoder can choose from (states
    are determined by the keys except inside a first or last, cut element), for a
    union bound over them; it grows about 1.53x per unit.

    Examples
    --------
    >>> [round(float(np.exp(log_path_count(k)))) for k in (1, 2, 3, 13)]
    [10, 14, 22, 1781]
    """
    if k_units < 1:
        return 0.0
    return float(np.logaddexp.reduce(_forward(np.zeros((k_units, N_STATES)))[-1]))
