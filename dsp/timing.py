"""Timing a keyed carrier: its dit length and slot phase, then its key sequence.

Input is the carrier mixed to 0 Hz (:func:`dsp.acquire.narrowband`) as a complex
prefix sum, so the coherent energy of any slot costs O(1) and a (dit, phase)
hypothesis O(units).  Each hypothesis is scored by a Viterbi pass over the Morse
grammar (:mod:`dsp.grammar`) with the penalised energy ``sum(s_k - eta)`` over the
key-down units, ``eta = max(1 + ln(units), max(s) / 10)``: the noise contribution is
about the same for every dit length, and a dit a third of the true one costs three
times the penalty (so "HI" is not read as "TTTT TT").  A coarse pass over dit lengths
(ratio 1.03, 8 phases) scores 16-unit windows with a free phase each; the best three
are refined over the whole recording (dit step ``1 / (4 units)``, 32 phases).

The key sequence at the chosen timing is the maximum-likelihood grammatical one for
the per-unit noncoherent log-likelihood ratio ``-rho + ln I0(2 sqrt(rho s))`` (``rho``
the Es/N0 per dit, re-estimated from the marks).  :class:`Timing` counts the
hypotheses tried, which the keying test of :mod:`dsp.decode` needs for its union
bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from dsp.grammar import log_path_count, posteriors, viterbi_path, viterbi_scores
from dsp.morse import units_to_elements

__all__ = [
    "FADE_S", "Timing", "decode_units", "find_timing", "local_rho", "log_evidence",
    "unit_energies",
]  # fmt: skip

_WINDOW_UNITS = 16
_COARSE_RATIO = 1.03
_COARSE_PHASES = 8
_FINE_PHASES = 32
#: Viterbi columns (windows) scored per call of the coarse dit search: bounds its float64
#: score arrays.  A 10-minute 240 kS/s replay: 1 << 17 columns peak 260 MB (18.1 s),
#: 1 << 16 231 MB (18.6 s), 1 << 15 218 MB but 10 % slower (20.3 s).
_COLUMNS_PER_RUN = 1 << 16


@dataclass(frozen=True, slots=True)
class Timing:
    """Best (dit, phase) of a carrier and its unit energies.

    Attributes
    ----------
    dit_s, phase_s : float
        Dit length; start of the first whole slot, s.
    energies : ndarray
        Normalised coherent energy of every unit slot (noise: exponential, mean 1).
    hypotheses : int
        (dit, phase) pairs scored over the whole recording.
    log_odds : float
        Log of the posterior odds of this dit against three times it (the reading
        that an all-dah pattern also has), from the grammar's evidence of each;
        ``inf`` when the longer dit was not possible.
    """

    dit_s: float
    phase_s: float
    energies: np.ndarray
    hypotheses: int
    log_odds: float = np.inf


def unit_energies(
    prefix: np.ndarray, sample_rate_hz: float, noise_var: float, dit_s: float, phase_s: np.ndarray
) -> np.ndarray:
    """Normalised coherent energy of every unit slot, shape ``(len(phase_s), K)``.

    ``prefix`` is the cumulative sum (with a leading 0) of a carrier mixed to 0 Hz;
    slot ``k`` of phase ``p`` spans ``[p + (k-1) dit, p + k dit)``, clipped to the
    recording; slots holding less than a quarter dit are set to 0.  Noise alone gives
    exponential values with mean 1; a carrier adds Es/N0 of the covered key-down.

    Examples
    --------
    >>> z = np.ones(1000, complex)                     # a carrier at 0 Hz, 100 S/s
    >>> prefix = np.concatenate(([0], np.cumsum(z)))
    >>> unit_energies(prefix, 100.0, 1.0, 2.0, np.array([0.0]))[0, 1:3].tolist()
    [200.0, 200.0]
    """
    n = prefix.size - 1
    duration_s = n / sample_rate_hz
    k_units = int(np.ceil(duration_s / dit_s)) + 1
    edges = (phase_s[:, None] + dit_s * np.arange(-1, k_units)[None, :]) * sample_rate_hz
    edges = np.clip(edges, 0, n)
    i0 = np.floor(edges).astype(int)
    i1 = np.minimum(i0 + 1, n)
    frac = edges - i0
    c = prefix[i0] * (1 - frac) + prefix[i1] * frac
    z = np.diff(c, axis=1)
    width = np.maximum(np.diff(edges, axis=1), 1e-9)
    s = (z.real**2 + z.imag**2) / (noise_var * width)
    return np.where(width >= 0.25 * dit_s * sample_rate_hz, s, 0.0)


def _penalty(s: np.ndarray) -> float:
    """Per key-down-unit penalty ``eta`` for the unit energies of one dit hypothesis."""
    return float(max(1.0 + np.log(max(s.shape[-1], 2)), 0.1 * np.max(s, initial=0.0)))


def _coarse_scores(prefix, sample_rate_hz, noise_var, dits):
    """Windowed penalised-energy score of each dit length (timing phase free per window).

    Every column (one window of one phase of one dit) is an independent Viterbi run;
    columns of equal window width are run together, at most :data:`_COLUMNS_PER_RUN`
    at a time, so memory stays bounded however long the recording.
    """
    scores = np.full(len(dits), -np.inf)
    pending: dict[int, list[tuple[int, np.ndarray]]] = {}

    def run(w: int) -> None:
        members = pending.pop(w, [])
        if not members:
            return
        best = viterbi_scores(np.concatenate([b for _, b in members], axis=1))
        pos = 0
        for j, block in members:
            n_win = block.shape[1] // _COARSE_PHASES
            part = best[pos : pos + block.shape[1]].reshape(_COARSE_PHASES, n_win)
            scores[j] = part.max(axis=0).sum()
            pos += block.shape[1]

    for j, dit in enumerate(dits):
        phases = np.arange(_COARSE_PHASES) * dit / _COARSE_PHASES
        s = unit_energies(prefix, sample_rate_hz, noise_var, dit, phases)
        k_units = s.shape[1]
        w = min(_WINDOW_UNITS, k_units)
        n_win = -(-k_units // w)
        e = np.zeros((_COARSE_PHASES, n_win * w))
        e[:, :k_units] = s - _penalty(s)
        pending.setdefault(w, []).append((j, e.reshape(_COARSE_PHASES * n_win, w).T))
        if sum(b.shape[1] for _, b in pending[w]) >= _COLUMNS_PER_RUN:
            run(w)
    for w in list(pending):
        run(w)
    return scores


def _fine_search(prefix, sample_rate_hz, noise_var, dit_c, duration_s):
    """Whole-recording score around ``dit_c``: (score, dit_s, phase_s, hypotheses)."""
    k_units = max(duration_s / dit_c, 1.0)
    step = min(1.0 / (4 * k_units), 0.005)
    n = int(min(np.ceil(np.log(_COARSE_RATIO * 1.5) / step), 60))
    dits = dit_c * np.exp(np.linspace(-n * step, n * step, 2 * n + 1))
    best = (-np.inf, dit_c, 0.0)
    for dit in dits:
        phases = np.arange(_FINE_PHASES) * dit / _FINE_PHASES
        s = unit_energies(prefix, sample_rate_hz, noise_var, dit, phases)
        if s.shape[1] == 0:
            continue
        sc = viterbi_scores((s - _penalty(s)).T)
        i = int(np.argmax(sc))
        if sc[i] > best[0]:
            best = (float(sc[i]), float(dit), float(phases[i]))
    return (*best, dits.size * _FINE_PHASES)


def find_timing(
    prefix: np.ndarray, sample_rate_hz: float, noise_var: float, *, min_dit_s: float,
    max_dit_s: float, duration_s: float,
) -> Timing | None:  # fmt: skip
    """Best dit length and slot phase in ``[min_dit_s, max_dit_s]``; None if none fits.

    Examples
    --------
    >>> from dsp.keying import keyed_baseband
    >>> from dsp.morse import key_intervals
    >>> z = keyed_baseband(key_intervals("HI", 2.0, start_s=3.0), 20.0, duration_s=40.0)
    >>> t = find_timing(np.concatenate(([0], np.cumsum(z))), 20.0, 0.05, min_dit_s=0.5,
    ...                 max_dit_s=10.0, duration_s=40.0)
    >>> round(t.dit_s, 2)
    2.0
    """
    lo, hi = max(min_dit_s, 4.0 / sample_rate_hz), min(max_dit_s, duration_s / 4)
    if hi < lo:
        return None
    dits = lo * _COARSE_RATIO ** np.arange(int(np.log(hi / lo) / np.log(_COARSE_RATIO)) + 1)
    coarse = _coarse_scores(prefix, sample_rate_hz, noise_var, dits)
    peaks = [i for i in range(dits.size) if coarse[i] == coarse[max(i - 2, 0) : i + 3].max()]
    peaks = sorted(peaks, key=lambda i: coarse[i], reverse=True)[:3]
    found = [_fine_search(prefix, sample_rate_hz, noise_var, dits[i], duration_s) for i in peaks]
    _, dit, phase, _ = max(found, key=lambda f: f[0])
    tried = sum(f[3] for f in found)
    s = unit_energies(prefix, sample_rate_hz, noise_var, dit, np.array([phase]))[0]
    if _tripled(decode_units(s)[0]) and 3 * dit <= duration_s:
        # Marks all 3 units and gaps all multiples of 3: the same key pattern is
        # grammatical at three times the dit.  Read it there (the longest dit
        # consistent with the grammar), as a high SNR can favour the finer grid.
        _, dit, phase, more = _fine_search(prefix, sample_rate_hz, noise_var, 3 * dit, duration_s)
        tried += more
        s = unit_energies(prefix, sample_rate_hz, noise_var, dit, np.array([phase]))[0]
        return Timing(float(dit), float(phase), s, int(tried))
    if 3 * dit > min(max_dit_s, duration_s / 4):
        return Timing(float(dit), float(phase), s, int(tried))
    # A pattern of mostly dahs and gaps in threes is also nearly grammatical at three
    # times the dit ("TTTT TT" against "HI" with one element misjudged): weigh the two
    # readings by their evidence under the grammar rather than trust the finer grid.
    _, dit3, phase3, more = _fine_search(prefix, sample_rate_hz, noise_var, 3 * dit, duration_s)
    tried += more
    s3 = unit_energies(prefix, sample_rate_hz, noise_var, dit3, np.array([phase3]))[0]
    odds = log_evidence(s, dit) - log_evidence(s3, dit3)
    if odds >= 0:
        return Timing(float(dit), float(phase), s, int(tried), float(odds))
    return Timing(float(dit3), float(phase3), s3, int(tried), float(-odds))


def log_evidence(s: np.ndarray, dit_s: float | None = None) -> float:
    """Log Bayes factor of "Morse at this timing" against noise, for unit energies ``s``.

    The mean over the grammar's paths (a flat prior) of their likelihood ratio, with
    the per-unit likelihood ratios of :func:`decode_units`; comparable between dit
    hypotheses with different numbers of units.

    Examples
    --------
    >>> log_evidence(np.array([40.0, 1, 38, 0.5, 0.2, 1, 0.7, 0.3, 0.9, 41])) > 10
    True
    """
    valid = s > 0
    _, scores, _ = decode_units(s, dit_s)
    _, log_z = posteriors(np.where(valid, scores, -np.inf)[valid])
    return float(log_z - log_path_count(int(valid.sum())))


def llr(s: np.ndarray, rho: float | np.ndarray, fade: float = 0.0) -> np.ndarray:
    """Log-likelihood ratio of key-down for normalised unit energies ``s`` at Es/N0 ``rho``.

    With ``fade`` > 0 a key-down unit is, with that probability, in a fade of its own
    (its Es/N0 ``g rho`` with ``g`` Rayleigh-distributed power, down to
    :data:`FADE_FLOOR`) rather than at ``rho`` exactly, so a weak unit among strong
    ones is not read as a gap with certainty.

    Examples
    --------
    >>> s = np.array([1.0, 20.0, 300.0])
    >>> llr(s, 300.0).round(0).tolist(), llr(s, 300.0, 0.1).round(1).tolist()
    ([-268.0, -149.0, 296.0], [-26.3, 11.0, 295.8])
    """
    steady = _steady_llr(s, rho)
    if fade <= 0:
        return steady
    rho_b = np.broadcast_to(np.asarray(rho, float), np.shape(s))
    parts = [w + _steady_llr(s, g * rho_b) for g, w in zip(_FADE_G, _FADE_LOG_W, strict=True)]
    faded = scipy.special.logsumexp(parts, axis=0) - scipy.special.logsumexp(_FADE_LOG_W)
    return np.logaddexp(np.log1p(-fade) + steady, np.log(fade) + faded)


def _steady_llr(s: np.ndarray, rho: float | np.ndarray) -> np.ndarray:
    x = 2.0 * np.sqrt(rho * np.maximum(s, 0.0))
    return -rho + np.log(scipy.special.i0e(x)) + x


#: Probability that a key-down unit of a 30 s dit sits in a fade of its own (see
#: :func:`llr`), once the marks are seen to fade (:data:`MAX_SPREAD`); shorter units
#: share their neighbours' fade: ``(dit / 30 s)**2`` of it, none below
#: :data:`MIN_FADE_DIT_S` (fades last a minute or more).
FADE_WEIGHT = 0.1
MIN_FADE_DIT_S = 5.0
#: Deepest fade of a unit of its own, relative to the local strength (10 dB): a unit
#: much weaker than that is a gap, or a mark's edge spilling over, not a fade.
FADE_FLOOR = 0.1
_FADE_G = np.geomspace(FADE_FLOOR, 3.0, 8)
_FADE_LOG_W = -_FADE_G + np.log(np.gradient(_FADE_G))  # Rayleigh power: Exp(1)
#: Time scale of QSB the key-sequence likelihood follows, s: the signal's strength is
#: estimated from the key-down units within about this of each unit (fades on 10 m
#: last 60-300 s), so one faded element is not read as a gap with confidence.
FADE_S = 60.0


def local_rho(s: np.ndarray, key_down: np.ndarray, dit_s: float | None) -> np.ndarray:
    """Es/N0 at every unit: key-down energies near it (Gaussian, :data:`FADE_S`).

    Shrunk towards the mean over all key-down units (one unit's worth of weight), so a
    stretch with few marks borrows from the rest.  Without ``dit_s``, or when the
    recording is short against :data:`FADE_S`, the same everywhere.

    Examples
    --------
    >>> s = np.array([90.0, 1, 90, 1, 1, 1, 10, 1, 10, 1, 10, 1, 10])
    >>> r = local_rho(s, s > 5, 30.0)
    >>> bool(r[0] > 40 > 20 > r[-1])
    True
    """
    on = key_down & (s > 0)
    mean = float(max(np.mean(s[on]) - 1.0, 1.0)) if on.any() else 1.0
    if dit_s is None or not on.any():
        return np.full(s.size, mean)
    sigma = FADE_S / dit_s  # units
    if sigma * 4 > s.size:
        return np.full(s.size, mean)
    k = np.arange(s.size)
    w = np.exp(-0.5 * ((k[:, None] - k[None, on]) / sigma) ** 2)
    num = w @ (s[on] - 1.0) + mean
    return np.maximum(num / (w.sum(axis=1) + 1.0), 1.0)


def decode_units(
    s: np.ndarray, dit_s: float | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """ML key sequence of unit energies ``s``; returns (key_down, llr, rho).

    ``rho`` is the mean Es/N0 of the key-down units.  With ``dit_s`` (of at least
    :data:`MIN_FADE_DIT_S`), when the marks vary more than noise makes them
    (:data:`MAX_SPREAD`), the likelihood follows the signal's strength as it fades
    (:func:`local_rho`) and allows a unit a fade of its own (:func:`llr`); a steady
    signal keeps one strength, which is estimated best from all its marks.

    Examples
    --------
    >>> s = np.array([40.0, 1.0, 38.0, 0.5, 0.2, 1.1, 0.7, 0.3, 0.9, 0.4, 41.0, 39, 42])
    >>> path, _, rho = decode_units(s)
    >>> "".join("1" if u else "0" for u in path), round(rho)
    ('1010000000111', 39)
    """
    path, _ = viterbi_path(s - _penalty(s))
    path, rho = _iterate(s, path, None, 0.0)  # one strength for the whole message
    fade = 0.0
    if dit_s is not None and dit_s >= MIN_FADE_DIT_S and _excess_spread(s, path, rho) > MAX_SPREAD:
        # The marks vary more than noise can make them: the signal fades.
        fade = FADE_WEIGHT * min(1.0, dit_s / 30.0) ** 2
        path, rho = _iterate(s, path, dit_s, fade)
    mean = float(max(np.mean(s[path]) - 1.0, 1.0)) if path.any() else 1.0
    return path, llr(s, rho, fade), mean


#: Mean squared standardised deviation of the marks from their local strength above
#: which the signal is taken to fade (noise alone: about 1) ...
MAX_SPREAD = 3.0

def _excess_spread(s: np.ndarray, key_down: np.ndarray, rho: np.ndarray) -> float:
    """Mean of ``((s - 1 - rho) / sqrt(1 + 2 rho))**2`` over the key-down units."""
    on = key_down & (s > 0)
    if np.count_nonzero(on) < 3:
        return 0.0
    r = (s[on] - 1.0 - rho[on]) / np.sqrt(1.0 + 2.0 * rho[on])
    return float(np.mean(r**2))


def _iterate(s: np.ndarray, path: np.ndarray, dit_s: float | None, fade: float):
    """Alternate the key sequence and the strength behind it until they agree."""
    rho = local_rho(s, path, dit_s)
    for _ in range(4):
        new, _ = viterbi_path(llr(s, rho, fade))
        if np.array_equal(new, path):
            break
        path = new
        rho = local_rho(s, path, dit_s)
    return path, rho


def _tripled(path: np.ndarray) -> bool:
    """Whether every mark lasts 3 units and every space between marks a multiple of 3."""
    elements = units_to_elements(path)
    return bool(elements) and all(
        e.length_units == 3 if e.key_down else e.length_units % 3 == 0 for e in elements
    )
